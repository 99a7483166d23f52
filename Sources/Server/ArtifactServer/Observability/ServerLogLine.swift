import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// One log line, rendered as text or JSON (``ServerLogFormat``).
///
/// Exists so both formats say the same thing: a UTC timestamp to the millisecond, the level,
/// the logger's label, the source module, the message and the metadata sorted by key. Text is
/// `2026-01-02T03:04:05.678Z info label: key=value [source] message`, with line breaks inside a
/// value or message written as `\n` so one event is one line. JSON is one object per line:
/// `timestamp`, `level`, `label`, `source`, `message`, then each metadata key (a key that clashes
/// with those five is written as `metadata.KEY`); an integer or a finite floating-point value
/// given as such (`.stringConvertible`) is a JSON number, arrays and dictionaries are JSON arrays
/// and objects, anything else a string.
struct ServerLogLine {
    var timestamp: ServerLogTimestamp
    var level: Logger.Level
    var label: String
    var source: String
    var message: String
    var metadata: Logger.Metadata

    static let fixedKeys: Set = ["timestamp", "level", "label", "source", "message"]

    func text() -> String {
        var line = timestamp.iso8601 + " " + level.rawValue + " " + label + ":"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " " + key + "=" + Self.oneLine("\(value)")
        }
        line += " [" + source + "] " + Self.oneLine(message) + "\n"
        return line
    }

    func json() -> String {
        var line = "{\"timestamp\":\"" + timestamp.iso8601 + "\",\"level\":\"" + level.rawValue + "\",\"label\":"
        Self.appendJSONString(label, to: &line)
        line += ",\"source\":"
        Self.appendJSONString(source, to: &line)
        line += ",\"message\":"
        Self.appendJSONString(message, to: &line)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += ","
            Self.appendJSONString(Self.fixedKeys.contains(key) ? "metadata." + key : key, to: &line)
            line += ":"
            Self.appendJSON(value, to: &line)
        }
        line += "}\n"
        return line
    }

    static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return text }
        return text.replacing("\r", with: "\\r").replacing("\n", with: "\\n")
    }

    static func appendJSON(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let string):
            appendJSONString(string, to: &line)
        case .stringConvertible(let convertible):
            if let number = jsonNumber(convertible) {
                line += number
            } else {
                appendJSONString(convertible.description, to: &line)
            }
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, element)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                appendJSONString(key, to: &line)
                line += ":"
                appendJSON(element, to: &line)
            }
            line += "}"
        }
    }

    /// The JSON number for an integer or a finite floating-point value; `nil` for anything else.
    static func jsonNumber(_ value: any CustomStringConvertible & Sendable) -> String? {
        switch value {
        case let integer as any BinaryInteger: "\(integer)"
        case let double as Double: double.isFinite ? "\(double)" : nil
        case let float as Float: float.isFinite ? "\(float)" : nil
        default: nil
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func appendJSONString(_ text: String, to line: inout String) {
        line += "\""
        let needsEscape = text.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
        guard needsEscape else {
            line += text
            line += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// A wall-clock instant for a log line, written in UTC to the millisecond.
struct ServerLogTimestamp: Sendable {
    var seconds: Int
    var milliseconds: Int

    static var now: ServerLogTimestamp {
        // Milliseconds since 1970 from `Date` (`timespec` members are not visible here: the module's
        // imports re-export the core, and MemberImportVisibility then ties `timespec` to CNIOLinux).
        let milliseconds = Int((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return ServerLogTimestamp(seconds: milliseconds / 1000, milliseconds: milliseconds % 1000)
    }

    /// `2026-01-02T03:04:05.678Z`.
    var iso8601: String {
        var seconds = time_t(self.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
