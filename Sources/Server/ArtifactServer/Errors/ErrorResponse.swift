import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// How each error maps to a status and to the contract's one JSON error body (``ErrorBody``).
///
/// Exists so every error reaches the client in one shape: control-plane codes, data-plane codes
/// (also when wrapped by the control plane) and HTTP-layer codes, each with the status its code
/// declares (``ErrorCode/httpStatus``, listed in docs/errors.md).
enum ErrorResponse {
    /// The status, code, message and extra headers for `error`.
    static func describe(_ error: any Error) -> (status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields) {
        var headers = HTTPFields()
        switch error {
        case let error as ControlPlaneError:
            if error.kind == .dataPlane, let inner = error.underlying as? DataPlaneError {
                return describe(inner)
            }
            let status = status(for: error.kind)
            if status == .unauthorized { headers[.wwwAuthenticate] = #"Bearer realm="artifactstore""# }
            let message =
                switch status {
                case .internalServerError: "the server failed (\(error.code))"
                case .serviceUnavailable: "the database is unavailable (\(error.code)); retry later"
                default: error.message
                }
            return (status, error.code, message, headers)
        case let error as DataPlaneError:
            let status = status(for: error.kind)
            // A 5xx message may name a socket, a root or a bucket: it goes to the log only.
            let message =
                switch status {
                case .internalServerError: "the data plane failed (\(error.code))"
                case .serviceUnavailable: "storage is unavailable (\(error.code)); retry later"
                default: error.message
                }
            return (status, error.code, message, headers)
        case let error as RangeNotSatisfiable:
            headers[.contentRange] = "bytes */\(error.size)"
            return (.rangeNotSatisfiable, DataPlaneError.Code.rangeNotSatisfiable.rawValue, error.message, headers)
        case let error as HTTPAPIError:
            // The body that follows is not read: the connection cannot carry another request.
            if error.kind == .unsupportedTransferCoding { headers[.connection] = "close" }
            return (status(for: error.kind), error.code, error.message, headers)
        case let error as DigestParseError:
            return (status(for: error.kind), error.code, error.message, headers)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return (.notFound, HTTPAPIError.Code.notFound.rawValue, "no such route", headers)
            case .contentTooLarge:
                return (.contentTooLarge, HTTPAPIError.Code.payloadTooLarge.rawValue, error.body ?? "the body is too large", headers)
            case .methodNotAllowed: return (.methodNotAllowed, HTTPAPIError.Code.methodNotAllowed.rawValue, "method not allowed", headers)
            case .unsupportedMediaType:
                return (
                    .unsupportedMediaType, HTTPAPIError.Code.unsupportedMediaType.rawValue, error.body ?? "unsupported media type", headers
                )
            default:
                if error.status.code < 500 {
                    return (error.status, HTTPAPIError.Code.badRequest.rawValue, error.body ?? error.status.reasonPhrase, headers)
                }
                return (.internalServerError, HTTPAPIError.Code.internalError.rawValue, "the server failed", headers)
            }
        default:
            return (.internalServerError, HTTPAPIError.Code.internalError.rawValue, "the server failed", headers)
        }
    }

    /// The status a code's ``ErrorCode/httpStatus`` names (500 for a code that has none), with its
    /// standard reason phrase.
    static func status(for code: some ErrorCode) -> HTTPResponse.Status {
        let number = code.httpStatus ?? 500
        return knownStatuses.first { $0.code == number } ?? HTTPResponse.Status(code: number)
    }

    /// The statuses error codes declare, with their reason phrases.
    private static let knownStatuses: [HTTPResponse.Status] = [
        .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict, .contentTooLarge, .unsupportedMediaType,
        .rangeNotSatisfiable, .tooManyRequests, .internalServerError, .notImplemented, .serviceUnavailable,
    ]

    /// The JSON error response for `error` (no body for HEAD). A 5xx names no internal path,
    /// socket or library error, only its code; with `requestID` its message and body say under
    /// which id the server log has the cause.
    static func response(for error: any Error, method: HTTPRequest.Method, requestID: String? = nil) -> Response {
        var (status, code, message, extra) = describe(error)
        var headers = extra
        if method == .head {
            return Response(status: status, headers: headers)
        }
        let logged = status.code >= 500 ? requestID.flatMap { $0.isEmpty ? nil : $0 } : nil
        if let logged { message += "; the server log has the cause under request id \(logged)" }
        let data = (try? APIJSON.encoder().encode(ErrorBody(code: code, message: message, requestID: logged))) ?? Data()
        headers[.contentType] = "application/json"
        headers[.contentLength] = "\(data.count)"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A `Range` that lies outside the object: 416 with `Content-Range: bytes */size`.
struct RangeNotSatisfiable: Error, Sendable {
    var size: UInt64
    var message: String
}
