public import ArtifactStoreCore
import Foundation
import NIOCore

/// Reads a stream to its end and counts its bytes, off the main actor.
///
/// A benchmark's top-level code runs on the main actor, and awaiting each chunk there would add
/// two thread hops per chunk that no server pays (a server's request handler is not on the main
/// actor): measured, that alone took a serve from 1.12x to 0.41x `cat`. `@concurrent`, because with
/// NonisolatedNonsendingByDefault (SE-0461) a plain nonisolated async function runs on its caller's
/// actor: the main one here.
@concurrent public func drain(_ stream: ByteStream) async throws -> UInt64 {
    var count: UInt64 = 0
    for try await chunk in stream { count += UInt64(chunk.readableBytes) }
    return count
}

extension Duration {
    /// The duration in seconds, for `key=value` output.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Timings as the bench scripts parse them: comma-separated seconds with four decimals.
public func formatSeconds(_ values: [Double]) -> String {
    values.map { String(format: "%.4f", $0) }.joined(separator: ",")
}
