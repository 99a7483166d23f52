public import ArtifactCBOR
public import ArtifactDataPlane
public import ArtifactIdentity

/// The body of a `request` frame: one ``DataPlane`` operation and its arguments.
///
/// On the wire a CBOR map with the text key `op` (`ingest`, `serve`, `verify`, `delete`,
/// `backendHealth`, and the inventory operations `inventoryBackends`, `listObjects`,
/// `containsObject`, `deleteOutboard`) and the operation's own keys; an `op` this version does not define is
/// `unknownOperation`, not a shape error, so the client learns what was refused.
public enum WireRequest: Sendable, Hashable {
    /// Followed by the client's data frames (within credit) and `end`.
    case ingest(IngestHints)
    /// `window` is the credit the daemon starts with: how many data frames it may send before
    /// the client grants more, within ``WireProtocol/creditRange`` (anything else is refused as
    /// `malformedFrame`). `descriptor`: the client can take the object's file descriptor
    /// on the side channel instead of data frames (optional field, sent only when `true`).
    case serve(ContentAddress, range: ByteRange?, backendID: String?, window: UInt64, descriptor: Bool = false)
    case verify(ContentAddress, backendID: String?)
    case delete(ContentAddress, backendID: String?)
    case backendHealth
    /// The daemon's backends, default first (``WireInventoryBackends``): what reconciliation lists.
    case inventoryBackends
    /// One page of the files of `kind` in `backendID` (a `StoredObjectPage`); `limit` within
    /// ``WireProtocol/inventoryPageRange`` (anything else is `malformedFrame`).
    case listObjects(StoredObject.Kind, backendID: String, cursor: String?, limit: UInt64)
    /// Whether the object is in `backendID` (``WirePresence``).
    case containsObject(ContentAddress, backendID: String)
    /// Removes the object's outboard only (``WireRemoval``).
    case deleteOutboard(ContentAddress, backendID: String)

    /// Every operation name this version defines.
    public static let operations = [
        "ingest", "serve", "verify", "delete", "backendHealth", "inventoryBackends", "listObjects", "containsObject", "deleteOutboard",
    ]

    public var operation: String {
        switch self {
        case .ingest: "ingest"
        case .serve: "serve"
        case .verify: "verify"
        case .delete: "delete"
        case .backendHealth: "backendHealth"
        case .inventoryBackends: "inventoryBackends"
        case .listObjects: "listObjects"
        case .containsObject: "containsObject"
        case .deleteOutboard: "deleteOutboard"
        }
    }

    private struct Ingest: Codable {
        var op: String
        var hints: IngestHints
    }
    private struct Serve: Codable {
        var op: String
        var address: ContentAddress
        var range: ByteRange?
        var backendID: String?
        var window: UInt64
        /// Absent (not `false`) unless asked for, so requests of clients that do not ask are
        /// byte for byte what they were before the field existed.
        var descriptor: Bool?
    }
    private struct Object: Codable {
        var op: String
        var address: ContentAddress
        var backendID: String?
    }
    private struct Health: Codable { var op: String }
    private struct List: Codable {
        var op: String
        var kind: StoredObject.Kind
        var backendID: String
        var cursor: String?
        var limit: UInt64
    }
    private struct InBackend: Codable {
        var op: String
        var address: ContentAddress
        var backendID: String
    }

    /// The request as a `request` frame on `call`.
    public func frame(call: UInt64) throws(CBORError) -> Frame {
        switch self {
        case .ingest(let hints):
            try .control(.request, call: call, Ingest(op: operation, hints: hints))
        case .serve(let address, let range, let backendID, let window, let descriptor):
            try .control(
                .request,
                call: call,
                Serve(
                    op: operation,
                    address: address,
                    range: range,
                    backendID: backendID,
                    window: window,
                    descriptor: descriptor ? true : nil
                )
            )
        case .verify(let address, let backendID), .delete(let address, let backendID):
            try .control(.request, call: call, Object(op: operation, address: address, backendID: backendID))
        case .backendHealth, .inventoryBackends:
            try .control(.request, call: call, Health(op: operation))
        case .listObjects(let kind, let backendID, let cursor, let limit):
            try .control(.request, call: call, List(op: operation, kind: kind, backendID: backendID, cursor: cursor, limit: limit))
        case .containsObject(let address, let backendID), .deleteOutboard(let address, let backendID):
            try .control(.request, call: call, InBackend(op: operation, address: address, backendID: backendID))
        }
    }

