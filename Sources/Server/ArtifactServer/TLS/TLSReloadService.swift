import Logging
import ServiceLifecycle
import UnixSignals

/// Handles SIGHUP: reloads the TLS certificate (``TLSCertificateReloader/reload()``), or only
/// logs that there is nothing to reload when the server speaks plain HTTP.
///
/// Exists as a `Service` in `serve`'s one service group so the signal is trapped while the
/// server runs and the handler stops with graceful shutdown, and so `systemctl reload` (SIGHUP)
/// never ends the process, whether or not TLS is on.
struct TLSReloadService: Service {
    let reloader: TLSCertificateReloader?
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            guard let reloader else {
                logger.notice("SIGHUP: no TLS certificate to reload (the server speaks plain HTTP)")
                continue
            }
            logger.info("SIGHUP: reloading the TLS certificate", metadata: ["file": "\(reloader.certificateFile)"])
            reloader.reloadLoggingFailure()
        }
    }
}
