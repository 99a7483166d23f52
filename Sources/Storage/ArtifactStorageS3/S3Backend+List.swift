public import ArtifactStorage
import Logging

// Listing: ListObjectsV2 under the backend's prefix, in the contract's byte-wise path order.
//
// The cursor is the path of the last entry returned, and each page asks S3 to `start-after`
// it, so a cursor survives changes between pages and any string is a valid cursor. S3 orders a
// non-recursive listing by key, which puts the directory `X` (common prefix `X/`) after the
// objects `X!…` to `X.…` (bytes below `/`), while the contract orders it before them. Within a
// page, sorting fixes that; across a page boundary, a directory S3 would report only later is
// found by probing (`ListObjectsV2 prefix=X/ max-keys=1`) for each such candidate near the end
// of a truncated page, so no entry is ever returned out of order or skipped.
extension S3Backend {
    public func list(
        under prefix: StoragePath?,
        recursive: Bool,
        limit: Int,
        cursor: String?
    ) async throws(StorageError)
        -> StorageListPage
    {
        let limit = max(1, limit)
        let keyPrefix = prefix.map { key(for: $0) + "/" } ?? rootKeyPrefix
        let cursorBytes = cursor.map { Array($0.utf8) }
        var token: String?
        var collected: [StorageEntry] = []
        var truncated = false
        var probed: [String: Bool] = [:]
        repeat {
            let page: S3ListPage
            do {
                page = try await client.listObjectsV2(
                    prefix: keyPrefix,
                    delimiter: recursive ? nil : "/",
                    continuationToken: token,
                    startAfter: token == nil ? cursor.map { rootKeyPrefix + $0 } : nil,
                    maxKeys: min(limit, 1000)
                )
            } catch {
                throw relabel(error, path: prefix)
            }
            var entries: [StorageEntry] = []
            for object in page.objects {
                guard object.key.utf8.starts(with: keyPrefix.utf8), let path = path(forKey: object.key) else {
                    logger.debug("s3 list: skipping a key outside the root or not a valid path", metadata: ["key": "\(object.key)"])
                    continue
                }
                entries.append(StorageEntry(path: path, kind: .object, size: object.size, modified: object.lastModified))
            }
            if !recursive {
                for common in page.commonPrefixes {
                    guard common.utf8.starts(with: keyPrefix.utf8), common.utf8.last == UInt8(ascii: "/"),
                        let path = path(forKey: String(decoding: common.utf8.dropLast(), as: UTF8.self))
                    else { continue }
                    entries.append(StorageEntry(path: path, kind: .directory))
                }
                if page.isTruncated {
                    entries += try await directoriesBeyond(page: page, objects: entries, keyPrefix: keyPrefix, probed: &probed)
                }
            }
            if let cursorBytes {
                entries.removeAll { !cursorBytes.lexicographicallyPrecedes($0.path.bytes) }
            }
            collected += entries
            truncated = page.isTruncated
            token = page.nextContinuationToken
        } while collected.isEmpty && truncated && token != nil

        collected = Self.sortedUnique(collected)
        if collected.count > limit {
            collected.removeLast(collected.count - limit)
            truncated = true
        }
        return StorageListPage(entries: collected, nextCursor: truncated ? collected.last?.path.string : nil)
    }

    /// Directories that sort before some object of this truncated page in path order but that
    /// S3 would only report on a later page (their `X/` lies past the page's last position).
    func directoriesBeyond(
        page: S3ListPage,
        objects: [StorageEntry],
        keyPrefix: String,
        probed: inout [String: Bool]
    )
        async throws(StorageError) -> [StorageEntry]
    {
        let lastPosition =
            (page.objects.map(\.key) + page.commonPrefixes).map { Array($0.utf8) }
            .max { $0.lexicographicallyPrecedes($1) } ?? []
        let known = Set(page.commonPrefixes)
        var found: [StorageEntry] = []
        for entry in objects where entry.kind == .object {
            let name = Array(entry.path.name.utf8)
            let parent = Array(keyPrefix.utf8)
            for index in 1..<max(1, name.count) where name[index] < UInt8(ascii: "/") {
                let candidate = String(decoding: parent + name[..<index] + [UInt8(ascii: "/")], as: UTF8.self)
                guard !known.contains(candidate), lastPosition.lexicographicallyPrecedes(Array(candidate.utf8)),
                    let directory = path(forKey: String(candidate.dropLast()))
                else { continue }
                if probed[candidate] == nil {
                    let probe: S3ListPage
                    do {
                        probe = try await client.listObjectsV2(prefix: candidate, maxKeys: 1)
                    } catch {
                        throw relabel(error, path: directory)
                    }
                    probed[candidate] = !probe.objects.isEmpty
                    if !probe.objects.isEmpty {
                        found.append(StorageEntry(path: directory, kind: .directory))
                    }
                }
            }
        }
        return found
    }

    /// Sorted by path bytes; where an object and a directory share a path (keys written by
    /// another tool, `a` and `a/b`), the object is kept.
    static func sortedUnique(_ entries: [StorageEntry]) -> [StorageEntry] {
        let sorted = entries.sorted { lhs, rhs in
            if lhs.path.bytes != rhs.path.bytes { return lhs.path.bytes.lexicographicallyPrecedes(rhs.path.bytes) }
            return lhs.kind == .object && rhs.kind == .directory
        }
        var result: [StorageEntry] = []
        for entry in sorted where result.last?.path.bytes != entry.path.bytes {
            result.append(entry)
        }
        return result
    }
}
