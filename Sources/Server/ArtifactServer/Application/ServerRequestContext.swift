public import Hummingbird
import Logging
public import NIOCore

/// The per-request state the server's middlewares fill in and its routes read.
///
/// Exists so the request id, the caller's credential and address travel from the middlewares
/// (``RequestIDMiddleware``, ``CredentialMiddleware``) to the handlers, which authorise against
/// the control plane with them and pass them into every audit record.
public struct ServerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id: the client's `X-Request-ID` or one generated here.
    public var requestID: String = ""
    /// The bearer token the request carries (from `Bearer` or the password of `Basic`), if any.
    /// Never logged.
    public var credential: String?
    /// The user name of `Basic` credentials, if any: a directory (LDAP) checks the password as
    /// this user's when it is no store token.
    public var basicUser: String?
    /// The web UI's session id from the `Cookie` header, read only when no `Authorization`
    /// credential was sent (``WebUI``). Never logged.
    public var sessionID: String?
    /// The peer's address, as audit records show it. Formatted only when asked for (audit
    /// records, not every request), from the address taken when the request arrived.
    public var clientAddress: String? { remoteAddress.map(Self.describe) }
    let remoteAddress: SocketAddress?
    /// The connection, which downloads send file regions on (``DownloadBody``).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.remoteAddress = source.channel.remoteAddress
    }

    /// JSON bodies the routes decode are small; blob bodies are streamed and never collated.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    public var requestDecoder: APIJSONDecoder { APIJSONDecoder() }
    public var responseEncoder: APIJSONEncoder { APIJSONEncoder() }

    static func describe(_ address: SocketAddress) -> String {
        switch address {
        case .v4(let v4): dottedQuad(v4)
        case .v6: address.ipAddress ?? "\(address)"
        case .unixDomainSocket: address.pathname ?? "unix"
        }
    }

    /// An IPv4 address as `a.b.c.d`, as `inet_ntop` writes it: the four bytes after the family
    /// and the port of a Linux `sockaddr_in`, in network order (ClientAddressTests checks every
    /// byte against `inet_ntop`).
    ///
    /// Written out because every authorised request names its client, and `inet_ntop` with its
    /// `sprintf` cost a small GET 2,800 instructions (callgrind), one percent of the request.
    static func dottedQuad(_ v4: SocketAddress.IPv4Address) -> String {
        withUnsafeBytes(of: v4.address) { bytes in "\(bytes[4]).\(bytes[5]).\(bytes[6]).\(bytes[7])" }
    }
}
