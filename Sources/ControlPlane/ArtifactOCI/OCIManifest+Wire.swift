import Foundation
import NIOCore

/// The fields of a manifest the registry reads, decoded leniently so that ``OCIManifest`` can
/// say which field is wrong.
///
/// Exists instead of `JSONSerialization`, whose tree of boxed values cost about 5 KiB of memory
/// per descriptor: a 1.5 MB manifest of 9,998 layers raised a server's peak RSS by 48 MiB
/// (and 4 MB of 26,000 layers, refused, by 95 MiB). Decoding into these structs keeps two
/// strings and a number per descriptor. Unknown fields are ignored, as the OCI image spec
/// requires; a field of the wrong type reads as absent here and is refused by the caller with
/// the field's name.
extension OCIManifest {
    struct Wire: Decodable {
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

        enum CodingKeys: String, CodingKey {
            case schemaVersion, mediaType, config, layers, manifests, subject, artifactType, annotations
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            schemaVersion = try? container.decodeIfPresent(Int.self, forKey: .schemaVersion)
            if container.contains(.mediaType) {
                mediaType = try? container.decode(String.self, forKey: .mediaType)
                mediaTypeIsMalformed = mediaType == nil
            }
            config = try? container.decodeIfPresent(Descriptor.self, forKey: .config)
            layers = try? container.decodeIfPresent([Descriptor].self, forKey: .layers)
            hasManifestsKey = container.contains(.manifests)
            manifests = try? container.decodeIfPresent([Descriptor].self, forKey: .manifests)
            subject = try? container.decodeIfPresent(Descriptor.self, forKey: .subject)
            artifactType = try? container.decodeIfPresent(String.self, forKey: .artifactType)
            if container.contains(.annotations) {
                annotations = try? container.decode([String: String].self, forKey: .annotations)
                annotationsAreMalformed = annotations == nil
            }
        }

        /// A descriptor's fields; any of them absent when missing or of the wrong type, and
        /// ``isObject`` false when the value is not a JSON object at all.
        struct Descriptor: Decodable {
            var isObject = true
            var mediaType: String?
            var digest: String?
            var size: Int64?

            enum CodingKeys: String, CodingKey {
                case mediaType, digest, size
            }

            init(from decoder: any Decoder) throws {
                guard let container = try? decoder.container(keyedBy: CodingKeys.self) else {
                    isObject = false
                    return
                }
                mediaType = try? container.decodeIfPresent(String.self, forKey: .mediaType)
                digest = try? container.decodeIfPresent(String.self, forKey: .digest)
                size = try? container.decodeIfPresent(Int64.self, forKey: .size)
            }
        }
    }

    /// Decodes `bytes` as a manifest's top-level object.
    /// - Throws: `MANIFEST_INVALID` when they are not JSON, or not a JSON object.
    static func decode(_ buffer: ByteBuffer) throws(OCIError) -> Wire {
        let wire: Wire
        do {
            // Decoded in place: `Data` borrows the buffer's bytes for the decode, no copy.
            wire = try buffer.withUnsafeReadableBytes { raw in
                guard let base = raw.baseAddress, raw.count > 0 else { return try JSONDecoder().decode(Wire.self, from: Data()) }
                let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
                return try JSONDecoder().decode(Wire.self, from: data)
            }
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw OCIError(.manifestInvalid, "manifest is not a JSON object")
        } catch {
            throw OCIError(.manifestInvalid, "manifest is not valid JSON", underlying: error)
        }
        if wire.mediaTypeIsMalformed {
            throw OCIError(.manifestInvalid, "manifest mediaType must be a string")
        }
        if wire.annotationsAreMalformed {
            throw OCIError(.manifestInvalid, "annotations must be an object of strings")
        }
        return wire
    }

    /// `annotations` as compact JSON with sorted keys, the form the referrers API returns.
    static func compactJSON(_ annotations: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a dictionary of strings cannot fail.
        return String(decoding: (try? encoder.encode(annotations)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
