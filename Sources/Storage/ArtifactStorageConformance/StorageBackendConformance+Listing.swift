import ArtifactStorage
import ArtifactStoreCore

extension StorageBackendConformance {
    /// Over 1,000 keys paged with several limits, recursive and not: every key exactly once,
    /// in byte-wise order, pages never over the limit.
    public func listPaging() async throws {
        try await withSubject(.listPaging) { _, probe in
            var keys: [String] = (0..<1_040).map { "p/k" + String(String($0, radix: 10).reversed()) + "-\($0 % 7)" }
            keys += [
                "p/d1/x", "p/d1/y/z", "p/d2/w", "p-sibling", "q", "p.dot", "p/K-upper", "p/k-", "p/~tilde", "p/d1-file", "p/d10/z",
                "p/d1.0",
            ]
            let all = keys
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        for (index, key) in all.enumerated() where index % 8 == worker {
                            try await probe.backend.write(try path(key), from: [UInt8(index % 256)].stream)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for limit in [1_000, 333, 97, 7] {
                let entries = try await probe.listAll(under: nil, recursive: true, limit: limit)
                let names = entries.map(\.path.string)
                try probe.require(entries.allSatisfy { $0.kind == .object }, "a recursive listing returned a directory")
                try probe.require(
                    names.count == sorted.count,
                    "recursive listing with limit \(limit) returned \(names.count) keys, expected \(sorted.count)"
                )
                try probe.require(
                    names == sorted,
                    "recursive listing with limit \(limit) differs from the keys written (first difference at \(zip(names, sorted).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1))"
                )
            }
            let firstPage = try await probe.backend.list(under: nil, recursive: true, limit: 10, cursor: nil)
            try probe.require(
                firstPage.entries.count == 10 && firstPage.nextCursor != nil,
                "a first page of 10 came back with \(firstPage.entries.count) entries"
            )
            try probe.require(firstPage.entries.first?.size == 1, "recursive entries carry no size")

            let underP = sorted.filter { $0.hasPrefix("p/") }
            let recursiveP = try await probe.listAll(under: try path("p"), recursive: true, limit: 250).map(\.path.string)
            try probe.require(
                recursiveP == underP,
                "recursive listing under \"p\" returned \(recursiveP.count) keys, expected \(underP.count)"
            )

            let flat = try await probe.listAll(under: try path("p"), recursive: false, limit: 101)
            let flatObjects = flat.filter { $0.kind == .object }.map(\.path.string)
            let expectedObjects = underP.filter { $0.split(separator: "/").count == 2 }
            try probe.require(
                flatObjects == expectedObjects,
                "flat listing under \"p\" returned \(flatObjects.count) objects, expected \(expectedObjects.count)"
            )
            if capabilities.directories {
                let flatDirectories = flat.filter { $0.kind == .directory }.map(\.path.string)
                try probe.require(
                    flatDirectories == ["p/d1", "p/d10", "p/d2"],
                    "flat listing under \"p\" returned directories \(flatDirectories)"
                )
            }
            let root = try await probe.listAll(under: nil, recursive: false, limit: 2)
            let rootNames = root.map { "\($0.path)" + ($0.kind == .directory ? "/" : "") }
            try probe.require(rootNames == ["p/", "p-sibling", "p.dot", "q"], "flat listing of the root gave \(rootNames)")

            let missing = try await probe.backend.list(under: try path("nothing/here"), recursive: true, limit: 10, cursor: nil)
            try probe.require(missing.entries.isEmpty && missing.nextCursor == nil, "listing a missing prefix returned entries")
            let objectPrefix = try await probe.backend.list(under: try path("q"), recursive: false, limit: 10, cursor: nil)
            try probe.require(objectPrefix.entries.isEmpty, "listing under an object returned \(objectPrefix.entries.map(\.path.string))")
        }
    }

    /// A cursor continues after the last entry returned even when entries change between pages.
    public func listShapes() async throws {
        try await withSubject(.listShapes) { _, probe in
            for key in ["b", "d", "f"] { try await probe.write(try path(key), [1]) }
            let first = try await probe.backend.list(under: nil, recursive: true, limit: 1, cursor: nil)
            try probe.require(first.entries.map(\.path.string) == ["b"], "first page \(first.entries.map(\.path.string))")
            try await probe.write(try path("a"), [1])
            try await probe.write(try path("c"), [1])
            let second = try await probe.backend.list(under: nil, recursive: true, limit: 2, cursor: first.nextCursor)
            try probe.require(second.entries.map(\.path.string) == ["c", "d"], "after cursor \"b\": \(second.entries.map(\.path.string))")
            let third = try await probe.backend.list(under: nil, recursive: true, limit: 2, cursor: second.nextCursor)
            try probe.require(
                third.entries.map(\.path.string) == ["f"] && third.nextCursor == nil,
                "last page \(third.entries.map(\.path.string)), cursor \(third.nextCursor ?? "nil")"
            )
            let empty = try await probe.backend.list(under: nil, recursive: true, limit: 5, cursor: "zzz")
            try probe.require(empty.entries.isEmpty && empty.nextCursor == nil, "a cursor past the end returned entries")
        }
    }
}
