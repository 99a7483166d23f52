import ArtifactStorage
import Crypto
public import Foundation

// Query-string authentication (presigned URLs).
extension SigV4Signer {
    /// A request authenticated by its query string alone.
    public struct Presigned: Sendable, Hashable {
        /// The signature details (``Signature/authorization`` is empty).
        public var signature: Signature
        /// The full query in wire form: the canonical query (sorted, encoded, with the
        /// `X-Amz-*` parameters) followed by `&X-Amz-Signature=…`.
        public var encodedQuery: String
    }

    /// The longest validity S3 accepts for a presigned URL: seven days.
    public static let maximumPresignExpiry = 604_800

    /// Presigns `request`: adds `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-Expires`, `X-Amz-SignedHeaders` (and `X-Amz-Security-Token` when there is a session
    /// token) to the canonical query, signs every header in `request` (at least `Host`), and
    /// appends `X-Amz-Signature`.
    ///
    /// - Parameter payloadHash: S3 presigned URLs use ``unsignedPayload``; other services the
    ///   hex SHA-256 of the body.
    public func presign(_ request: SigV4Request, date: Date, expires: Int, payloadHash: String) -> Presigned {
        let amzDate = Self.amzDate(date)
        let (_, signedHeaders) = Self.canonicalHeaders(request.headers)
        var query = request.query
        query.append(.init("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        query.append(.init("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(amzDate: amzDate))"))
        query.append(.init("X-Amz-Date", amzDate))
        query.append(.init("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken, signsSessionToken {
            query.append(.init("X-Amz-Security-Token", token))
        }
        query.append(.init("X-Amz-SignedHeaders", signedHeaders))
        let result = signature(
            method: request.method,
            path: request.path,
            query: query,
            headers: request.headers,
            payloadHash: payloadHash,
            amzDate: amzDate
        )
        var encoded = Self.canonicalQuery(query) + "&X-Amz-Signature=" + result.signature
        if let token = credentials.sessionToken, !signsSessionToken {
            encoded += "&X-Amz-Security-Token=" + Self.uriEncode(token)
        }
        return Presigned(signature: result, encodedQuery: encoded)
    }

    /// A presigned URL `scheme://authority/path?query` for `request` (which must carry a `Host`
    /// header equal to `authority`). In ``PathMode/s3`` the path is written in its canonical,
    /// singly encoded form.
    public func presignedURL(
        scheme: String,
        authority: String,
        request: SigV4Request,
        date: Date,
        expires: Int,
        payloadHash: String = SigV4Signer.unsignedPayload
    ) -> String {
        let presigned = presign(request, date: date, expires: expires, payloadHash: payloadHash)
        let path = pathMode == .s3 ? Self.canonicalURI(request.path, mode: .s3) : request.path
        return "\(scheme)://\(authority)\(path)?\(presigned.encodedQuery)"
    }
}
