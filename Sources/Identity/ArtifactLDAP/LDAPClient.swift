public import ArtifactStoreCore
public import NIOCore
public import NIOPosix

/// A minimal LDAPv3 client over SwiftNIO: one connection per authentication, simple bind,
/// a group search as the bound user, unbind.
///
/// Exists because no LDAP package is available and the store only needs "is this password
/// right, and which groups is this user in". It promises: every exchange ends within the
/// configuration's timeout (then `unreachable`); answers are read as bounded BER frames
/// (``LDAPFrameDecoder``, 64 KiB each, at most ``maximumGroups`` entries); the password is sent
/// only in the bind request and never appears in an error or a log.
public struct LDAPClient: Sendable {
    public let configuration: LDAPConfiguration
    let eventLoopGroup: any EventLoopGroup

    /// The most groups one user may be found in; more is `malformedResponse`.
    public static let maximumGroups = 1000
    static let frameLimit = 64 * 1024

    public init(configuration: LDAPConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// Binds as `user` with `password` and returns the DNs of the user's groups.
    ///
    /// - Throws: `invalidCredentials` for a refused bind (or a user name that cannot be put in a
    ///   DN), `unreachable` when the server cannot be reached or is too slow, `malformedResponse`,
    ///   `operationFailed` for a failed search.
    public func authenticate(user: String, password: String) async throws(LDAPError) -> [String] {
        guard LDAPConfiguration.isValidUser(user) else {
            throw LDAPError(.invalidCredentials, "the user name is not 1-64 letters, digits, '.', '_', '-' or '@'")
        }
        // An empty password is an "unauthenticated bind" that servers accept: never send one.
        guard !password.isEmpty else { throw LDAPError(.invalidCredentials, "the password is empty") }
        let configuration = configuration
        let group = eventLoopGroup
        do {
            return try await withThrowingTaskGroup(of: [String]?.self) { tasks in
                tasks.addTask { try await Self.exchange(configuration, group: group, user: user, password: password) }
                tasks.addTask {
                    try await Task.sleep(for: configuration.timeout)
                    return nil
                }
                defer { tasks.cancelAll() }
                guard let first = try await tasks.next(), let groups = first else {
                    throw LDAPError(
                        .unreachable,
                        "the LDAP server \(configuration.host):\(configuration.port) did not answer within \(configuration.timeout)"
                    )
                }
                return groups
            }
        } catch let error as LDAPError {
            throw error
        } catch {
            throw LDAPError(
                .unreachable,
                "the LDAP server \(configuration.host):\(configuration.port) could not be reached",
                underlying: error
            )
        }
    }

    static func exchange(
        _ configuration: LDAPConfiguration,
        group: any EventLoopGroup,
        user: String,
        password: String
    ) async throws -> [String] {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(max(1, configuration.timeout.components.seconds))))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LDAPFrameDecoder(limit: frameLimit)))
                    return try NIOAsyncChannel<[UInt8], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let dn = configuration.bindDN(for: user)
            try await outbound.write(ByteBuffer(bytes: LDAPMessage.bind(id: 1, dn: dn, password: password).encoded))
            var searching = false
            var groups: [String] = []
            for try await bytes in inbound {
                switch (searching, try LDAPMessage.parse(try BERElement(decoding: bytes))) {
                case (false, .result(1, 0x61, let code, _)):
                    guard code == 0 else {
                        throw LDAPError(.invalidCredentials, "the LDAP server refused the bind of \"\(dn)\" (result \(code))")
                    }
                    guard let base = configuration.groupBase else {
                        try? await outbound.write(ByteBuffer(bytes: LDAPMessage.unbind(id: 3).encoded))
                        return groups
                    }
                    let search = LDAPMessage.search(
                        id: 2,
                        base: base,
                        attribute: configuration.groupMemberAttribute,
                        value: dn,
                        sizeLimit: Int64(maximumGroups),
                        timeLimit: max(1, configuration.timeout.components.seconds)
                    )
                    try await outbound.write(ByteBuffer(bytes: search.encoded))
                    searching = true
                case (true, .entry(2, let group)):
                    groups.append(group)
                    guard groups.count <= maximumGroups else {
                        throw LDAPError(.malformedResponse, "the user is in more than \(maximumGroups) groups")
                    }
                case (true, .result(2, 0x65, let code, let message)):
                    guard code == 0 else {
                        throw LDAPError(.operationFailed, "the LDAP group search failed (result \(code): \(message.prefix(200)))")
                    }
                    try? await outbound.write(ByteBuffer(bytes: LDAPMessage.unbind(id: 3).encoded))
                    return groups
                case (_, .result(0, _, _, _)):
                    throw LDAPError(.unreachable, "the LDAP server sent a notice of disconnection")
                default:
                    continue
                }
            }
            throw LDAPError(.unreachable, "the LDAP server closed the connection")
        }
    }
}
