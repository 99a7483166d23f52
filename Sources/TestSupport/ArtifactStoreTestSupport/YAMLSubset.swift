/// A value of the YAML subset `openapi.yaml` (ArtifactStoreAPI) is written in.
///
/// Exists because the package has no YAML parser and the contract test must read the document
/// itself, not a copy. The subset: block mappings and block sequences by indentation (spaces only),
/// flow mappings and sequences (`{a: b}`, `[a, b]`), plain, single-quoted and double-quoted
/// scalars, `#` comment lines. Anything else (anchors, tags, block scalars, multi-document files,
/// tabs, duplicate keys) is refused with the line it is on, so the document cannot silently grow
/// past what this reads.
public enum YAML: Sendable, Equatable, CustomStringConvertible {
    case scalar(String)
    case list([YAML])
    case map([String: YAML])

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "openapi.yaml line \(line): \(message)" }
    }

    public subscript(key: String) -> YAML? {
        if case .map(let members) = self { return members[key] }
        return nil
    }

    public var string: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    public var members: [String: YAML] {
        if case .map(let members) = self { return members }
        return [:]
    }

    public var items: [YAML] {
        if case .list(let items) = self { return items }
        return []
    }

    public var description: String {
        switch self {
        case .scalar(let text): text
        case .list(let items): "[\(items.map(\.description).joined(separator: ", "))]"
        case .map(let members): "{\(members.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))}"
        }
    }

    /// Parses `text`; throws ``ParseError`` for anything outside the subset.
    public static func parse(_ text: String) throws(ParseError) -> YAML {
        var parser = BlockParser(text: text)
        try parser.readLines()
        guard let first = parser.lines.first else { return .map([:]) }
        let value = try parser.block(indent: first.indent)
        if parser.index < parser.lines.count {
            let line = parser.lines[parser.index]
            throw ParseError(line: line.number, message: "unexpected indentation")
        }
        return value
    }
}

/// Block structure: one logical line at a time.
private struct BlockParser {
    struct Line {
        var number: Int
        var indent: Int
        var content: Substring
    }

    let text: String
    var lines: [Line] = []
    var index = 0

    init(text: String) {
        self.text = text
    }

    mutating func readLines() throws(YAML.ParseError) {
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            if raw.contains("\t") { throw YAML.ParseError(line: number, message: "tab character") }
            let content = raw.drop { $0 == " " }
            if content.isEmpty || content.hasPrefix("#") { continue }
            if content.hasPrefix("---") || content.hasPrefix("&") || content.hasPrefix("*") || content.hasPrefix("!") {
                throw YAML.ParseError(line: number, message: "document markers, anchors, aliases and tags are outside the subset")
            }
            lines.append(Line(number: number, indent: raw.count - content.count, content: content))
        }
    }

    /// The block (mapping or sequence) whose lines start at `indent`.
    mutating func block(indent: Int) throws(YAML.ParseError) -> YAML {
        let line = lines[index]
        guard line.indent == indent else { throw YAML.ParseError(line: line.number, message: "unexpected indentation") }
        return isSequenceItem(line.content) ? try sequence(indent: indent) : try mapping(indent: indent)
    }

    func isSequenceItem(_ content: Substring) -> Bool {
        content == "-" || content.hasPrefix("- ")
    }

    mutating func sequence(indent: Int) throws(YAML.ParseError) -> YAML {
        var items: [YAML] = []
        while index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].content) {
            let line = lines[index]
            let rest = line.content.dropFirst(1).drop { $0 == " " }
            if rest.isEmpty {
                index += 1
                guard index < lines.count, lines[index].indent > indent else {
                    throw YAML.ParseError(line: line.number, message: "empty sequence item")
                }
                items.append(try block(indent: lines[index].indent))
            } else if splitKey(rest) != nil {
                // `- key: value` starts a mapping whose further keys are indented to `key`.
                let itemIndent = indent + (line.content.count - rest.count)
                lines[index] = Line(number: line.number, indent: itemIndent, content: rest)
                items.append(try mapping(indent: itemIndent))
            } else {
                index += 1
                items.append(try FlowParser.value(rest, line: line.number))
            }
        }
        return .list(items)
    }

    mutating func mapping(indent: Int) throws(YAML.ParseError) -> YAML {
        var members: [String: YAML] = [:]
        while index < lines.count, lines[index].indent == indent {
            let line = lines[index]
            guard let (rawKey, rest) = splitKey(line.content) else {
                throw YAML.ParseError(line: line.number, message: "expected \"key: value\"")
            }
            let key = try FlowParser.scalarText(rawKey, line: line.number)
            guard members[key] == nil else { throw YAML.ParseError(line: line.number, message: "duplicate key \"\(key)\"") }
            index += 1
            if !rest.isEmpty {
                if rest.hasPrefix("|") || rest.hasPrefix(">") {
                    throw YAML.ParseError(line: line.number, message: "block scalars are outside the subset; quote the text")
                }
                members[key] = try FlowParser.value(rest, line: line.number)
            } else if index < lines.count, lines[index].indent > indent {
                members[key] = try block(indent: lines[index].indent)
            } else if index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].content) {
                members[key] = try sequence(indent: indent)
            } else {
                members[key] = .scalar("")
            }
        }
        return .map(members)
    }

    /// `key: value` or `key:` outside quotes and brackets: the key's text and the rest.
    func splitKey(_ content: Substring) -> (Substring, Substring)? {
        var quote: Character?
        var depth = 0
        var position = content.startIndex
        while position < content.endIndex {
            let character = content[position]
            if let open = quote {
                if character == open { quote = nil }
            } else {
                switch character {
                case "'", "\"": if position == content.startIndex { quote = character }
                case "{", "[": depth += 1
                case "}", "]": depth -= 1
                case ":" where depth == 0:
                    let next = content.index(after: position)
                    if next == content.endIndex { return (content[..<position], "") }
                    if content[next] == " " { return (content[..<position], content[next...].drop { $0 == " " }) }
                default: break
                }
            }
            position = content.index(after: position)
        }
        return nil
    }
}

