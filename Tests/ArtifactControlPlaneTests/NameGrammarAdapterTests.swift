import ArtifactControlPlane
import ArtifactStoreAPI
import Testing

/// The control plane's `NameGrammar.validate…` are the contract's `check…` as a
/// ``ControlPlaneError``: same verdict, same code, same message.
@Suite("Name grammar in the control plane", .timeLimit(.minutes(10)))
struct NameGrammarAdapterTests {
    /// `nil` when accepted, else the refusal's code and message.
    static func contract(_ check: () throws(NameGrammarError) -> Void) -> (String, String)? {
        do {
            try check()
            return nil
        } catch {
            return (error.code, error.message)
        }
    }

    static func controlPlane(_ check: () throws(ControlPlaneError) -> Void) -> (String, String)? {
        do {
            try check()
            return nil
        } catch {
            return (error.code, error.message)
        }
    }

    @Test(
        "every rule gives the control plane the contract's verdict, code and message",
        arguments: ["team", "Team", "a/b", "", "1.0", ".x", "a\\b"]
    )
    func sameVerdicts(text: String) {
        let pairs: [((String, String)?, (String, String)?)] = [
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkNamespace(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateNamespace(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkArtifact(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateArtifact(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkVersion(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateVersion(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkTag(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateTag(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkPolicyName(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validatePolicyName(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkPath(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validatePath(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkMediaType(text) },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateMediaType(text) }
            ),
            (
                Self.contract { () throws(NameGrammarError) in try NameGrammar.checkLabel(key: text, value: "v") },
                Self.controlPlane { () throws(ControlPlaneError) in try NameGrammar.validateLabel(key: text, value: "v") }
            ),
        ]
        for (index, (contract, controlPlane)) in pairs.enumerated() {
            #expect(contract?.0 == controlPlane?.0 && contract?.1 == controlPlane?.1, "rule \(index), \"\(text)\"")
        }
        // Every rule refuses the empty name, so refusals are compared too, not only acceptances.
        if text.isEmpty { #expect(pairs.allSatisfy { $0.0 != nil && $0.1 != nil }) }
    }
}
