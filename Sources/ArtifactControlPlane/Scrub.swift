import ArtifactDataPlane
import ArtifactIdentity
import Foundation
import SQLKit

/// One stored blob whose bytes no longer match their address.
public struct ScrubFinding: Sendable, Hashable, Codable {
    public var address: ContentAddress
    public var backendID: String
    /// What the data plane found (both digests), or why the blob could not be read.
    public var mismatch: String
}

/// What one page of a scrub checked.
public struct ScrubReport: Sendable, Hashable {
    /// Blobs re-read and re-digested in this page.
    public var checked: Int
    /// Those whose bytes did not match, or could not be read.
    public var corrupted: [ScrubFinding]
    /// Pass back for the next page; `nil` when every live blob has been checked.
    public var nextCursor: String?
}

/// Re-reads live blobs through the data plane and reports those whose bytes no longer match
/// their address (bit rot, tampering, a lost object).
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
        for (address, backendID) in page {
            do {
                let result = try await controlPlane.dataPlane.verify(address, backendID: backendID)
                if !result.verified {
                    corrupted.append(ScrubFinding(address: address, backendID: backendID, mismatch: result.mismatch ?? "digest differs"))
                }
            } catch {
                corrupted.append(ScrubFinding(address: address, backendID: backendID, mismatch: "\(error.code): \(error.message)"))
            }
        }
        let next = rows.count > limit ? page.last.map { PageRequest.cursor(for: [$0.0.description]) } : nil
        return ScrubReport(checked: page.count, corrupted: corrupted, nextCursor: next)
    }
}

extension ControlPlane {
    public var scrub: Scrub { Scrub(controlPlane: self) }
}
