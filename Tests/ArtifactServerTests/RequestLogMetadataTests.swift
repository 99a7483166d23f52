import ArtifactServer
import Logging
import Testing

@Suite("Request id log metadata", .timeLimit(.minutes(10)))
struct RequestLogMetadataTests {
    @Test("the provider gives request_id only while a request id is bound, in that task and its children")
    func providerFollowsTheBoundRequestID() async throws {
        #expect(RequestLogMetadata.provider.get().isEmpty)
        await RequestLogMetadata.$requestID.withValue("req-1") {
            #expect(RequestLogMetadata.provider.get()["request_id"] == .string("req-1"))
            let child = await Task { RequestLogMetadata.provider.get()["request_id"] }.value
            #expect(child == .string("req-1"))
            RequestLogMetadata.$requestID.withValue("req-2") {
                #expect(RequestLogMetadata.provider.get()["request_id"] == .string("req-2"))
            }
        }
        #expect(RequestLogMetadata.provider.get().isEmpty)
    }
}
