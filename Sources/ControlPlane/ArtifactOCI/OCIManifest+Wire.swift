import Foundation
import NIOCore

/// The fields of a manifest the registry reads, read leniently so that ``OCIManifest`` can say
/// which field is wrong.
///
/// Read by ``ManifestJSONScanner`` straight from the body's bytes: neither `JSONSerialization`'s
/// tree of boxed values (about 5 KiB per descriptor) nor `JSONDecoder`'s map of every token is
/// built, and a descriptor keeps its digest and size (its media type is shared with the previous
/// descriptor's when equal, as layers' nearly always are). Unknown fields are ignored, as the OCI
/// image spec requires; a field of the wrong type reads as absent here and is refused by the
/// caller with the field's name; of duplicate keys the first counts.
extension OCIManifest {
    struct Wire: Equatable {
        var schemaVersion: Int?
        var mediaType: String?
        /// `mediaType` is present but not a string.
        var mediaTypeIsMalformed = false
        var config: Descriptor?
        var layers: [Descriptor]?
        var manifests: [Descriptor]?
        /// A `manifests` key is present (an index, when nothing else says which).
        var hasManifestsKey = false
        var subject: Descriptor?
        var artifactType: String?
        var annotations: [String: String]?
        /// `annotations` is present but not an object of strings.
        var annotationsAreMalformed = false

        /// A descriptor's fields; any of them absent when missing or of the wrong type, and
        /// ``isObject`` false when the value is not a JSON object at all.
        struct Descriptor: Equatable {
            var isObject = true
            var mediaType: String?
            var digest: String?
            var size: Int64?
        }
    }

