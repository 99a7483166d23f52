import ArtifactStorage
import Foundation

/// What an `s3://bucket/prefix?region=…&endpoint=…&pathStyle=true` URL says, validated.
///
/// Parsed here so a bad S3 URL is refused the same way whether or not an S3 connector is
/// registered; the S3 handler builds its connector from this.
public struct S3StorageLocation: Sendable, Hashable {
    public var bucket: String
    /// The key prefix every object lives under, without leading or trailing `/`; `nil` for the bucket root.
    public var prefix: StoragePath?
    public var region: String?
    /// `http` or `https` base URL of an S3-compatible service; `nil` for AWS.
    public var endpoint: String?
    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-host style.
    public var pathStyle: Bool

    public static let queryItems: Set<String> = ["region", "endpoint", "pathStyle"]

    public init(url: StorageURL) throws(StorageError) {
        func bad(_ part: String, _ why: String) -> StorageError {
            StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(url.redactedText)): \(part) \(why)")
        }
        guard url.scheme == "s3" else { throw bad("scheme", "is not s3") }
        try url.requireOnlyQueryItems(Self.queryItems)
        let bucket = url.host
        guard !bucket.isEmpty else { throw bad("bucket", "is missing (s3://bucket/prefix)") }
        let validCharacters = bucket.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }
        let alphanumeric: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
        guard (3...63).contains(bucket.utf8.count), validCharacters, alphanumeric(bucket.utf8.first!), alphanumeric(bucket.utf8.last!),
            !bucket.contains("..")
        else {
            throw bad("bucket", "\(StorageURL.quote(bucket)) is not a valid bucket name (3-63 of a-z 0-9 . -, starting and ending alphanumeric)")
        }
        self.bucket = bucket

        var prefixText = Substring(url.path)
        if prefixText.hasPrefix("/") { prefixText = prefixText.dropFirst() }
        if prefixText.hasSuffix("/") { prefixText = prefixText.dropLast() }
        if prefixText.isEmpty {
            self.prefix = nil
        } else {
            do {
                self.prefix = try StoragePath(String(prefixText))
            } catch {
                throw bad("prefix", "is not a valid path: \(error.message)")
            }
        }

        if let region = url.queryValue("region") {
            guard !region.isEmpty, region.utf8.count <= 64,
                region.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { throw bad("region", "\(StorageURL.quote(region)) is not a region name (a-z 0-9 -)") }
            self.region = region
        } else {
            self.region = nil
        }

        if let endpoint = url.queryValue("endpoint") {
            let lower = endpoint.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw bad("endpoint", "\(StorageURL.quote(StorageURL.redacting(endpoint))) must be an http:// or https:// URL")
            }
            let afterScheme = endpoint[endpoint.range(of: "://")!.upperBound...]
            let hostPart = afterScheme.prefix { $0 != "/" }
            let trailing = afterScheme.dropFirst(hostPart.count)
            guard !hostPart.isEmpty, !hostPart.contains("@"), trailing.isEmpty || trailing == "/",
                !endpoint.contains("?"), !endpoint.contains("#")
            else {
                throw bad("endpoint", "\(StorageURL.quote(StorageURL.redacting(endpoint))) must be scheme://host[:port] with no path, user info or query")
            }
            if let colon = hostPart.lastIndex(of: ":"), !hostPart.hasSuffix("]") {
                let port = hostPart[hostPart.index(after: colon)...]
                guard let number = Int(port), (1...65535).contains(number) else {
                    throw bad("endpoint", "\(StorageURL.quote(StorageURL.redacting(endpoint))) has an invalid port")
                }
            }
            self.endpoint = trailing == "/" ? String(endpoint.dropLast()) : endpoint
        } else {
            self.endpoint = nil
        }

        switch url.queryValue("pathStyle") {
        case nil: self.pathStyle = false
        case "true": self.pathStyle = true
        case "false": self.pathStyle = false
        case let other?: throw bad("pathStyle", "\(StorageURL.quote(other)) must be true or false")
        }
    }
}
