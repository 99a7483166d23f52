import ArtifactOCI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The OCI error body `{"errors":[{"code","message","detail"}]}` with the spec's status and
/// headers: the `Basic` challenge on 401, the held `Range` on an out-of-order chunk.
///
/// Exists so `/v2` refusals never take the `/v1` shape: the OCI routes answer every failure
/// through here themselves, so ``ErrorMiddleware`` never sees them.
enum OCIErrorResponse {
    static let challenge = #"Basic realm="artifactstore""#

    /// With `requestID`, a 5xx's `detail` carries it (`{"requestID": …}`): the server log has the
    /// cause under that id.
    /// `challenge` is the `WWW-Authenticate` value of a 401 (``challenge``, the Basic one, unless
    /// registry token authentication names its token endpoint).
    static func response(
        for error: OCIError,
        method: HTTPRequest.Method,
        uploadID: String? = nil,
        requestID: String? = nil,
        challenge: String = challenge
    ) -> Response {
        var headers: HTTPFields = [OCIHeader.apiVersion: "registry/2.0"]
        if error.status == 401 { headers[.wwwAuthenticate] = challenge }
        if let held = error.receivedBytes {
            headers[OCIHeader.range] = OCIHeader.rangeValue(held)
            if let uploadID { headers[OCIHeader.uploadUUID] = uploadID }
        }
        let status = HTTPResponse.Status(code: error.status)
        var entry: [String: Any] = ["code": error.code, "message": error.message]
        if error.status >= 500, let requestID, !requestID.isEmpty {
            let what = error.message.replacingOccurrences(of: "; see the server log", with: "")
            entry["message"] = what + "; the server log has the cause under request id \(requestID)"
            entry["detail"] = ["requestID": requestID]
        } else {
            entry["detail"] = NSNull()
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: ["errors": [entry]], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        headers[.contentType] = "application/json"
        headers[.contentLength] = "\(data.count)"
        if method == .head { return Response(status: status, headers: headers) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The header names and values the distribution API uses.
enum OCIHeader {
    static let apiVersion = HTTPField.Name("Docker-Distribution-API-Version")!
    static let contentDigest = HTTPField.Name("Docker-Content-Digest")!
    static let uploadUUID = HTTPField.Name("Docker-Upload-UUID")!
    static let location = HTTPField.Name("Location")!
    static let range = HTTPField.Name("Range")!
    static let subject = HTTPField.Name("OCI-Subject")!
    static let filtersApplied = HTTPField.Name("OCI-Filters-Applied")!
    static let link = HTTPField.Name("Link")!

    /// `0-<last byte held>`, as docker-registry writes it (`0-0` when nothing is held yet).
    static func rangeValue(_ held: UInt64) -> String {
        "0-\(held > 0 ? held - 1 : 0)"
    }
}
