import Foundation
import Testing

/// `artifactstore namespace set --quota|--no-quota` and `artifactstore usage` against a live server.
@Suite("artifactstore usage and quotas (binary)", .serialized, .timeLimit(.minutes(10)))
struct UsageCommandTests {
    @Test func quotaUsageTableJSONAndRefusal() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let tree = try ClientEndToEndTests.makeTree(in: work)
        let push = try user.admin(["push", "team/app:1", tree.path])
        #expect(push.status == 0, "\(push.standardError)")

        let bad = try user.admin(["namespace", "set", "team", "--quota", "12XB"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("--quota \"12XB\" is not a size"), "\(bad.standardError)")
        let both = try user.admin(["namespace", "set", "team", "--quota", "1GiB", "--no-quota"])
        #expect(both.status == 2)

        let set = try user.admin(["namespace", "set", "team", "--quota", "4MiB"])
        #expect(set.status == 0, "\(set.standardError)")
        #expect(set.standardOutput.contains("quota 4.0 MiB"), "\(set.standardOutput)")

        let table = try user.admin(["usage", "team"])
        #expect(table.status == 0, "\(table.standardError)")
        #expect(table.lines.first?.hasPrefix("NAMESPACE  OBJECTS  FILES  REFERENCED") == true, "\(table.standardOutput)")
        let row = table.lines.dropFirst().first ?? ""
        #expect(row.hasPrefix("team "), "\(row)")
        #expect(row.contains("4.0 MiB"), "\(row)")
        #expect(row.hasSuffix("%"), "\(row)")

        let (_, one) = try user.json(["usage", "team"])
        let object = try #require(one as? [String: Any])
        #expect(object["quotaBytes"] as? Int == 4 << 20)
        #expect(object["files"] as? Int == 5)
        let referenced = try #require(object["bytesReferenced"] as? Int)
        #expect(referenced == 6 + 6 + 300_000 + (3 << 20))
        #expect(object["bytesStored"] as? Int == referenced - 6)

        let (_, all) = try user.json(["usage"])
        #expect((all as? [[String: Any]])?.compactMap { $0["namespace"] as? String } == ["team"])

        // A second copy of the tree would reference it all again: refused, nothing committed.
        let refused = try user.admin(["push", "team/app:2", tree.path])
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("quotaExceeded"), "\(refused.standardError)")
        #expect(refused.standardError.contains("namespace \"team\""), "\(refused.standardError)")
        let (_, after) = try user.json(["usage", "team"])
        #expect((after as? [String: Any])?["bytesReferenced"] as? Int == referenced)

        let off = try user.admin(["namespace", "set", "team", "--no-quota"])
        #expect(off.status == 0, "\(off.standardError)")
        #expect(try user.admin(["push", "team/app:2", tree.path]).status == 0)
        let (_, last) = try user.json(["usage", "team"])
        #expect((last as? [String: Any])?["quotaBytes"] == nil)
        #expect((last as? [String: Any])?["bytesReferenced"] as? Int == 2 * referenced)
    }
}
