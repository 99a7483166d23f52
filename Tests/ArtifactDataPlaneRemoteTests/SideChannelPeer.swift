import ArtifactDataPlaneWire
import CArtifactDescriptorPassing
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A peer of the descriptor side channel that sends whatever bytes it is given, and reads the
/// whole answer (status, size or code, and any descriptor) until the daemon closes.
struct SideChannelPeer {
    struct Answer {
        var bytes: [UInt8]
        var descriptor: Int32?

        var granted: Bool { bytes.first == WireProtocol.descriptorGranted && descriptor != nil }
        /// The error code of a refusal.
        var refusal: String? {
            guard bytes.count >= 2, bytes[0] == WireProtocol.descriptorRefused, bytes.count == 2 + Int(bytes[1]) else { return nil }
            return String(decoding: bytes[2...], as: UTF8.self)
        }
        var size: UInt64? {
            guard granted, bytes.count == 9 else { return nil }
            return bytes[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
    }

    let path: String

    init(mainSocketPath: String) {
        path = mainSocketPath + WireProtocol.descriptorSocketSuffix
    }

    /// Connects, sends `bytes`, closes the sending side, and reads until the daemon closes.
    func exchange(_ bytes: [UInt8]) throws -> Answer {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        let connected = try SocketAddress(unixDomainSocketPath: path).withSockAddr { connect(fd, $0, socklen_t($1)) }
        guard connected == 0 else { throw SideChannelFailure(message: "cannot connect to \(path): errno \(errno)") }
        if !bytes.isEmpty {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        shutdown(fd, Int32(SHUT_WR))
        var answer = Answer(bytes: [], descriptor: nil)
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            var passed: Int32 = -1
            let count = buffer.withUnsafeMutableBytes { artifactstore_receive_fd(fd, $0.baseAddress, $0.count, &passed) }
            if passed >= 0 {
                if answer.descriptor == nil { answer.descriptor = passed } else { close(passed) }
            }
            guard count > 0 else { break }
            answer.bytes += buffer[0..<count]
        }
        return answer
    }
}

struct SideChannelFailure: Error {
    var message: String
}

extension RawClient {
    /// Connects, writes `chunks`, and reads frames until `until` says the last one is enough;
    /// then closes.
    func frames(_ chunks: [ByteBuffer], until: @escaping (Frame) -> Bool) async throws -> [Frame] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks { try await outbound.write(chunk) }
            var received = ByteBuffer()
            var frames: [Frame] = []
            for try await buffer in inbound {
                var buffer = buffer
                received.writeBuffer(&buffer)
                while let frame = try FrameDecoder.nextFrame(from: &received, limits: .default) {
                    frames.append(frame)
                    if until(frame) { return frames }
                }
            }
            return frames
        }
    }
}
