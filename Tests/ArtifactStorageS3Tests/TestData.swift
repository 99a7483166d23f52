import ArtifactStorageS3
import ArtifactStoreTestSupport
import Foundation

/// The shared test vectors (`../shared/testdata`), with readers the SigV4 suites need.
enum TestData {
    static let root = SharedTestData.root

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The file's bytes as text, exactly (no trimming: the vectors end without newlines).
    static func text(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: url(relative)), as: UTF8.self)
    }

    static func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relative).path)
    }

    /// Parses `yyyyMMdd'T'HHmmss'Z'` or `yyyy-MM-dd'T'HH:mm:ss'Z'` as UTC.
    static func date(_ text: String) -> Date {
        let digits = text.filter(\.isNumber).map { Int(String($0))! }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(
            year: number(0..<4),
            month: number(4..<6),
            day: number(6..<8),
            hour: number(8..<10),
            minute: number(10..<12),
            second: number(12..<14)
        )
        return calendar.date(from: components)!
    }
}

/// A raw HTTP/1.1 request from the vector files (`.req`, `request.txt`).
struct RawRequest {
    /// How an indented continuation line joins the header above it.
    enum Folding {
        /// As a further value of the same header (the 2015 AWS suite expects `value1,value2,value3`).
        case separateValues
        /// As part of the same value, after a line break (aws-c-auth expects `value1 value2 value3`
        /// once the signer collapses the whitespace).
        case foldedValue
    }

    var method: String
    var path: String
    var query: [SigV4Request.QueryItem]
    var headers: [SigV4Request.Header]
    var body: [UInt8]

    var sigV4Request: SigV4Request {
        SigV4Request(method: method, path: path, query: query, headers: headers)
    }

    init(_ text: String, folding: Folding) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The target may contain spaces (`GET /example space/ HTTP/1.1`).
        let requestLine = lines[0]
        let firstSpace = requestLine.firstIndex(of: " ")!
        let lastSpace = requestLine.lastIndex(of: " ")!
        method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<lastSpace]
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = SigV4Request.decodeQuery(target[target.index(after: question)...])
        } else {
            path = String(target)
            query = []
        }
        headers = []
        var index = 1
        while index < lines.count, !lines[index].isEmpty {
            let line = lines[index]
            if line.first == " " || line.first == "\t" {
                switch folding {
                case .separateValues:
                    headers.append(.init(headers[headers.count - 1].name, String(line)))
                case .foldedValue:
                    headers[headers.count - 1].value += "\n" + line
                }
            } else {
                let colon = line.firstIndex(of: ":")!
                headers.append(.init(String(line[..<colon]), String(line[line.index(after: colon)...])))
            }
            index += 1
        }
        body = index + 1 < lines.count ? Array(lines[(index + 1)...].joined(separator: "\n").utf8) : []
    }
}
