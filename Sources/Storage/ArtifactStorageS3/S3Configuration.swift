public import ArtifactStorage
public import NIOCore

/// Where an S3 backend keeps its objects and how to reach it.
///
/// Exists so a backend can be described once (by hand or from an `s3://` URL, see
/// ``init(url:)``) and handed to ``S3Connector``. The root of the backend is ``bucket`` plus
/// ``prefix``: every storage path lives under `prefix/`, and nothing outside it is touched.
/// `description` never shows the secret key or session token.
public struct S3Configuration: Sendable, Hashable, CustomStringConvertible {
    /// The bucket name (3–63 characters of `a-z 0-9 . -`).
    public var bucket: String
    /// The key prefix every path is placed under, without leading or trailing `/`; empty for the
    /// whole bucket.
    public var prefix: String
    /// The signing region (`us-east-1` when not given).
    public var region: String
    /// A custom endpoint (MinIO, Ceph, moto…); `nil` means AWS: `https://s3.<region>.amazonaws.com`.
    public var endpoint: S3Endpoint?
    /// Path-style (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`) addressing.
    public var pathStyle: Bool
    /// Explicit credentials; `nil` reads `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`
    /// from the environment when the client is made.
    public var credentials: StorageCredentials?
    /// Bytes per multipart-upload part (at least 5 MiB, S3's minimum). Streams shorter than one
    /// part are sent with a single PutObject.
    public var partSize: Int
    /// Parts uploaded concurrently; memory use of a write is bounded by `partSize × (maxPartsInFlight + 1)`.
    public var maxPartsInFlight: Int
    /// Objects larger than this are copied with UploadPartCopy (CopyObject's limit is 5 GiB).
    public var multipartCopyThreshold: UInt64
    /// Bytes per UploadPartCopy part (at least 5 MiB).
    public var copyPartSize: UInt64
    /// Deadline of requests that move no object bytes (HEAD, DELETE, listing, starting or aborting
    /// an upload). Requests that stream bodies or copy server-side have none and rely on the
    /// `HTTPClient`'s connect and read timeouts instead.
    public var requestTimeout: TimeAmount
    /// How long, in seconds, the presigned URL of a redirected download stays valid; `nil` (the
    /// default) serves every download through the server. See ``StorageRedirecting``.
    public var redirectExpiry: Int?

    /// The validity of a presigned download URL when `redirect=true` names none: long enough
    /// for a client to follow the redirect, short enough that a leaked URL soon stops working.
    public static let defaultRedirectExpiry = 300
    public static let minimumPartSize = 5 * 1024 * 1024
    public static let defaultPartSize = 8 * 1024 * 1024
    public static let maximumSingleCopySize: UInt64 = 5 * 1024 * 1024 * 1024

    public init(
        bucket: String,
        prefix: String = "",
        region: String = "us-east-1",
        endpoint: S3Endpoint? = nil,
        pathStyle: Bool = false,
        credentials: StorageCredentials? = nil,
        partSize: Int = S3Configuration.defaultPartSize,
        maxPartsInFlight: Int = 3,
        multipartCopyThreshold: UInt64 = S3Configuration.maximumSingleCopySize,
        copyPartSize: UInt64 = 512 * 1024 * 1024,
        requestTimeout: TimeAmount = .seconds(30),
        redirectExpiry: Int? = nil
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.endpoint = endpoint
        self.pathStyle = pathStyle
        self.credentials = credentials
        self.partSize = partSize
        self.maxPartsInFlight = maxPartsInFlight
        self.multipartCopyThreshold = multipartCopyThreshold
        self.copyPartSize = copyPartSize
        self.requestTimeout = requestTimeout
        self.redirectExpiry = redirectExpiry
    }

    /// The endpoint requests go to: ``endpoint`` or AWS's regional one.
    public var effectiveEndpoint: S3Endpoint {
        endpoint ?? S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
    }

