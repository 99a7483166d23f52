public import ArtifactStoreCore
import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// The secret keys of the audit chain's HMAC-SHA256, each with an id that every record carries.
///
/// Exists so a person who can write the database but cannot read the key file cannot rebuild the
/// chain from some point on (docs/control-plane.md, "Audit log"): every sealed record's hash is
/// an HMAC under the key ``active`` names, and verification needs the key its record names.
/// Rotation appends a new key; older keys stay for verifying the records they sealed.
///
/// The key file is text, one key a line: `<id> <base64 of at least 32 bytes>`; blank lines and
/// lines starting with `#` are ignored; the last key is the active one. Ids are 1–32 characters
/// of `a-z`, `0-9`, `-`, `.`, `_`.
public struct AuditKeyring: Sendable {
    /// The id of the key new records are sealed (and pending records MAC'd) with.
    public let activeID: String
    /// Key bytes by id (bytes, not `SymmetricKey`, which is not `Sendable`).
    private let keys: [String: [UInt8]]
    /// An HMAC-SHA256 that has taken in key `id`'s padded key blocks, by id, copied for every
    /// MAC: every record is MAC'd three times on its way into the chain, and making the key
    /// and hashing its two pad blocks anew each time cost more than the record's own bytes.
    private let authenticators: [String: HMAC<SHA256>]

    /// Every key id, in no particular order.
    public var ids: [String] { Array(keys.keys) }

    /// A keyring of `keys` (id, bytes), the last one active.
    public init(keys: [(id: String, bytes: [UInt8])]) throws(AuditKeyError) {
        guard let last = keys.last else { throw AuditKeyError("an audit keyring needs at least one key") }
        var table: [String: [UInt8]] = [:]
        for (id, bytes) in keys {
            guard Self.isValidID(id) else {
                throw AuditKeyError("audit key id \"\(id)\" is not 1-32 characters of a-z, 0-9, '-', '.', '_'")
            }
            guard bytes.count >= 32 else { throw AuditKeyError("audit key \"\(id)\" has \(bytes.count) bytes; at least 32 are needed") }
            guard table.updateValue(bytes, forKey: id) == nil else {
                throw AuditKeyError("audit key id \"\(id)\" appears twice")
            }
        }
        activeID = last.id
        self.keys = table
        authenticators = table.mapValues { HMAC<SHA256>(key: SymmetricKey(data: $0)) }
    }

    /// The key used when none is configured: random, made once per process and never stored.
    /// Records sealed with it verify only in the process that sealed them; `serve` always loads
    /// a key file instead (``loadOrCreate(path:)``).
    public static let processLocal: AuditKeyring = {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        return try! AuditKeyring(keys: [("process-local", bytes)])
    }()

    /// HMAC-SHA256 of `message` under key `id`, as lowercase hex; `nil` when the key is unknown.
    func mac(_ message: [UInt8], keyID id: String) -> String? {
        guard var authenticator = authenticators[id] else { return nil }
        authenticator.update(data: message)
        return Self.lowercaseHex(authenticator.finalize())
    }

    /// `bytes` as lowercase hex, two digits a byte, written straight into the string's storage.
    ///
    /// Exists because every audit record is MAC'd three times on its way into the chain (its
    /// writer's MAC, the sequencer's check of it, the sealed hash): formatting each byte with
    /// `String(format:)` cost more than the HMACs and was a sixth of a push's instructions.
    static func lowercaseHex(_ bytes: some ContiguousBytes) -> String {
        bytes.withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { out in
                let digits: StaticString = "0123456789abcdef"
                let symbols = digits.utf8Start
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = symbols[Int(byte >> 4)]
                    out[2 * index + 1] = symbols[Int(byte & 0x0F)]
                }
                return raw.count * 2
            }
        }
    }

    /// A key for another purpose derived from key `id` (HKDF-SHA256 with `purpose` as info), so
    /// the one key file the operator protects also protects, say, stored webhook secrets; `nil`
    /// when the key is unknown. Derived keys are bytes (`SymmetricKey` is not `Sendable`).
    func derivedKey(purpose: String, keyID id: String) -> [UInt8]? {
        guard let key = keys[id] else { return nil }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: key),
            info: Array(purpose.utf8),
            outputByteCount: 32
        )
        return derived.withUnsafeBytes { Array($0) }
    }

    static func isValidID(_ id: String) -> Bool {
        (1...32).contains(id.utf8.count)
            && id.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F }
    }

    // MARK: The key file

    /// Reads the key file at `path`, creating it (mode 0600, one random 32-byte key with id `k1`)
    /// when it does not exist.
    ///
    /// - Throws: ``AuditKeyError`` naming the file and the line when it cannot be read, created
    ///   or parsed, or holds no key.
    public static func loadOrCreate(path: String) throws(AuditKeyError) -> AuditKeyring {
        if !FileManager.default.fileExists(atPath: path) {
            try create(path: path)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AuditKeyError("cannot read the audit key file \"\(path)\": \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    /// Whether the file at `path` can be read or written by group or others (a warning, not an
    /// error: a shared secret mount may legitimately be 0640).
    public static func isExposed(path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return status.st_mode & 0o077 != 0
    }

    /// Parses the key file's text (see the type's documentation).
    public static func parse(_ text: String, file: String) throws(AuditKeyError) -> AuditKeyring {
        var keys: [(id: String, bytes: [UInt8])] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])) else {
                throw AuditKeyError("line \(number + 1) of the audit key file \"\(file)\" is not \"<id> <base64 key>\"")
            }
            keys.append((String(parts[0]), Array(bytes)))
        }
        guard !keys.isEmpty else { throw AuditKeyError("the audit key file \"\(file)\" holds no key") }
        do {
            return try AuditKeyring(keys: keys)
        } catch {
            throw AuditKeyError("in the audit key file \"\(file)\": \(error.message)")
        }
    }

    /// A new key line: `<id> <base64 of 32 random bytes>`.
    public static func newKeyLine(id: String) -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "\(id) \(bytes.base64EncodedString())"
    }

    /// Creates the key file exclusively with mode 0600 (another process creating it at the same
    /// moment wins; this one then reads that file).
    private static func create(path: String) throws(AuditKeyError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
        } catch {
            throw AuditKeyError("cannot create the directory of the audit key file \"\(path)\": \(error.localizedDescription)")
        }
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return }
            throw AuditKeyError("cannot create the audit key file \"\(path)\": \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let text = "# ArtifactStore audit chain keys: <id> <base64>; the last one seals new records.\n" + newKeyLine(id: "k1") + "\n"
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw AuditKeyError("cannot write the audit key file \"\(path)\": \(String(cString: strerror(errno)))")
        }
    }
}

/// An audit key file or keyring that cannot be used; the message names the file and what to fix.
public typealias AuditKeyError = LayeredError<AuditKeyErrorCode>

/// The audit keyring's one code. It reaches no answer as itself: `serve` reports it as an
/// `invalidConfiguration` of `auditKeyFile`.
public enum AuditKeyErrorCode: String, ErrorCode {
    case invalidAuditKeyFile

    public static let layer = "audit keys"

    public var meaning: String {
        "The audit key file cannot be read, created or parsed (a malformed line, a key under 32 bytes, a key id twice)."
    }
}

extension AuditKeyError {
    init(_ message: String) {
        self.init(.invalidAuditKeyFile, message)
    }
}
