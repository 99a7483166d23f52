import HTTPTypes

/// The fixed fields of every answer that carries a blob's bytes, through `/v1` and `/v2` alike.
///
/// Built and checked once: swift-http-types validates each value it is given, and these two
/// were validated again on every blob GET and HEAD.
extension HTTPField {
    static let octetStream = HTTPField(name: .contentType, value: "application/octet-stream")
    static let acceptRangesBytes = HTTPField(name: .acceptRanges, value: "bytes")
}
