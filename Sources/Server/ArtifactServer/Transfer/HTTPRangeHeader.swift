import ArtifactDataPlane

/// A single-range `Range: bytes=…` header (RFC 9110 §14.1.2) resolved against an object's size.
///
/// Exists so resumed and partial downloads work the way HTTP clients expect: `a-b`, `a-` and
/// `-n` (the last `n` bytes). A header that is not a single `bytes` range is ignored, as the RFC
/// allows (the whole object is sent); one that lies outside the object is 416.
enum HTTPRangeHeader {
    enum Resolution: Equatable {
        /// Send the whole object (no header, or one this server ignores).
        case whole
        /// Send these bytes with 206.
        case partial(ByteRange)
        /// 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    static func resolve(_ header: String?, size: UInt64) -> Resolution {
        guard let header else { return .whole }
        let trimmed = header.trimmingPrefixSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst("bytes=".count).filter { $0 != " " }
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash]
        let lastText = spec[spec.index(after: dash)...]
        if firstText.isEmpty {
            // Suffix: the last n bytes.
            guard let count = UInt64(lastText) else { return .whole }
            guard count > 0, size > 0 else { return .unsatisfiable }
            return .partial(ByteRange(first: size - min(count, size), last: size - 1))
        }
        guard let first = UInt64(firstText) else { return .whole }
        let last: UInt64
        if lastText.isEmpty {
            last = size &- 1
        } else {
            guard let value = UInt64(lastText) else { return .whole }
            guard value >= first else { return .whole }
            last = min(value, size &- 1)
        }
        guard first < size else { return .unsatisfiable }
        return .partial(ByteRange(first: first, last: last))
    }
}

extension String {
    fileprivate func trimmingPrefixSpaces() -> Substring {
        self.drop { $0 == " " || $0 == "\t" }
    }
}
