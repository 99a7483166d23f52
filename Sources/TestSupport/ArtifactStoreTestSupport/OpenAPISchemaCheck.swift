public import Foundation

/// Compares an encoded JSON body with a schema of an OpenAPI document (``YAML``), key by key.
///
/// Exists so the contract tests (ArtifactStoreAPITests, and the server's for the bodies that carry
/// data-plane types) check the document against what the Swift types really encode, in both
/// directions: a property the type writes that the schema lacks, and one the schema names that
/// the type never writes, are both reported. `$ref` and `allOf` are followed; maps declared with
/// `additionalProperties` are not compared key by key.
public struct OpenAPISchemaCheck: Sendable {
    public let document: YAML

    public init(document: YAML) {
        self.document = document
    }

    /// Which properties an object is expected to have, at every level.
    public enum Optionals: Sendable {
        /// Every declared property: a sample with all optional fields set.
        case present
        /// Exactly the required ones: a sample with no optional field set.
        case absent
        /// The required ones and any declared others: a live answer.
        case either
    }

    /// Compares `json` with `schema`; problems are appended, one line each.
    public func compare(_ json: Data, with schema: YAML, at path: String, optionals: Optionals, into problems: inout [String]) throws {
        let value = try JSONDecoder().decode(JSONShape.self, from: json)
        try check(value, try flattened(schema), at: path, optionals: optionals, into: &problems)
    }

    /// The component schema `name`, as `{$ref: '#/components/schemas/name'}` would resolve.
    public func schema(_ name: String) throws -> YAML {
        try resolve(.map(["$ref": .scalar("#/components/schemas/\(name)")]))
    }

    /// `value` with its `$ref` followed (a local reference into this document).
    public func resolve(_ value: YAML) throws -> YAML {
        guard let reference = value["$ref"]?.string else { return value }
        let parts = reference.split(separator: "/").map(String.init)
        guard parts.first == "#" else { throw SchemaCheckError(description: "reference \(reference) is not local") }
        var target = document
        for part in parts.dropFirst() {
            guard let next = target[part] else { throw SchemaCheckError(description: "reference \(reference) does not resolve") }
            target = next
        }
        return try resolve(target)
    }

    /// The schema with `$ref` followed and `allOf` merged into one object schema.
    func flattened(_ schema: YAML) throws -> YAML {
        let schema = try resolve(schema)
        guard let parts = schema["allOf"] else { return schema }
        var merged = schema.members
        merged["allOf"] = nil
        var properties: [String: YAML] = [:]
        var required: [YAML] = []
        for part in try parts.items.map(flattened) + [schema] {
            for (key, value) in part["properties"]?.members ?? [:] {
                properties[key] = .map((properties[key]?.members ?? [:]).merging(value.members) { $1 })
            }
            required += part["required"]?.items ?? []
            if let type = part["type"] { merged["type"] = type }
        }
        merged["properties"] = .map(properties)
        merged["required"] = .list(required)
        return .map(merged)
    }

    func check(_ value: JSONShape, _ schema: YAML, at path: String, optionals: Optionals, into problems: inout [String]) throws {
        if let types = schema["type"].map({ $0.items.isEmpty ? [$0.string ?? ""] : $0.items.compactMap(\.string) }) {
            let accepted = value.type == "integer" ? [value.type, "number"] : [value.type]
            if !types.contains(where: accepted.contains) {
                problems.append("\(path): encodes \(value.type), the schema says \(types.joined(separator: " or "))")
            }
        }
        switch value {
        case .object(let members):
            guard let properties = schema["properties"]?.members else { return }
            let keys = Set(members.keys)
            let declared = Set(properties.keys)
            let required = Set(schema["required"]?.items.compactMap(\.string) ?? [])
            if !required.isSubset(of: declared) {
                problems.append("\(path): required \(required.subtracting(declared).sorted()) not declared")
            }
            let expected = optionals == .present ? declared : required
            if keys.subtracting(declared).isEmpty == false {
                problems.append("\(path): encodes \(keys.subtracting(declared).sorted()), which the schema does not declare")
            }
            if expected.subtracting(keys).isEmpty == false {
                let what = optionals == .present ? "declares" : "requires"
                problems.append("\(path): the schema \(what) \(expected.subtracting(keys).sorted()), which the type does not encode")
            }
            if optionals == .absent, keys.subtracting(required).isEmpty == false {
                problems.append(
                    "\(path): encodes \(keys.subtracting(required).sorted()) without optionals, but the schema does not require them"
                )
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                guard let property = properties[key] else { continue }
                try check(member, try flattened(property), at: "\(path).\(key)", optionals: optionals, into: &problems)
            }
        case .array(let elements):
            guard let items = schema["items"] else { return }
            for (index, element) in elements.enumerated() {
                try check(element, try flattened(items), at: "\(path)[\(index)]", optionals: optionals, into: &problems)
            }
        default:
            return
        }
    }
}

public struct SchemaCheckError: Error, CustomStringConvertible {
    public var description: String
}

/// A JSON value with its JSON type kept exact (a boolean is never a number).
enum JSONShape: Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONShape])
    case object([String: JSONShape])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONShape].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONShape].self))
        }
    }

    /// The JSON Schema type name.
    var type: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
