import ArtifactCBOR

/// libFuzzer entry point for the CBOR decoder (see docs/fuzzing.md).
///
/// Every input must decode to a value or fail with a `CBORError`; anything else (a trap, an
/// address-sanitizer report, a timeout, unbounded memory) is a finding. Accepted values must also
/// re-encode deterministically to a fixed point, and decoding them into a `Codable` struct must
/// not crash either.
@_cdecl("LLVMFuzzerTestOneInput")
public func cborFuzzerTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let strict = CBORDecoder()
    let lenient = CBORDecoder(duplicateKeys: .keepAll)
    let tight = CBORDecoder(limits: CBORLimits(maximumDepth: 4, maximumItemCount: 64, maximumLength: 32))
    _ = try? lenient.decode(input)
    _ = try? tight.decode(input)
    guard let value = try? strict.decode(input) else { return 0 }
    do {
        let encoded = try CBOREncoder().encode(value)
        let again = try CBOREncoder().encode(try strict.decode(encoded))
        if again != encoded {
            fatalError("deterministic encoding is not a fixed point for input \(Array(input))")
        }
    } catch {
        fatalError("a value the strict decoder accepted could not be re-encoded: \(error)")
    }
    _ = try? strict.decode(Frame.self, fromValue: value)
    return 0
}

/// A frame-like `Codable` shape, so the `Codable` decoder sees fuzzed input too.
struct Frame: Codable {
    enum Kind: String, Codable { case hello, chunk, end, error }
    var kind: Kind
    var id: UInt32
    var offset: Int64?
    var bytes: [UInt8]?
    var names: [String: Int]?
    var codes: [Int: String]?
    var nested: [Frame]?
    var ratio: Float?
}
