import ArtifactDataPlane
import ArtifactDataPlaneTestSupport

/// A real local data plane seen only through ``DataPlane``, without ``StagedIngesting``: what a
/// remote data plane offers. Upload sessions over it keep every `PATCH` as a chunk blob, the
/// path these tests check next to the staged one.
struct ChunkOnlyDataPlane: WrappingDataPlane {
    let base: any DataPlane
}
