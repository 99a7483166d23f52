import ArtifactCBOR
import Foundation
import Testing

/// Random and mutated inputs: the decoder must return a value or a ``CBORError``, never crash,
/// and whatever it accepts must survive a deterministic re-encoding unchanged.
@Suite("Hostile input fuzzing", .timeLimit(.minutes(5)))
struct FuzzTests {
    static func seeds() throws -> [[UInt8]] {
        var seeds = try #require(TestSupport.loadJSON("appendix_a.json").array).map { TestSupport.bytes(hex: $0["hex"]!.string!) }
        var random = RandomValues(seed: 7)
        for _ in 0..<200 { seeds.append(try CBOREncoder().encode(random.value())) }
        seeds.append(try CBOREncoder().encode(CodableTests.receipt))
        return seeds
    }

    static func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !bytes.isEmpty:
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 2:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            case 4 where !bytes.isEmpty:
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
            default:
                // A hostile head: a length or count near the top of its range.
                let heads: [[UInt8]] = [
                    [0x5B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                    [0xBA, 0xFF, 0xFF, 0xFF, 0xFF], [0x7A, 0x00, 0x10, 0x00, 0x00], [0x9F], [0xBF], [0x5F], [0xFF], [0xF8, 0x10],
                ]
                bytes.insert(contentsOf: heads.randomElement(using: &rng)!, at: Int.random(in: 0...bytes.count, using: &rng))
            }
        }
        return bytes
    }

    @Test("20,000 random and mutated inputs give values or typed errors, and accepted values re-encode stably")
    func fuzz() throws {
        let seeds = try Self.seeds()
        var rng = SplitMix64(seed: 20_000)
        var accepted = 0
        var kinds: [CBORError.Kind: Int] = [:]
        let decoders = [
            CBORDecoder(), CBORDecoder(duplicateKeys: .keepAll),
            CBORDecoder(limits: CBORLimits(maximumDepth: 4, maximumItemCount: 50, maximumLength: 16)),
        ]
        for iteration in 0..<20_000 {
            let input: [UInt8]
            if iteration % 4 == 0 {
                input = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = Self.mutate(seeds.randomElement(using: &rng)!, using: &rng)
            }
            let decoder = decoders[iteration % decoders.count]
            do {
                let value = try decoder.decode(input)
                accepted += 1
                if decoder.duplicateKeys == .reject {
                    let encoded = try CBOREncoder().encode(value)
                    #expect(try CBORDecoder().decode(encoded) == value.sortedMaps(), "\(TestSupport.hex(input))")
                }
                do {
                    let receipt = try CBORDecoder().decode(CodableTests.Receipt.self, fromValue: value)
                    #expect(try CBORDecoder().decode(CodableTests.Receipt.self, from: CBOREncoder().encode(receipt)) == receipt)
                } catch {
                    #expect(!error.message.isEmpty, "\(TestSupport.hex(input))")
                }
            } catch {
                kinds[error.kind, default: 0] += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(accepted > 500)
        #expect(kinds[.truncated, default: 0] > 0 && kinds[.malformed, default: 0] > 0)
        print(
            "fuzz: \(accepted) accepted, errors: \(kinds.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))"
        )
    }

    @Test("mutated encodings of a Codable struct decode to a value that re-encodes stably, or fail with a described CBORError")
    func codableFuzz() throws {
        let original = try CBOREncoder().encode(CodableTests.receipt)
        var rng = SplitMix64(seed: 99)
        var decoded = 0
        var kinds: [CBORError.Kind: Int] = [:]
        for _ in 0..<3_000 {
            let input = Self.mutate(original, using: &rng)
            do {
                let receipt = try CBORDecoder().decode(CodableTests.Receipt.self, from: input)
                decoded += 1
                let again = try CBORDecoder().decode(CodableTests.Receipt.self, from: CBOREncoder().encode(receipt))
                #expect(again == receipt, "\(TestSupport.hex(input))")
            } catch {
                kinds[error.kind, default: 0] += 1
                #expect(!error.message.isEmpty, "\(TestSupport.hex(input))")
            }
        }
        // Both outcomes happen: some mutations keep a valid receipt, and the refusals include
        // the syntax errors and the Codable ones (a field of the wrong type or missing).
        #expect(decoded > 0)
        #expect(kinds[.truncated, default: 0] + kinds[.malformed, default: 0] > 0)
        #expect(kinds[.typeMismatch, default: 0] + kinds[.keyNotFound, default: 0] + kinds[.dataCorrupted, default: 0] > 0, "\(kinds)")
    }
}
