import Foundation
import HTTPTypes
import Hummingbird

/// The one transfer coding a request may use: `chunked`, alone.
///
/// Exists because NIO's parser frames any `Transfer-Encoding` list that ends in `chunked` and
/// passes the codings before it through: `gzip, chunked` stored the compressed bytes as they came,
/// under an address of bytes the client never meant. Anything else is refused with `501`
/// (`unsupportedTransferCoding`, RFC 9112 §6.1) before a route runs, so nothing is stored; the
/// answer closes the connection, since the body that follows is not read.
enum TransferCoding {
    /// Throws ``HTTPAPIError/Code/unsupportedTransferCoding`` unless the request has no
    /// `Transfer-Encoding` or exactly `chunked` (in any case, once).
    static func check(_ request: Request) throws(HTTPAPIError) {
        let values = request.headers[values: .transferEncoding]
        guard !values.isEmpty else { return }
        let codings = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard codings != ["chunked"] else { return }
        throw HTTPAPIError(
            .unsupportedTransferCoding,
            "Transfer-Encoding \"\(values.joined(separator: ", "))\" is not supported: send the body as is, with Content-Length or "
                + "Transfer-Encoding: chunked alone"
        )
    }
}
