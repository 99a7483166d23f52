import ArtifactStoreAPI

/// Artifact-name globs for retention policies: `*` (within one `/` part), `**` (across parts),
/// `?` (one character other than `/`), everything else literal.
package struct ArtifactGlob: Sendable, Hashable {
    let pattern: [Character]

    package init(_ text: String) throws(ControlPlaneError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-/*?")
        guard !text.isEmpty, text.count <= 255, text.allSatisfy(allowed.contains) else {
            throw ControlPlaneError(
                .invalidPolicy,
                "artifact glob \"\(NameGrammar.printable(text))\" may use only artifact-name characters, '*', '**' and '?'"
            )
        }
        pattern = Array(text)
    }

    package func matches(_ name: String) -> Bool {
        Self.match(pattern[...], Array(name)[...])
    }

    private static func match(_ pattern: ArraySlice<Character>, _ name: ArraySlice<Character>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == "*" {
            let doubled = pattern.dropFirst().first == "*"
            let rest = doubled ? pattern.dropFirst(2) : pattern.dropFirst()
            var index = name.startIndex
            while true {
                if match(rest, name[index...]) { return true }
                guard index < name.endIndex, doubled || name[index] != "/" else { return false }
                index += 1
            }
        }
        guard let character = name.first else { return false }
        if first == "?" ? character != "/" : first == character {
            return match(pattern.dropFirst(), name.dropFirst())
        }
        return false
    }
}
