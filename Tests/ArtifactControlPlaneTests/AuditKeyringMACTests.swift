import Crypto
import Foundation
import Testing

@testable import ArtifactControlPlane

/// The MAC that seals every audit record, as lowercase hex: the same text as before it was written
/// without `String(format:)` (records sealed earlier must still verify).
@Suite("Audit keyring MACs", .timeLimit(.minutes(5)))
struct AuditKeyringMACTests {
    @Test("RFC 4231 test case 6: HMAC-SHA256 of a key longer than a block, as lowercase hex")
    func rfc4231() throws {
        let keyring = try AuditKeyring(keys: [("k1", Array(repeating: 0xaa, count: 131))])
        let message = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        #expect(keyring.mac(message, keyID: "k1") == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(keyring.mac(message, keyID: "unknown") == nil)
    }

    @Test("lowercase hex of every byte value and of empty input matches %02x")
    func hexOfEveryByte() {
        let all = (0...255).map { UInt8($0) }
        #expect(AuditKeyring.lowercaseHex(all) == all.map { String(format: "%02x", $0) }.joined())
        #expect(AuditKeyring.lowercaseHex([UInt8]()) == "")
    }
}
