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
/// Exists so the status mapping of docs/api.md ("Errors") is written once: control-plane codes,
/// data-plane codes (also when wrapped by the control plane) and HTTP-layer codes.
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
            let status: HTTPResponse.Status =
                switch error.kind {
                case .badRequest, .invalidRequestID: .badRequest
                case .notFound: .notFound
                case .methodNotAllowed: .methodNotAllowed
                case .payloadTooLarge: .contentTooLarge
                case .unsupportedMediaType: .unsupportedMediaType
                case .internalError: .internalServerError
                case .unsupportedTransferCoding: .notImplemented
                case .tooManyConnections: .serviceUnavailable
                }
            // The body that follows is not read: the connection cannot carry another request.
            if error.kind == .unsupportedTransferCoding { headers[.connection] = "close" }
            return (status, error.code, error.message, headers)
        case let error as DigestParseError:
            return (.badRequest, error.code, error.message, headers)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return (.notFound, HTTPAPIError.Code.notFound.rawValue, "no such route", headers)
            case .contentTooLarge: return (.contentTooLarge, HTTPAPIError.Code.payloadTooLarge.rawValue, error.body ?? "the body is too large", headers)
            case .methodNotAllowed: return (.methodNotAllowed, HTTPAPIError.Code.methodNotAllowed.rawValue, "method not allowed", headers)
            case .unsupportedMediaType:
                return (.unsupportedMediaType, HTTPAPIError.Code.unsupportedMediaType.rawValue, error.body ?? "unsupported media type", headers)
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

    static func status(for code: ControlPlaneError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidName, .invalidPath, .invalidManifest, .invalidDigest, .invalidPageRequest, .invalidPolicy, .invalidToken, .blobNotLinked:
            .badRequest
        case .unauthenticated, .tokenExpired, .tokenRevoked: .unauthorized
        case .forbidden: .forbidden
        case .namespaceNotFound, .artifactNotFound, .versionNotFound, .fileNotFound, .tagNotFound, .holdNotFound, .policyNotFound, .blobNotFound,
            .tokenNotFound:
            .notFound
        case .namespaceExists, .versionExists, .immutableTag, .versionHeld, .holdExists, .policyExists, .blobCollected: .conflict
        case .databaseUnavailable: .serviceUnavailable
        case .databaseTooNew, .database, .dataPlane: .internalServerError
        }
    }

    static func status(for code: DataPlaneError.Code) -> HTTPResponse.Status {
        switch code {
        case .digestMismatch, .sizeMismatch, .sizeLimitExceeded, .invalidRange, .streamFailed: .badRequest
        case .objectNotFound: .notFound
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        case .backendUnavailable, .dataPlaneUnavailable: .serviceUnavailable
        case .unknownBackend, .invalidConfiguration, .cancelled, .storage, .objectCorrupt: .internalServerError
        case .rangeUnverifiable: .notImplemented
        }
    }

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
