import ArtifactDataPlane
import HTTPTypes
import Hummingbird

extension DownloadRedirect {
    /// `307 Temporary Redirect` to the presigned URL, with the caller's validators and digests
    /// (`ETag`, `Repr-Digest`, `Docker-Content-Digest`) and no body.
    ///
    /// 307, not 302: the client must repeat the same method with the same headers, so a
    /// `Range` reaches the object store. `no-store`, because the URL expires: a cache must not
    /// hand it out later.
    func response(_ headers: HTTPFields) -> Response {
        var headers = headers
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        headers[.contentType] = nil
        headers[.contentLength] = "0"
        return Response(status: .temporaryRedirect, headers: headers)
    }
}
