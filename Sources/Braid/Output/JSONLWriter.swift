#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes JSON lines to a file descriptor, each complete line with one `write(2)`.
///
/// Lines are never buffered in the process, so there is nothing to flush and a `kill -9` can at worst leave the
/// last line partly written (``ResumeJournal`` drops such a torn line). Writes are not synchronised with each other:
/// use one writer from one task (the sink), which is how the pipeline's ordered output is consumed anyway.
public final class JSONLWriter: Sendable {
    /// What errors call the destination: `stdout`, `stderr` or the file path.
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    init(descriptor: Int32, name: String, ownsDescriptor: Bool) {
        self.descriptor = descriptor
        self.name = name
        self.ownsDescriptor = ownsDescriptor
    }

    /// The data stream. Ignores `SIGPIPE` for the whole process, so that a reader that goes away early
    /// (`braid embed … | head -1`) surfaces as ``OutputError/consumerGone`` instead of killing the process.
    public static func standardOutput() -> JSONLWriter {
        signal(SIGPIPE, SIG_IGN)
        return JSONLWriter(descriptor: STDOUT_FILENO, name: "stdout", ownsDescriptor: false)
    }

    /// The diagnostics stream, for `{"id","error"}` lines.
    public static func standardError() -> JSONLWriter {
        JSONLWriter(descriptor: STDERR_FILENO, name: "stderr", ownsDescriptor: false)
    }

    /// Opens `path` for appending, creating it if needed (mode 0644); pair with ``ResumeJournal`` to resume a run.
    public init(appendingTo path: String) throws(OutputError) {
        let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw OutputError.cannotWrite(file: path, problem: String(cString: strerror(errno))) }
        descriptor = opened
        name = path
        ownsDescriptor = true
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes `{"id","source","modality","encoder","dim","embedding":[…],"meta":{…}}`.
    public func write(_ record: some OutputLine) throws(OutputError) {
        try write(line: record.jsonLine)
    }

    /// Writes `{"id","error"}` for an item that failed.
    public func write(_ failure: ItemFailure) throws(OutputError) {
        var line = JSONLine()
        line.append(key: "id", string: failure.id)
        line.append(key: "error", string: failure.message)
        try write(line: line.line)
    }

    /// Writes one finished line; retries after signals and, should the kernel take only part, writes the rest.
    public func write(line: [UInt8]) throws(OutputError) {
        var written = 0
        while written < line.count {
            let result = line.withUnsafeBytes { raw in
                systemWrite(descriptor, raw.baseAddress.map { $0 + written }, line.count - written)
            }
            if result >= 0 {
                written += result
            } else if errno == EPIPE {
                throw OutputError.consumerGone
            } else if errno != EINTR {
                throw OutputError.cannotWrite(file: name, problem: String(cString: strerror(errno)))
            }
        }
    }
}

#if canImport(Glibc)
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    private let systemWrite = Darwin.write
#endif

/// Why output stopped.
public enum OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reader of stdout went away (EPIPE): end the run cleanly, successfully, without further output.
    case consumerGone
    /// The destination cannot be opened or written.
    case cannotWrite(file: String, problem: String)
    /// A resume file cannot be read or repaired.
    case cannotResume(file: String, problem: String)
    /// Stored vectors cannot be read (`braid search`).
    case cannotRead(file: String, problem: String)

    public var description: String {
        switch self {
        case .consumerGone: "the reader of the output went away"
        case .cannotWrite(let file, let problem): "\(file): cannot write: \(problem)"
        case .cannotResume(let file, let problem): "\(file): cannot resume: \(problem)"
        case .cannotRead(let file, let problem): "\(file): cannot read: \(problem)"
        }
    }
}
