import ArtifactStoreAPI
import Foundation

/// Which page of a list to return: at most ``limit`` items after the position ``cursor`` names.
///
/// Exists so every list in the control plane is paged the same way, by keyset (the cursor is the
/// last key of the previous page, opaque to callers), and never loads a whole table.
public struct PageRequest: Sendable, Hashable {
    /// Largest page any list returns.
    public static let maximumLimit = 1000

    /// 1 … ``maximumLimit``.
    public var limit: Int
    /// ``Page/nextCursor`` of the previous page; `nil` for the first page.
    public var cursor: String?

    public init(limit: Int = 100, cursor: String? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// The first page of `limit` items.
    public static func first(_ limit: Int = 100) -> PageRequest { PageRequest(limit: limit) }

    /// Checks the limit and decodes the cursor into the key it names (`arity` parts), or `nil`.
    func validated(arity: Int) throws(ControlPlaneError) -> [String]? {
        guard (1...Self.maximumLimit).contains(limit) else {
            throw ControlPlaneError(.invalidPageRequest, "page limit \(limit) is outside 1…\(Self.maximumLimit)")
        }
        guard let cursor else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
            let key = try? JSONDecoder().decode([String].self, from: data), key.count == arity
        else {
            throw ControlPlaneError(.invalidPageRequest, "page cursor \"\(NameGrammar.printable(cursor))\" is not one this list issued")
        }
        return key
    }

    /// The opaque cursor for the key of the last item of a page.
    static func cursor(for key: [String]) -> String {
        let data = (try? JSONEncoder().encode(key)) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// One page of a list, and where the next one starts.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass to ``PageRequest/cursor`` for the next page; `nil` when this is the last.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Builds a page from up to `limit + 1` fetched items: the extra one only says there is more.
    static func from(fetched: [Item], limit: Int, key: (Item) -> [String]) -> Page {
        guard fetched.count > limit else { return Page(items: fetched, nextCursor: nil) }
        let items = Array(fetched.prefix(limit))
        return Page(items: items, nextCursor: PageRequest.cursor(for: key(items[items.count - 1])))
    }
}

extension Page: Equatable where Item: Equatable {}
