import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@testable import ArtifactOCI

/// What reading a manifest's fields gave: the fields, or which refusal.
enum ManifestReadOutcome: Equatable, CustomStringConvertible {
    case fields(OCIManifest.Wire)
    case notJSON
    case notObject
    case mediaTypeNotString
    case annotationsNotStrings

    var description: String {
        switch self {
        case .fields(let wire): "fields(\(wire))"
        case .notJSON: "not JSON"
        case .notObject: "not an object"
        case .mediaTypeNotString: "mediaType not a string"
        case .annotationsNotStrings: "annotations not strings"
        }
    }

    /// What ``OCIManifest/decode(_:)`` (``ManifestJSONScanner``) gives for `bytes`.
    static func scanned(_ bytes: [UInt8]) -> ManifestReadOutcome {
        do {
            return .fields(try OCIManifest.decode(ByteBuffer(bytes: bytes)))
        } catch {
            #expect(error.kind == .manifestInvalid)
            return refusal(error.message)
        }
    }

    static func refusal(_ message: String) -> ManifestReadOutcome {
        if message.hasPrefix("manifest is not valid JSON") { return .notJSON }
        if message.hasPrefix("manifest is not a JSON object") { return .notObject }
        if message.hasPrefix("manifest mediaType must be a string") { return .mediaTypeNotString }
        #expect(message.hasPrefix("annotations must be an object of strings"), "unexpected refusal: \(message)")
        return .annotationsNotStrings
    }
}

/// The decoder manifests were read with before ``ManifestJSONScanner`` (`JSONDecoder` into
/// `Decodable` structs, as `OCIManifest+Wire.swift` had it), kept as the reference the scanner
/// is compared with.
enum PreviousManifestDecoder {
    struct Wire: Decodable {
        var value = OCIManifest.Wire()

        enum CodingKeys: String, CodingKey {
            case schemaVersion, mediaType, config, layers, manifests, subject, artifactType, annotations
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            value.schemaVersion = try? container.decodeIfPresent(Int.self, forKey: .schemaVersion)
            if container.contains(.mediaType) {
                value.mediaType = try? container.decode(String.self, forKey: .mediaType)
                value.mediaTypeIsMalformed = value.mediaType == nil
            }
            value.config = (try? container.decodeIfPresent(Descriptor.self, forKey: .config))?.value
            value.layers = (try? container.decodeIfPresent([Descriptor].self, forKey: .layers))?.map(\.value)
            value.hasManifestsKey = container.contains(.manifests)
            value.manifests = (try? container.decodeIfPresent([Descriptor].self, forKey: .manifests))?.map(\.value)
            value.subject = (try? container.decodeIfPresent(Descriptor.self, forKey: .subject))?.value
            value.artifactType = try? container.decodeIfPresent(String.self, forKey: .artifactType)
            if container.contains(.annotations) {
                value.annotations = try? container.decode([String: String].self, forKey: .annotations)
                value.annotationsAreMalformed = value.annotations == nil
            }
        }
    }

    struct Descriptor: Decodable {
        var value = OCIManifest.Wire.Descriptor()

        enum CodingKeys: String, CodingKey {
            case mediaType, digest, size
        }

        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: CodingKeys.self) else {
                value.isObject = false
                return
            }
            value.mediaType = try? container.decodeIfPresent(String.self, forKey: .mediaType)
            value.digest = try? container.decodeIfPresent(String.self, forKey: .digest)
            value.size = try? container.decodeIfPresent(Int64.self, forKey: .size)
        }
    }

    static func outcome(_ bytes: [UInt8]) -> ManifestReadOutcome {
        let wire: OCIManifest.Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes)).value
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            return .notObject
        } catch {
            return .notJSON
        }
        if wire.mediaTypeIsMalformed { return .mediaTypeNotString }
        if wire.annotationsAreMalformed { return .annotationsNotStrings }
        return .fields(wire)
    }
}

/// The manifest reader against the decoder it replaced: the same fields or the same refusal for
/// every valid JSON document, and never accepting what that decoder refused.
@Suite("Manifest JSON scanner", .timeLimit(.minutes(5)))
struct ManifestJSONScannerTests {
    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let layerType = "application/vnd.oci.image.layer.v1.tar+gzip"

    @Test("hand-picked manifests and JSON corner cases read as the previous decoder read them", arguments: Self.handPickedCases)
    func handPicked(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(ManifestReadOutcome.scanned(bytes) == PreviousManifestDecoder.outcome(bytes), "\(text)")
    }

