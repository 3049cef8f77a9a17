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

    @Option(
        help: ArgumentHelp(
            "Store the vectors in this SQLite database, as llm stores its collections, instead of writing JSON lines; a rerun skips the items it holds with the same content and updates the changed ones.",
            valueName: "FILE"))
    var db: String?

    @Option(
        help: ArgumentHelp(
            "With '--db': the collection to store the vectors in (one encoder's per collection). Default: each encoder's own, named after it.",
            valueName: "NAME"))
    var collection: String?

    @Flag(help: "With '--db': at the end, delete the rows whose source file no longer exists.")
    var prune = false

    @Option(
        help: ArgumentHelp(
            "Write each encoder's vectors as NumPy shards to DIR/ENCODER/embeddings-NNNNN.npy, with metadata-NNNNN.jsonl beside them, instead of JSON lines; a rerun skips the ids they hold.",
            valueName: "DIR"))
    var npy: String?

    @Option(help: ArgumentHelp("With '--npy': rows per shard.", valueName: "N"))
    var shardSize = 100_000

    @Option(
        help: ArgumentHelp(
            "Where the {\"id\",\"error\"} line of an item that fails goes: 'stderr', and the exit code is 1; or 'inline', on standard output in order with the other lines, and the exit code stays 0 when only items failed (one line per input record, for Spark, Ray and other engines).",
            valueName: "stderr|inline"))
    var errors = ErrorDestination.stderr

    @Option(
        help: ArgumentHelp(
            "How each JSON line writes its vector: 'float' (the default), an array of numbers; or 'base64', the little-endian float32 bytes in base64, read without parsing numbers (numpy.frombuffer(base64.b64decode(s), '<f4')).",
            valueName: "float|base64"))
    var embeddingFormat: EmbeddingFormat?

    @Flag(name: .shortAndLong, help: "Draw no progress bar.")
    var quiet = false

    @Flag(help: "Print per-stage items, busy time, items/s and queue depth to standard error at the end.")
    var stats = false

    func validate() throws {
        if output != nil && resume != nil {
            throw ValidationError("'--resume FILE' already writes to FILE; drop '--output'.")
        }
        if db != nil && npy != nil {
            throw ValidationError("Choose one store: '--db FILE' or '--npy DIR'.")
        }
        if let npy, output != nil || resume != nil {
            throw ValidationError(
                "'--npy \(npy)' writes the vectors there and is its own journal; drop '--output' and '--resume'.")
        }
        guard shardSize >= 1 else { throw ValidationError("'--shard-size' must be at least 1, got \(shardSize).") }
        if db != nil && (output != nil || resume != nil) {
            throw ValidationError(
                "'--db FILE' stores the vectors in FILE and is its own journal; drop '--output' and '--resume'.")
        }
        if let embeddingFormat, let store = db.map({ "--db \($0)" }) ?? npy.map({ "--npy \($0)" }) {
            throw ValidationError(
                "'\(store)' stores each vector as float32, not in JSON lines; drop '--embedding-format \(embeddingFormat.rawValue)'.")
        }
        if db == nil && (collection != nil || prune) {
            throw ValidationError("'--collection' and '--prune' apply to a database: add '--db FILE'.")
        }
        if let shard {
            do { _ = try Shard(parsing: shard) } catch { throw ValidationError("'--shard': \(error)") }
        }
    }

    /// Applies the flags over a job's own settings.
    func apply(to job: inout EmbedJob) throws {
        if let resume { job.resume = resume }
        if let embeddingFormat { job.embeddingFormat = embeddingFormat }
        if let db { job.database = EmbedJob.Database(path: db, collection: collection, prune: prune) }
        if let npy { job.numpy = EmbedJob.NumPyOutput(folder: npy, shardSize: shardSize) }
        if let shard { job.shard = try Shard(parsing: shard) }
    }
}

extension EmbeddingFormat: ExpressibleByArgument {}

/// Where failed items' lines go.
enum ErrorDestination: String, ExpressibleByArgument, CaseIterable {
    case stderr
    case inline
}
