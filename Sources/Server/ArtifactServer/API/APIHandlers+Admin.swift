import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import Hummingbird
import Logging
import NIOCore

// Store-wide operations: garbage collection, scrub, audit, tokens.
extension APIHandlers {
    func collectGarbage(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let report = try await controlPlane.garbageCollector.collect(dryRun: try request.flag("dryRun", default: false))
        metrics.recordGarbageCollection(report)
        return try JSONResponse.make(GarbageCollectionBody(report))
    }

    func scrub(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let report = try await controlPlane.scrub.run(page: try request.pageRequest())
        return try JSONResponse.make(ScrubBody(report))
    }

    /// JSON Lines, streamed: the control plane reads the log a page at a time and each record is
    /// written as it is read. Sealed records only (pending ones are not shown). A failure after
    /// the status line ends the stream with one error line (`{"error":{"code":…,"message":…}}`,
    /// as ``AuditLog/errorLine(code:message:sequence:)`` writes for a malformed record) and a
    /// proper end of the chunked body, never a broken chunk.
    func exportAudit(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        func date(_ name: String) throws -> Date? {
            guard let text = request.query(name) else { return nil }
            guard let date = APIJSON.parseDate(text) else {
                throw HTTPAPIError(.badRequest, "query parameter \(name) must be an RFC 3339 date, not \"\(NameGrammar.printable(text))\"")
            }
            return date
        }
        let filter = AuditFilter(
            since: try date("since"),
            until: try date("until"),
            actor: request.query("actor"),
            namespace: request.query("namespace"),
            action: request.query("action")
        )
        let audit = controlPlane.audit
        let logger = context.logger
        let body = ResponseBody { writer in
            do {
                _ = try await audit.exportJSONLines(filter) { @concurrent line in
                    try await writer.write(ByteBuffer(string: line))
                }
            } catch {
                logger.error("audit export failed while streaming", metadata: ["error": "\(error)"])
                // The client may be gone (then this write fails too and the connection closes).
                let failure = error as? ControlPlaneError
                let line = AuditLog.errorLine(
                    code: failure?.kind ?? .internalError,
                    message: "the export stopped: \(failure?.message ?? "reading the audit log failed")"
                )
                try await writer.write(ByteBuffer(string: line))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    func verifyAudit(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(AuditChainBody(try await controlPlane.audit.verifyChain()))
    }

    func createToken(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let body = try await request.decode(as: CreateTokenBody.self, context: context)
        let issued = try await controlPlane.auth.createToken(
            name: body.name,
            grants: body.grants,
            expiresAt: body.expiresAt,
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(IssuedTokenBody(token: issued.token, info: issued.info), status: .created)
    }

    func listTokens(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(PageBody(try await controlPlane.auth.listTokens(page: try request.pageRequest())))
    }

    func revokeToken(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await controlPlane.auth.revokeToken(id: try PathParameter.name(context, "id"), context: context.auditContext(principal))
        return JSONResponse.noContent()
    }

    func whoami(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        guard let principal else { throw HTTPAPIError(.internalError, "whoami without a principal") }
        return try JSONResponse.make(WhoAmIBody(tokenID: principal.tokenID, name: principal.name, grants: principal.grants))
    }
}