    static let handPickedCases: [String] = [
        #"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(digestA)","size":1},"layers":[]}"#,
        // Types: wrong, null, nested; duplicates (the first counts); escaped keys and values.
        #"{"schemaVersion":"2","mediaType":5}"#, #"{"mediaType":null}"#, #"{"mediaType":"x","mediaType":7}"#,
        #"{"schemaVersion":2,"schemaVersion":3}"#, #"{"sch\u0065maVersion":2,"m\u0065diaType":"\u0061/b"}"#,
        #"{"config":null,"subject":7,"layers":null,"manifests":null}"#, #"{"config":"x","subject":[1],"layers":{},"manifests":3}"#,
        #"{"layers":[null,1,"x",[],{},{"mediaType":1,"digest":2,"size":"3"}]}"#,
        #"{"layers":[{"size":1,"size":2,"digest":"a","digest":"b","mediaType":"c","mediaType":"d"}]}"#,
        #"{"artifactType":5}"#, #"{"artifactType":null}"#, #"{"artifactType":"a/b","artifactType":"c/d"}"#,
        #"{"annotations":null}"#, #"{"annotations":[]}"#, #"{"annotations":{"a":1}}"#, #"{"annotations":{"a":"1","a":"2"}}"#,
        #"{"annotations":{"\ud83d\ude00":"é\n\t\"\\\/\b\f\r","ü":"\u00fc\u2028"}}"#, #"{"annotations":{}}"#,
        // Numbers: integers in every spelling JSON allows, out of range, negative, fractional.
        #"{"schemaVersion":2.0}"#, #"{"schemaVersion":2e0}"#, #"{"schemaVersion":20e-1}"#, #"{"schemaVersion":0.2E+1}"#,
        #"{"schemaVersion":2.5}"#, #"{"schemaVersion":-0}"#, #"{"schemaVersion":-2}"#, #"{"schemaVersion":9223372036854775807}"#,
        #"{"schemaVersion":9223372036854775808}"#, #"{"schemaVersion":1e400}"#, #"{"schemaVersion":-1e400}"#,
        #"{"schemaVersion":1e-400}"#, #"{"schemaVersion":1.0e19}"#, #"{"schemaVersion":2.00000000000000000001}"#,
        #"{"layers":[{"size":9007199254740993.0},{"size":-1},{"size":1e3},{"size":-9223372036854775808},{"size":0.5}]}"#,
        // Structure: whitespace, trailing commas (the previous decoder accepted them), the end.
        " \n\t\r{ \"schemaVersion\" : 2 , \"layers\" : [ { } , ] , } \r\n\t ", #"{"a":[1,2,],}"#, #"{}"#, "\u{FEFF}{\"schemaVersion\":2}",
        #"[]"#, #"[{}]"#, #""x""#, "1", "null", "true", "false", "-0.5e-3",
        "", " ", "{", "}", #"{"a"}"#, #"{"a":}"#, #"{,}"#, #"[,]"#, #"{"a":1,,}"#, #"{"a":1"b":2}"#, #"{} {}"#, #"{}x"#, #"{"a":tru}"#,
        #"{"a":nul}"#, #"{"a":+1}"#, #"{"a":.5}"#, #"{"a":0x1}"#, #"{'a':1}"#, #"{a:1}"#, #"{"a":NaN}"#, #"{"a":Infinity}"#,
        #"{"a":"unterminated}"#, #"{"a":1 /* comment */}"#, "{\"a\":1}\u{0}",
    ]

