import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2

/// A server child channel that speaks HTTP/2 or HTTP/1.1 on a TLS connection, as the client chose
/// by ALPN (`h2` first, `http/1.1`, or no choice: HTTP/1.1), using Hummingbird's own HTTP/1 and
/// HTTP/2 child channels for each.
///
/// Exists instead of Hummingbird's `HTTP2UpgradeChannel` because that channel adds its own TLS
/// handler: here TLS stays in Hummingbird's TLS channel outside this one, built from
/// ``TLSCertificateReloader`` (so SIGHUP's new certificate reaches HTTP/2 handshakes too), and
/// ``ConnectionLimitedChannel`` can put the ``ConnectionGate`` between TLS and the negotiation,
/// where it counts and times every connection whatever it negotiates. The TLS configuration must
/// offer `h2` and `http/1.1` (`NIOHTTP2SupportedALPNProtocols`); an unknown protocol closes the
/// connection. Both sides share one responder, so every route and middleware is the same.
struct NegotiatedHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>>
        let channel: any Channel
    }

    let http1: HTTP1Channel
    let http2: HTTP2Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.configureHTTP2AsyncSecureUpgrade { channel in
            http1.setup(channel: channel, logger: logger)
        } http2ConnectionInitializer: { channel in
            http2.setup(channel: channel, logger: logger)
        }.map { negotiated in
            Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        let negotiated: NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>
        do {
            negotiated = try await value.negotiated.get()
        } catch {
            // A failed handshake, or a protocol neither side of this channel speaks.
            logger.debug("connection closed before an HTTP version was agreed", metadata: ["error": "\(error)"])
            return
        }
        switch negotiated {
        case .http1_1(let connection): await http1.handle(value: connection, logger: logger)
        case .http2(let connection): await http2.handle(value: connection, logger: logger)
        }
    }
}
