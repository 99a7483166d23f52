public import ArtifactStoreCore
import NIOCore

/// One BER element: its identifier octet and its contents (X.690, the subset LDAPv3 uses).
///
/// Exists because no LDAP package is available: the client encodes its requests and decodes the
/// server's answers with this. It promises definite lengths only (LDAP forbids the indefinite
/// form), single-octet tags (every LDAPv3 tag fits), at most ``maximumDepth`` levels of
/// nesting, and never reads past the bytes it was given: a malformed element is an
/// ``LDAPError`` with code `malformedResponse`, never a crash.
public struct BERElement: Sendable, Hashable {
    /// The identifier octet: class (2 bits), constructed (1 bit), tag number (5 bits, < 31).
    public var tag: UInt8
    /// The contents octets (for a constructed element, its children encoded).
    public var contents: [UInt8]

    public init(tag: UInt8, contents: [UInt8]) {
        self.tag = tag
        self.contents = contents
    }

    /// Universal tags and LDAP's application tags.
    public enum Tag {
        public static let boolean: UInt8 = 0x01
        public static let integer: UInt8 = 0x02
        public static let octetString: UInt8 = 0x04
        public static let null: UInt8 = 0x05
        public static let enumerated: UInt8 = 0x0A
        public static let sequence: UInt8 = 0x30
        public static let set: UInt8 = 0x31
    }

    /// Deeper nesting than this is refused (LDAP answers nest four or five levels).
    public static let maximumDepth = 16

    public var isConstructed: Bool { tag & 0x20 != 0 }

    // MARK: Building

    public static func integer(_ value: Int64, tag: UInt8 = Tag.integer) -> BERElement {
        var bytes: [UInt8] = []
        var remaining = value
        repeat {
            bytes.insert(UInt8(truncatingIfNeeded: remaining), at: 0)
            remaining >>= 8
        } while !(remaining == 0 && bytes[0] & 0x80 == 0) && !(remaining == -1 && bytes[0] & 0x80 != 0)
        return BERElement(tag: tag, contents: bytes)
    }

    public static func octetString(_ text: String, tag: UInt8 = Tag.octetString) -> BERElement {
        BERElement(tag: tag, contents: Array(text.utf8))
    }

    public static func boolean(_ value: Bool) -> BERElement {
        BERElement(tag: Tag.boolean, contents: [value ? 0xFF : 0x00])
    }

    public static func constructed(_ tag: UInt8, _ children: [BERElement]) -> BERElement {
        var contents: [UInt8] = []
        for child in children { child.encode(into: &contents) }
        return BERElement(tag: tag, contents: contents)
    }

    // MARK: Encoding

    public func encode(into bytes: inout [UInt8]) {
        bytes.append(tag)
        let count = contents.count
        if count < 0x80 {
            bytes.append(UInt8(count))
        } else {
            var length: [UInt8] = []
            var remaining = count
            while remaining > 0 {
                length.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            bytes.append(0x80 | UInt8(length.count))
            bytes.append(contentsOf: length)
        }
        bytes.append(contentsOf: contents)
    }

    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    // MARK: Decoding

    /// The length of the first element of `bytes` (header and contents), `nil` when more bytes
    /// are needed to know it.
    ///
    /// - Throws: `malformedResponse` for a multi-octet tag, the indefinite form, a length field
    ///   of more than 4 octets, or an element longer than `limit`.
    public static func frameLength(of bytes: some Collection<UInt8>, limit: Int) throws(LDAPError) -> Int? {
        var index = bytes.startIndex
        guard index != bytes.endIndex else { return nil }
        guard bytes[index] & 0x1F != 0x1F else { throw LDAPError(.malformedResponse, "a BER element has a multi-octet tag") }
        index = bytes.index(after: index)
        guard index != bytes.endIndex else { return nil }
        let first = bytes[index]
        index = bytes.index(after: index)
        var length = 0
        var header = 2
        if first & 0x80 == 0 {
            length = Int(first)
        } else {
            let octets = Int(first & 0x7F)
            guard octets != 0 else { throw LDAPError(.malformedResponse, "a BER element uses the indefinite length form") }
            guard octets <= 4 else { throw LDAPError(.malformedResponse, "a BER length field has \(octets) octets; at most 4 are allowed") }
            for _ in 0..<octets {
                guard index != bytes.endIndex else { return nil }
                length = length << 8 | Int(bytes[index])
                index = bytes.index(after: index)
            }
            header += octets
        }
        guard length <= limit - header else {
            throw LDAPError(.malformedResponse, "a BER element of \(length) bytes is over the limit of \(limit)")
        }
        return header + length
    }

    /// Decodes exactly one element from `bytes`, nothing left over.
    public init(decoding bytes: [UInt8]) throws(LDAPError) {
        var offset = 0
        self = try Self.decode(bytes, at: &offset, end: bytes.count)
        guard offset == bytes.count else { throw LDAPError(.malformedResponse, "\(bytes.count - offset) bytes follow a BER element") }
    }

    /// The children of a constructed element, in order.
    ///
    /// - Throws: `malformedResponse` when this element is primitive or its contents are not a
    ///   run of whole elements.
    public func children(depth: Int = 0) throws(LDAPError) -> [BERElement] {
        guard isConstructed else { throw LDAPError(.malformedResponse, "a primitive BER element where a constructed one belongs") }
        guard depth < Self.maximumDepth else { throw LDAPError(.malformedResponse, "BER nesting deeper than \(Self.maximumDepth)") }
        var elements: [BERElement] = []
        var offset = 0
        while offset < contents.count {
            elements.append(try Self.decode(contents, at: &offset, end: contents.count))
        }
        return elements
    }

    static func decode(_ bytes: [UInt8], at offset: inout Int, end: Int) throws(LDAPError) -> BERElement {
        let slice = bytes[offset..<end]
        guard let total = try frameLength(of: slice, limit: end - offset) else {
            throw LDAPError(.malformedResponse, "a BER element is cut short")
        }
        guard total <= end - offset else { throw LDAPError(.malformedResponse, "a BER element is cut short") }
        let tag = bytes[offset]
        let first = bytes[offset + 1]
        let header = first & 0x80 == 0 ? 2 : 2 + Int(first & 0x7F)
        let element = BERElement(tag: tag, contents: Array(bytes[(offset + header)..<(offset + total)]))
        offset += total
        return element
    }

    // MARK: Reading values

    public func integerValue() throws(LDAPError) -> Int64 {
        guard !contents.isEmpty, contents.count <= 8 else {
            throw LDAPError(.malformedResponse, "a BER integer of \(contents.count) octets")
        }
        var value: Int64 = contents[0] & 0x80 != 0 ? -1 : 0
        for byte in contents { value = value << 8 | Int64(byte) }
        return value
    }

    public func stringValue() -> String {
        String(decoding: contents, as: UTF8.self)
    }
}
