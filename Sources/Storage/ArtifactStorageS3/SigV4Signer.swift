public import ArtifactStorage
public import Crypto
public import Foundation

/// Signs requests with AWS Signature Version 4 (HMAC-SHA256).
///
/// Exists because the S3 backend talks to any S3-compatible service over plain HTTP and must
/// authenticate every request itself. It promises byte-exact agreement with the public AWS test
/// vectors: the AWS SigV4 suite (generic services: path normalisation, double encoding), the
/// aws-c-auth suite (header and presigned variants, S3-style unnormalised paths) and the S3 API
/// reference examples. The secret key is read only to derive the signing key; it is never
/// logged or included in any output.
public struct SigV4Signer: Sendable, CustomStringConvertible {
    /// How the request path becomes the canonical URI.
    public enum PathMode: Sendable, Hashable {
        /// S3: the path is used exactly as sent, never normalised, encoded once.
        case s3
        /// Every other service: `.`/`..`/`//` normalised, the wire path encoded again.
        case generic
    }

    /// Everything a signature was computed from, for debugging and tests (no secret in it).
    public struct Signature: Sendable, Hashable {
        public var canonicalRequest: String
        public var stringToSign: String
        /// Lower-case hex HMAC-SHA256 signature.
        public var signature: String
        /// `host;x-amz-date;…`
        public var signedHeaders: String
        /// `yyyymmdd/region/service/aws4_request`
        public var scope: String
        /// The `Authorization` header value (header signing only).
        public var authorization: String
    }

    public var credentials: StorageCredentials
    public var region: String
    public var service: String
    public var pathMode: PathMode
    /// Whether `X-Amz-Security-Token` is part of the signature (S3 and most services) or added
    /// after signing (a few services; the AWS suite's `post-sts-header-after` case).
    public var signsSessionToken: Bool
    /// The last signing key derived, shared by the copies of this signer.
    private let derivedKey = DerivedSigningKey()

    public init(
        credentials: StorageCredentials,
        region: String,
        service: String = "s3",
        pathMode: PathMode = .s3,
        signsSessionToken: Bool = true
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathMode = pathMode
        self.signsSessionToken = signsSessionToken
    }

    /// Signs `request` in place with an `Authorization` header.
    ///
    /// Sets `X-Amz-Date` (and `X-Amz-Security-Token` when the credentials carry one), adds
    /// `x-amz-content-sha256: payloadHash` when `addContentSHA256Header` (S3 requires it), signs
    /// every header present, then appends `Authorization`.
    ///
    /// - Parameter payloadHash: hex SHA-256 of the body, or a literal such as
    ///   ``unsignedPayload``.
    @discardableResult
    public func sign(
        _ request: inout SigV4Request,
        date: Date,
        payloadHash: String,
        addContentSHA256Header: Bool = false
    ) -> Signature {
        let amzDate = Self.amzDate(date)
        request.headers.removeAll { $0.name.lowercased() == "authorization" }
        request.setHeader("X-Amz-Date", amzDate)
        if let token = credentials.sessionToken, signsSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
        if addContentSHA256Header {
            request.setHeader("x-amz-content-sha256", payloadHash)
        }
        var result = signature(
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            payloadHash: payloadHash,
            amzDate: amzDate
        )
        result.authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(result.scope), SignedHeaders=\(result.signedHeaders), Signature=\(result.signature)"
        if let token = credentials.sessionToken, !signsSessionToken {
            request.setHeader("X-Amz-Security-Token", token)
        }
        request.headers.append(SigV4Request.Header("Authorization", result.authorization))
        return result
    }

    /// The canonical request, string to sign and signature of a request whose headers and query
    /// are final (the building block of header and query signing).
    public func signature(
        method: String,
        path: String,
        query: [SigV4Request.QueryItem],
        headers: [SigV4Request.Header],
        payloadHash: String,
        amzDate: String
    ) -> Signature {
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonicalRequest = [
            method,
            Self.canonicalURI(path, mode: pathMode),
            Self.canonicalQuery(query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = self.scope(amzDate: amzDate)
        let stringToSign = [
            "AWS4-HMAC-SHA256",
            amzDate,
            scope,
            Self.sha256Hex(Array(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        let key = signingKey(date: String(amzDate.prefix(8)))
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        return Signature(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature,
            signedHeaders: signedHeaders,
            scope: scope,
            authorization: ""
        )
    }

    /// The credential scope for a request made at `amzDate`.
    public func scope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    ///
    /// Derived once per day (and per secret, region and service) and then reused
    /// (``DerivedSigningKey``).
    public func signingKey(date: String) -> SymmetricKey {
        derivedKey.key(secret: credentials.secretAccessKey, date: date, region: region, service: service)
    }

    /// The signing key derivation, exposed for the AWS worked example.
    public static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// Names the key id, region and service; never the secret or the session token.
    public var description: String {
        "SigV4Signer(accessKeyID: \(credentials.accessKeyID), region: \(region), service: \(service), pathMode: \(pathMode))"
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, the form of `X-Amz-Date`.
    public static func amzDate(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3_600, 2)
            + pad(secondOfDay % 3_600 / 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }
}