    /// Checks every field, naming the one at fault.
    public func validate() throws(StorageError) {
        try Self.validateBucket(bucket)
        if !prefix.isEmpty {
            do {
                _ = try StoragePath(prefix)
            } catch {
                throw StorageError(
                    .invalidConfiguration,
                    "S3 prefix \"\(prefix)\" is not a valid path: \(error.message)",
                    underlying: error
                )
            }
        }
        try Self.validateRegion(region)
        guard partSize >= Self.minimumPartSize else {
            throw StorageError(
                .invalidConfiguration,
                "S3 partSize \(partSize) is below S3's minimum part size of \(Self.minimumPartSize) bytes"
            )
        }
        guard maxPartsInFlight >= 1 else {
            throw StorageError(.invalidConfiguration, "S3 maxPartsInFlight must be at least 1, not \(maxPartsInFlight)")
        }
        guard copyPartSize >= UInt64(Self.minimumPartSize) else {
            throw StorageError(
                .invalidConfiguration,
                "S3 copyPartSize \(copyPartSize) is below S3's minimum part size of \(Self.minimumPartSize) bytes"
            )
        }
        guard requestTimeout > .zero else {
            throw StorageError(.invalidConfiguration, "S3 requestTimeout must be positive")
        }
        guard multipartCopyThreshold <= Self.maximumSingleCopySize else {
            throw StorageError(
                .invalidConfiguration,
                "S3 multipartCopyThreshold \(multipartCopyThreshold) is above CopyObject's limit of 5 GiB"
            )
        }
        if let redirectExpiry, let problem = Self.redirectExpiryProblem(redirectExpiry) {
            throw StorageError(.invalidConfiguration, "S3 redirectExpiry \(redirectExpiry) \(problem)")
        }
    }

    static func validateBucket(_ bucket: String) throws(StorageError) {
        if let problem = bucketNameProblem(bucket) {
            throw StorageError(.invalidConfiguration, "S3 bucket name \"\(bucket)\" \(problem)")
        }
    }

    /// Why `bucket` is not a valid S3 bucket name, or `nil` when it is. Shared by ``validate()``
    /// and ``init(url:)`` so both apply the same rules.
    static func bucketNameProblem(_ bucket: String) -> String? {
        let bytes = Array(bucket.utf8)
        guard (3...63).contains(bytes.count) else { return "must be 3 to 63 characters long" }
        for byte in bytes {
            let ok =
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            guard ok else { return "may contain only a-z, 0-9, '.' and '-'" }
        }
        guard let first = bytes.first, let last = bytes.last, first != UInt8(ascii: "."), first != UInt8(ascii: "-"),
            last != UInt8(ascii: "."), last != UInt8(ascii: "-")
        else { return "must start and end with a letter or digit" }
        guard !bucket.contains("..") else { return "must not contain \"..\"" }
        return nil
    }

    /// Why `seconds` cannot be a presigned URL's validity, or `nil` when it can.
    static func redirectExpiryProblem(_ seconds: Int) -> String? {
        (1...SigV4Signer.maximumPresignExpiry).contains(seconds)
            ? nil : "must be 1 to \(SigV4Signer.maximumPresignExpiry) seconds (S3 honours a presigned URL for at most 7 days)"
    }

    static func validateRegion(_ region: String) throws(StorageError) {
        if let problem = regionProblem(region) {
            throw StorageError(.invalidConfiguration, "S3 region \"\(region)\" \(problem)")
        }
    }

    /// Why `region` is not a region name, or `nil` when it is.
    static func regionProblem(_ region: String) -> String? {
        guard !region.isEmpty, region.utf8.count <= 64 else { return "must be 1 to 64 characters long" }
        let ok = region.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
        return ok ? nil : "may contain only a-z, 0-9 and '-'"
    }

    public var description: String {
        var text = "s3://\(bucket)"
        if !prefix.isEmpty { text += "/\(prefix)" }
        text += " (region \(region), endpoint \(effectiveEndpoint), \(pathStyle ? "path-style" : "virtual-hosted")"
        if let redirectExpiry { text += ", downloads redirected for \(redirectExpiry) s" }
        if let credentials { text += ", \(credentials)" }
        return text + ")"
    }
}

/// The scheme, host and port of an S3 endpoint.
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    public var host: String
    /// `nil` for the scheme's default port.
    public var port: Int?

    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// `host` or `host:port` (the port only when it is not the scheme's default), as in a `Host` header.
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return hostPart }
        return "\(hostPart):\(port)"
    }

    /// Whether the host is an IP address or `localhost`, where virtual-hosted addressing cannot work.
    public var isLiteralAddress: Bool {
        host == "localhost" || host.contains(":")
            || host.split(separator: ".").count == 4
                && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    public var description: String { "\(scheme)://\(authority)" }
}
