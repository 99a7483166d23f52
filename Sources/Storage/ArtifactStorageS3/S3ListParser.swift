public import Foundation

/// One page of a ListObjectsV2 answer, parsed from its `ListBucketResult` XML.
public struct S3ListPage: Sendable, Hashable {
    public struct Object: Sendable, Hashable {
        public var key: String
        public var size: UInt64
        public var lastModified: Date?
    }

    /// Objects (`Contents`), in S3's key order.
    public var objects: [Object]
    /// `CommonPrefixes` (with their trailing delimiter), when a delimiter was given.
    public var commonPrefixes: [String]
    public var isTruncated: Bool
    public var nextContinuationToken: String?

    public init(objects: [Object], commonPrefixes: [String], isTruncated: Bool, nextContinuationToken: String?) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
        self.isTruncated = isTruncated
        self.nextContinuationToken = nextContinuationToken
    }

    /// Parses a `ListBucketResult` document; `nil` when it is something else.
    public init?(xml bytes: [UInt8]) {
        guard let root = S3XMLElement.parse(bytes), root.name == "ListBucketResult" else { return nil }
        var objects: [Object] = []
        for entry in root.children("Contents") {
            guard let key = entry.text(of: "Key") else { return nil }
            objects.append(
                Object(
                    key: key,
                    size: entry.text(of: "Size").flatMap { UInt64($0.trimmingASCIIWhitespace()) } ?? 0,
                    lastModified: entry.text(of: "LastModified").flatMap(ISO8601Timestamp.parse)
                )
            )
        }
        self.objects = objects
        self.commonPrefixes = root.children("CommonPrefixes").compactMap { $0.text(of: "Prefix") }
        self.isTruncated = root.text(of: "IsTruncated")?.trimmingASCIIWhitespace() == "true"
        self.nextContinuationToken = root.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// `2009-10-12T17:50:30.000Z` (fractional seconds optional), as in S3 listings.
enum ISO8601Timestamp {
    static func parse(_ text: String) -> Date? {
        let scalars = Array(text.trimmingASCIIWhitespace().utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[start..<start + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2)
        else { return nil }
        var fraction = 0.0
        if scalars.count > 19, scalars[19] == UInt8(ascii: ".") {
            var scale = 0.1
            var index = 20
            while index < scalars.count, (48...57).contains(scalars[index]) {
                fraction += Double(scalars[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        return HTTPDate.date(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            .map { $0.addingTimeInterval(fraction) }
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 7231 IMF-fixdate), as in `Last-Modified`.
enum HTTPDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        return date(year: year, month: monthIndex + 1, day: day, hour: time[0], minute: time[1], second: time[2])
    }

    /// Seconds since 1970 for a UTC civil time (days-from-civil, Howard Hinnant).
    static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }
}
