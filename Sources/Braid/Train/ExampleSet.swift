import AsyncAlgorithms
import BraidTensor
import Foundation

/// Which examples a run holds out for validation: those whose id hashes below `fraction` under `seed` (FNV-1a 64
/// of the id's UTF-8 bytes, mixed with the seed). The rule looks at nothing but the id, so the split is the same
/// in every epoch, in a resumed run, and whether the examples are cached or streamed.
public struct ValidationSplit: Codable, Sendable, Equatable {
    public var fraction: Double
    public var seed: UInt64

    public init(fraction: Double, seed: UInt64) {
        self.fraction = fraction
        self.seed = seed
    }

    public func holdsOut(_ id: String) -> Bool {
        var hash = FNV1a64()
        for byte in id.utf8 { hash.combine(byte) }
        let position = SeededRNG.derivedSeed(seed, hash.value) % 1_000_000
        return Double(position) < fraction * 1_000_000
    }
}

/// A numbered batch of examples, as the training loop consumes them.
public typealias ExampleBatch = (index: Int, examples: [Example])

/// The examples of a labelled data set: items decoded by the pipeline's decode stage (parallel, back-pressured),
/// made into examples by the model's front end, and split into training and validation by a ``ValidationSplit``.
///
/// The first pass reads everything once: it finds the labels, counts the examples and reports each item that fails
/// (by name, on the error writer). The examples stay in memory when they fit under `cacheBytes`; when they do not,
/// every epoch streams them from the source again through the same stages, shuffled in a seeded window as large as
/// the cap allows.
public final class ExampleSet: Sendable {
    /// Makes an example's values from an item, decoding it with the decode stage's decoder: the model's front end.
    public typealias FrontEnd = @Sendable (Item, MediaDecoder) throws -> [Float]

    /// The front end of a model of one medium: `values` of the item's decoded media.
    public static func decoding(_ values: @escaping @Sendable (Media, Item) throws -> [Float]) -> FrontEnd {
        { item, decoder in try values(try decoder.decode(item), item) }
    }

    private enum Storage: Sendable {
        case memory(training: [Example], validation: [Example])
        /// How many examples the shuffle window holds.
        case streaming(window: Int)
    }

    /// The data's input, filter and label rules, checked.
    private struct Source: Sendable {
        let origin: ItemSource.Origin
        let filter: ExtensionFilter
        let rules: LabelRules
        /// Whether an item without a label fails (a classifier's data), or keeps an empty one (an autoencoder's).
        let requiresLabels: Bool
    }

    public let data: LabelledData
    private let source: Source
    /// The class names; an example's `label` indexes this list.
    public let labels: [String]
    public let split: ValidationSplit?
    public let trainingCount: Int
    public let validationCount: Int
    /// Items that could not be read, decoded, labelled or made into an example.
    public let failedCount: Int
    private let storage: Storage
    private let frontEnd: FrontEnd
    private let decodeJobs: Int

    /// Whether the examples are kept in memory between epochs.
    public var isCached: Bool {
        if case .memory = storage { return true }
        return false
    }

    /// Reads the data once.
    /// - Parameters:
    ///   - split: The validation rule; nil puts every example in `validation` (evaluation).
    ///   - labels: The label list, when the model already has one (evaluation, a resumed run): an item with another
    ///     label fails. Nil takes the labels found, sorted (numerically when all are integers).
    ///   - requiringLabels: Whether an item without a label fails; when not, it is given the empty label.
    ///   - cacheBytes: The most memory the examples may take to be kept between epochs.
    ///   - errors: Where each failed item is written as `{"id","error"}`.
    ///   - progress: Advanced per item read.
    /// - Throws: `InputError` when the input as a whole cannot be read; `TrainingError.noExamples` when nothing
    ///   usable is left.
    public static func load(
        _ data: LabelledData, split: ValidationSplit?, labels fixedLabels: [String]? = nil, requiringLabels: Bool = true,
        cacheBytes: Int,
        decodeJobs: Int, errors: JSONLWriter, progress: ProgressBar? = nil, frontEnd: @escaping FrontEnd
    ) async throws -> ExampleSet {
        var (training, validation): ([LoadedExample], [LoadedExample]) = ([], [])
        var (trainingCount, validationCount, failedCount, bytes) = (0, 0, 0, 0)
        var cached = true
        var labelsFound: Set<String> = []
        let known = fixedLabels.map(Set.init)
        let source = Source(
            origin: try data.origin(), filter: ExtensionFilter(include: data.include, exclude: data.exclude),
            rules: try LabelRules(data), requiresLabels: requiringLabels)
        for try await record in loadedExamples(source, decodeJobs: decodeJobs, frontEnd: frontEnd) {
            progress?.advance()
            switch record {
            case .failure(let failure):
                failedCount += 1
                try? errors.write(failure)
            case .success(let example):
                if let known, !known.contains(example.label) {
                    failedCount += 1
                    let list = (fixedLabels ?? []).joined(separator: ", ")
                    try? errors.write(
                        ItemFailure(
                            id: example.id,
                            message: "\(example.id): label '\(example.label)' is not one of the model's (\(list))"))
                    continue
                }
                labelsFound.insert(example.label)
                let heldOut = split?.holdsOut(example.id) ?? true
                if heldOut { validationCount += 1 } else { trainingCount += 1 }
                guard cached else { continue }
                bytes += example.byteCount
                if bytes > cacheBytes {
                    cached = false
                    (training, validation) = ([], [])
                } else if heldOut {
                    validation.append(example)
                } else {
                    training.append(example)
                }
            }
        }
        progress?.finish()
        let labels = fixedLabels ?? sortedLabels(labelsFound)
        guard trainingCount + validationCount > 0, split == nil || trainingCount > 0 else {
            throw TrainingError.noExamples(failed: failedCount)
        }
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let storage: Storage
        if cached {
            storage = .memory(
                training: training.map { $0.example(index) }, validation: validation.map { $0.example(index) })
        } else {
            let averageBytes = max(1, bytes / max(1, trainingCount + validationCount))
            storage = .streaming(window: max(256, cacheBytes / averageBytes))
        }
        return ExampleSet(
            data: data, source: source, labels: labels, split: split, trainingCount: trainingCount,
            validationCount: validationCount, failedCount: failedCount, storage: storage, frontEnd: frontEnd,
            decodeJobs: decodeJobs)
    }

