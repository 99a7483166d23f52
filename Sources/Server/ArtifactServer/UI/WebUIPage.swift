/// The pages of the web UI, as their paths under `/ui` name them.
///
/// Exists so the server knows which paths are pages (served the shell, or redirected to sign-in
/// without a session) and answers every other path with the 404 page. The page's script renders
/// the same paths (`app.js`, `route()`).
enum WebUIPage: Equatable {
    case signIn
    case namespaces
    case namespace
    case artifact
    case version
    /// An artifact seen as an OCI repository: tags, manifests and indexes, layers, referrers.
    case ociRepository
    case audit
    case tokens
    case operations

    /// The page at `path` (`/ui/namespaces/team/artifacts/app`), or `nil` for no page.
    init?(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.first == "ui" else { return nil }
        let rest = Array(segments.dropFirst())
        switch (rest.count, rest.first) {
        case (0, _): self = .namespaces
        case (1, "signin"): self = .signIn
        case (1, "namespaces"): self = .namespaces
        case (1, "audit"): self = .audit
        case (1, "tokens"): self = .tokens
        case (1, "operations"): self = .operations
        case (2, "namespaces"): self = .namespace
        case (4, "namespaces") where rest[2] == "artifacts": self = .artifact
        case (6, "namespaces") where rest[2] == "artifacts" && rest[4] == "versions": self = .version
        case (5, "namespaces") where rest[2] == "artifacts" && rest[4] == "oci": self = .ociRepository
        default: return nil
        }
    }
}
