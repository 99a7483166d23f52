import ArtifactStoreAPI
import Testing

/// The contract's name grammar (docs/control-plane.md, "Names"), as the client and the control
/// plane both apply it: what each rule accepts, what it refuses, and with which wire code.
@Suite("Name grammar", .timeLimit(.minutes(10)))
struct NameGrammarTests {
    typealias Check = @Sendable (String) throws(NameGrammarError) -> Void

    static let rules: [String: Check] = [
        "namespace": { name throws(NameGrammarError) in try NameGrammar.checkNamespace(name) },
        "artifact": { name throws(NameGrammarError) in try NameGrammar.checkArtifact(name) },
        "version": { name throws(NameGrammarError) in try NameGrammar.checkVersion(name) },
        "tag": { name throws(NameGrammarError) in try NameGrammar.checkTag(name) },
        "policy": { name throws(NameGrammarError) in try NameGrammar.checkPolicyName(name) },
        "path": { name throws(NameGrammarError) in try NameGrammar.checkPath(name) },
        "media type": { name throws(NameGrammarError) in try NameGrammar.checkMediaType(name) },
    ]

    /// `nil` when `check` accepts `text`, else the refusal's code.
    static func refusal(_ check: Check, _ text: String) -> NameGrammarError.Code? {
        do {
            try check(text)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test(
        "accepted names",
        arguments: [
            ("namespace", "team"), ("namespace", "a1.b-c_d"), ("namespace", String(repeating: "a", count: 64)),
            ("artifact", "app/linux-x64"), ("artifact", "a"), ("version", "1.0.0-rc_1"), ("version", "_build"), ("tag", "Stable"),
            ("policy", "nightly"), ("path", "bin/app"), ("path", "docs/café menu.txt"),
            ("media type", "application/vnd.oci.image.manifest.v1+json"),
            ("media type", "text/plain; charset=utf-8"),
        ]
    )
    func accepted(rule: String, text: String) throws {
        #expect(Self.refusal(try #require(Self.rules[rule]), text) == nil, "\(rule) \"\(text)\"")
    }

    @Test(
        "refused names carry the wire code of their kind",
        arguments: [
            ("namespace", "Team", NameGrammarError.Code.invalidName), ("namespace", "", .invalidName), ("namespace", "a..b", .invalidName),
            ("namespace", "-a", .invalidName), ("namespace", String(repeating: "a", count: 65), .invalidName),
            ("namespace", "a/b", .invalidName),
            ("artifact", "app//linux", .invalidName), ("artifact", "/app", .invalidName), ("artifact", "app/", .invalidName),
            ("version", ".1", .invalidName), ("version", "1.0 beta", .invalidName),
            ("version", String(repeating: "v", count: 129), .invalidName),
            ("tag", "a:b", .invalidName), ("policy", "Nightly", .invalidName),
            ("path", "", .invalidPath), ("path", "/etc/passwd", .invalidPath), ("path", "a/../b", .invalidPath),
            ("path", "a\\b", .invalidPath),
            ("path", "a/./b", .invalidPath), ("path", "a\u{1}b", .invalidPath), ("path", "\u{FEFF}a", .invalidPath),
            ("media type", "text", .invalidManifest), ("media type", "text/", .invalidManifest),
            ("media type", "te xt/plain", .invalidManifest),
        ]
    )
    func refused(rule: String, text: String, code: NameGrammarError.Code) throws {
        #expect(Self.refusal(try #require(Self.rules[rule]), text) == code, "\(rule) \"\(text)\"")
    }

    @Test("a label value may be empty but not hide characters; a label key is a component")
    func labels() {
        #expect(Self.refusal({ value throws(NameGrammarError) in try NameGrammar.checkLabel(key: "os", value: value) }, "") == nil)
        #expect(
            Self.refusal({ value throws(NameGrammarError) in try NameGrammar.checkLabel(key: "os", value: value) }, "linux\u{200B}")
                == .invalidName
        )
        #expect(Self.refusal({ key throws(NameGrammarError) in try NameGrammar.checkLabel(key: key, value: "x") }, "OS") == .invalidName)
    }

    /// Every string of up to five bytes over an alphabet that has each kind of byte the rules
    /// tell apart: the one-pass component check agrees with the grammar as docs/control-plane.md
    /// writes it, for namespaces (one component) and artifacts (components joined by `/`).
    @Test("namespace and artifact checks agree with the written grammar on every short string")
    func componentsAgreeWithTheGrammar() throws {
        let component = #"[a-z0-9]+([._-][a-z0-9]+)*"#
        let namespace = try Regex("^\(component)$")
        let artifact = try Regex("^\(component)(/\(component))*$")
        let checkNamespace = try #require(Self.rules["namespace"])
        let checkArtifact = try #require(Self.rules["artifact"])
        let alphabet: [Character] = ["a", "9", ".", "_", "-", "/", "A", " "]
        var names = [""]
        var frontier = [""]
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            names += frontier
        }
        var disagreements: [String] = []
        for name in names {
            if (Self.refusal(checkNamespace, name) == nil) != (name.wholeMatch(of: namespace) != nil) {
                disagreements.append("namespace \"\(name)\"")
            }
            if (Self.refusal(checkArtifact, name) == nil) != (name.wholeMatch(of: artifact) != nil) {
                disagreements.append("artifact \"\(name)\"")
            }
        }
        #expect(names.count == 37_449)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    @Test("messages name the input with hidden characters shown")
    func messages() {
        do {
            try NameGrammar.checkNamespace("te\u{0}am")
            Issue.record("accepted a control character")
        } catch {
            #expect(error.message.contains(#"te\u{0}am"#), "\(error.message)")
            #expect(error.code == "invalidName")
        }
    }
}
