import ArtifactDataPlaneWire
import ArtifactStorage
import CArtifactDescriptorPassing
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// The client's side of the daemon's descriptor side channel: connect to `<socket>.fd`, send the
/// ticket, receive the status, the size and the descriptor (docs/dataplane-protocol.md,
/// "Descriptor passing"). Blocking; callers run it on a thread pool.
enum DescriptorTicketRedemption {
    /// How long the daemon may take to answer.
    static let timeoutSeconds = 10

    /// The object's descriptor (close-on-exec) and the size the daemon announced.
    static func redeem(_ ticket: [UInt8], socketPath: String) throws(DataPlaneWireError) -> (file: OwnedDescriptor, size: UInt64) {
        let path = socketPath + WireProtocol.descriptorSocketSuffix
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw DataPlaneWireError(.connectionFailed, "cannot create a socket for \"\(path)\": \(String(cString: strerror(errno)))")
        }
        let connection = OwnedDescriptor(fd)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        do {
            connected = try SocketAddress(unixDomainSocketPath: path).withSockAddr { connect(fd, $0, socklen_t($1)) }
        } catch {
            throw DataPlaneWireError(.connectionFailed, "descriptor socket path \"\(path)\" is not usable: \(error)", underlying: error)
        }
        guard connected == 0 else {
            throw DataPlaneWireError(
                .connectionFailed,
                "cannot connect to the descriptor side channel \"\(path)\": \(String(cString: strerror(errno)))"
            )
        }
        var sent = 0
        while sent < ticket.count {
            let count = ticket.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw DataPlaneWireError(.connectionFailed, "cannot send the ticket to \"\(path)\": \(String(cString: strerror(errno)))")
            }
            sent += count
        }
        // The answer is at most 1 + 1 + 255 bytes; the descriptor comes with its first byte.
        var answer = [UInt8](repeating: 0, count: 257)
        var received = 0
        var passed: OwnedDescriptor?
        func needed() -> Int {
            guard received > 0 else { return 1 }
            if answer[0] == WireProtocol.descriptorGranted { return 9 }
            return received >= 2 ? 2 + Int(answer[1]) : 2
        }
        while received < needed() {
            var descriptor: Int32 = -1
            let wanted = needed() - received
            let count = answer.withUnsafeMutableBytes { artifactstore_receive_fd(fd, $0.baseAddress! + received, wanted, &descriptor) }
            if descriptor >= 0 {
                // Only one descriptor is expected; a second one is closed with its owner.
                if passed == nil { passed = OwnedDescriptor(descriptor) } else { close(descriptor) }
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw DataPlaneWireError(
                    .descriptorPassingFailed,
                    "the descriptor side channel \"\(path)\" ended after \(received) bytes of its answer\(count < 0 ? ": \(String(cString: strerror(errno)))" : "")"
                )
            }
            received += count
        }
        _ = connection
        switch answer[0] {
        case WireProtocol.descriptorGranted:
            guard let passed else {
                throw DataPlaneWireError(
                    .descriptorPassingFailed,
                    "the descriptor side channel \"\(path)\" granted the ticket but passed no descriptor"
                )
            }
            let size = answer[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return (passed, size)
        case WireProtocol.descriptorRefused:
            let code = String(decoding: answer[2..<(2 + Int(answer[1]))], as: UTF8.self)
            let kind = DataPlaneWireError.Code(rawValue: code) ?? .descriptorPassingFailed
            throw DataPlaneWireError(kind, "the descriptor side channel \"\(path)\" refused the ticket: \(code.prefix(64))")
        default:
            throw DataPlaneWireError(.descriptorPassingFailed, "the descriptor side channel \"\(path)\" answered with status \(answer[0])")
        }
    }
}
