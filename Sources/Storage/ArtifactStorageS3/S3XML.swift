/// A minimal element tree for S3's small XML documents (errors, listings, multipart results).
///
/// Exists so every response parser shares one tolerant reader: namespaces are ignored, text is
/// the concatenated character data of an element, and a malformed document is `nil`.
struct S3XMLElement: Sendable, Hashable {
    var name: String
    var text: String
    var children: [S3XMLElement]

    /// The first child called `name`.
    func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child called `name`, in document order.
    func children(_ name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child called `name`.
    func text(of name: String) -> String? {
        child(name)?.text
    }

    /// Parses `bytes` into the root element, or `nil` when it is not well-formed XML
    /// (``S3XMLReader``).
    static func parse(_ bytes: [UInt8]) -> S3XMLElement? {
        S3XMLReader.parse(bytes)
    }
}
