public import ArtifactStorage
public import ArtifactStoreCore

/// One attempt to reach outside the root, and what must happen to it.
public struct EscapeAttempt: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable, Equatable {
        /// Refused when the path is built, with this code; nothing reaches the backend.
        case refused(StorageError.Code)
        /// Accepted as an ordinary name that stays inside the root.
        case containedInside
    }

    public let text: String
    public let outcome: Outcome

    public init(_ text: String, _ outcome: Outcome) {
        self.text = text
        self.outcome = outcome
    }

    public var description: String {
        "\"" + text.unicodeScalars.prefix(40).map { $0.escaped(asASCII: true) }.joined() + (text.unicodeScalars.count > 40 ? "…" : "")
            + "\""
    }

    /// The attempts every backend is checked against.
    public static let all: [EscapeAttempt] = [
        // Traversal and absolute paths: pathEscapesRoot.
        .init("..", .refused(.pathEscapesRoot)),
        .init("../", .refused(.pathEscapesRoot)),
        .init("../x", .refused(.pathEscapesRoot)),
        .init("../../../../../../etc/passwd", .refused(.pathEscapesRoot)),
        .init("a/..", .refused(.pathEscapesRoot)),
        .init("a/../b", .refused(.pathEscapesRoot)),
        .init("a/../../x", .refused(.pathEscapesRoot)),
        .init("a/b/../../../sentinel.txt", .refused(.pathEscapesRoot)),
        .init("..//x", .refused(.pathEscapesRoot)),
        .init("./../x", .refused(.pathEscapesRoot)),
        .init("../root-sibling/file", .refused(.pathEscapesRoot)),
        .init("/", .refused(.pathEscapesRoot)),
        .init("/etc/passwd", .refused(.pathEscapesRoot)),
        .init("//x", .refused(.pathEscapesRoot)),
        .init("/..", .refused(.pathEscapesRoot)),
        .init("/tmp/../x", .refused(.pathEscapesRoot)),
        // Malformed: invalidPath.
        .init("", .refused(.invalidPath)),
        .init(".", .refused(.invalidPath)),
        .init("./x", .refused(.invalidPath)),
        .init("a/./b", .refused(.invalidPath)),
        .init("a//b", .refused(.invalidPath)),
        .init("a/", .refused(.invalidPath)),
        .init("x/.", .refused(.invalidPath)),
        .init("a\u{0}b", .refused(.invalidPath)),
        .init("\u{0}", .refused(.invalidPath)),
        .init("ok\u{0}/../../x", .refused(.invalidPath)),
        .init("a\nb", .refused(.invalidPath)),
        .init("a\rb", .refused(.invalidPath)),
        .init("tab\there", .refused(.invalidPath)),
        .init("\u{1B}[31mred", .refused(.invalidPath)),
        .init("del\u{7F}", .refused(.invalidPath)),
        .init("nel\u{85}", .refused(.invalidPath)),
        .init("a\\..\\..\\b", .refused(.invalidPath)),
        .init("..\\x", .refused(.invalidPath)),
        .init("C:\\Windows\\x", .refused(.invalidPath)),
        .init("\\\\server\\share", .refused(.invalidPath)),
        .init(String(repeating: "a/", count: 600) + "x", .refused(.invalidPath)),
        .init(String(repeating: "n", count: 256), .refused(.invalidPath)),
        .init("evil\u{202E}txt.exe", .refused(.invalidPath)),
        .init("line\u{2028}sep", .refused(.invalidPath)),
        .init("\u{FEFF}bom", .refused(.invalidPath)),
        .init("iso\u{2066}late", .refused(.invalidPath)),
        .init(".artifactstore-tmp-planted", .refused(.invalidPath)),
        .init("a/.artifactstore-tmp-x/b", .refused(.invalidPath)),
        // Look-alikes that are ordinary names and must stay inside the root.
        .init("a\u{FF0F}..\u{FF0F}..\u{FF0F}sentinel.txt", .containedInside),
        .init("\u{FF0E}\u{FF0E}", .containedInside),
        .init("\u{2025}", .containedInside),
        .init("\u{2024}\u{2024}", .containedInside),
        .init("x\u{2215}..\u{2215}y", .containedInside),
        .init("x\u{2044}y", .containedInside),
        .init("%2e%2e", .containedInside),
        .init("%2e%2e%2fsentinel.txt", .containedInside),
        .init("...", .containedInside),
        .init("a..b", .containedInside),
        .init(".hidden", .containedInside),
        .init("~", .containedInside),
        .init("$HOME", .containedInside),
        .init(" ", .containedInside),
        .init("dir/..a", .containedInside),
        .init(String(repeating: "n", count: 255), .containedInside),
    ]
}

