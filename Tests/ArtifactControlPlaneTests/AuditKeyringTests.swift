import Crypto
import Foundation
import Testing

@testable import ArtifactControlPlane

/// The audit key file: created 0600 once, parsed strictly, the last key active.
@Suite("Audit keyring", .timeLimit(.minutes(10)))
struct AuditKeyringTests {
    static let key32 = Data(repeating: 7, count: 32).base64EncodedString()

    @Test("the first load creates the file with mode 0600 and one key; later loads read the same key")
    func createsOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nested/audit.key").path
        let first = try AuditKeyring.loadOrCreate(path: path)
        #expect(first.activeID == "k1")
        #expect(!AuditKeyring.isExposed(path: path))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try AuditKeyring.loadOrCreate(path: path).activeID == "k1")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    @Test("a MAC is the lowercase hex of HMAC-SHA256 under the named key, two digits a byte")
    func macIsLowercaseHex() throws {
        #expect(AuditKeyring.lowercaseHex([0x00, 0x0F, 0xA0, 0xFF, 0x5C]) == "000fa0ff5c")
        #expect(AuditKeyring.lowercaseHex([UInt8]()).isEmpty)
        let key = [UInt8](repeating: 0x0B, count: 32)
        let keys = try AuditKeyring(keys: [("k1", key)])
        let message = Array("artifactstore-audit-pending-v1\nid:3:abc\n".utf8)
        let expected = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)).map { String(format: "%02x", $0) }
        #expect(keys.mac(message, keyID: "k1") == expected.joined())
        #expect(keys.mac(message, keyID: "k2") == nil)
    }

    @Test("MACs made one after another under kept key state match RFC 4231 and each other, under each key")
    func keptKeyStateMatchesTheStandard() throws {
        // RFC 4231 test case 6: a key longer than SHA-256's block is hashed first.
        let long = [UInt8](repeating: 0xAA, count: 131)
        let keys = try AuditKeyring(keys: [("long", long), ("short", [UInt8](repeating: 0x0B, count: 32))])
        let message = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        let expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        #expect(keys.mac(message, keyID: "long") == expected)
        #expect(keys.mac(message, keyID: "long") == expected, "a MAC leaves the kept state as it was")
        let other = try #require(keys.mac(message, keyID: "short"))
        #expect(other != expected)
        #expect(keys.mac(message, keyID: "long") == expected)
        #expect(keys.mac([], keyID: "long") != expected)
    }

    @Test("the last key is active; every key is kept for verification")
    func rotation() throws {
        let keys = try AuditKeyring.parse("# comment\n\nk1 \(Self.key32)\n  k2 \(Self.key32)  \n", file: "f")
        #expect(keys.activeID == "k2")
        #expect(Set(keys.ids) == ["k1", "k2"])
    }

    @Test(
        "a malformed key file is refused, naming the file and what is wrong",
        arguments: [
            ("", "holds no key"),
            ("# only a comment\n", "holds no key"),
            ("k1\n", "line 1"),
            ("k1 not-base64!\n", "line 1"),
            ("k1 \(Data(repeating: 1, count: 16).base64EncodedString())\n", "at least 32"),
            ("k1 \(key32)\nk1 \(key32)\n", "twice"),
            ("K1 \(key32)\n", "is not 1-32 characters"),
            ("k1 \(key32) extra\n", "line 1"),
        ]
    )
    func refusals(text: String, expected: String) throws {
        let error = try #require(throws: AuditKeyError.self) { try AuditKeyring.parse(text, file: "/etc/audit.key") }
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.message.contains("/etc/audit.key"), "\(error.message)")
    }
}