    /// The request a `request` frame carries.
    public init(frame: Frame) throws(DataPlaneWireError) {
        guard case .value(let value) = frame.body, case .textString(let op)? = value["op"] else {
            throw DataPlaneWireError(.malformedFrame, "request on call \(frame.call) is not a map with a text \"op\"")
        }
        switch op {
        case "ingest":
            self = .ingest(try frame.decodeBody(Ingest.self).hints)
        case "serve":
            let serve = try frame.decodeBody(Serve.self)
            let windows = WireProtocol.creditRange
            guard windows.contains(serve.window) else {
                throw DataPlaneWireError(
                    .malformedFrame,
                    "serve request on call \(frame.call) asks for window \(serve.window); a window is the number of data frames "
                        + "the daemon may send before more credit, from \(windows.lowerBound) to \(windows.upperBound)"
                )
            }
            self = .serve(
                serve.address,
                range: serve.range,
                backendID: serve.backendID,
                window: serve.window,
                descriptor: serve.descriptor ?? false
            )
        case "verify":
            let object = try frame.decodeBody(Object.self)
            self = .verify(object.address, backendID: object.backendID)
        case "delete":
            let object = try frame.decodeBody(Object.self)
            self = .delete(object.address, backendID: object.backendID)
        case "backendHealth":
            self = .backendHealth
        case "inventoryBackends":
            self = .inventoryBackends
        case "listObjects":
            let list = try frame.decodeBody(List.self)
            let pages = WireProtocol.inventoryPageRange
            guard pages.contains(list.limit) else {
                throw DataPlaneWireError(
                    .malformedFrame,
                    "listObjects request on call \(frame.call) asks for \(list.limit) entries; a page holds "
                        + "from \(pages.lowerBound) to \(pages.upperBound)"
                )
            }
            self = .listObjects(list.kind, backendID: list.backendID, cursor: list.cursor, limit: list.limit)
        case "containsObject":
            let object = try frame.decodeBody(InBackend.self)
            self = .containsObject(object.address, backendID: object.backendID)
        case "deleteOutboard":
            let object = try frame.decodeBody(InBackend.self)
            self = .deleteOutboard(object.address, backendID: object.backendID)
        default:
            let shown = op.count > 64 ? String(op.prefix(64)) + "…" : op
            throw DataPlaneWireError(
                .unknownOperation,
                "request on call \(frame.call) names operation \"\(shown)\"; protocol version \(WireProtocol.version) defines \(Self.operations.joined(separator: ", "))"
            )
        }
    }
}

/// The body of the `result` frame of `inventoryBackends`.
public struct WireInventoryBackends: Sendable, Hashable, Codable {
    /// Default first.
    public var backendIDs: [String]

    public init(backendIDs: [String]) {
        self.backendIDs = backendIDs
    }
}

/// The body of the `result` frame of `containsObject`.
public struct WirePresence: Sendable, Hashable, Codable {
    public var present: Bool

    public init(present: Bool) {
        self.present = present
    }
}

/// The body of the `result` frame of `deleteOutboard`: `false` when there was none.
public struct WireRemoval: Sendable, Hashable, Codable {
    public var removed: Bool

    public init(removed: Bool) {
        self.removed = removed
    }
}

/// The body of the `result` frame of `backendHealth`.
public struct WireHealth: Sendable, Hashable, Codable {
    public var backends: [BackendStatus]

    public init(backends: [BackendStatus]) {
        self.backends = backends
    }
}

/// The body of the `result` frame that starts a serve: an empty map, after which the data
/// frames follow; or, for a client that asked for a descriptor and a whole object the daemon
/// opened as a local file, `descriptor`, after which `end` follows at once and the client
/// redeems the ticket on the side channel (docs/dataplane-protocol.md).
public struct WireServeStart: Sendable, Hashable, Codable {
    public var descriptor: WireDescriptorTicket?

    public init(descriptor: WireDescriptorTicket? = nil) {
        self.descriptor = descriptor
    }
}

/// What a serve answered with a descriptor tells the client.
public struct WireDescriptorTicket: Sendable, Hashable, Codable {
    /// ``WireProtocol/ticketLength`` random bytes, redeemable once, shortly, by the same process.
    public var ticket: [UInt8]
    /// The object's size when the daemon opened it.
    public var size: UInt64
    /// The backend the object was opened in.
    public var backendID: String
    /// Whether the client must prove the bytes (hash, or a stamp it recorded after a hash)
    /// before it hands out the last of them, as the daemon's data plane would.
    public var proves: Bool
    /// The file's stamp when the daemon opened it, present when the daemon's data plane has
    /// already proved these bytes (it wrote them at ingest, or hashed them on an earlier read)
    /// and still trusts that proof for the file as opened: the client then proves its read by
    /// this stamp (the passed file must have it before and after the read) instead of hashing.
    public var stamp: WireStamp?

    public init(ticket: [UInt8], size: UInt64, backendID: String, proves: Bool, stamp: WireStamp? = nil) {
        self.ticket = ticket
        self.size = size
        self.backendID = backendID
        self.proves = proves
        self.stamp = stamp
    }
}

/// A file's stamp on the wire: size, change time and the backend's identity words (device,
/// inode, modification time), as `StorageChangeStamp` holds them.
public struct WireStamp: Sendable, Hashable, Codable {
    public var size: UInt64
    public var changeTime: Int64
    public var identity: [UInt64]

    public init(size: UInt64, changeTime: Int64, identity: [UInt64]) {
        self.size = size
        self.changeTime = changeTime
        self.identity = identity
    }
}
