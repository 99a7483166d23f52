import Logging
import PostgresKit
public import SQLKit
import SQLiteKit
import Synchronization

/// Changes to the database, heard across processes: PostgreSQL `LISTEN`/`NOTIFY`, and on an
/// SQLite file, `PRAGMA data_version` polled on the writer.
extension MetadataStore {
    /// How often the SQLite writer asks whether another process wrote to the file.
    public static let foreignWritePollInterval: Duration = .seconds(1)

    /// Calls `subscriber` with every ``MetadataChange`` from now on, in the order heard.
    ///
    /// - ``MetadataChange/published(_:)``: on PostgreSQL, for every message a committed
    ///   transaction of any process sharing the database (and schema) published, this one's
    ///   included, shortly after the commit. On SQLite never (one process: the publisher acts
    ///   on its own change).
    /// - ``MetadataChange/undescribed``: on an SQLite file, within ``foreignWritePollInterval``
    ///   of another process (or another store on the same file) committing a write.
    /// - ``MetadataChange/lost`` / ``MetadataChange/resumed``: on PostgreSQL, when the
    ///   notification connection drops and when it listens again. A subscriber that arrives
    ///   while it is down is told `lost` at once.
    ///
    /// `subscriber` runs under the feed's lock: it must be quick and must not call back into
    /// the store.
    public func subscribe(_ subscriber: @escaping @Sendable (MetadataChange) -> Void) {
        changes.subscribe(subscriber)
    }

    /// Whether changes made by other processes are heard right now (always on SQLite).
    public var hearsChanges: Bool { changes.isHeard }

    /// Publishes `message` to every process's subscribers when the transaction `db` belongs to
    /// commits (PostgreSQL `pg_notify`, transactional: a rolled-back or re-run attempt publishes
    /// nothing). On SQLite it does nothing: other processes learn of the write by polling.
    public func publish(_ message: String, in db: any SQLDatabase) async throws {
        guard engine == .postgres else { return }
        try await db.raw("SELECT pg_notify(\(bind: changeChannel), \(bind: message))").run()
    }

    /// The notification channel of this database and schema.
    static func changeChannel(_ location: MetadataLocation) -> String {
        "artifactstore_changes_" + String(UInt64(bitPattern: advisoryLockKey("changes", location: location)), radix: 16)
    }

    /// Asks the SQLite writer whether another connection wrote since the last time, and tells
    /// the subscribers ``MetadataChange/undescribed`` if so. The poller calls it every
    /// ``foreignWritePollInterval``; tests call it directly instead of waiting.
    public func checkForForeignWrites() async {
        guard case .sqlite(let writer, let group, _, _) = self.connection, case .sqliteFile = location, !isClosedNow else { return }
        let version = try? await group.withTurn {
            try await writer.raw("PRAGMA data_version").first()?.decode(column: "data_version", as: Int64.self)
        }
        guard let version else { return }
        let changed = lastDataVersion.withLock { last in
            defer { last = version }
            return last != nil && last != version
        }
        if changed { changes.deliver(.undescribed) }
    }

    /// The poller of an SQLite file: runs until cancelled (by ``close()``).
    func pollForeignWrites() async {
        await checkForForeignWrites()
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.foreignWritePollInterval)
            } catch {
                return
            }
            await checkForForeignWrites()
        }
    }

    /// The listener of a PostgreSQL database: one connection of the pool, held for as long as it
    /// LISTENs on ``changeChannel(_:)``, reconnecting (100 ms, doubling to 2 s) until cancelled.
    /// Every drop is told as ``MetadataChange/lost``, every successful LISTEN as
    /// ``MetadataChange/resumed``.
    static func listenForChanges(_ client: PostgresClient, channel: String, feed: MetadataChangeFeed, logger: Logger) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            let listened = Mutex(false)
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        listened.withLock { $0 = true }
                        feed.deliver(.resumed)
                        for try await notification in notifications {
                            feed.deliver(.published(notification.payload))
                        }
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning(
                        "not hearing the database's change notifications; caches are off until they are back",
                        metadata: ["error": "\(String(reflecting: error))"]
                    )
                }
            }
            feed.deliver(.lost)
            if listened.withLock({ $0 }) { delay = .milliseconds(100) }
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            delay = min(delay * 2, .seconds(2))
        }
    }
}
