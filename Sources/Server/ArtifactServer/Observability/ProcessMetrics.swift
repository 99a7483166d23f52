import CArtifactProcess

#if canImport(Glibc)
import Glibc
#endif

/// The process metrics Prometheus clients conventionally export (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
/// `process_max_fds`, `process_start_time_seconds`), read from `/proc` when `/metrics` is scraped.
///
/// Exists so operators' usual dashboards and alerts (CPU, memory, descriptor exhaustion,
/// restarts) work on this server without an exporter beside it. Sampled per scrape rather than
/// kept up to date, so it costs nothing between scrapes. A value `/proc` cannot give (not Linux,
/// or a file unreadable) is left out rather than reported as zero.
struct ProcessMetrics: Sendable, Equatable {
    var cpuSeconds: Double?
    var residentBytes: Int?
    var virtualBytes: Int?
    var openDescriptors: Int?
    var maximumDescriptors: Int?
    var startTimeSeconds: Double?
    /// glibc's heap: bytes in live allocations, and bytes freed but still held by the allocator.
    var heap: HeapUsage?

    /// The current values for this process.
    static func sample() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = readProcFile("/proc/self/stat").flatMap(ProcStat.init(parsing:)), ticks > 0 {
            metrics.cpuSeconds = Double(stat.userTicks + stat.systemTicks) / ticks
            metrics.residentBytes = stat.residentPages * pageSize
            metrics.virtualBytes = stat.virtualBytes
            if let bootTime = readProcFile("/proc/stat").flatMap(Self.bootTime(in:)) {
                metrics.startTimeSeconds = Double(bootTime) + Double(stat.startTicks) / ticks
            }
        }
        metrics.heap = HeapUsage.sample()
        metrics.openDescriptors = countDescriptors()
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            metrics.maximumDescriptors = Int(limit.rlim_cur)
        }
        return metrics
    }

    /// The Prometheus text for the values present, each family with `# HELP` and `# TYPE`.
    func exposition() -> String {
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: String?) {
            guard let value else { return }
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds.map { "\($0)" })
        family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes.map { "\($0)" })
        family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes.map { "\($0)" })
        family("process_open_fds", "gauge", "Number of open file descriptors.", openDescriptors.map { "\($0)" })
        family("process_max_fds", "gauge", "Maximum number of open file descriptors.", maximumDescriptors.map { "\($0)" })
        let started = startTimeSeconds.map { "\($0)" }
        family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", started)
        family(
            "artifactstore_heap_in_use_bytes",
            "gauge",
            "Bytes of the allocator's heap in live allocations (glibc mallinfo2).",
            heap.map { "\($0.inUseBytes)" }
        )
        family(
            "artifactstore_heap_free_bytes",
            "gauge",
            "Bytes the allocator holds freed and not yet handed back to the system (glibc mallinfo2).",
            heap.map { "\($0.freeBytes)" }
        )
        return text
    }

    /// `btime` of `/proc/stat`: the boot time, in seconds since the epoch.
    static func bootTime(in stat: String) -> Int? {
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Int(line.dropFirst("btime ".count))
        }
        return nil
    }

    /// The entries of `/proc/self/fd`, less the one the listing itself holds open.
    static func countDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { $0.first }
            if name != UInt8(ascii: ".") { count += 1 }
        }
        return count - 1
    }

    /// A small `/proc` file's text (they report a size of 0, so read until the end).
    static func readProcFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The fields of `/proc/self/stat` the process metrics need (proc(5)).
struct ProcStat: Equatable {
    var userTicks: Int
    var systemTicks: Int
    var startTicks: Int
    var virtualBytes: Int
    var residentPages: Int

    /// Parses the line; the command name (field 2) is in parentheses and may hold spaces, so the
    /// fields are counted after its last `)`.
    init?(parsing text: String) {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // Fields from 3 (state) on.
        let fields = text[text.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        func field(_ number: Int) -> Int? {
            let index = number - 3
            return fields.indices.contains(index) ? Int(fields[index]) : nil
        }
        guard let user = field(14), let system = field(15), let start = field(22), let virtual = field(23), let resident = field(24) else {
            return nil
        }
        self.init(userTicks: user, systemTicks: system, startTicks: start, virtualBytes: virtual, residentPages: resident)
    }

    init(userTicks: Int, systemTicks: Int, startTicks: Int, virtualBytes: Int, residentPages: Int) {
        self.userTicks = userTicks
        self.systemTicks = systemTicks
        self.startTicks = startTicks
        self.virtualBytes = virtualBytes
        self.residentPages = residentPages
    }
}

/// The allocator's own account of its heap (glibc's `mallinfo2`; absent elsewhere): what live
/// allocations hold, and what it keeps freed for reuse.
///
/// Exists to tell, when resident memory stays above idle after a burst (a large manifest), live
/// data such as bounded caches apart from freed memory the allocator did not give back.
struct HeapUsage: Sendable, Equatable {
    /// Ordinary and mmapped chunks in use (`uordblks + hblkhd`).
    var inUseBytes: Int
    /// Free chunks held in the arenas (`fordblks`).
    var freeBytes: Int

    /// Now, or `nil` without glibc 2.33 or later. It locks each arena in turn, so it is sampled per scrape,
    /// never per request.
    static func sample() -> HeapUsage? {
        var inUse = 0
        var free = 0
        guard artifactstore_heap_usage(&inUse, &free) == 1 else { return nil }
        return HeapUsage(inUseBytes: inUse, freeBytes: free)
    }
}
