/// What appending a chunk to an upload session did.
public enum OCIChunkAppend: Sendable, Hashable {
    case appended(OCIUploadSession)
    /// The chunk did not start at the session's offset; nothing was recorded.
    case offsetMismatch(OCIUploadSession)
    /// No such session (finished, cancelled, expired or never made).
    case unknownSession
}