    /// Reads `buffer` as a manifest's top-level object, checking all of it is JSON.
    /// - Throws: `MANIFEST_INVALID` when they are not JSON, or not a JSON object.
    static func decode(_ buffer: ByteBuffer) throws(OCIError) -> Wire {
        let result: Result<Wire?, ManifestJSONScanner.Malformed> = buffer.withUnsafeReadableBytes { raw in
            if let transcoded = Self.transcodedToUTF8(raw) {
                return transcoded.withUnsafeBytes { bytes in Result { () throws(ManifestJSONScanner.Malformed) in try Self.scan(bytes) } }
            }
            return Result { () throws(ManifestJSONScanner.Malformed) in try Self.scan(raw) }
        }
        let wire: Wire
        switch result {
        case .success(let read?): wire = read
        case .success(nil): throw OCIError(.manifestInvalid, "manifest is not a JSON object")
        case .failure(let error):
            throw OCIError(.manifestInvalid, "manifest is not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        if wire.mediaTypeIsMalformed {
            throw OCIError(.manifestInvalid, "manifest mediaType must be a string")
        }
        if wire.annotationsAreMalformed {
            throw OCIError(.manifestInvalid, "annotations must be an object of strings")
        }
        return wire
    }

    private static let wireKeys: Set<String> = [
        "schemaVersion", "mediaType", "config", "subject", "layers", "manifests", "artifactType", "annotations",
    ]

    /// The manifest's fields, or `nil` when the document is JSON but not an object.
    private static func scan(_ bytes: UnsafeRawBufferPointer) throws(ManifestJSONScanner.Malformed) -> Wire? {
        var scanner = ManifestJSONScanner(bytes)
        guard scanner.peekToken() == UInt8(ascii: "{") else {
            // `null` alone was refused as not JSON, any other value as not an object.
            let isNull = try scanner.skipNull()
            if !isNull { try scanner.skipValue() }
            try scanner.expectEnd()
            if isNull { throw ManifestJSONScanner.Malformed(reason: "the document is null", offset: 0) }
            return nil
        }
        var wire = Wire()
        // Known keys met so far: of duplicates the first counts.
        var seen: Set<String> = []
        // The previous descriptor's media type, reused when the next one's is the same.
        var lastMediaType: String?
        try scanner.readObject { scanner, key throws(ManifestJSONScanner.Malformed) in
            guard !Self.wireKeys.contains(key) || seen.insert(key).inserted else { return try scanner.skipValue() }
            switch key {
            case "schemaVersion": wire.schemaVersion = try scanner.readInteger(Int.self)
            case "mediaType":
                wire.mediaType = try scanner.readStringIfString()
                wire.mediaTypeIsMalformed = wire.mediaType == nil
            case "config": wire.config = try Self.descriptorIfPresent(&scanner, &lastMediaType)
            case "subject": wire.subject = try Self.descriptorIfPresent(&scanner, &lastMediaType)
            case "layers": wire.layers = try Self.descriptorsIfArray(&scanner, &lastMediaType)
            case "manifests":
                wire.hasManifestsKey = true
                wire.manifests = try Self.descriptorsIfArray(&scanner, &lastMediaType)
            case "artifactType": wire.artifactType = try scanner.readStringIfString()
            case "annotations":
                wire.annotations = try Self.stringsIfObject(&scanner)
                wire.annotationsAreMalformed = wire.annotations == nil
            default: try scanner.skipValue()
            }
        }
        try scanner.expectEnd()
        return wire
    }

    /// A descriptor, `nil` for `null`; a non-object reads as a descriptor that is not one.
    private static func descriptorIfPresent(
        _ scanner: inout ManifestJSONScanner,
        _ lastMediaType: inout String?
    ) throws(ManifestJSONScanner.Malformed) -> Wire.Descriptor? {
        if try scanner.skipNull() { return nil }
        return try descriptor(&scanner, &lastMediaType)
    }

    private static func descriptor(
        _ scanner: inout ManifestJSONScanner,
        _ lastMediaType: inout String?
    ) throws(ManifestJSONScanner.Malformed) -> Wire.Descriptor {
        guard scanner.peekToken() == UInt8(ascii: "{") else {
            try scanner.skipValue()
            return Wire.Descriptor(isObject: false)
        }
        var descriptor = Wire.Descriptor()
        var seen: (mediaType: Bool, digest: Bool, size: Bool) = (false, false, false)
        try scanner.readObject { scanner, key throws(ManifestJSONScanner.Malformed) in
            switch key {
            case "mediaType" where !seen.mediaType:
                seen.mediaType = true
                let mediaType = try scanner.readStringIfString()
                if let mediaType, mediaType == lastMediaType {
                    descriptor.mediaType = lastMediaType
                } else {
                    descriptor.mediaType = mediaType
                    if mediaType != nil { lastMediaType = mediaType }
                }
            case "digest" where !seen.digest:
                seen.digest = true
                descriptor.digest = try scanner.readStringIfString()
            case "size" where !seen.size:
                seen.size = true
                descriptor.size = try scanner.readInteger(Int64.self)
            default: try scanner.skipValue()
            }
        }
        return descriptor
    }

    /// The descriptors of an array; `nil` (the value consumed) for anything else.
    private static func descriptorsIfArray(
        _ scanner: inout ManifestJSONScanner,
        _ lastMediaType: inout String?
    ) throws(ManifestJSONScanner.Malformed) -> [Wire.Descriptor]? {
        guard scanner.peekToken() == UInt8(ascii: "[") else {
            try scanner.skipValue()
            return nil
        }
        var descriptors: [Wire.Descriptor] = []
        try scanner.readArray { scanner throws(ManifestJSONScanner.Malformed) in
            descriptors.append(try descriptor(&scanner, &lastMediaType))
        }
        return descriptors
    }

    /// An object of strings (the first of duplicate keys counts); `nil` (the value consumed)
    /// for anything else.
    private static func stringsIfObject(_ scanner: inout ManifestJSONScanner) throws(ManifestJSONScanner.Malformed) -> [String: String]? {
        guard scanner.peekToken() == UInt8(ascii: "{") else {
            try scanner.skipValue()
            return nil
        }
        var strings: [String: String] = [:]
        var allStrings = true
        try scanner.readObject { scanner, key throws(ManifestJSONScanner.Malformed) in
            // A later duplicate's value is not looked at, whatever its type.
            guard allStrings, strings[key] == nil else { return try scanner.skipValue() }
            if let value = try scanner.readStringIfString() {
                strings[key] = value
            } else {
                allStrings = false
            }
        }
        return allStrings ? strings : nil
    }

    /// `bytes` as UTF-8 when they are JSON in UTF-16 or UTF-32 (RFC 4627's detection by the
    /// first bytes' zeros, or a byte-order mark), as `JSONDecoder` read them; `nil` for UTF-8.
    /// Such manifests are rare: they are copied once, transcoded.
    private static func transcodedToUTF8(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count >= 2 else { return nil }
        let b = (0..<4).map { $0 < bytes.count ? bytes[$0] : 0xFF }
        if bytes.count >= 4 {
            if b[0] == 0 && b[1] == 0 && (b[2] == 0xFE && b[3] == 0xFF || b[2] == 0 && b[3] != 0) {
                return transcode(bytes, as: UTF32.self, bigEndian: true)
            }
            // `FF FE 00 00` is UTF-16's byte-order mark and a NUL, as the decoder read it.
            if b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 {
                return transcode(bytes, as: UTF32.self, bigEndian: false)
            }
        }
        if b[0] == 0xFE && b[1] == 0xFF || b[0] == 0 && b[1] != 0 { return transcode(bytes, as: UTF16.self, bigEndian: true) }
        if b[0] == 0xFF && b[1] == 0xFE || b[0] != 0 && b[1] == 0 { return transcode(bytes, as: UTF16.self, bigEndian: false) }
        return nil
    }

    private static func transcode<Codec: UnicodeCodec>(
        _ bytes: UnsafeRawBufferPointer,
        as _: Codec.Type,
        bigEndian: Bool
    ) -> [UInt8] where Codec.CodeUnit: FixedWidthInteger {
        let width = MemoryLayout<Codec.CodeUnit>.size
        let units = stride(from: 0, to: bytes.count - width + 1, by: width).map { offset in
            (0..<width).reduce(Codec.CodeUnit(0)) { unit, byte in
                unit | Codec.CodeUnit(bytes[offset + (bigEndian ? width - 1 - byte : byte)]) << (8 * byte)
            }
        }
        var text = String(decoding: units, as: Codec.self)
        // The byte-order mark, if any, is not part of the document.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        return Array(text.utf8)
    }

    /// `annotations` as compact JSON with sorted keys, the form the referrers API returns.
    static func compactJSON(_ annotations: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a dictionary of strings cannot fail.
        return String(decoding: (try? encoder.encode(annotations)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
