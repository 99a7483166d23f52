public import ArtifactStorage
public import AsyncHTTPClient
public import Foundation
public import NIOCore
import NIOHTTP1

/// What a HEAD tells about an object.
public struct S3ObjectHead: Sendable, Hashable {
    public var size: UInt64
    public var lastModified: Date
    public var etag: String?
}

/// One multipart upload in progress (ListMultipartUploads).
public struct S3MultipartUpload: Sendable, Hashable {
    public var key: String
    public var uploadID: String
    /// When it was created (`Initiated`), if the answer said.
    public var initiated: Date?

    public init(key: String, uploadID: String, initiated: Date? = nil) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// One uploaded part, as CompleteMultipartUpload wants it.
public struct S3CompletedPart: Sendable, Hashable {
    public var partNumber: Int
    public var etag: String
}

// The S3 operations the backend needs, one request each. Keys are bucket-relative.
extension S3Client {
    // MARK: Bucket

    /// HeadBucket: whether the bucket answers. 404 → `unreachable` (no such bucket).
    public func headBucket() async throws(StorageError) {
        do {
            _ = try await send("HeadBucket", method: .HEAD, key: nil)
        } catch  where error.kind == .objectNotFound {
            throw StorageError(
                .unreachable,
                "bucket \(configuration.bucket) does not exist at \(configuration.effectiveEndpoint)",
                underlying: error
            )
        }
    }

    /// CreateBucket (tests and tooling only).
    public func createBucket() async throws(StorageError) {
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(
                string:
                    "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
            )
        }
        _ = try await collect(try await send("CreateBucket", method: .PUT, key: nil, body: body), operation: "CreateBucket", key: nil)
    }

    /// DeleteBucket (tests and tooling only); the bucket must be empty.
    public func deleteBucket() async throws(StorageError) {
        _ = try await collect(try await send("DeleteBucket", method: .DELETE, key: nil), operation: "DeleteBucket", key: nil)
    }

    // MARK: Objects

    /// PutObject of a body held in memory. Returns the ETag.
    ///
    /// With `ifNoneMatch`, sends `If-None-Match: *`: S3 refuses (412) if the key exists, so
    /// exactly one of several racing creators wins; reported as `alreadyExists`. `contentSHA256`
    /// (lower-case hex), when given, is signed as the body's hash instead of hashing the body:
    /// AWS S3 refuses the request if it is not the body's.
    @discardableResult
    public func putObject(
        key: String,
        body: ByteBuffer,
        ifNoneMatch: Bool = false,
        contentSHA256: String? = nil
    ) async throws(StorageError)
        -> String?
    {
        let response: HTTPClientResponse
        do {
            response = try await send(
                "PutObject",
                method: .PUT,
                key: key,
                headers: ifNoneMatch ? [("If-None-Match", "*")] : [],
                body: body,
                payloadHash: contentSHA256,
                timed: false
            )
        } catch {
            throw Self.conditionalFailure(error, key: key)
        }
        _ = try await collect(response, operation: "PutObject", key: key)
        return response.headers.first(name: "etag")
    }

    /// HeadObject; `nil` when there is no such object.
    public func headObject(key: String) async throws(StorageError) -> S3ObjectHead? {
        let response = try await send("HeadObject", method: .HEAD, key: key, accept: [404])
        if response.status.code == 404 { return nil }
        guard let length = response.headers.first(name: "content-length").flatMap(UInt64.init) else {
            throw StorageError(.io, "HeadObject \(describe(key)): the answer has no Content-Length")
        }
        let modified = response.headers.first(name: "last-modified").flatMap(HTTPDate.parse) ?? Date(timeIntervalSince1970: 0)
        return S3ObjectHead(size: length, lastModified: modified, etag: response.headers.first(name: "etag"))
    }

