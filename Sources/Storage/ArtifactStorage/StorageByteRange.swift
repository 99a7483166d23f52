extension ClosedRange where Bound == UInt64 {
    /// Builds the inclusive byte range `lower...upper`, refusing `lower > upper` with
    /// `invalidRange` instead of trapping as `ClosedRange` itself would.
    ///
    /// Exists because ranges arrive from outside (HTTP `Range` headers, CLI flags) and a reversed
    /// one is bad input, not a programming error.
    public init(validatingLower lower: UInt64, upper: UInt64) throws(StorageError) {
        guard lower <= upper else {
            throw StorageError(.invalidRange, "byte range \(lower)-\(upper) ends before it starts")
        }
        self = lower...upper
    }
}

extension StorageError {
    /// `invalidRange` for a range that does not lie inside an object of `size` bytes.
    public static func rangeOutside(_ range: ClosedRange<UInt64>, size: UInt64, path: StoragePath) -> StorageError {
        StorageError(
            .invalidRange,
            "byte range \(range.lowerBound)-\(range.upperBound) lies outside \"\(path)\" (\(size) bytes)",
            path: path.string
        )
    }

    /// Checks `range` against an object of `size` bytes, the same way in every backend.
    public static func checkRange(_ range: ClosedRange<UInt64>?, size: UInt64, path: StoragePath) throws(StorageError) {
        guard let range else { return }
        guard range.upperBound < size else { throw rangeOutside(range, size: size, path: path) }
    }

    /// Wraps an error thrown by a caller's byte stream (or a cancellation) while writing `path`.
    public static func writeSourceFailed(_ error: any Error, path: StoragePath) -> StorageError {
        if let error = error as? StorageError { return error }
        if error is CancellationError {
            return StorageError(.io, "write of \"\(path)\" was cancelled; nothing was stored", path: path.string, underlying: error)
        }
        return StorageError(.io, "the byte stream for \"\(path)\" failed; nothing was stored", path: path.string, underlying: error)
    }

    /// `io` for a write whose task was cancelled.
    public static func writeCancelled(_ path: StoragePath) -> StorageError {
        StorageError(.io, "write of \"\(path)\" was cancelled; nothing was stored", path: path.string, underlying: CancellationError())
    }
}

extension StoragePath {
    /// The path's UTF-8 bytes: the identity backends use, so names that Swift considers equal
    /// but that differ in bytes (NFC and NFD forms) stay distinct objects, as on disk and in S3.
    public var bytes: [UInt8] { Array(string.utf8) }
}
