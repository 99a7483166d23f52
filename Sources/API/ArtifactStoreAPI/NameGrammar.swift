/// The one grammar for every name the registry stores (docs/control-plane.md, "Names"), part of
/// the API contract.
///
/// Exists so a name is checked the same way wherever it enters (the client before it sends, the
/// control plane before anything is stored), and so names are safe in URLs, file names and log
/// lines without escaping. This is the only copy of the rules: the control plane's
/// `NameGrammar.validate…` wrap these checks in its own error type.
/// - component: `[a-z0-9]+([._-][a-z0-9]+)*` (lowercase, separators only between alphanumerics)
/// - namespace: one component, 1–64 characters
/// - artifact: components joined by `/`, 1–255 characters
/// - version, tag: `[A-Za-z0-9_][A-Za-z0-9._-]*`, 1–128 characters (as OCI tags)
/// - label key: a component (1–128); label value: 0–1024 characters, no control characters
/// - policy name: a component (1–64)
/// - file path: `/`-separated segments, 1–1024 UTF-8 bytes, no empty, `.` or `..` segment,
///   no leading `/`, no backslash, no control characters
/// - media type: `type/subtype` of `[A-Za-z0-9!#$&^_.+-]`, 1–255 characters (parameters after `;`
///   allowed, no control characters)
public enum NameGrammar {
    public static func checkNamespace(_ name: String) throws(NameGrammarError) {
        guard name.utf8.count <= 64, isComponent(name.utf8) else {
            throw invalid("namespace", name, "one lowercase component [a-z0-9]+([._-][a-z0-9]+)* of at most 64 characters")
        }
    }

    public static func checkArtifact(_ name: String) throws(NameGrammarError) {
        guard name.utf8.count <= 255, isComponent(name.utf8, orSeveralJoinedBySlash: true) else {
            throw invalid("artifact", name, "lowercase components [a-z0-9]+([._-][a-z0-9]+)* joined by '/', at most 255 characters")
        }
    }

    public static func checkVersion(_ name: String) throws(NameGrammarError) {
        guard isReference(name) else {
            throw invalid("version", name, "[A-Za-z0-9_][A-Za-z0-9._-]*, at most 128 characters")
        }
    }

    public static func checkTag(_ name: String) throws(NameGrammarError) {
        guard isReference(name) else {
            throw invalid("tag", name, "[A-Za-z0-9_][A-Za-z0-9._-]*, at most 128 characters")
        }
    }

    public static func checkPolicyName(_ name: String) throws(NameGrammarError) {
        guard name.utf8.count <= 64, isComponent(name.utf8) else {
            throw invalid("policy", name, "one lowercase component of at most 64 characters")
        }
    }

    public static func checkLabel(key: String, value: String) throws(NameGrammarError) {
        guard key.utf8.count <= 128, isComponent(key.utf8) else {
            throw invalid("label key", key, "one lowercase component of at most 128 characters")
        }
        guard value.utf8.count <= 1024, !value.unicodeScalars.contains(where: isControl), invisibleCharacter(in: value) == nil else {
            throw NameGrammarError(
                .invalidName,
                "label \"\(key)\" has a value longer than 1024 bytes or with control or invisible characters"
            )
        }
    }