    @Test("nesting up to 512 levels is read, deeper is refused, as before")
    func nesting() {
        for depth in [1, 2, 100, 510, 511, 512, 513, 600, 10_000] {
            for (open, close) in [("[", "]"), (#"{"x":"#, "}")] {
                let text =
                    #"{"schemaVersion":2,"x":"# + String(repeating: open, count: depth - 1) + "1"
                    + String(repeating: close, count: depth - 1) + "}"
                let bytes = Array(text.utf8)
                #expect(ManifestReadOutcome.scanned(bytes) == PreviousManifestDecoder.outcome(bytes), "depth \(depth) of \(open)")
            }
        }
    }

    @Test("JSON in UTF-16 and UTF-32 reads as the previous decoder read it")
    func otherEncodings() {
        let text = "\u{FEFF}{\"schemaVersion\":2,\"annotations\":{\"a\":\"ü😀\"}}"
        let utf16 = Array(text.utf16)
        let utf32 = text.unicodeScalars.map(\.value)
        let encodings: [[UInt8]] = [
            utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
            utf16.dropFirst().flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] },
            utf32.flatMap { v in (0..<4).reversed().map { UInt8((v >> (8 * $0)) & 0xFF) } },
            utf32.dropFirst().flatMap { v in (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } },
            // UTF-32LE's byte-order mark reads as UTF-16's followed by a NUL: not JSON.
            utf32.flatMap { v in (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } },
        ]
        for (index, bytes) in encodings.enumerated() {
            let scanned = ManifestReadOutcome.scanned(bytes)
            #expect(scanned == PreviousManifestDecoder.outcome(bytes), "encoding \(index)")
            let read = OCIManifest.Wire(schemaVersion: 2, annotations: ["a": "ü😀"])
            let expected: ManifestReadOutcome = index < 5 ? .fields(read) : .notJSON
            #expect(scanned == expected, "encoding \(index)")
        }
    }

    @Test("malformed JSON the previous decoder skipped over in ignored fields is now refused", arguments: Self.laxBeforeCases)
    func stricterInIgnoredFields(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(ManifestReadOutcome.scanned(bytes) == .notJSON, "\(text)")
    }

    /// Not JSON (RFC 8259). `JSONDecoder` only scanned past most of these in a field the
    /// registry ignores (and read a read field's as absent), so such manifests were accepted.
    static let laxBeforeCases: [String] = [
        #"{"x":01}"#, #"{"x":1-2}"#, #"{"x":--1}"#, #"{"x":1.}"#, #"{"x":1e}"#, #"{"x":1.5e+}"#, #"{"x":1.2.3}"#, #"{"x":1ee2}"#,
        #"{"x":"\q"}"#, #"{"x":"\ud800"}"#, #"{"x":"\udc00x"}"#, #"{"x":"\u12"}"#, "{\"x\":\"a\tb\"}", "{\"mediaType\":\"a\u{1}\"}",
        #"{"mediaType":"\ud800"}"#, #"{"schemaVersion":01}"#,
    ]

    @Test("invalid UTF-8 in a string is refused (before, it was repaired or skipped)")
    func invalidUTF8() {
        let prefix = Array(#"{"annotations":{"a":""#.utf8)
        let suffix = Array(#""}}"#.utf8)
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x80]] {
            #expect(ManifestReadOutcome.scanned(prefix + bad + suffix) == .notJSON, "\(bad)")
        }
        for good: [UInt8] in [
            [0xC3, 0xBC], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF],
        ] {
            let bytes = prefix + good + suffix
            #expect(ManifestReadOutcome.scanned(bytes) == PreviousManifestDecoder.outcome(bytes), "\(good)")
        }
    }

    @Test("generated manifests (random shapes, types, duplicates, escapes, numbers) read as before")
    func generated() {
        var random = SeededRandom(seed: 18)
        for _ in 0..<1_500 {
            let bytes = Array(Self.randomManifest(&random).utf8)
            let previous = PreviousManifestDecoder.outcome(bytes)
            #expect(ManifestReadOutcome.scanned(bytes) == previous, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test("mutated manifests: never accepted when the previous decoder refused, never read differently")
    func mutated() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<3_000 {
            var bytes = Array(Self.randomManifest(&random).utf8)
            for _ in 0...Int.random(in: 0...2, using: &random) {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                let byte = Array(#"{}[],:"\ 0-.e1anx"#.utf8).randomElement(using: &random)!
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(byte, at: at)
                default: bytes[at] = byte
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            let previous = PreviousManifestDecoder.outcome(bytes)
            let scanned = ManifestReadOutcome.scanned(bytes)
            #expect(scanned == previous || scanned == .notJSON, "\(scanned) vs \(previous): \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test("a 4 MB manifest of 9,000 padded layers and one of 26,000 read as before")
    func large() {
        for (count, padding) in [(9_000, 400), (26_000, 0)] {
            let layer = #"{"mediaType":"\#(Self.layerType)","digest":"\#(Self.digestA)","size":40"#
            let pad = padding > 0 ? #","annotations":{"x":"\#(String(repeating: "p", count: padding))"}}"# : "}"
            let layers = Array(repeating: layer + pad, count: count).joined(separator: ",")
            let bytes = Array(
                #"{"schemaVersion":2,"config":{"mediaType":"a/b","digest":"\#(Self.digestA)","size":1},"layers":[\#(layers)]}"#.utf8
            )
            let scanned = ManifestReadOutcome.scanned(bytes)
            #expect(scanned == PreviousManifestDecoder.outcome(bytes))
            guard case .fields(let wire) = scanned else { continue }
            #expect(wire.layers?.count == count)
        }
    }

    @Test("every JSON document of the shared test vectors reads as before")
    func sharedTestVectors() throws {
        guard let files = FileManager.default.enumerator(at: SharedTestData.root, includingPropertiesForKeys: nil) else {
            print("skipped: no shared test vectors at \(SharedTestData.root.path)")
            return
        }
        var read = 0
        for case let url as URL in files where url.pathExtension == "json" {
            let bytes = Array(try Data(contentsOf: url))
            #expect(ManifestReadOutcome.scanned(bytes) == PreviousManifestDecoder.outcome(bytes), "\(url.lastPathComponent)")
            read += 1
        }
        if read == 0 { print("skipped: no JSON files under \(SharedTestData.root.path)") }
    }

    // MARK: Generation

    /// A manifest-shaped document: the expected keys with values of the right or a wrong type,
    /// sometimes twice, unknown keys with nested values, keys and strings escaped or not.
    static func randomManifest(_ random: inout SeededRandom) -> String {
        var members: [String] = []
        func maybe(_ key: String, _ value: @autoclosure () -> String) {
            guard Int.random(in: 0..<10, using: &random) < 8 else { return }
            members.append("\(Self.key(key, &random)):\(value())")
        }
        maybe("schemaVersion", number(&random))
        maybe("mediaType", anyOf([string(OCIManifest.imageManifest, &random), string(OCIManifest.imageIndex, &random)], &random))
        maybe("config", descriptorValue(&random))
        maybe("subject", descriptorValue(&random))
        maybe(
            "layers",
            anyOf(
                ["[" + (0..<Int.random(in: 0...5, using: &random)).map { _ in descriptorValue(&random) }.joined(separator: ",") + "]"],
                &random
            )
        )
        maybe(
            "manifests",
            anyOf(
                ["[" + (0..<Int.random(in: 0...3, using: &random)).map { _ in descriptorValue(&random) }.joined(separator: ",") + "]"],
                &random
            )
        )
        maybe("artifactType", anyOf([string("application/x.test", &random)], &random))
        let annotation =
            "{"
            + (0..<Int.random(in: 0...3, using: &random)).map { _ in
                let key = string(["a", "b", "é", "😀"].randomElement(using: &random)!, &random)
                return "\(key):\(anyOf([string("v€\n😀", &random)], &random, wrong: 1))"
            }.joined(separator: ",") + "}"
        maybe("annotations", anyOf([annotation], &random))
        maybe("unknown", anyOf([#"{"deep":[[{"x":[1,2.5e-3,"\u00e9"]}],true,false,null]}"#], &random))
        if Bool.random(using: &random), let duplicate = members.randomElement(using: &random) { members.append(duplicate) }
        members.shuffle(using: &random)
        return "{" + members.joined(separator: Bool.random(using: &random) ? "," : " ,\n ") + "}"
    }

    static func descriptorValue(_ random: inout SeededRandom) -> String {
        var fields: [String] = []
        if Int.random(in: 0..<10, using: &random) < 8 {
            fields.append("\(key("mediaType", &random)):\(anyOf([string(layerType, &random)], &random, wrong: 2))")
        }
        if Int.random(in: 0..<10, using: &random) < 8 {
            fields.append("\(key("digest", &random)):\(anyOf([string(digestA, &random)], &random, wrong: 2))")
        }
        if Int.random(in: 0..<10, using: &random) < 8 { fields.append("\(key("size", &random)):\(number(&random))") }
        if Bool.random(using: &random) { fields.append(#""annotations":{"k":"v"}"#) }
        if Int.random(in: 0..<10, using: &random) == 0, let duplicate = fields.first { fields.append(duplicate) }
        fields.shuffle(using: &random)
        return anyOf(["{" + fields.joined(separator: ",") + "}"], &random, wrong: 1)
    }

    /// One of `right`, or (about `wrong` in 10) a value of another type.
    static func anyOf(_ right: [String], _ random: inout SeededRandom, wrong: Int = 2) -> String {
        if Int.random(in: 0..<10, using: &random) < wrong {
            return ["null", "true", "7", #""s""#, "[]", "{}", #"[{"a":1}]"#].randomElement(using: &random)!
        }
        return right.randomElement(using: &random)!
    }

    static func number(_ random: inout SeededRandom) -> String {
        [
            "2", "2.0", "2e0", "20E-1", "-0", "0", "1", "40", "-1", "2.5", "1e400", "1e-400", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "1.0e19", "0.0", "12345678901234567890", #""2""#, "null", "true",
        ].randomElement(using: &random)!
    }

    /// `key` quoted, sometimes with a letter written as an escape.
    static func key(_ key: String, _ random: inout SeededRandom) -> String {
        string(key, &random)
    }

    /// `text` as a JSON string, each character sometimes escaped (`\u` or a surrogate pair).
    static func string(_ text: String, _ random: inout SeededRandom) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where Int.random(in: 0..<12, using: &random) == 0:
                out += String(scalar).utf16.map { "\\u" + String(format: "%04x", $0) }.joined()
            case "/" where Int.random(in: 0..<4, using: &random) == 0: out += "\\/"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
