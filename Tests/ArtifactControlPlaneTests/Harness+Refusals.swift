import ArtifactControlPlane
import Testing

extension Harness {
    /// Runs `body`, expects it to fail with `code`, and expects the database (every table, the
    /// audit log included unless `auditMayGrow`) and the stored bytes to be exactly as before.
    func expectRefusal(
        _ code: ControlPlaneError.Code,
        auditMayGrow: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async throws {
        let before = try await snapshot(excludingAudit: auditMayGrow)
        let objectsBefore = try storedObjects()
        do {
            try await body()
            Issue.record("expected \(code.rawValue), but the call succeeded", sourceLocation: sourceLocation)
        } catch let error as ControlPlaneError {
            #expect(error.kind == code, "\(error)", sourceLocation: sourceLocation)
        }
        let after = try await snapshot(excludingAudit: auditMayGrow)
        #expect(before == after, "the database changed on a refused call", sourceLocation: sourceLocation)
        #expect(try storedObjects() == objectsBefore, "stored bytes changed on a refused call", sourceLocation: sourceLocation)
    }
}
