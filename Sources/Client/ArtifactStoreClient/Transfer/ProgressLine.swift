import ArtifactStoreAPI

/// One line of a transfer's progress bar: `uploading [#####-----]  52.4 MiB / 100.0 MiB  31.2 MiB/s  ETA 0:02`.
///
/// A pure function of the numbers, so it is tested without a terminal or a clock; the CLI
/// decides when to draw it (only on a terminal, at most a few times a second). The line always
/// fits in `width - 1` columns, so a terminal never wraps it (a wrapped line is redrawn below
/// itself, one new line per redraw): the bar shrinks first, then the rate, the sizes and the ETA
/// are left out, in that order, to keep a bar of at least ``minimumBar``; a terminal too narrow
/// for any bar gets the fullest line without one, and what still does not fit is cut.
public enum ProgressLine {
    /// Narrower bars than this are left out.
    static let minimumBar = 5

    /// - Parameters:
    ///   - done: bytes so far; `total`: bytes in all; `elapsed`: seconds since the phase began.
    ///   - width: the terminal's columns; the bar takes what the numbers leave.
    public static func render(label: String, done: UInt64, total: UInt64, elapsed: Double, width: Int = 80) -> String {
        let shownDone = min(done, total)
        let fraction = total == 0 ? 1.0 : Double(shownDone) / Double(total)
        let rate = elapsed > 0 ? Double(shownDone) / elapsed : 0
        let eta: String
        if shownDone >= total {
            eta = "done"
        } else if rate > 0 {
            eta = "ETA " + duration(Double(total - shownDone) / rate)
        } else {
            eta = "ETA --:--"
        }
        let sizes = "\(bytes(shownDone)) / \(bytes(total))"
        let speed = "\(bytes(UInt64(rate)))/s"
        let percent = String(Int((fraction * 100).rounded(.down))) + "%"
        let limit = max(1, width - 1)
        // The numbers, fullest first: the first that leaves room for a bar (`[`, `]` and a space)
        // of `minimumBar` or more; on a terminal too narrow for any bar, the first that fits.
        let tails = [" \(sizes)  \(speed)  \(eta)", " \(sizes)  \(eta)", " \(eta)", ""]
        for tail in tails {
            let room = limit - label.count - percent.count - tail.count - 4
            guard room >= minimumBar else { continue }
            let barWidth = min(40, room)
            let filled = Int((Double(barWidth) * fraction).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
            return "\(label) [\(bar)] \(percent)\(tail)"
        }
        for tail in tails where label.count + 1 + percent.count + tail.count <= limit {
            return "\(label) \(percent)\(tail)"
        }
        // Not even the label and the percentage fit.
        return String("\(label) \(percent)".prefix(limit))
    }

    /// `512 B`, `1.5 KiB`, `52.4 MiB`, `1.0 GiB`.
    public static func bytes(_ count: UInt64) -> String {
        ByteSize.describe(count)
    }

    /// `0:07`, `12:34`, `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds < 360_000 else { return "--:--" }
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
    }
}
