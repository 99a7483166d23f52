import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import Testing

/// Keeps `openapi.yaml` and the Swift contract equal, in both directions: the embedded copy is the
/// file, every route is a documented operation and every operation a route (with its access rule),
/// and every schema's properties and required list are exactly the keys the Swift body encodes.
/// (The server's OpenAPI tests check the served document and live answers; schemathesis in
/// `.ci/run` checks it against a running server.)
@Suite("OpenAPI contract", .timeLimit(.minutes(10)))
struct OpenAPIContractTests {
    /// `openapi.yaml` as it is in the repository.
    static func file() throws -> String {
        let url = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "Sources/API/ArtifactStoreAPI/openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static func document() throws -> YAML {
        try YAML.parse(OpenAPIDocument.yaml)
    }

    static let httpMethods: Set<String> = ["get", "head", "put", "post", "delete", "patch", "options", "trace"]

    @Test("the embedded document is exactly openapi.yaml (run scripts/generate-openapi.sh after editing it)")
    func embeddedIsFile() throws {
        #expect(OpenAPIDocument.yaml == (try Self.file()))
    }

    @Test("every route is a documented operation and every documented operation is a route")
    func routesMatch() throws {
        let paths = try #require(try Self.document()["paths"]).members
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in item.members.keys where Self.httpMethods.contains(method) { documented.insert("\(method.uppercased()) \(path)") }
        }
        let routed = Set(APIRoute.all.map { "\($0.method.rawValue) \($0.openAPIPath)" })
        #expect(routed.count == APIRoute.all.count, "a route appears twice in APIRoute.all")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        #expect(Set(APIRoute.all.map(\.id)) == Set(APIRouteID.allCases), "every id has a route")
    }

    @Test("each operation's id, credentials and path parameters follow its route")
    func operationsFollowRoutes() throws {
        let document = try Self.document()
        for route in APIRoute.all {
            let operation = try #require(document["paths"]?[route.openAPIPath]?[route.method.rawValue.lowercased()], "\(route.id)")
            #expect(operation["operationId"]?.string == (route.id == .openAPI ? "openapi" : route.id.rawValue), "\(route.id)")
            // Open routes say `security: []`; the others take the document's bearer/basic requirement.
            let open = operation["security"] == .list([])
            #expect(
                open == (route.access == .open),
                "\(route.id): access \(route.access), security \(String(describing: operation["security"]))"
            )
            let pathParameters =
                try operation["parameters"].map(\.items).map { parameters in
                    try parameters.map { try OpenAPISchemaCheck(document: document).resolve($0) }.filter { $0["in"]?.string == "path" }
                        .compactMap { $0["name"]?.string }
                } ?? []
            let captures = route.openAPIPath.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            #expect(Set(pathParameters) == Set(captures), "\(route.id): parameters \(pathParameters), path \(captures)")
        }
    }

    @Test("every body's encoded keys are exactly its schema's properties, and without optionals exactly its required ones")
    func bodiesMatchSchemas() throws {
        let check = OpenAPISchemaCheck(document: try Self.document())
        let encoder = APIJSON.encoder()
        var problems: [String] = []
        for sample in ContractSamples.all {
            let schema = try check.schema(sample.schema)
            let full = try encoder.encode(sample.full)
            let minimal = try encoder.encode(sample.minimal)
            try check.compare(full, with: schema, at: "\(sample.schema) (all fields)", optionals: .present, into: &problems)
            try check.compare(minimal, with: schema, at: "\(sample.schema) (no optionals)", optionals: .absent, into: &problems)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test("every schema of the document is checked against a Swift type")
    func everySchemaCovered() throws {
        let schemas = Set(try #require(try Self.document()["components"]?["schemas"]).members.keys)
        let covered = Set(ContractSamples.all.map(\.schema)).union(ContractSamples.checkedByServerTests).union(["Page"])
        #expect(schemas.subtracting(covered).isEmpty, "schemas without a Swift type: \(schemas.subtracting(covered).sorted())")
        #expect(covered.subtracting(schemas).isEmpty, "Swift types without a schema: \(covered.subtracting(schemas).sorted())")
    }

    @Test("the schema check reports a property in either direction, a required one missing, and a wrong type")
    func schemaCheckFindsDifferences() throws {
        let document = try YAML.parse(
            """
            components:
              schemas:
                Thing:
                  type: object
                  required: [a]
                  properties:
                    a: {type: string}
                    b: {type: integer}
            """
        )
        let check = OpenAPISchemaCheck(document: document)
        let schema = try check.schema("Thing")
        func problems(_ json: String, _ optionals: OpenAPISchemaCheck.Optionals) throws -> [String] {
            var found: [String] = []
            try check.compare(Data(json.utf8), with: schema, at: "Thing", optionals: optionals, into: &found)
            return found
        }
        #expect(try problems(#"{"a":"x","b":1}"#, .present).isEmpty)
        #expect(try problems(#"{"a":"x"}"#, .absent).isEmpty)
        #expect(try problems(#"{"a":"x","b":1,"c":true}"#, .present).contains { $0.contains("[\"c\"]") })
        #expect(try problems(#"{"a":"x"}"#, .present).contains { $0.contains("declares [\"b\"]") })
        #expect(try problems(#"{"b":1}"#, .absent).contains { $0.contains("requires [\"a\"]") })
        #expect(try problems(#"{"a":"x","b":1}"#, .absent).contains { $0.contains("does not require them") })
        #expect(try problems(#"{"a":1,"b":1}"#, .present).contains { $0.contains("encodes integer, the schema says string") })
    }

    @Test("the YAML reader refuses what is outside its subset")
    func yamlSubsetRefusals() {
        #expect(throws: YAML.ParseError.self) { try YAML.parse("a: |\n  text\n") }
        #expect(throws: YAML.ParseError.self) { try YAML.parse("a: 1\na: 2\n") }
        #expect(throws: YAML.ParseError.self) { try YAML.parse("a: {b: 1\n") }
        #expect(throws: YAML.ParseError.self) { try YAML.parse("a:\n\tb: 1\n") }
        #expect(throws: YAML.ParseError.self) { try YAML.parse("a: &x 1\n") }
        #expect(
            (try? YAML.parse("a:\n  - b: 'it''s'\n    c: [1, {d: e}]\n"))
                == .map([
                    "a": .list([.map(["b": .scalar("it's"), "c": .list([.scalar("1"), .map(["d": .scalar("e")])])])])
                ])
        )
    }
}