    /// GetObject, whole or `Range: bytes=lower-upper`; the response body is not yet read.
    ///
    /// With `ifMatch`, S3 answers 412 if the object no longer has that ETag (reported as `io`,
    /// "changed while being read").
    public func getObject(
        key: String,
        range: ClosedRange<UInt64>? = nil,
        ifMatch: String? = nil
    ) async throws(StorageError)
        -> HTTPClientResponse
    {
        var headers: [(String, String)] = []
        if let range {
            headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        if let ifMatch {
            headers.append(("If-Match", ifMatch))
        }
        return try await send("GetObject", method: .GET, key: key, headers: headers, timed: false)
    }

    /// DeleteObject (S3 answers success whether or not the object existed).
    public func deleteObject(key: String) async throws(StorageError) {
        _ = try await collect(try await send("DeleteObject", method: .DELETE, key: key), operation: "DeleteObject", key: key)
    }

    /// CopyObject within the bucket (objects up to 5 GiB).
    ///
    /// S3 may answer 200 and still fail a copy, with the error in the body; `InternalError` and
    /// `SlowDown` there are retried like a 500 or 503 status (``send``), since a copy can be
    /// repeated safely.
    public func copyObject(from source: String, to destination: String) async throws(StorageError) {
        var attempt = 1
        while true {
            let response = try await send(
                "CopyObject",
                method: .PUT,
                key: destination,
                headers: [("x-amz-copy-source", copySource(source))],
                timed: false
            )
            let body = try await collect(response, operation: "CopyObject", key: destination)
            guard let error = S3ErrorResponse.embedded(in: body) else { return }
            guard ["InternalError", "SlowDown", "ServiceUnavailable"].contains(error.code), attempt < Self.maximumAttempts,
                !Task.isCancelled
            else {
                throw error.storageError(operation: "CopyObject", path: destination)
            }
            try? await Task.sleep(for: Self.retryPause(after: attempt))
            attempt += 1
        }
    }

    /// `x-amz-copy-source`: `/bucket/key`, the key URI-encoded.
    func copySource(_ key: String) -> String {
        "/" + configuration.bucket + "/" + SigV4Signer.uriEncode(key, keepSlash: true)
    }

    // MARK: Listing

    /// ListObjectsV2, one page.
    public func listObjectsV2(
        prefix: String,
        delimiter: String? = nil,
        continuationToken: String? = nil,
        startAfter: String? = nil,
        maxKeys: Int = 1000
    ) async throws(StorageError) -> S3ListPage {
        var query: [SigV4Request.QueryItem] = [.init("list-type", "2"), .init("prefix", prefix), .init("max-keys", String(maxKeys))]
        if let delimiter { query.append(.init("delimiter", delimiter)) }
        if let continuationToken { query.append(.init("continuation-token", continuationToken)) }
        if let startAfter { query.append(.init("start-after", startAfter)) }
        let response = try await send("ListObjectsV2", method: .GET, key: nil, query: query)
        let body = try await collect(response, operation: "ListObjectsV2", key: nil)
        guard let page = S3ListPage(xml: body) else {
            throw StorageError(.io, "ListObjectsV2 on bucket \(configuration.bucket): the answer is not a ListBucketResult document")
        }
        return page
    }

    // MARK: Multipart

    /// CreateMultipartUpload; returns the upload id.
    public func createMultipartUpload(key: String) async throws(StorageError) -> String {
        let response = try await send("CreateMultipartUpload", method: .POST, key: key, query: [.init("uploads")])
        let body = try await collect(response, operation: "CreateMultipartUpload", key: key)
        guard let id = S3XMLElement.parse(body)?.text(of: "UploadId"), !id.isEmpty else {
            throw StorageError(.io, "CreateMultipartUpload \(describe(key)): the answer has no UploadId")
        }
        return id
    }

    /// UploadPart; returns the part's ETag.
    public func uploadPart(
        key: String,
        uploadID: String,
        partNumber: Int,
        body: ByteBuffer
    ) async throws(StorageError)
        -> S3CompletedPart
    {
        let response = try await send(
            "UploadPart",
            method: .PUT,
            key: key,
            query: [.init("partNumber", String(partNumber)), .init("uploadId", uploadID)],
            body: body,
            timed: false
        )
        _ = try await collect(response, operation: "UploadPart", key: key)
        guard let etag = response.headers.first(name: "etag") else {
            throw StorageError(.io, "UploadPart \(partNumber) \(describe(key)): the answer has no ETag")
        }
        return S3CompletedPart(partNumber: partNumber, etag: etag)
    }

    /// UploadPartCopy of the inclusive byte `range` of `source` as part `partNumber` of `key`.
    public func uploadPartCopy(
        key: String,
        uploadID: String,
        partNumber: Int,
        source: String,
        range: ClosedRange<UInt64>
    ) async throws(StorageError) -> S3CompletedPart {
        let response = try await send(
            "UploadPartCopy",
            method: .PUT,
            key: key,
            query: [.init("partNumber", String(partNumber)), .init("uploadId", uploadID)],
            headers: uploadPartCopyHeaders(source: source, range: range),
            timed: false
        )
        let body = try await collect(response, operation: "UploadPartCopy", key: key)
        if let error = S3ErrorResponse.embedded(in: body) {
            throw error.storageError(operation: "UploadPartCopy", path: key)
        }
        guard let etag = S3XMLElement.parse(body)?.text(of: "ETag") else {
            throw StorageError(.io, "UploadPartCopy \(partNumber) \(describe(key)): the answer has no ETag")
        }
        return S3CompletedPart(partNumber: partNumber, etag: etag)
    }

    /// The headers of an UploadPartCopy request (exposed for request-construction tests).
    public func uploadPartCopyHeaders(source: String, range: ClosedRange<UInt64>) -> [(String, String)] {
        [
            ("x-amz-copy-source", copySource(source)),
            ("x-amz-copy-source-range", "bytes=\(range.lowerBound)-\(range.upperBound)"),
        ]
    }

    /// CompleteMultipartUpload with `parts` (sorted by part number here).
    /// With `ifNoneMatch` (`If-None-Match: *`), an existing key makes it fail with `alreadyExists`.
    public func completeMultipartUpload(
        key: String,
        uploadID: String,
        parts: [S3CompletedPart],
        ifNoneMatch: Bool = false
    )
        async throws(StorageError)
    {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(Self.xmlEscape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers = [("Content-Type", "application/xml")]
        if ifNoneMatch { headers.append(("If-None-Match", "*")) }
        let body: [UInt8]
        do {
            let response = try await send(
                "CompleteMultipartUpload",
                method: .POST,
                key: key,
                query: [.init("uploadId", uploadID)],
                headers: headers,
                body: ByteBuffer(string: xml),
                timed: false
            )
            body = try await collect(response, operation: "CompleteMultipartUpload", key: key)
        } catch {
            throw Self.conditionalFailure(error, key: key)
        }
        if let error = S3ErrorResponse.embedded(in: body) {
            throw Self.conditionalFailure(error.storageError(operation: "CompleteMultipartUpload", path: key), key: key)
        }
    }

    /// A refused `If-None-Match: *` (412 PreconditionFailed, or 409 ConditionalRequestConflict
    /// when another conditional write is in progress) means the key exists: `alreadyExists`.
    static func conditionalFailure(_ error: StorageError, key: String) -> StorageError {
        guard let response = error.underlying as? S3ErrorResponse,
            response.status == 412 || response.code == "PreconditionFailed" || response.code == "ConditionalRequestConflict"
        else { return error }
        return StorageError(.alreadyExists, "an object is already at \"\(key)\" (\(response))", path: key, underlying: response)
    }

    /// AbortMultipartUpload.
    public func abortMultipartUpload(key: String, uploadID: String) async throws(StorageError) {
        let response = try await send(
            "AbortMultipartUpload",
            method: .DELETE,
            key: key,
            query: [.init("uploadId", uploadID)]
        )
        _ = try await collect(response, operation: "AbortMultipartUpload", key: key)
    }

    /// ListMultipartUploads under `prefix`, every page (at most `limit` uploads, oldest pages
    /// first as S3 orders them by key).
    public func listMultipartUploads(prefix: String, limit: Int = 100_000) async throws(StorageError) -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query: [SigV4Request.QueryItem] = [.init("uploads"), .init("prefix", prefix)]
            if let markers { query += [.init("key-marker", markers.key), .init("upload-id-marker", markers.uploadID)] }
            let response = try await send("ListMultipartUploads", method: .GET, key: nil, query: query)
            let body = try await collect(response, operation: "ListMultipartUploads", key: nil)
            guard let root = S3XMLElement.parse(body) else {
                throw StorageError(.io, "ListMultipartUploads on bucket \(configuration.bucket): the answer is not XML")
            }
            uploads += root.children("Upload").compactMap { upload in
                guard let key = upload.text(of: "Key"), let id = upload.text(of: "UploadId") else { return nil }
                return S3MultipartUpload(key: key, uploadID: id, initiated: upload.text(of: "Initiated").flatMap(ISO8601Timestamp.parse))
            }
            markers = nil
            if root.text(of: "IsTruncated")?.trimmingASCIIWhitespace() == "true",
                let key = root.text(of: "NextKeyMarker"), let id = root.text(of: "NextUploadIdMarker"), !key.isEmpty
            {
                markers = (key, id)
            }
        } while markers != nil && uploads.count < limit
        return uploads
    }

