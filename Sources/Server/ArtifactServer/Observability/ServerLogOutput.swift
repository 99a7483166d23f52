#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// Where ``ServerLogHandler`` writes: standard error, or a stream a test reads.
///
/// Standard error gets each line with one `write(2)` (repeated only for a partial write), so
/// lines from concurrent requests never interleave within a line on a pipe or an appended file.
enum ServerLogOutput: Sendable {
    case standardError
    case stream(any TextOutputStream & Sendable)

    func write(_ line: String) {
        switch self {
        case .stream(let stream):
            var stream = stream
            stream.write(line)
        case .standardError:
            var line = line
            line.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = writeStandardError(bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return  // Nowhere to report a failing standard error; the line is dropped.
                    }
                }
            }
        }
    }
}

/// `write(2, …)`, outside ``ServerLogOutput`` whose own `write` would hide it.
private func writeStandardError(_ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(2, bytes, count)
}
