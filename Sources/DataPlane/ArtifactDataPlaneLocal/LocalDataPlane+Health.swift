public import ArtifactDataPlane
import ArtifactStorage
import Foundation

extension LocalDataPlane {
    /// Checks every backend concurrently: the connector's connection check (is the directory
    /// or bucket still there), then the backend's own health (free space, a write probe).
    /// A backend that fails the connection check is disconnected, so the next operation on it
    /// reconnects rather than using a stale handle.
    public func backendHealth() async -> [BackendStatus] {
        let ids = backends.map(\.id)
        return await withTaskGroup(of: (Int, BackendStatus).self) { group in
            for (index, configured) in backends.enumerated() {
                group.addTask { (index, await self.status(of: configured)) }
            }
            var statuses = [BackendStatus?](repeating: nil, count: ids.count)
            for await (index, status) in group {
                statuses[index] = status
            }
            return statuses.compactMap { $0 }
        }
    }

    func status(of configured: Backend) async -> BackendStatus {
        let clock = ContinuousClock()
        let start = clock.now
        let checkedAt = Date()
        let isDefault = configured.id == defaultBackendID
        func seconds() -> Double {
            let elapsed = start.duration(to: clock.now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }
        func unreachable(_ message: String) -> BackendStatus {
            BackendStatus(
                backendID: configured.id,
                isDefault: isDefault,
                reachable: false,
                writable: false,
                latencySeconds: seconds(),
                message: message,
                checkedAt: checkedAt
            )
        }
        do {
            try await configured.connector.verifyConnection()
        } catch {
            disconnect(configured.id)
            return unreachable("backend \"\(configured.id)\": \(error.code): \(error.message)")
        }
        let backend: any StorageBackend
        do {
            backend = try await self.backend(for: configured.id).backend
        } catch {
            return unreachable(error.message)
        }
        let health = await backend.health()
        return BackendStatus(
            backendID: configured.id,
            isDefault: isDefault,
            reachable: health.reachable,
            writable: health.writable,
            latencySeconds: seconds(),
            freeBytes: health.freeBytes,
            totalBytes: health.totalBytes,
            message: health.message,
            checkedAt: checkedAt
        )
    }
}
