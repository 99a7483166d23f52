import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// The non-public address ranges webhook URLs may point at (SSRF protection, docs/webhooks.md).
///
/// Exists because a webhook makes the server send requests where a namespace admin says: without
/// a check, to the metadata service at 169.254.169.254, to the database on 127.0.0.1 or to the
/// office network. By default only public addresses are allowed; an operator allows more with
/// `webhookAllowedNetworks`. Unspecified, multicast, broadcast and reserved addresses are never
/// allowed. The check runs when an endpoint is created (a literal address or `localhost`) and
/// before every delivery, on every address the host name resolves to.
public struct WebhookNetworkPolicy: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// 127.0.0.0/8, ::1, `localhost`.
    public static let loopback = WebhookNetworkPolicy(rawValue: 1)
    /// 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7.
    public static let privateNetworks = WebhookNetworkPolicy(rawValue: 2)
    /// 169.254/16, fe80::/10.
    public static let linkLocal = WebhookNetworkPolicy(rawValue: 4)

    /// The configuration names: `loopback`, `private`, `link-local`.
    public static let names: [(String, WebhookNetworkPolicy)] = [
        ("loopback", .loopback), ("private", .privateNetworks), ("link-local", .linkLocal),
    ]

    /// Parses configuration names. - Throws: `invalidWebhook` naming an unknown one.
    public init(names list: [String]) throws(ControlPlaneError) {
        self = []
        for name in list {
            guard let found = Self.names.first(where: { $0.0 == name }) else {
                throw ControlPlaneError(
                    .invalidWebhook,
                    "\"\(name)\" is not a network name (\(Self.names.map(\.0).joined(separator: ", ")))"
                )
            }
            insert(found.1)
        }
    }

    /// What kind of address an IP is.
    public enum AddressKind: String, Sendable {
        case publicAddress = "public"
        case loopback
        case privateNetwork = "private"
        case linkLocal = "link-local"
        /// Unspecified, multicast, broadcast, reserved: never a webhook target.
        case unusable = "unusable"
    }

    /// Whether an address of `kind` may be a webhook target.
    public func allows(_ kind: AddressKind) -> Bool {
        switch kind {
        case .publicAddress: true
        case .loopback: contains(.loopback)
        case .privateNetwork: contains(.privateNetworks)
        case .linkLocal: contains(.linkLocal)
        case .unusable: false
        }
    }

    /// The kind of a literal IPv4 or IPv6 address (`[…]` stripped); `nil` when `text` is not one.
    public static func kind(ofLiteral text: String) -> AddressKind? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let bytes = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return kind(ipv4: bytes)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return kind(ipv6: withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    static func kind(ipv4 b: [UInt8]) -> AddressKind {
        switch (b[0], b[1]) {
        case (127, _): return .loopback
        case (10, _), (172, 16...31), (192, 168), (100, 64...127): return .privateNetwork
        case (169, 254): return .linkLocal
        case (0, _), (224...255, _): return .unusable
        default: return .publicAddress
        }
    }

    static func kind(ipv6 b: [UInt8]) -> AddressKind {
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return kind(ipv4: Array(b[12..<16])) }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? .loopback : .unusable }
        if b[0] == 0xFE && (b[1] & 0xC0) == 0x80 { return .linkLocal }
        if (b[0] & 0xFE) == 0xFC { return .privateNetwork }
        if b[0] == 0xFF { return .unusable }
        return .publicAddress
    }

    /// The kinds of every address `host` resolves to (a literal is not looked up; `localhost`
    /// and `*.localhost` are loopback without a lookup).
    ///
    /// - Throws: `webhookAddressRefused` when the name does not resolve.
    public static func resolve(_ host: String) throws(ControlPlaneError) -> [AddressKind] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let literal = kind(ofLiteral: bare) { return [literal] }
        let lower = bare.lowercased()
        if lower == "localhost" || lower.hasSuffix(".localhost") { return [.loopback] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(bare, nil, &hints, &list) == 0, let first = list else {
            throw ControlPlaneError(.webhookAddressRefused, "webhook host \"\(host)\" does not resolve")
        }
        defer { freeaddrinfo(first) }
        var kinds: [AddressKind] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if let address = entry.pointee.ai_addr {
                if entry.pointee.ai_family == AF_INET {
                    let v4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    kinds.append(kind(ipv4: withUnsafeBytes(of: v4) { Array($0) }))
                } else if entry.pointee.ai_family == AF_INET6 {
                    let v6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    kinds.append(kind(ipv6: withUnsafeBytes(of: v6) { Array($0) }))
                }
            }
            next = entry.pointee.ai_next
        }
        return kinds
    }

    /// Refuses `host` when any address it names (or resolves to) is not allowed. Replication
    /// remotes are held to the same policy (`what` "replication remote", `code` its own).
    ///
    /// - Throws: `code` (`webhookAddressRefused`) naming the host and the kind of address.
    public func check(
        host: String,
        what: String = "webhook",
        code: ControlPlaneError.Code = .webhookAddressRefused
    ) throws(ControlPlaneError) {
        let kinds: [AddressKind]
        do {
            kinds = try Self.resolve(host)
        } catch {
            throw ControlPlaneError(code, "\(what) host \"\(host)\" does not resolve")
        }
        guard !kinds.isEmpty else { throw ControlPlaneError(code, "\(what) host \"\(host)\" has no address") }
        if let refused = kinds.first(where: { !allows($0) }) {
            throw ControlPlaneError(
                code,
                "\(what) host \"\(host)\" is a \(refused.rawValue) address; \(what)s go to public addresses unless the server's "
                    + "webhookAllowedNetworks allows \(refused == .unusable ? "nothing of this kind" : refused.rawValue)"
            )
        }
    }
}