    public static func checkPath(_ path: String) throws(NameGrammarError) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let clean =
            !path.isEmpty && path.utf8.count <= 1024 && !path.contains("\\")
            && !path.unicodeScalars.contains(where: isControl) && invisibleCharacter(in: path) == nil
            && segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
        guard clean else {
            throw NameGrammarError(
                .invalidPath,
                "file path \"\(printable(path))\" is not a clean relative path (no empty, '.' or '..' segments, no leading '/', "
                    + "no backslash, control or invisible characters, at most 1024 bytes)"
            )
        }
    }

    public static func checkMediaType(_ mediaType: String) throws(NameGrammarError) {
        let essence = mediaType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let halves = essence.trimmingSuffixSpaces().split(separator: "/", omittingEmptySubsequences: false)
        let tokenCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-")
        let valid =
            mediaType.utf8.count <= 255 && halves.count == 2 && halves.allSatisfy { !$0.isEmpty && $0.allSatisfy(tokenCharacters.contains) }
            && !mediaType.unicodeScalars.contains(where: isControl)
        guard valid else {
            throw NameGrammarError(.invalidManifest, "media type \"\(printable(mediaType))\" is not type/subtype")
        }
    }

    // MARK: Pieces

    /// Whether `bytes` are one component, or with `orSeveralJoinedBySlash` components joined by
    /// single `/`s. One pass and no split: every OCI request checks its repository name here.
    ///
    /// A component's first and last bytes are lowercase alphanumerics and two separators never
    /// meet; with `/` counted as one more separator, that is exactly "every byte that is not
    /// alphanumeric follows one that is, and the last byte is alphanumeric".
    private static func isComponent(_ bytes: String.UTF8View, orSeveralJoinedBySlash slash: Bool = false) -> Bool {
        // Read in place where the text is contiguous (native strings are): stepping through the
        // UTF-8 view costs some 20 instructions a byte.
        if let answer = bytes.withContiguousStorageIfAvailable({ isComponent($0, orSeveralJoinedBySlash: slash) }) { return answer }
        return isComponent(Array(bytes), orSeveralJoinedBySlash: slash)
    }

    private static func isComponent(_ bytes: some Sequence<UInt8>, orSeveralJoinedBySlash slash: Bool) -> Bool {
        var previousIsAlphanumeric = false
        for byte in bytes {
            if isLowerAlnum(byte) {
                previousIsAlphanumeric = true
                continue
            }
            let separates = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard previousIsAlphanumeric, separates || (slash && byte == UInt8(ascii: "/")) else { return false }
            previousIsAlphanumeric = false
        }
        return previousIsAlphanumeric
    }

    private static func isReference(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 128, isAlnum(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlnum(_ byte: UInt8) -> Bool {
        isLowerAlnum(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    /// The first character of `text` a reader cannot see or tell from another: a format
    /// character (Unicode category Cf: the byte-order mark U+FEFF, zero-width spaces and joiners,
    /// bidirectional controls), a line or paragraph separator, a space other than U+0020, a
    /// private-use, surrogate or unassigned code point, or a noncharacter. `nil` when there is none.
    ///
    /// Exists because names are stored exactly as sent: such a character would make a second name
    /// that looks like the first (`\u{feff}team` beside `team`), so it is refused, never dropped.
    public static func invisibleCharacter(in text: String) -> Unicode.Scalar? {
        // Nearly every name is ASCII, which has none: one pass over the bytes instead of
        // decoding scalars (a 71-character digest cost some 1,500 instructions per request).
        var text = text
        if text.withUTF8({ bytes in !bytes.contains { $0 >= 0x80 } }) { return nil }
        return text.unicodeScalars.first { scalar in
            guard scalar.value >= 0x80 else { return false }
            switch scalar.properties.generalCategory {
            case .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .surrogate, .unassigned: return true
            default: return scalar.properties.isNoncharacterCodePoint
            }
        }
    }

    /// The message for a name or path that contains ``invisibleCharacter(in:)``.
    public static func invisibleCharacterMessage(_ what: String, _ text: String, _ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return "\(what) \"\(printable(text))\" contains U+\(code), an invisible character; names are taken exactly as sent, "
            + "so send it without that character"
    }

    /// The name with control and invisible characters shown as `\u{…}`, cut at 200 characters,
    /// for messages.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            let hidden = isControl(scalar) || invisibleCharacter(in: String(scalar)) != nil
            out += hidden ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return text.unicodeScalars.count > 200 ? out + "…" : out
    }

    private static func invalid(_ what: String, _ name: String, _ rule: String) -> NameGrammarError {
        NameGrammarError(.invalidName, "\(what) name \"\(printable(name))\" is invalid: expected \(rule)")
    }
}

extension String {
    fileprivate func trimmingSuffixSpaces() -> Substring {
        var result = self[...]
        while result.last == " " { result.removeLast() }
        return result
    }
}
