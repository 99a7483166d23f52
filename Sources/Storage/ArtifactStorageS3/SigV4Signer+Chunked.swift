import Crypto

// Chunk and trailer signatures of S3's `aws-chunked` streaming uploads
// (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`). The S3 backend does not stream this way
// (it sends whole parts with their SHA-256); these exist so the signer covers the published
// examples and a streaming uploader can be built on it.
extension SigV4Signer {
    /// The signature of one chunk, chained from `previousSignature` (the seed signature of the
    /// request for the first chunk).
    public func chunkSignature(previousSignature: String, chunkSHA256: String, amzDate: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256-PAYLOAD",
            amzDate,
            scope(amzDate: amzDate),
            previousSignature,
            Self.emptyPayloadHash,
            chunkSHA256,
        ].joined(separator: "\n")
        return hmacHex(stringToSign, amzDate: amzDate)
    }

    /// The signature of the trailing headers, chained from the final (empty) chunk's signature.
    /// `canonicalTrailer` is `name:value\n` per trailing header.
    public func trailerSignature(previousSignature: String, canonicalTrailer: String, amzDate: String) -> String {
        let stringToSign = [
            "AWS4-HMAC-SHA256-TRAILER",
            amzDate,
            scope(amzDate: amzDate),
            previousSignature,
            Self.sha256Hex(Array(canonicalTrailer.utf8)),
        ].joined(separator: "\n")
        return hmacHex(stringToSign, amzDate: amzDate)
    }

    private func hmacHex(_ stringToSign: String, amzDate: String) -> String {
        let key = signingKey(date: String(amzDate.prefix(8)))
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }
}
