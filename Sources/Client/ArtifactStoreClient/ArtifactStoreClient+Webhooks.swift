public import ArtifactStoreAPI
import AsyncHTTPClient
import NIOHTTP1

extension ArtifactStoreClient {
    /// Creates a webhook endpoint of `namespace` (docs/webhooks.md); `events` empty: the defaults.
    public func createWebhook(in namespace: String, url: String, secret: String, events: [String]) async throws -> WebhookEndpoint {
        let body = WebhookCreateBody(url: url, secret: secret, events: events.isEmpty ? nil : events)
        return try await send(makeRequest(.POST, ["namespaces", namespace, "webhooks"]), body: body, expected: [201])
    }

    /// The webhook endpoints of `namespace` (never their secrets).
    public func webhooks(in namespace: String) async throws -> [WebhookEndpoint] {
        try await listAll(["namespaces", namespace, "webhooks"], as: WebhookEndpoint.self)
    }

    /// The deliveries of endpoint `id`, in `state` only when given.
    public func webhookDeliveries(in namespace: String, id: String, state: WebhookDeliveryState? = nil) async throws -> [WebhookDelivery] {
        try await listAll(
            ["namespaces", namespace, "webhooks", id, "deliveries"],
            query: state.map { [("state", $0.rawValue)] } ?? [],
            as: WebhookDelivery.self
        )
    }

    public func deleteWebhook(in namespace: String, id: String) async throws {
        try await sendExpectingNoContent(makeRequest(.DELETE, ["namespaces", namespace, "webhooks", id]))
    }
}