    /// The time the newest part of an upload was written (ListParts, every page), or `nil` when
    /// it has no parts yet.
    public func lastPartModified(key: String, uploadID: String) async throws(StorageError) -> Date? {
        var newest: Date?
        var marker: String?
        for _ in 0..<20 {
            var query: [SigV4Request.QueryItem] = [.init("uploadId", uploadID)]
            if let marker { query.append(.init("part-number-marker", marker)) }
            let response = try await send("ListParts", method: .GET, key: key, query: query)
            let body = try await collect(response, operation: "ListParts", key: key)
            guard let root = S3XMLElement.parse(body) else {
                throw StorageError(.io, "ListParts of \(key): the answer is not XML", path: key)
            }
            for part in root.children("Part") {
                if let modified = part.text(of: "LastModified").flatMap(ISO8601Timestamp.parse), modified > (newest ?? .distantPast) {
                    newest = modified
                }
            }
            guard root.text(of: "IsTruncated")?.trimmingASCIIWhitespace() == "true",
                let next = root.text(of: "NextPartNumberMarker"), !next.isEmpty
            else { break }
            marker = next
        }
        return newest
    }

    // MARK: Presigning

    /// A presigned GET URL for `key`, valid `expires` seconds from `date` (1 s to 7 days), with
    /// `UNSIGNED-PAYLOAD` as S3 requires.
    public func presignedGetURL(key: String, expires: Int, date: Date = Date()) throws(StorageError) -> String {
        guard (1...SigV4Signer.maximumPresignExpiry).contains(expires) else {
            throw StorageError(
                .invalidConfiguration,
                "presigned URL expiry \(expires) s is outside 1…\(SigV4Signer.maximumPresignExpiry) s (S3 allows at most 7 days)",
                path: key
            )
        }
        let target = target(key: key)
        let request = SigV4Request(method: "GET", path: target.path, headers: [.init("Host", target.authority)])
        return signer.presignedURL(
            scheme: target.scheme,
            authority: target.authority,
            request: request,
            date: date,
            expires: expires
        )
    }

    static func xmlEscape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