    private init(
        data: LabelledData, source: Source, labels: [String], split: ValidationSplit?, trainingCount: Int,
        validationCount: Int, failedCount: Int, storage: Storage, frontEnd: @escaping FrontEnd, decodeJobs: Int
    ) {
        self.data = data
        self.source = source
        self.labels = labels
        self.split = split
        self.trainingCount = trainingCount
        self.validationCount = validationCount
        self.failedCount = failedCount
        self.storage = storage
        self.frontEnd = frontEnd
        self.decodeJobs = decodeJobs
    }

    /// Epoch `epoch`'s training examples in their seeded order, in batches of `batchSize` (the last, partial batch
    /// is dropped so every step's batch statistics are over a full batch), from batch `skipping` on.
    public func trainingBatches(epoch: Int, batchSize: Int, seed: UInt64, skipping: Int = 0)
        -> any AsyncSequence<ExampleBatch, any Error> & Sendable
    {
        let orderSeed = SeededRNG.derivedSeed(seed, 0x6F72_6465_72, UInt64(epoch))
        switch storage {
        case .memory(let training, _):
            var rng = SeededRNG(seed: orderSeed)
            let order = Array(training.indices).shuffled(using: &rng)
            return order.map { training[$0] }.async.batched(size: batchSize).dropFirst(skipping)
        case .streaming(let window):
            return streamedExamples(validation: false).batched(size: batchSize, window: window, seed: orderSeed)
                .dropFirst(skipping)
        }
    }

    /// The validation examples (every example when there is no split), in source order, in batches.
    public func validationBatches(batchSize: Int) -> any AsyncSequence<ExampleBatch, any Error> & Sendable {
        switch storage {
        case .memory(_, let validation):
            return validation.async.batched(size: batchSize, keepingPartial: true)
        case .streaming:
            return streamedExamples(validation: true).batched(size: batchSize, keepingPartial: true)
        }
    }

    /// One more pass over the source: the examples on one side of the split, failures left out (the first pass
    /// reported them).
    private func streamedExamples(validation: Bool) -> some AsyncSequence<Example, any Error> & Sendable {
        let (split, index) = (split, Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) }))
        return Self.loadedExamples(source, decodeJobs: decodeJobs, frontEnd: frontEnd).compactMap { record in
            guard case .success(let example) = record, index[example.label] != nil,
                (split?.holdsOut(example.id) ?? true) == validation
            else { return nil }
            return example.example(index)
        }
    }

    /// The decode stage over the labelled items, each made into an example by the front end.
    private static func loadedExamples(_ source: Source, decodeJobs: Int, frontEnd: @escaping FrontEnd)
        -> some AsyncSequence<Result<LoadedExample, ItemFailure>, any Error> & Sendable
    {
        let decoder = MediaDecoder()
        return LabelledData.items(
            from: source.origin, filter: source.filter, rules: source.rules, requiringLabels: source.requiresLabels)
            .itemStage(jobs: decodeJobs, bufferSize: 4 * decodeJobs) { item in
                LoadedExample(id: item.id, label: item.label ?? "", values: try frontEnd(item, decoder))
            }
    }

    /// Labels in their natural order: numerically when every label is an integer ("2" before "10").
    static func sortedLabels(_ labels: Set<String>) -> [String] {
        let numbers = labels.compactMap { label in Int(label).map { (label, $0) } }
        guard numbers.count == labels.count else { return labels.sorted() }
        return numbers.sorted { $0.1 < $1.1 }.map(\.0)
    }
}

/// An example before label indices exist.
struct LoadedExample: Identifiable, Sendable {
    let id: String
    let label: String
    let values: [Float]

    var byteCount: Int { values.count * MemoryLayout<Float>.stride + id.utf8.count + label.utf8.count + 64 }

    func example(_ index: [String: Int]) -> Example {
        Example(id: id, values: values, label: index[label] ?? 0)
    }
}

/// Why training could not start or go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// Nothing usable was read (after the failures reported above).
    case noExamples(failed: Int)
    /// The checkpoint folder cannot be resumed from, or written.
    case checkpoint(path: String, problem: String)
    /// The loss became NaN or infinite.
    case diverged(epoch: Int, step: Int)

    public var description: String {
        switch self {
        case .noExamples(let failed):
            failed > 0
                ? "no usable examples: all \(failed) items failed (see the error lines above)"
                : "no examples: the data is empty, or '--match' left nothing"
        case .checkpoint(let path, let problem): "\(path): \(problem)"
        case .diverged(let epoch, let step):
            "the loss is no longer finite at epoch \(epoch + 1), step \(step + 1): lower '--learning-rate'"
        }
    }
}
