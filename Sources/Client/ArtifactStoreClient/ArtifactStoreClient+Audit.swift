public import ArtifactStoreAPI
import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1

extension ArtifactStoreClient {
    /// Streams the audit log as JSON Lines (`GET /v1/audit`), handing each chunk of the body to
    /// `write` as it arrives; the export is never held in memory whole.
    public func exportAudit(_ filter: AuditFilter, write: (ByteBuffer) async throws -> Void) async throws {
        var query: [(String, String)] = []
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let since = filter.since { query.append(("since", since.formatted(style))) }
        if let until = filter.until { query.append(("until", until.formatted(style))) }
        if let actor = filter.actor { query.append(("actor", actor)) }
        if let namespace = filter.namespace { query.append(("namespace", namespace)) }
        if let action = filter.action { query.append(("action", action)) }
        let request = makeRequest(.GET, ["audit"], query: query)
        let response = try await execute(request, timeout: .hours(24))
        guard response.status.code == 200 else {
            let body = try await readBody(response, what: request.url)
            throw Self.serverError(status: Int(response.status.code), body: body, request: request)
        }
        do {
            for try await chunk in response.body {
                try await write(chunk)
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(.serverUnreachable, "the audit export was cut off: \(error)", underlying: error)
        }
    }
}
