import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Request {
    /// The query parameter `name`, decoded.
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// `limit` (1–1000, default 100) and `cursor`: a bad limit is `invalidPageRequest`.
    func pageRequest() throws -> PageRequest {
        var page = PageRequest()
        if let text = query("limit") {
            guard let limit = Int(text), (1...PageRequest.maximumLimit).contains(limit) else {
                throw ControlPlaneError(
                    .invalidPageRequest,
                    "page limit \"\(NameGrammar.printable(text))\" is not a number in 1…\(PageRequest.maximumLimit)"
                )
            }
            page.limit = limit
        }
        if let cursor = query("cursor"), !cursor.isEmpty { page.cursor = cursor }
        return page
    }

    /// A boolean query parameter: `true`/`false` (or `1`/`0`); absent is `defaultValue`.
    func flag(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let text = query(name) else { return defaultValue }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw HTTPAPIError(.badRequest, "query parameter \(name) must be true or false, not \"\(NameGrammar.printable(text))\"")
        }
    }
}

extension ServerRequestContext {
    /// Who acts, for the control plane's audit records.
    func auditContext(_ principal: Principal?) -> ArtifactControlPlane.RequestContext {
        ArtifactControlPlane.RequestContext(actor: principal?.actor ?? "anonymous", requestID: requestID, clientAddress: clientAddress)
    }
}

/// Builds JSON responses with a chosen status.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try APIJSON.encoder().encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: "\(data.count)"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// A response whose body `json` is already written (``BlobBody/directJSON()``).
    static func make(json: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .contentLength: "\(json.readableBytes)"],
            body: .init(byteBuffer: json)
        )
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }
}
