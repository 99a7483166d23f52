public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
public import ArtifactStoreAPI
import Foundation
import SQLKit

/// What one page of a scrub checked.
public struct ScrubReport: Sendable, Hashable {
    /// Blobs re-read and re-digested in this page.
    public var checked: Int
    /// Those whose bytes did not match, or could not be read, while their row still said `live`.
    public var corrupted: [ScrubFinding]
    /// Blobs listed as live that a garbage collection moved to `deleting` or `deleted` before
    /// they could be read: their bytes were meant to go, so they are neither checked nor reported.
    public var collected: Int
    /// `true` when a garbage collection (this process or another sharing the database) held its
    /// lock as the page ended: blobs may be leaving the store while it is scrubbed.
    public var garbageCollectionRunning: Bool
    /// Pass back for the next page; `nil` when every live blob has been checked.
    public var nextCursor: String?
}

/// Re-reads live blobs through the data plane and reports those whose bytes no longer match
/// their address (bit rot, tampering, a lost object).
///
/// Only blobs that should exist are judged: the listing takes `live` rows, and a blob that fails
/// its check is reported only if its row is still `live` afterwards. One that a garbage
/// collection doomed meanwhile (`deleting`, then `deleted`; GarbageCollector.swift) is counted
/// in ``ScrubReport/collected`` instead, so a scrub during a collection reports no false damage.
///
/// Exists so an operator (or a scheduled job) can prove the stored bytes, a page at a time, in
/// address order: each call verifies at most one page and returns a cursor, so a scrub of any
/// size is resumable and bounded in memory. It changes nothing; acting on a finding is a
/// decision for a person.
public struct Scrub: Sendable {
    let controlPlane: ControlPlane

    /// Verifies the next page of live blobs after `page.cursor`.
    ///
    /// - Throws: `invalidPageRequest` for a bad limit or cursor.
    public func run(page: PageRequest = .first()) async throws(ControlPlaneError) -> ScrubReport {
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let rows = try await controlPlane.query("listing blobs to scrub") { db in
            try await db.raw(
                "SELECT address, backend_id FROM blobs WHERE state = 'live' AND address > \(bind: after) ORDER BY address LIMIT \(literal: limit + 1)"
            ).all().map { (try Registry.address(try $0.string("address")), try $0.string("backend_id")) }
        }
        let page = Array(rows.prefix(limit))
        var corrupted: [ScrubFinding] = []
        var collected = 0
        for (address, backendID) in page {
            let mismatch: String
            do {
                let result = try await controlPlane.dataPlane.verify(address, backendID: backendID)
                if result.verified { continue }
                mismatch = result.mismatch ?? "digest differs"
            } catch {
                mismatch = "\(error.code): \(error.message)"
            }
            // A collection may have doomed the blob after it was listed, then deleted its bytes
            // (the row leaves `live` before the bytes go): only a blob still live is damaged.
            if try await isLive(address) {
                corrupted.append(ScrubFinding(address: address, backendID: backendID, mismatch: mismatch))
            } else {
                collected += 1
            }
        }
        let running: Bool
        do {
            running = try await controlPlane.store.isExclusiveLockHeld(named: "gc")
        } catch {
            throw ControlPlaneError.wrapping(error, "checking whether a garbage collection is running")
        }
        let next = rows.count > limit ? page.last.map { PageRequest.cursor(for: [$0.0.description]) } : nil
        return ScrubReport(
            checked: page.count - collected,
            corrupted: corrupted,
            collected: collected,
            garbageCollectionRunning: running,
            nextCursor: next
        )
    }

    /// Whether the blob's row still says `live` (re-read after a failed check).
    private func isLive(_ address: ContentAddress) async throws(ControlPlaneError) -> Bool {
        try await controlPlane.query("re-reading the state of a blob that failed its scrub") { db in
            try await db.raw("SELECT 1 AS live FROM blobs WHERE address = \(bind: address.description) AND state = 'live'").first() != nil
        }
    }
}

extension ControlPlane {
    public var scrub: Scrub { Scrub(controlPlane: self) }
}
