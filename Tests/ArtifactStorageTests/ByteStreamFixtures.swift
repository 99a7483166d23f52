import ArtifactStoreCore
import NIOCore

enum ByteStreamFixtures {
    static func text(_ text: String) -> ByteStream {
        ByteStream(ByteBuffer(string: text))
    }
}
