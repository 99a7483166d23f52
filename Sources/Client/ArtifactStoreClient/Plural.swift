/// A count with its noun in the right number: `1 blob`, `2 blobs`, `0 files`.
///
/// Exists so every message the client and the CLI print agrees in number ("uploaded 1 blob",
/// not "1 blobs") without each one spelling the rule out.
public enum Plural {
    /// `count` and `singular`, or `plural` (by default `singular` + "s") unless `count` is 1.
    public static func of(_ count: some BinaryInteger, _ singular: String, plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
    }
}
