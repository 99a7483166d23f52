import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension LoginFile {
    /// What ``remove(server:)`` did.
    public enum Removal: Sendable, Hashable {
        /// The login for `server` was removed: the file is gone.
        case removed(server: String)
        /// There was no login file: nothing to remove.
        case notLoggedIn
        /// The login file holds another server's login, which was kept.
        case otherServer(saved: String)
    }

    /// Removes the saved login, if it is for `server` (or for any server when `server` is `nil`).
    ///
    /// Exists for `artifactstore logout`. Servers are compared as ``ClientSettings/validateServer(_:)``
    /// normalises them (`http://h:8080/` is `http://h:8080`). The token itself stays valid on the
    /// server; only this machine forgets it.
    public func remove(server: String?) throws(ClientError) -> Removal {
        let wanted = try server.map { (server) throws(ClientError) in try ClientSettings.validateServer(server) }
        guard let contents = try read() else { return .notLoggedIn }
        if let wanted {
            let saved = (try? ClientSettings.validateServer(contents.server)) ?? contents.server
            guard wanted == saved else { return .otherServer(saved: contents.server) }
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw Self.systemError("remove", path) }
        return .removed(server: contents.server)
    }
}
