/// Reads the XML that S3 answers with into an ``S3XMLElement`` tree, in Swift alone.
///
/// Exists so the S3 backend needs no XML library: Foundation's `XMLParser` is libxml2, which
/// made every ArtifactStore binary need libxml2, and through it the system's ICU and liblzma, at
/// run time (docs/operations.md, "Installing without Swift"). S3's documents are small and plain:
/// elements, attributes (ignored), character data with the five predefined entities and character
/// references, CDATA sections, comments and processing instructions. That is what this reads;
/// a document type declaration (which could define entities) and anything not well-formed make
/// the document `nil`, as `XMLParser` failing did. Nesting is bounded (``maximumDepth``) and no
/// recursion is used, so a hostile document cannot exhaust the stack.
struct S3XMLReader {
    /// Elements deeper than this make the document `nil`; S3's deepest is 3.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0

    private init(_ bytes: [UInt8]) {
        // A UTF-8 byte order mark is allowed before the declaration.
        self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// The root element of `bytes`, or `nil` when they are not one well-formed UTF-8 document.
    static func parse(_ bytes: [UInt8]) -> S3XMLElement? {
        var reader = S3XMLReader(bytes)
        return reader.document()
    }

    private mutating func document() -> S3XMLElement? {
        guard skipMisc() else { return nil }
        guard peek(is: "<"), let root = element() else { return nil }
        guard skipMisc(), position == bytes.count else { return nil }
        return root
    }

    /// Whitespace, comments and processing instructions (the declaration too), outside the root.
    private mutating func skipMisc() -> Bool {
        while position < bytes.count {
            if Self.isSpace(bytes[position]) {
                position += 1
            } else if peek(is: "<!--") {
                guard skip(past: "-->") else { return false }
            } else if peek(is: "<?") {
                guard skip(past: "?>") else { return false }
            } else {
                return true
            }
        }
        return true
    }

    /// An element and everything in it; the reader stands on its `<`.
    private mutating func element() -> S3XMLElement? {
        var open: [(name: [UInt8], element: S3XMLElement)] = []
        var text: [UInt8] = []
        while position < bytes.count {
            if bytes[position] != UInt8(ascii: "<") {
                guard !open.isEmpty, characterData(into: &text) else { return nil }
                continue
            }
            if peek(is: "<!--") {
                guard !open.isEmpty, skip(past: "-->") else { return nil }
            } else if peek(is: "<![CDATA[") {
                guard !open.isEmpty else { return nil }
                position += 9
                let start = position
                guard skip(past: "]]>") else { return nil }
                text += bytes[start..<position - 3]
            } else if peek(is: "<?") {
                guard !open.isEmpty, skip(past: "?>") else { return nil }
            } else if peek(is: "</") {
                position += 2
                guard let last = open.popLast(), let end = self.name(), end == last.name else { return nil }
                skipSpaces()
                guard expect(">"), let content = Self.text(text) else { return nil }
                var closed = last.element
                closed.text += content
                text = []
                if open.isEmpty { return closed }
                open[open.count - 1].element.children.append(closed)
            } else {
                position += 1
                guard open.count < Self.maximumDepth, let name = self.name(), let selfClosing = attributes() else { return nil }
                if let parent = open.indices.last {
                    // The text so far is the parent's.
                    guard let parentText = Self.text(text) else { return nil }
                    open[parent].element.text += parentText
                    text = []
                }
                let element = S3XMLElement(name: Self.localName(name), text: "", children: [])
                if selfClosing {
                    if open.isEmpty { return element }
                    open[open.count - 1].element.children.append(element)
                } else {
                    open.append((name, element))
                }
            }
        }
        return nil
    }

    /// Character data up to the next `<`, with references replaced, appended to `text`.
    private mutating func characterData(into text: inout [UInt8]) -> Bool {
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") {
            let byte = bytes[position]
            if byte == UInt8(ascii: "&") {
                guard reference(into: &text) else { return false }
            } else if byte == UInt8(ascii: "\r") {
                // XML's line-end normalisation: CR LF and a lone CR are LF.
                text.append(UInt8(ascii: "\n"))
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "\n") { position += 1 }
            } else {
                text.append(byte)
                position += 1
            }
        }
        return true
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xH;`; any other is not well-formed here.
    private mutating func reference(into text: inout [UInt8]) -> Bool {
        guard let end = bytes[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { return false }
        let body = Array(bytes[(position + 1)..<end])
        position = end + 1
        let named: [String: UInt8] = ["lt": 0x3C, "gt": 0x3E, "amp": 0x26, "quot": 0x22, "apos": 0x27]
        if let byte = named[String(decoding: body, as: UTF8.self)] {
            text.append(byte)
            return true
        }
        guard body.first == UInt8(ascii: "#") else { return false }
        let digits = body.dropFirst()
        let value: UInt32?
        if digits.first == UInt8(ascii: "x") {
            value = digits.count > 1 ? UInt32(String(decoding: digits.dropFirst(), as: UTF8.self), radix: 16) : nil
        } else {
            value = digits.isEmpty ? nil : UInt32(String(decoding: digits, as: UTF8.self), radix: 10)
        }
        guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return false }
        text += Array(String(Character(scalar)).utf8)
        return true
    }

    /// The attributes of a start tag up to its `>` (skipped, but checked for form); whether the
    /// tag closed itself with `/>`. `nil` when the tag is not well-formed.
    private mutating func attributes() -> Bool? {
        while true {
            let hadSpace = skipSpaces()
            guard position < bytes.count else { return nil }
            if expect(">") { return false }
            if expect("/>") { return true }
            guard hadSpace, name() != nil else { return nil }
            skipSpaces()
            guard expect("=") else { return nil }
            skipSpaces()
            guard position < bytes.count else { return nil }
            let quote = bytes[position]
            guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
            position += 1
            guard let end = bytes[position...].firstIndex(of: quote), !bytes[position..<end].contains(UInt8(ascii: "<")) else {
                return nil
            }
            position = end + 1
        }
    }

    /// A tag or attribute name: one or more bytes that are not whitespace or XML punctuation.
    private mutating func name() -> [UInt8]? {
        let start = position
        while position < bytes.count, !Self.isSpace(bytes[position]), !Self.nameEnds.contains(bytes[position]) {
            position += 1
        }
        return position > start ? Array(bytes[start..<position]) : nil
    }

    /// `s3:Key` → `Key`: namespaces are ignored.
    private static func localName(_ name: [UInt8]) -> String {
        let local = name.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false).last ?? name[...]
        return String(decoding: local, as: UTF8.self)
    }

    /// The collected bytes as text; `nil` when they are not UTF-8.
    private static func text(_ bytes: [UInt8]) -> String? {
        bytes.isEmpty ? "" : String(validating: bytes, as: UTF8.self)
    }

    private static let nameEnds: Set<UInt8> = Set("<>/=&\"'!?".utf8)

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    @discardableResult
    private mutating func skipSpaces() -> Bool {
        let start = position
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        return position > start
    }

    private func peek(is literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { bytes[position..<position + count].elementsEqual($0) }
    }

    private mutating func expect(_ literal: StaticString) -> Bool {
        guard peek(is: literal) else { return false }
        position += literal.utf8CodeUnitCount
        return true
    }

    /// Moves past the next `terminator`; `false` when there is none.
    private mutating func skip(past terminator: StaticString) -> Bool {
        while position < bytes.count {
            if expect(terminator) { return true }
            position += 1
        }
        return false
    }
}
