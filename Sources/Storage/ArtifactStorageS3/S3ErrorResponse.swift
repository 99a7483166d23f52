public import ArtifactStorage

/// An S3 error: the HTTP status and, when the response had one, the `<Error>` document's code
/// and message. Turns into the storage layer's ``StorageError`` codes via ``storageError(operation:path:)``.
public struct S3ErrorResponse: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    /// S3's error code (`NoSuchKey`, `AccessDenied`, …); empty when the body had none (HEAD).
    public var code: String
    public var message: String
    public var requestID: String?

    public init(status: Int, code: String, message: String, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    /// Parses an `<Error>` document; falls back to the bare status when there is none.
    public init(status: Int, body: [UInt8]) {
        if let root = S3XMLElement.parse(body), root.name == "Error" {
            self.init(
                status: status,
                code: root.text(of: "Code") ?? "",
                message: root.text(of: "Message") ?? "",
                requestID: root.text(of: "RequestId")
            )
        } else {
            self.init(status: status, code: "", message: "")
        }
    }

    /// An `<Error>` document in a 200 response (CompleteMultipartUpload and CopyObject may fail
    /// after sending their status line), or `nil`.
    static func embedded(in body: [UInt8]) -> S3ErrorResponse? {
        guard let root = S3XMLElement.parse(body), root.name == "Error" else { return nil }
        return S3ErrorResponse(status: 200, body: body)
    }

    public var description: String {
        var text = "HTTP \(status)"
        if !code.isEmpty { text += " \(code)" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }

    /// Maps S3's answer to the storage layer's codes.
    ///
    /// NoSuchKey/404 → `objectNotFound`; NoSuchBucket → `unreachable`; AccessDenied,
    /// InvalidAccessKeyId, SignatureDoesNotMatch, 403 → `accessDenied`; InvalidRange/416 →
    /// `invalidRange`; anything else → `io` naming S3's code and message.
    public func storageError(operation: String, path: String?) -> StorageError {
        let subject = path.map { " \"\($0)\"" } ?? ""
        switch code {
        case "NoSuchBucket":
            return StorageError(.unreachable, "\(operation)\(subject): the bucket does not exist (\(self))", path: path, underlying: self)
        case "NoSuchKey", "NoSuchUpload":
            return StorageError(.objectNotFound, "\(operation)\(subject): no such object (\(self))", path: path, underlying: self)
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
            "AllAccessDisabled", "AccountProblem":
            return StorageError(.accessDenied, "\(operation)\(subject): access denied (\(self))", path: path, underlying: self)
        case "InvalidRange":
            return StorageError(.invalidRange, "\(operation)\(subject): range not satisfiable (\(self))", path: path, underlying: self)
        default:
            break
        }
        switch status {
        case 404:
            return StorageError(.objectNotFound, "\(operation)\(subject): not found (\(self))", path: path, underlying: self)
        case 401, 403:
            return StorageError(.accessDenied, "\(operation)\(subject): access denied (\(self))", path: path, underlying: self)
        case 416:
            return StorageError(.invalidRange, "\(operation)\(subject): range not satisfiable (\(self))", path: path, underlying: self)
        default:
            return StorageError(.io, "\(operation)\(subject) failed: S3 answered \(self)", path: path, underlying: self)
        }
    }
}
