/// The decoding loop behind ``CBORDecoder``: a cursor over the input and the running totals the
/// limits are checked against.
///
/// Recursion depth is bounded by ``CBORLimits/maximumDepth`` (itself at most
/// ``CBORLimits/supportedMaximumDepth``), every length is compared with the bytes left before
/// anything is allocated, and all arithmetic on untrusted numbers is done in `UInt64` after
/// range checks, so no input can trap.
struct CBORReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    let limits: CBORLimits
    let rejectDuplicateKeys: Bool
    private var itemCount = 0
    /// The first validity error (invalid UTF-8, duplicate key). Well-formedness errors found later
    /// in the input take precedence, as RFC 8949 Appendix F expects, so these are held back until
    /// the whole item has been read.
    private(set) var deferredError: CBORError?

    init(_ bytes: UnsafeRawBufferPointer, limits: CBORLimits, rejectDuplicateKeys: Bool) {
        self.bytes = bytes
        self.limits = limits
        self.rejectDuplicateKeys = rejectDuplicateKeys
    }

    private var remaining: Int { bytes.count - offset }

    /// An item's initial byte and argument.
    private struct Head {
        let start: Int
        let major: UInt8
        let additional: UInt8
        /// The argument; 0 when `additional` is 31 (indefinite length or break).
        let argument: UInt64
        var isIndefinite: Bool { additional == 31 }
    }

    private static let majorNames = [
        "unsigned integer", "negative integer", "byte string", "text string",
        "array", "map", "tag", "simple value or float",
    ]

    private func peekByte() throws(CBORError) -> UInt8 {
        guard offset < bytes.count else {
            throw CBORError(.truncated, at: offset, "input ends where a data item or break code was expected")
        }
        return bytes[offset]
    }

    private mutating func readHead() throws(CBORError) -> Head {
        let start = offset
        let initial = try peekByte()
        offset += 1
        let major = initial >> 5
        let additional = initial & 0x1F
        let argument: UInt64
        switch additional {
        case 0..<24:
            argument = UInt64(additional)
        case 24, 25, 26, 27:
            let count = 1 << Int(additional - 24)
            guard remaining >= count else {
                throw CBORError(
                    .truncated,
                    at: start,
                    "input ends inside the head of a \(Self.majorNames[Int(major)]) "
                        + "(initial byte 0x\(String(initial, radix: 16)) needs \(count) more bytes, \(remaining) left)"
                )
            }
            var value: UInt64 = 0
            for index in 0..<count { value = value << 8 | UInt64(bytes[offset + index]) }
            offset += count
            argument = value
        case 31:
            argument = 0
        default:
            throw CBORError(
                .malformed,
                at: start,
                "reserved additional information \(additional) "
                    + "in initial byte 0x\(String(initial, radix: 16))"
            )
        }
        return Head(start: start, major: major, additional: additional, argument: argument)
    }

    private mutating func countItem(at start: Int) throws(CBORError) {
        itemCount += 1
        if itemCount > limits.maximumItemCount {
            throw CBORError(
                .itemCountLimitExceeded,
                at: start,
                "more than \(limits.maximumItemCount) data items in the input"
            )
        }
    }

    /// Checks a definite string length against the input left and the limit; returns it as Int.
    private func checkedStringLength(_ head: Head, alreadyRead: Int = 0) throws(CBORError) -> Int {
        let kind = head.major == 2 ? "byte string" : "text string"
        guard head.argument <= UInt64(remaining) else {
            throw CBORError(
                .truncated,
                at: head.start,
                "\(kind) of \(head.argument) bytes but only \(remaining) bytes left in the input"
            )
        }
        let length = Int(head.argument)
        guard length <= limits.maximumLength - alreadyRead else {
            throw CBORError(
                .lengthLimitExceeded,
                at: head.start,
                "\(kind) of \(alreadyRead + length) bytes is longer than the limit of \(limits.maximumLength)"
            )
        }
        return length
    }

    /// Checks a definite array or map size against the limit. A size beyond the limit that also
    /// cannot fit in the input (each element takes at least one byte) is reported as truncation.
    /// Sizes within the limit are not checked against the input here: the elements are read and
    /// a short input shows up as truncation, or as the syntax error it really is (`a1ff`).
    private func checkedCount(_ head: Head, bytesPerElement: UInt64) throws(CBORError) -> Int {
        let kind = head.major == 4 ? "array" : "map"
        guard head.argument <= UInt64(limits.maximumLength) else {
            if head.argument > UInt64(remaining) / bytesPerElement {
                throw CBORError(
                    .truncated,
                    at: head.start,
                    "\(kind) of \(head.argument) "
                        + (head.major == 4 ? "elements" : "pairs") + " cannot fit in the \(remaining) bytes left"
                )
            }
            throw CBORError(
                .lengthLimitExceeded,
                at: head.start,
                "\(kind) of \(head.argument) "
                    + (head.major == 4 ? "elements" : "pairs") + " is longer than the limit of \(limits.maximumLength)"
            )
        }
        return Int(head.argument)
    }

    private mutating func take(_ length: Int) -> UnsafeRawBufferPointer {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        return slice
    }

    private mutating func text(_ raw: UnsafeRawBufferPointer, at start: Int) -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            if deferredError == nil { deferredError = CBORError(.invalidUTF8, at: start, "text string is not valid UTF-8") }
            return ""
        }
        return text
    }

    /// Reads one complete data item at `depth` (the top level is 1).
    mutating func readItem(depth: Int) throws(CBORError) -> CBORValue {
        if depth > limits.maximumDepth {
            throw CBORError(
                .depthLimitExceeded,
                at: offset,
                "arrays, maps and tags nest deeper than the limit of \(limits.maximumDepth)"
            )
        }
        let head = try readHead()
        try countItem(at: head.start)
        switch head.major {
        case 0, 1:
            guard !head.isIndefinite else {
                throw CBORError(.malformed, at: head.start, "additional information 31 on an integer")
            }
            return head.major == 0 ? .unsigned(head.argument) : .negative(head.argument)

        case 2:
            if head.isIndefinite {
                var collected: [UInt8] = []
                try readChunks(of: head) { (chunk, _) throws(CBORError) in collected.append(contentsOf: chunk) }
                return .byteString(collected)
            }
            let length = try checkedStringLength(head)
            return .byteString(Array(take(length)))

        case 3:
            if head.isIndefinite {
                var chunks: [(UnsafeRawBufferPointer, Int)] = []
                try readChunks(of: head) { (chunk, start) throws(CBORError) in chunks.append((chunk, start)) }
                var collected = ""
                for (chunk, start) in chunks { collected += text(chunk, at: start) }
                return .textString(collected)
            }
            let length = try checkedStringLength(head)
            return .textString(text(take(length), at: head.start))

        case 4:
            var items: [CBORValue] = []
            if head.isIndefinite {
                while try peekByte() != 0xFF {
                    guard items.count < limits.maximumLength else {
                        throw CBORError(
                            .lengthLimitExceeded,
                            at: head.start,
                            "indefinite-length array longer than the limit of \(limits.maximumLength)"
                        )
                    }
                    items.append(try readItem(depth: depth + 1))
                }
                offset += 1
            } else {
                let count = try checkedCount(head, bytesPerElement: 1)
                items.reserveCapacity(min(count, remaining))
                for _ in 0..<count { items.append(try readItem(depth: depth + 1)) }
            }
            return .array(items)

        case 5:
            var entries: [CBORValue.MapEntry] = []
            var seen = Set<CBORValue>()
            if head.isIndefinite {
                while try peekByte() != 0xFF {
                    guard entries.count < limits.maximumLength else {
                        throw CBORError(
                            .lengthLimitExceeded,
                            at: head.start,
                            "indefinite-length map longer than the limit of \(limits.maximumLength)"
                        )
                    }
                    entries.append(try readEntry(depth: depth, seen: &seen))
                }
                offset += 1
            } else {
                let count = try checkedCount(head, bytesPerElement: 2)
                entries.reserveCapacity(min(count, remaining / 2))
                for _ in 0..<count { entries.append(try readEntry(depth: depth, seen: &seen)) }
            }
            return .map(entries)

        case 6:
            guard !head.isIndefinite else {
                throw CBORError(.malformed, at: head.start, "additional information 31 on a tag")
            }
            return .tagged(head.argument, try readItem(depth: depth + 1))

        default:
            switch head.additional {
            case 0..<20: return .simple(head.additional)
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 24:
                guard head.argument >= 32 else {
                    throw CBORError(
                        .malformed,
                        at: head.start,
                        "two-byte simple value \(head.argument) (values below 32 must use the one-byte form)"
                    )
                }
                return .simple(UInt8(head.argument))
            case 25: return .float(HalfFloat.double(fromBits: UInt16(head.argument)))
            case 26: return .float(Double(Float(bitPattern: UInt32(head.argument))))
            case 27: return .float(Double(bitPattern: head.argument))
            default:
                throw CBORError(.malformed, at: head.start, "break code (0xff) outside an indefinite-length item")
            }
        }
    }

    private mutating func readEntry(depth: Int, seen: inout Set<CBORValue>) throws(CBORError) -> CBORValue.MapEntry {
        let keyStart = offset
        let key = try readItem(depth: depth + 1)
        if try peekByte() == 0xFF {
            throw CBORError(.malformed, at: offset, "break code in the value position of a map (odd number of items)")
        }
        let value = try readItem(depth: depth + 1)
        if rejectDuplicateKeys, deferredError == nil, !seen.insert(key).inserted {
            deferredError = CBORError(.duplicateMapKey, at: keyStart, "map has the key \(Self.abbreviated(key)) more than once")
        }
        return CBORValue.MapEntry(key, value)
    }

    /// The chunks of an indefinite-length string, each a definite string of the same major type.
    private mutating func readChunks(
        of head: Head,
        _ body: (UnsafeRawBufferPointer, Int) throws(CBORError) -> Void
    ) throws(CBORError) {
        var total = 0
        while try peekByte() != 0xFF {
            let chunk = try readHead()
            guard chunk.major == head.major, !chunk.isIndefinite else {
                throw CBORError(
                    .malformed,
                    at: chunk.start,
                    "chunk of an indefinite-length "
                        + "\(Self.majorNames[Int(head.major)]) is not a definite-length \(Self.majorNames[Int(head.major)])"
                )
            }
            try countItem(at: chunk.start)
            let length = try checkedStringLength(chunk, alreadyRead: total)
            total += length
            try body(take(length), chunk.start)
        }
        offset += 1
    }

    /// A key for an error message, cut short without first printing all of a large key.
    static func abbreviated(_ value: CBORValue) -> String {
        let text: String
        switch value {
        case .byteString(let bytes) where bytes.count > 32:
            text = CBORValue.byteString(Array(bytes.prefix(32))).description + "… (\(bytes.count) bytes)"
        case .textString(let string) where string.utf8.count > 80:
            text = CBORValue.textString(String(string.prefix(40))).description + "… (\(string.utf8.count) bytes)"
        case .array(let items) where items.count > 8:
            text = "array of \(items.count) elements"
        case .map(let entries) where entries.count > 8:
            text = "map of \(entries.count) pairs"
        case .tagged(let tag, let content):
            text = "\(tag)(\(abbreviated(content)))"
        default:
            text = value.description
        }
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}
