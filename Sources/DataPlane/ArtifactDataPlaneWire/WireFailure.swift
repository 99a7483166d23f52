public import ArtifactDataPlane

/// The body of an `error` frame: a stable code, a message, and what else the code needs.
///
/// `code` is a `DataPlaneError` code (the operation failed, exactly as it would in process) or a
/// ``DataPlaneWireError`` code (the protocol failed). The two sets do not overlap.
public struct WireFailure: Sendable, Hashable, Codable {
    public var code: String
    public var message: String
    /// The backend concerned, for data plane errors that name one.
    public var backendID: String?
    /// With `unsupportedVersion`: the versions the daemon speaks.
    public var supportedVersions: [UInt64]?

    public init(code: String, message: String, backendID: String? = nil, supportedVersions: [UInt64]? = nil) {
        self.code = code
        self.message = message
        self.backendID = backendID
        self.supportedVersions = supportedVersions
    }

    public init(_ error: DataPlaneError) {
        self.init(code: error.code, message: error.message, backendID: error.backendID)
    }

    public init(_ error: DataPlaneWireError) {
        self.init(
            code: error.code,
            message: error.message,
            supportedVersions: error.kind == .unsupportedVersion ? WireProtocol.supportedVersions : nil
        )
    }

    /// The error as the client's caller sees it: the same `DataPlaneError` a local data plane
    /// would have thrown, or `dataPlaneUnavailable` wrapping the protocol error.
    public var dataPlaneError: DataPlaneError {
        if let kind = DataPlaneError.Code(rawValue: code) {
            return DataPlaneError(kind, message, backendID: backendID)
        }
        let wire = DataPlaneWireError.Code(rawValue: code).map { DataPlaneWireError($0, message) }
        return DataPlaneError(.dataPlaneUnavailable, "the data plane daemon answered \(code): \(message)", underlying: wire)
    }
}

extension DataPlaneError {
    /// `dataPlaneUnavailable` for a protocol failure on the client side.
    public static func unavailable(_ error: DataPlaneWireError) -> DataPlaneError {
        DataPlaneError(.dataPlaneUnavailable, "\(error.code): \(error.message)", underlying: error)
    }
}
