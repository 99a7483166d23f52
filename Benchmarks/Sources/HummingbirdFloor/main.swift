// hummingbird-floor PORT: a bare Hummingbird 2 server on 127.0.0.1:PORT, default configuration,
// no middleware, answering GET and HEAD of any path with the same 4 KiB body held in memory.
//
// Exists as the lower bound the benchmarks compare our server with (scripts/bench-http.sh and
// scripts/bench-instructions.sh): what a request costs in the HTTP stack alone, before any
// routing, authentication, metadata lookup, proof or file I/O of ours.
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 2, let port = Int(arguments[1]), (1...65535).contains(port) else {
    print("usage: hummingbird-floor PORT (1-65535)")
    exit(64)
}

var body = ByteBuffer()
body.writeRepeatingByte(UInt8(ascii: "x"), count: 4096)
let payload = body

let router = Router()
router.get("**") { _, _ in Response(status: .ok, body: .init(byteBuffer: payload)) }
router.head("**") { _, _ in Response(status: .ok, headers: [.contentLength: "4096"]) }

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
