import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the TLS certificate on SIGHUP (``TLSCertificateReloader/reload()``).
///
/// Exists as a `Service` in `serve`'s one service group so the signal is trapped only while the
/// server runs and the handler stops with graceful shutdown. Only present when TLS is on: without
/// it SIGHUP keeps its default meaning.
struct TLSReloadService: Service {
    let reloader: TLSCertificateReloader
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading the TLS certificate", metadata: ["file": "\(reloader.certificateFile)"])
            reloader.reloadLoggingFailure()
        }
    }
}