extension StorageBackendConformance {
    /// Every ``EscapeAttempt``: refused ones with the exact code, look-alikes stored as plain
    /// names inside the root; after each, everything outside the root is exactly as before.
    public func escapeAttempts() async throws {
        try await withSubject(.escapeAttempts) { subject, probe in
            let outside = try await subject.outsideSnapshot()
            try probe.require(!outside.isEmpty, "the subject has no sentinel outside its root to compare")
            func checkOutside(_ attempt: EscapeAttempt) async throws {
                let now = try await subject.outsideSnapshot()
                try probe.require(now == outside, "after \(attempt) the world outside the root changed: \(Self.difference(outside, now))")
            }
            for attempt in EscapeAttempt.all {
                switch attempt.outcome {
                case .refused(let code):
                    try await probe.expectError(code, "path \(attempt)") { _ = try StoragePath(attempt.text) }
                    let segments = attempt.text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    try await probe.expectError(code, "segments of \(attempt)") { _ = try StoragePath(segments: segments) }
                    do {
                        _ = try StoragePath("base").appending(attempt.text)
                        throw probe.fail("appending \(attempt) to a path succeeded")
                    } catch let error as StorageError {
                        try probe.require(
                            error.kind == .invalidPath || error.kind == .pathEscapesRoot,
                            "appending \(attempt) threw \(error.kind)"
                        )
                    }
                    try await checkOutside(attempt)
                case .containedInside:
                    let target = try StoragePath(attempt.text)
                    let content = Array("inside \(attempt.text)".utf8)
                    try await probe.write(target, content)
                    try await probe.expectContent(target, content, "look-alike \(attempt)")
                    let raw = try await subject.rawItems()
                    try probe.require(
                        raw.contains(target.string),
                        "look-alike \(attempt) is not stored as that name inside the root; root holds \(raw.prefix(5))"
                    )
                    let listed = try await probe.listAll(under: nil, recursive: true, limit: 100).map(\.path.bytes)
                    try probe.require(listed.contains(target.bytes), "look-alike \(attempt) is not listed")
                    let moved = try StoragePath("moved-" + String(attempt.text.prefix(200)).replacingSlashes())
                    try await probe.backend.move(from: target, to: moved, overwrite: false)
                    try await probe.expectContent(moved, content, "moved look-alike \(attempt)")
                    try await probe.backend.delete(moved)
                    try await checkOutside(attempt)
                }
            }
            try await checkOutside(EscapeAttempt("(end)", .containedInside))
        }
    }

    /// Names Swift considers equal but whose bytes differ (NFC and NFD) are distinct objects,
    /// as they are on disk and in S3.
    public func distinctUnicodeNames() async throws {
        try await withSubject(.distinctUnicodeNames) { _, probe in
            let composed = try StoragePath("caf\u{E9}")
            let decomposed = try StoragePath("cafe\u{301}")
            try await probe.write(composed, Array("composed".utf8))
            try await probe.write(decomposed, Array("decomposed".utf8))
            try await probe.expectContent(composed, Array("composed".utf8), "NFC name")
            try await probe.expectContent(decomposed, Array("decomposed".utf8), "NFD name")
            let listed = try await probe.listAll(under: nil, recursive: true, limit: 10)
            try probe.require(listed.count == 2, "NFC and NFD names listed as \(listed.count) entries")
            try await probe.backend.delete(composed)
            try await probe.expectContent(decomposed, Array("decomposed".utf8), "NFD name after deleting the NFC one")
            try probe.require(try await probe.backend.exists(composed) == false, "the NFC name still exists")
        }
    }

    static func difference(_ before: [String: String], _ after: [String: String]) -> String {
        var parts: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            parts.append("\(key): \(before[key] ?? "absent") -> \(after[key] ?? "absent")")
        }
        return parts.prefix(5).joined(separator: "; ")
    }
}

extension String {
    func replacingSlashes() -> String {
        String(map { $0 == "/" ? "_" : $0 })
    }
}
