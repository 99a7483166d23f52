import Foundation

/// Where the metadata lives: an SQLite file (the default), an SQLite database in memory (tests),
/// or a PostgreSQL server.
///
/// Exists so one string from configuration (`./data/metadata.sqlite`, `sqlite:///var/lib/…`,
/// `:memory:`, `postgres://user:pass@host:5432/db`) selects the engine, parsed strictly.
public enum MetadataLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite database file, opened in WAL mode with a busy timeout.
    case sqliteFile(path: String)
    /// A private SQLite database in memory, gone when the store closes.
    case sqliteMemory
    /// A PostgreSQL database.
    case postgres(PostgresLocation)

    /// A PostgreSQL server, database and (optionally) the schema to use.
    public struct PostgresLocation: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        /// Put first on every connection's `search_path`; `nil` keeps the server's default.
        public var schema: String?
        /// `false` only with `sslmode=disable`; otherwise TLS is used when the server offers it.
        public var usesTLS: Bool
        /// Most connections the pool opens.
        public var maximumConnections: Int

        public init(
            host: String,
            port: Int = 5432,
            username: String,
            password: String? = nil,
            database: String? = nil,
            schema: String? = nil,
            usesTLS: Bool = true,
            maximumConnections: Int = 16
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.schema = schema
            self.usesTLS = usesTLS
            self.maximumConnections = maximumConnections
        }
    }

    /// Parses a location.
    ///
    /// - `:memory:` is ``sqliteMemory``.
    /// - `sqlite:///abs/path` or `sqlite://relative/path`, or a plain path, is ``sqliteFile(path:)``.
    /// - `postgres://` or `postgresql://user[:password]@host[:port]/database` is ``postgres(_:)``;
    ///   query items `sslmode=disable|prefer` and `schema=NAME` are understood, others refused.
    public init(parsing text: String) throws(MetadataStoreError) {
        if text == ":memory:" {
            self = .sqliteMemory
            return
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try Self.parsePostgres(text))
            return
        }
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else {
                throw MetadataStoreError(.invalidDatabaseURL, "database URL \"\(text)\" names no file")
            }
            self = .sqliteFile(path: path)
            return
        }
        guard !text.isEmpty, !text.contains("://") else {
            throw MetadataStoreError(
                .invalidDatabaseURL,
                "database location \"\(text)\" is neither a path, \":memory:\", sqlite:// nor postgres://"
            )
        }
        self = .sqliteFile(path: text)
    }

    private static func parsePostgres(_ text: String) throws(MetadataStoreError) -> PostgresLocation {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw MetadataStoreError(.invalidDatabaseURL, "PostgreSQL URL \"\(redacted(text))\" has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw MetadataStoreError(.invalidDatabaseURL, "PostgreSQL URL \"\(redacted(text))\" has no user name")
        }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        var location = PostgresLocation(
            host: host,
            port: components.port ?? 5432,
            username: user,
            password: components.password,
            database: path.isEmpty ? nil : path
        )
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"): location.usesTLS = false
            case ("sslmode", "prefer"), ("sslmode", "allow"): location.usesTLS = true
            case ("schema", let value?) where !value.isEmpty: location.schema = value
            default:
                throw MetadataStoreError(
                    .invalidDatabaseURL,
                    "PostgreSQL URL \"\(redacted(text))\": unsupported query item \"\(item.name)=\(item.value ?? "")\""
                )
            }
        }
        return location
    }

    /// The URL with any password replaced by `***`, for messages and logs.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "postgres://…"
    }

    public var description: String {
        switch self {
        case .sqliteFile(let path): "sqlite://\(path)"
        case .sqliteMemory: ":memory:"
        case .postgres(let location):
            "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database ?? "")"
                + (location.schema.map { " (schema \($0))" } ?? "")
        }
    }
}
