import ArtifactStorage
import ArtifactStorageConformance
import Testing

@Suite("StoragePath validation", .timeLimit(.minutes(5)))
struct StoragePathTests {
    @Test(arguments: EscapeAttempt.all)
    func escapeAttempt(_ attempt: EscapeAttempt) throws {
        switch attempt.outcome {
        case .refused(let code):
            let error = #expect(throws: StorageError.self) { try StoragePath(attempt.text) }
            #expect(error?.kind == code, "\(attempt): \(error?.message ?? "")")
            #expect(error?.message.isEmpty == false)
        case .containedInside:
            let path = try StoragePath(attempt.text)
            #expect(path.string == attempt.text)
            #expect(path.segments.count == attempt.text.split(separator: "/").count)
        }
    }

    @Test func atLeastFortyEscapeAttempts() {
        #expect(EscapeAttempt.all.count >= 40)
        #expect(EscapeAttempt.all.filter { $0.outcome != .containedInside }.count >= 40)
    }

    @Test func validPaths() throws {
        let path = try StoragePath("blobs/blake3/ab/cd/abcdef")
        #expect(path.segments == ["blobs", "blake3", "ab", "cd", "abcdef"])
        #expect(path.name == "abcdef")
        #expect(path.parent?.string == "blobs/blake3/ab/cd")
        #expect(try StoragePath("top").parent == nil)
        #expect(try path.isWithin(StoragePath("blobs/blake3")))
        #expect(try !path.isWithin(StoragePath("blobs/blake")))
        #expect(try path.appending("x").string == "blobs/blake3/ab/cd/abcdef/x")
        #expect(throws: StorageError.self) { try path.appending("..") }
        #expect(throws: StorageError.self) { try path.appending("a/../../..") }
        #expect(try StoragePath(segments: ["a", "b"]).string == "a/b")
    }

    /// Segments give the path, or the refusal, that their joined text gives, whether they take
    /// the plain segments' short way or not.
    @Test func segmentsAgreeWithTheirText() throws {
        let hex = String(repeating: "ab", count: 32)
        let cases: [[String]] = [
            ["blobs", "blake3", "ab", "ab", hex], ["a"], ["a", "b/c"], [], [""], ["", "a"], ["a", ""], ["a", "."], ["a", ".."],
            ["..", "a"], ["a\\b"], ["a\u{0}b"], ["a\u{7F}"], ["é"], ["a", StoragePath.reservedPrefix + "x"],
            [String(repeating: "x", count: 255)],
            [String(repeating: "x", count: 256)], (0..<4).map { _ in String(repeating: "y", count: 255) },
            (0..<4).map { _ in String(repeating: "y", count: 255) } + ["z"], ["a\u{202E}b"], ["ok", "a b", "~", "-"],
            ["..."], [".a"], ["a."], [StoragePath.reservedPrefix], [String(StoragePath.reservedPrefix.dropLast())],
            ["a", "x" + StoragePath.reservedPrefix],
        ]
        for segments in cases {
            let text = segments.joined(separator: "/")
            switch (
                Result { () throws(StorageError) in try StoragePath(segments: segments) },
                Result { () throws(StorageError) in try StoragePath(text) }
            ) {
            case (.success(let fromSegments), .success(let fromText)):
                #expect(fromSegments == fromText, "\(segments)")
                #expect(fromSegments.string == text)
            case (.failure(let bySegments), .failure(let byText)):
                #expect(bySegments.kind == byText.kind, "\(segments)")
                #expect(bySegments.message == byText.message)
            default:
                Issue.record("segments \(segments) and their text \"\(text)\" disagree")
            }
        }
    }

    @Test func lengthLimits() throws {
        let longest = (0..<4).map { _ in String(repeating: "x", count: 255) }.joined(separator: "/")
        #expect(longest.utf8.count == 1023)
        #expect(try StoragePath(longest).segments.count == 4)
        let tooLong = #expect(throws: StorageError.self) { try StoragePath(longest + "/y") }
        #expect(tooLong?.kind == .invalidPath)
        let segment = #expect(throws: StorageError.self) { try StoragePath("a/" + String(repeating: "é", count: 128)) }
        #expect(segment?.kind == .invalidPath)
    }

    @Test func byteWiseOrder() throws {
        let names = ["a-c", "a/b", "a", "B", "b", "é", "e\u{301}"]
        let sorted = try names.map(StoragePath.init).sorted().map(\.string)
        #expect(sorted == ["B", "a", "a-c", "a/b", "b", "e\u{301}", "é"])
    }

    @Test func reversedRangeIsInvalidRange() throws {
        let error = #expect(throws: StorageError.self) { try ClosedRange<UInt64>(validatingLower: 9, upper: 3) }
        #expect(error?.kind == .invalidRange)
        #expect(try ClosedRange<UInt64>(validatingLower: 3, upper: 3) == 3...3)
    }

    @Test func errorMessagesNameThePath() {
        let error = #expect(throws: StorageError.self) { try StoragePath("a/../../etc") }
        #expect(error?.message.contains("a/../../etc") == true)
        #expect(error?.path == "a/../../etc")
        #expect(error?.code == "pathEscapesRoot")
    }
}