/// Flow values and scalars on one line.
private struct FlowParser {
    let text: [Character]
    let line: Int
    var position = 0

    static func value(_ text: Substring, line: Int) throws(YAML.ParseError) -> YAML {
        var parser = FlowParser(text: Array(text), line: line)
        let value = try parser.parseValue(inFlow: false)
        parser.skipSpaces()
        guard parser.position == parser.text.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    static func scalarText(_ text: Substring, line: Int) throws(YAML.ParseError) -> String {
        guard case .scalar(let key) = try value(text, line: line) else {
            throw YAML.ParseError(line: line, message: "a key must be a scalar")
        }
        return key
    }

    func failure(_ message: String) -> YAML.ParseError {
        YAML.ParseError(line: line, message: "\(message) at column \(position + 1)")
    }

    mutating func skipSpaces() {
        while position < text.count, text[position] == " " { position += 1 }
    }

    mutating func parseValue(inFlow: Bool) throws(YAML.ParseError) -> YAML {
        skipSpaces()
        guard position < text.count else { return .scalar("") }
        switch text[position] {
        case "{": return try parseMap()
        case "[": return try parseList()
        case "'", "\"": return .scalar(try parseQuoted())
        case "&", "*", "!", "|", ">": throw failure("anchors, aliases, tags and block scalars are outside the subset")
        default: return .scalar(parsePlain(inFlow: inFlow))
        }
    }

    mutating func parseMap() throws(YAML.ParseError) -> YAML {
        position += 1
        var members: [String: YAML] = [:]
        skipSpaces()
        if position < text.count, text[position] == "}" {
            position += 1
            return .map(members)
        }
        while true {
            skipSpaces()
            let key: String
            if position < text.count, text[position] == "'" || text[position] == "\"" {
                key = try parseQuoted()
            } else {
                key = parsePlainKey()
            }
            skipSpaces()
            guard position < text.count, text[position] == ":" else { throw failure("expected ':' after key \"\(key)\"") }
            position += 1
            guard members[key] == nil else { throw failure("duplicate key \"\(key)\"") }
            members[key] = try parseValue(inFlow: true)
            skipSpaces()
            guard position < text.count else { throw failure("unclosed '{'") }
            if text[position] == "}" {
                position += 1
                return .map(members)
            }
            guard text[position] == "," else { throw failure("expected ',' or '}'") }
            position += 1
        }
    }

    mutating func parseList() throws(YAML.ParseError) -> YAML {
        position += 1
        var items: [YAML] = []
        skipSpaces()
        if position < text.count, text[position] == "]" {
            position += 1
            return .list(items)
        }
        while true {
            items.append(try parseValue(inFlow: true))
            skipSpaces()
            guard position < text.count else { throw failure("unclosed '['") }
            if text[position] == "]" {
                position += 1
                return .list(items)
            }
            guard text[position] == "," else { throw failure("expected ',' or ']'") }
            position += 1
        }
    }

    mutating func parseQuoted() throws(YAML.ParseError) -> String {
        let quote = text[position]
        position += 1
        var result = ""
        while position < text.count {
            let character = text[position]
            position += 1
            if character == quote {
                // '' inside single quotes is one quote.
                if quote == "'", position < text.count, text[position] == "'" {
                    result.append("'")
                    position += 1
                    continue
                }
                return result
            }
            if quote == "\"", character == "\\" {
                guard position < text.count else { break }
                let escaped = text[position]
                position += 1
                switch escaped {
                case "\"", "\\", "/": result.append(escaped)
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: throw failure("escape \\\(escaped) is outside the subset")
                }
                continue
            }
            result.append(character)
        }
        throw failure("unclosed quote")
    }

    /// A plain scalar: to the end of the line, or in a flow collection to the next `,`, `]` or `}`.
    mutating func parsePlain(inFlow: Bool) -> String {
        let start = position
        while position < text.count {
            if inFlow, ",]}".contains(text[position]) { break }
            if text[position] == "#", position > start, text[position - 1] == " " { break }
            position += 1
        }
        return String(text[start..<position]).trimmingTrailingSpaces()
    }

    mutating func parsePlainKey() -> String {
        let start = position
        while position < text.count, text[position] != ":" { position += 1 }
        return String(text[start..<position]).trimmingTrailingSpaces()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
