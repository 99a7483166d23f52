package import ArtifactControlPlane

/// The OCI distribution API's rows in the control plane's database: durable upload sessions and
/// their chunks, cross-repository mounts, the manifest facts the referrers API lists, `sha512`
/// digest aliases, and tag and repository listings keyed by name (OCI's `n`/`last`).
///
/// Exists so the control plane need not know what OCI is: these operations are built here on the
/// registry's `package` surface (its transactions, row decoding, blob linking and audit log), so
/// every write shares the registry's transactions and audit records, and the control plane
/// keeps only the generic operations. ``OCIRegistry`` maps the distribution model onto this and
/// the registry; the HTTP layer only translates.
package struct OCIStore: Sendable {
    package let registry: Registry

    package init(registry: Registry) {
        self.registry = registry
    }

    var controlPlane: ControlPlane { registry.controlPlane }
}
