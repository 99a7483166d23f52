import NIOCore
import Testing

@testable import ArtifactServer

/// ``ServerRequestContext/describe(_:)``: the client address every audit record names, written
/// out for IPv4 without `inet_ntop`, must read exactly as `inet_ntop` writes it.
@Suite("Client addresses", .timeLimit(.minutes(5)))
struct ClientAddressTests {
    @Test(
        "an IPv4 address reads as inet_ntop writes it",
        arguments: ["127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.2.254", "192.168.100.7", "1.20.255.0"]
    )
    func ipv4(_ text: String) throws {
        let address = try SocketAddress(ipAddress: text, port: 443)
        #expect(ServerRequestContext.describe(address) == text)
        #expect(ServerRequestContext.describe(address) == address.ipAddress)
    }

    @Test("every byte value in every position agrees with inet_ntop")
    func everyByte() throws {
        for position in 0..<4 {
            for value in 0...255 {
                var bytes = [9, 8, 7, 6]
                bytes[position] = value
                let address = try SocketAddress(ipAddress: bytes.map(String.init).joined(separator: "."), port: 0)
                #expect(ServerRequestContext.describe(address) == address.ipAddress)
            }
        }
    }

    @Test("IPv6 and Unix-domain addresses keep their usual form")
    func others() throws {
        #expect(ServerRequestContext.describe(try SocketAddress(ipAddress: "::1", port: 1)) == "::1")
        #expect(ServerRequestContext.describe(try SocketAddress(unixDomainSocketPath: "/tmp/s")) == "/tmp/s")
    }
}
