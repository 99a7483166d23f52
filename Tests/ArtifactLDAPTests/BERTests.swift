import ArtifactLDAP
import ArtifactStoreCore
import Testing

/// The BER codec and LDAP message parsing: round trips, and every malformed input refused with
/// `malformedResponse`, never a crash or a read past the bytes.
@Suite("BER codec", .timeLimit(.minutes(5)))
struct BERTests {
    @Test("integers, strings and lengths in both forms round-trip")
    func roundTrips() throws {
        for value: Int64 in [0, 1, 127, 128, 255, 256, 65535, -1, -128, -129, Int64.max, Int64.min] {
            let element = BERElement.integer(value)
            #expect(try BERElement(decoding: element.encoded).integerValue() == value, "\(value)")
        }
        #expect(BERElement.integer(128).encoded == [0x02, 0x02, 0x00, 0x80])
        #expect(BERElement.integer(-1).encoded == [0x02, 0x01, 0xFF])
        for count in [0, 1, 127, 128, 255, 256, 70000] {
            let text = String(repeating: "x", count: count)
            let encoded = BERElement.octetString(text).encoded
            #expect(try BERElement(decoding: encoded).stringValue() == text)
            #expect(try BERElement.frameLength(of: encoded, limit: 1 << 20) == encoded.count)
        }
        #expect(BERElement.octetString(String(repeating: "x", count: 200)).encoded.prefix(3) == [0x04, 0x81, 0xC8])
        let nested = BERElement.constructed(
            0x30,
            [.integer(7), .constructed(0x61, [.integer(0, tag: 0x0A), .octetString(""), .octetString("ok")])]
        )
        let children = try BERElement(decoding: nested.encoded).children()
        #expect(children.count == 2 && children[1].tag == 0x61)
    }

    @Test("a bind request is the bytes RFC 4511 gives")
    func bindBytes() {
        let bytes = LDAPMessage.bind(id: 1, dn: "cn=a", password: "pw").encoded
        #expect(
            bytes == [
                0x30, 0x12, 0x02, 0x01, 0x01, 0x60, 0x0D, 0x02, 0x01, 0x03, 0x04, 0x04, 0x63, 0x6E, 0x3D, 0x61, 0x80, 0x02, 0x70, 0x77,
            ]
        )
        #expect(LDAPMessage.unbind(id: 3).encoded == [0x30, 0x05, 0x02, 0x01, 0x03, 0x42, 0x00])
    }

    @Test(
        "frames: more bytes needed is nil; a length over the limit, the indefinite form, long length fields and multi-octet tags are refused"
    )
    func frames() throws {
        #expect(try BERElement.frameLength(of: [UInt8](), limit: 100) == nil)
        #expect(try BERElement.frameLength(of: [0x30], limit: 100) == nil)
        #expect(try BERElement.frameLength(of: [0x30, 0x82, 0x01], limit: 1000) == nil)
        #expect(try BERElement.frameLength(of: [0x30, 0x05], limit: 100) == 7)
        let refused: [[UInt8]] = [
            [0x30, 0x80], [0x30, 0x85, 1, 2, 3, 4, 5], [0x1F, 0x01], [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF], [0x04, 0x82, 0x10, 0x00],
        ]
        for bytes in refused {
            #expect(throws: LDAPError.self, "\(bytes)") { _ = try BERElement.frameLength(of: bytes, limit: 4096) }
        }
    }

    @Test("malformed elements and messages are malformedResponse")
    func malformed() throws {
        let bad: [[UInt8]] = [
            [], [0x04], [0x04, 0x05, 0x61], [0x04, 0x01, 0x61, 0x00], [0x30, 0x03, 0x02, 0x05, 0x01],
            [0x02, 0x00], [0x02, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        ]
        for bytes in bad {
            do {
                let element = try BERElement(decoding: bytes)
                if element.tag == 0x02 { _ = try element.integerValue() }
                _ = try element.children()
                Issue.record("\(bytes) was accepted")
            } catch {
                #expect(error.kind == .malformedResponse, "\(bytes)")
            }
        }
        #expect(throws: LDAPError.self) { _ = try BERElement.octetString("x").children() }
        var bomb = BERElement.octetString("x")
        for _ in 0..<40 { bomb = .constructed(0x30, [bomb]) }
        var element = bomb
        var depth = 0
        #expect(throws: LDAPError.self) {
            while true {
                element = try element.children(depth: depth)[0]
                depth += 1
            }
        }
        #expect(depth == BERElement.maximumDepth)
        for message in [
            BERElement.octetString("x"), .constructed(0x30, [.integer(1)]),
            .constructed(0x30, [.octetString("1"), .constructed(0x61, [])]),
            .constructed(0x30, [.integer(1), .constructed(0x61, [.integer(0, tag: 0x0A)])]),
            .constructed(0x30, [.integer(1), .constructed(0x64, [.integer(5)])]),
        ] {
            #expect(throws: LDAPError.self) { _ = try LDAPMessage.parse(message) }
        }
        let result = BERElement.constructed(
            0x30,
            [.integer(1), .constructed(0x61, [.integer(49, tag: 0x0A), .octetString(""), .octetString("bad")])]
        )
        #expect(try LDAPMessage.parse(result) == .result(id: 1, operation: 0x61, code: 49, message: "bad"))
    }

    @Test("configuration: URLs, user names safe in a DN")
    func configuration() throws {
        #expect(try LDAPConfiguration.parseURL("ldap://127.0.0.1:3890") == ("127.0.0.1", 3890))
        #expect(try LDAPConfiguration.parseURL("ldap://ldap.example.org/") == ("ldap.example.org", 389))
        for url in ["ldaps://x:636", "http://x", "ldap://", "ldap://x:0", "ldap://x:99999", "ldap://x/dc=a"] {
            #expect(throws: LDAPError.self, "\(url)") { _ = try LDAPConfiguration.parseURL(url) }
        }
        for user in ["alice", "a.b-c_d@example.org"] { #expect(LDAPConfiguration.isValidUser(user)) }
        for user in ["", "a,ou=x", "a*", "a)(uid=*", "a b", "é", String(repeating: "a", count: 65), "a\u{0}"] {
            #expect(!LDAPConfiguration.isValidUser(user), "\(user)")
        }
    }
}
