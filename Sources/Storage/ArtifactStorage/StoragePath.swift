/// A validated path relative to a storage backend's root.
///
/// A `StoragePath` can only be built from text that stays inside the root: it has one or more
/// `/`-separated segments, none of them empty, `.` or `..`, and no NUL, control character or
/// backslash anywhere; it does not start with `/`. Backends accept only `StoragePath`s, so an
/// escape attempt is refused once, here, with `pathEscapesRoot` or `invalidPath`, before any
/// backend touches anything. (The filesystem backend additionally refuses symlinks that lead out
/// of the root, which no string check can see.)
public struct StoragePath: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The segments, each non-empty and safe.
    public let segments: [String]

    /// The longest path accepted, in UTF-8 bytes.
    public static let maximumLength = 1024

    /// Segments starting with this are reserved for backends' temporary files (the filesystem
    /// backend's in-flight writes), which are hidden from listings and removed at start-up; no
    /// object may be named so, in any backend.
    public static let reservedPrefix = ".artifactstore-tmp-"

    /// The longest segment accepted, in UTF-8 bytes (`NAME_MAX` on Linux filesystems), so every
    /// backend accepts and refuses the same names.
    public static let maximumSegmentLength = 255

    /// Validates `text` as a relative path inside the root.
    ///
    /// One pass over the UTF-8 bytes finds the segments and any byte that could be refused;
    /// only a path with such a byte, or with text outside ASCII, takes ``validateScalars(_:)``.
    /// Every object read builds one of these, and iterating `Character`s cost a cold 4 KiB GET
    /// about 40,000 instructions (callgrind), a sixth of what it costs beyond a warm one.
    public init(_ text: String) throws(StorageError) {
        guard !text.isEmpty else {
            throw StorageError(.invalidPath, "empty path", path: text)
        }
        let length = text.utf8.count
        guard length <= Self.maximumLength else {
            throw StorageError(
                .invalidPath,
                "path is \(length) bytes long; the limit is \(Self.maximumLength)",
                path: String(text.prefix(64)) + "…"
            )
        }
        var bounds: [Range<Int>] = []
        var needsScalarCheck = false
        var segmentStart = 0
        var offset = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "/") {
                bounds.append(segmentStart..<offset)
                segmentStart = offset + 1
            } else if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") {
                needsScalarCheck = true
            }
            offset += 1
        }
        bounds.append(segmentStart..<offset)
        if needsScalarCheck {
            try Self.validateScalars(text)
        }
        if text.utf8.first == UInt8(ascii: "/") {
            throw StorageError(.pathEscapesRoot, "path \(Self.quote(text)) is absolute; paths are relative to the root", path: text)
        }
        let parts =
            text.utf8.withContiguousStorageIfAvailable { bytes in
                bounds.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
            } ?? text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts where part == ".." {
            throw StorageError(.pathEscapesRoot, "path \(Self.quote(text)) has a \"..\" segment", path: text)
        }
        for part in parts {
            if part.isEmpty {
                throw StorageError(.invalidPath, "path \(Self.quote(text)) has an empty segment", path: text)
            }
            if part == "." {
                throw StorageError(.invalidPath, "path \(Self.quote(text)) has a \".\" segment", path: text)
            }
        }
        for part in parts where part.utf8.starts(with: Self.reservedPrefix.utf8) {
            throw StorageError(.invalidPath, "path \(Self.quote(text)) uses the reserved prefix \(Self.reservedPrefix)", path: text)
        }
        for part in parts where part.utf8.count > Self.maximumSegmentLength {
            throw StorageError(
                .invalidPath,
                "path \(Self.quote(text)) has a segment of \(part.utf8.count) bytes; the limit is \(Self.maximumSegmentLength)",
                path: text
            )
        }
        self.segments = parts
    }

    /// Refuses NUL, control characters (C0 and C1), the backslash, and deceptive format
    /// characters anywhere in `text`.
    static func validateScalars(_ text: String) throws(StorageError) {
        for scalar in text.unicodeScalars {
            if scalar.value == 0 {
                throw StorageError(.invalidPath, "path \(Self.quote(text)) contains a NUL character", path: Self.quote(text))
            }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                throw StorageError(.invalidPath, "path \(Self.quote(text)) contains a control character", path: Self.quote(text))
            }
            if scalar == "\\" {
                throw StorageError(.invalidPath, "path \(Self.quote(text)) contains a backslash", path: text)
            }
            if Self.isDeceptiveFormatScalar(scalar) {
                throw StorageError(
                    .invalidPath,
                    "path \(Self.quote(text)) contains an invisible or direction-changing character",
                    path: Self.quote(text)
                )
            }
        }
    }

    /// Line and paragraph separators, bidirectional overrides and isolates, and the byte-order
    /// mark: characters that make a name display as something it is not.
    static func isDeceptiveFormatScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    /// Builds a path from segments, validating each.
    ///
    /// Segments that are plain (printable ASCII without a slash or a backslash; not empty, `.`, `..` or
    /// reserved; short enough) are kept as they are, with no text joined and split again; any
    /// other goes through ``init(_:)`` on the joined text, so the path, or the refusal, is the
    /// one that text gets. Every object's path is built so (`blobs/<alg>/xx/yy/<hex>`): the
    /// round trip through text cost a cold 4 KiB GET about 9,000 instructions (callgrind).
    public init(segments: [String]) throws(StorageError) {
        var length = segments.count - 1
        for segment in segments {
            guard Self.isPlain(segment) else {
                self = try StoragePath(segments.joined(separator: "/"))
                return
            }
            length += segment.utf8.count
        }
        guard !segments.isEmpty, length <= Self.maximumLength else {
            self = try StoragePath(segments.joined(separator: "/"))
            return
        }
        self.segments = segments
    }

    /// Whether `segment` needs no more checking than this: what ``init(_:)`` would accept as one
    /// segment, judged byte by byte.
    ///
    /// Read in place where the text is contiguous (native strings are): stepping through the
    /// UTF-8 view cost every object read some 3,400 instructions for its five segments.
    static func isPlain(_ segment: String) -> Bool {
        if let plain = segment.utf8.withContiguousStorageIfAvailable({ isPlain($0) }) { return plain }
        return Array(segment.utf8).withUnsafeBufferPointer { isPlain($0) }
    }

    private static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maximumSegmentLength else { return false }
        // `.` and `..`: one or two bytes, all dots.
        if bytes.count <= 2, bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) { return false }
        for byte in bytes where byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") {
            return false
        }
        let reserved = reservedPrefixBytes
        return bytes.count < reserved.count || !UnsafeBufferPointer(rebasing: bytes[..<reserved.count]).elementsEqual(reserved)
    }

    private static let reservedPrefixBytes = Array(reservedPrefix.utf8)

    /// The path as `a/b/c`.
    ///
    /// Written into one buffer sized up front: every object read opens its file by this text,
    /// and the generic `joined(separator:)` cost each some 2,800 instructions (callgrind).
    public var string: String {
        var length = segments.count - 1
        for segment in segments { length += segment.utf8.count }
        var text = ""
        text.reserveCapacity(length)
        for (index, segment) in segments.enumerated() {
            if index > 0 { text.append("/") }
            text.append(segment)
        }
        return text
    }

    public var description: String { string }

    /// The last segment.
    public var name: String { segments[segments.count - 1] }

    /// The parent path, or `nil` for a top-level entry.
    public var parent: StoragePath? {
        guard segments.count > 1 else { return nil }
        return StoragePath(validatedSegments: Array(segments.dropLast()))
    }

    /// Appends one more validated segment.
    public func appending(_ segment: String) throws(StorageError) -> StoragePath {
        try StoragePath(string + "/" + segment)
    }

    /// Whether `self` equals `other` or lies beneath it.
    public func isWithin(_ other: StoragePath) -> Bool {
        segments.count >= other.segments.count && Array(segments.prefix(other.segments.count)) == other.segments
    }

    /// Byte-wise order of the text form, the order `list` returns entries in.
    public static func < (lhs: StoragePath, rhs: StoragePath) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    init(validatedSegments: [String]) {
        self.segments = validatedSegments
    }

    static func quote(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}
