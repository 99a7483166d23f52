/// `{"items": [...], "nextCursor": "..." | null}`: every list of the API, one page at a time.
///
/// `nextCursor` is always written, `null` on the last page (the document's `Page` schema
/// requires it); pass it back as the `cursor` query parameter for the next page.
public struct PageBody<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }
}

extension PageBody: Equatable where Item: Equatable {}
