public import ArtifactStorage
import Foundation
import Logging
public import ServiceLifecycle

extension LocalDataPlane {
    /// A new ingest temporary: `tmp/ingest/<writer>_<uuid>`, the writer being this process
    /// (``StorageWriterIdentity/token``), so any process sharing the backend can tell whose it is.
    static func temporaryPath() -> StoragePath {
        // A writer token and a lower-case UUID are letters, digits and `-`: always a valid segment.
        try! StoragePath(temporaryDirectory + "/" + StorageWriterIdentity.current.token + "_" + UUID().uuidString.lowercased())
    }

    /// The writer token of an ingest temporary's name, or `nil` for a name without one.
    static func writer(ofTemporary name: Substring) -> String? {
        name.firstIndex(of: "_").map { String(name[..<$0]) }
    }

    /// Removes, in every backend that can be reached, what interrupted ingests left behind and
    /// `rule` allows removing: ingest temporaries under `tmp/ingest/`, and what the backend
    /// itself keeps of interrupted writes (partial files, incomplete multipart uploads). Returns
    /// how many were removed. Safe while other processes share the backends: this process's own
    /// ingests are never touched, and another's only when provably dead or still for
    /// `rule.minimumAge` (``AbandonedTemporaryRule``).
    public func removeAbandonedTemporaries(_ rule: AbandonedTemporaryRule = AbandonedTemporaryRule()) async -> Int {
        let directory = try! StoragePath(Self.temporaryDirectory)
        var total = 0
        for configured in backends {
            guard let (backendID, backend) = try? await backend(for: configured.id) else { continue }
            var removed = 0
            do {
                removed += try await backend.removeAbandonedTemporaries(rule)
            } catch {
                logger.warning(
                    "could not clean up interrupted writes",
                    metadata: ["dataplane.backend": "\(backendID)", "error": "\(error.message)"]
                )
            }
            let now = Date().timeIntervalSince1970
            var cursor: String?
            repeat {
                guard let page = try? await backend.list(under: directory, recursive: true, limit: 1000, cursor: cursor) else { break }
                for entry in page.entries where entry.kind == .object {
                    let name = entry.path.string.split(separator: "/").last ?? ""
                    guard
                        rule.allowsRemoving(
                            writer: Self.writer(ofTemporary: name),
                            modifiedAt: entry.modified?.timeIntervalSince1970,
                            now: now
                        )
                    else { continue }
                    if (try? await backend.delete(entry.path)) != nil { removed += 1 }
                }
                cursor = page.nextCursor
            } while cursor != nil
            if removed > 0 {
                logger.notice(
                    "removed abandoned ingest temporaries",
                    metadata: ["dataplane.backend": "\(backendID)", "dataplane.removed": "\(removed)"]
                )
            }
            total += removed
        }
        return total
    }

    /// A service that runs ``removeAbandonedTemporaries(_:)`` when it starts and then every
    /// `interval` of `clock`, until graceful shutdown: what `serve` and the data-plane daemon run,
    /// so a crash on any node sharing the backends is cleaned up without an operator.
    public func temporarySweepService<C: Clock<Duration>>(
        rule: AbandonedTemporaryRule = AbandonedTemporaryRule(),
        interval: Duration = .seconds(900),
        clock: C = ContinuousClock()
    ) -> some Service {
        TemporarySweepService(dataPlane: self, rule: rule, interval: interval, clock: clock)
    }
}

/// See ``LocalDataPlane/temporarySweepService(rule:interval:clock:)``.
struct TemporarySweepService<C: Clock<Duration>>: Service {
    let dataPlane: LocalDataPlane
    let rule: AbandonedTemporaryRule
    let interval: Duration
    let clock: C

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            _ = await dataPlane.removeAbandonedTemporaries(rule)
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
        }
    }
}
