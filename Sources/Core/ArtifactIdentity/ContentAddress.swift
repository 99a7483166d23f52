/// The name of an object in storage: its primary digest.
///
/// BLAKE3 is the primary algorithm unless an ingest asks for SHA-256. The text form is the
/// digest's (`blake3:<hex>`), and ``storageKey`` is where the object lives inside a storage
/// backend, fanned out by its two leading bytes so no directory grows past 65,536 entries.
public struct ContentAddress: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    /// The digest that names the object.
    public let digest: Digest

    public init(_ digest: Digest) {
        self.digest = digest
    }

    /// Parses the text form (`blake3:<64 lower-case hex>` or `sha256:<64 lower-case hex>`).
    public init(parsing text: some StringProtocol) throws(DigestParseError) {
        self.digest = try Digest(parsing: text)
    }

    public init?(_ description: String) {
        guard let digest = Digest(description) else { return nil }
        self.digest = digest
    }

    public var algorithm: DigestAlgorithm { digest.algorithm }

    /// The relative storage path: `blobs/<algorithm>/<hex 0-2>/<hex 2-4>/<hex>`.
    public var storageKey: String {
        storageKeySegments.joined(separator: "/")
    }

    /// ``storageKey``'s five segments, for a caller that builds a path from them rather than
    /// parsing the text again.
    public var storageKeySegments: [String] {
        let hex = digest.hex
        let first = hex.index(hex.startIndex, offsetBy: 2)
        let second = hex.index(first, offsetBy: 2)
        return ["blobs", digest.algorithm.rawValue, String(hex[..<first]), String(hex[first..<second]), hex]
    }

    public var description: String { digest.description }

    public init(from decoder: any Decoder) throws {
        self.digest = try Digest(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try digest.encode(to: encoder)
    }
}
