import ArgumentParser
import Braid

/// Where results go and what the user sees while a pipeline runs; shared by `embed` and `run`.
struct OutputOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Write the JSON lines to FILE instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Skip the ids already in FILE and append the rest to it; safe to repeat after a crash or kill.",
            valueName: "FILE"))
    var resume: String?

    @Option(
        help: ArgumentHelp(
            "Process only shard I of N (0-based): the items whose id hashes to I (FNV-1a 64 mod N).", valueName: "I/N"))
    var shard: String?

    @Flag(name: .shortAndLong, help: "Draw no progress bar.")
    var quiet = false

    @Flag(help: "Print per-stage items, busy time, items/s and queue depth to standard error at the end.")
    var stats = false

    func validate() throws {
        if output != nil && resume != nil {
            throw ValidationError("'--resume FILE' already writes to FILE; drop '--output'.")
        }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("'--shard': \(error)") }
        }
    }

    /// Applies the flags over a job's own settings.
    func apply(to job: inout EmbedJob) throws {
        if let resume { job.resume = resume }
        if let shard { job.shard = try Shard(parsing: shard) }
    }
}
