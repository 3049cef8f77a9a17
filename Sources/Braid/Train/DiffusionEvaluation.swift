import BraidTensor
import Foundation

/// How a text-to-image model does: `braid eval`'s report for diffusion models.
///
/// - `fidelity`: the share of samples that a judge (a classifier trained on real images alone) labels as the class
///   their prompt names, overall and `per_label`; `per_label` samples per class, prompts cycling through the chosen
///   phrasings of the class.
/// - `diversity` (with real images of the classes): the mean pairwise pixel distance (Euclidean, pixels in [0, 1])
///   among one class's samples, against the same among as many real images of the class; `ratio` is their mean
///   quotient over the classes.
/// - `memorisation` (with the training images too): each sample's distance to its nearest training image, against
///   the 1st percentile of the same distance over every real image given: a sample nearer than that looks copied.
///   `per_label` draws the same line per class, from the real images of the sample's class: a class of simple
///   shapes (a 1) lies nearer to its training images than the others, real or drawn.
public struct DiffusionEvaluation: Encodable, Sendable {
    public struct Diversity: Encodable, Sendable {
        public var samples: [String: Double]
        public var real: [String: Double]
        public var ratio: Double
    }

    public struct Memorisation: Encodable, Sendable {
        public var nearestTrainingMinimum: Double
        public var nearestTrainingMedian: Double
        public var realFirstPercentile: Double
        /// How many real images the percentile is taken over.
        public var realImages: Int
        /// Samples nearer to a training image than that percentile.
        public var samplesBelow: Int
        public var perLabel: [String: ClassLine]

        enum CodingKeys: String, CodingKey {
            case nearestTrainingMinimum = "nearest_training_min"
            case nearestTrainingMedian = "nearest_training_median"
            case realFirstPercentile = "real_first_percentile"
            case realImages = "real_images"
            case samplesBelow = "samples_below"
            case perLabel = "per_label"
        }
    }

    /// The memorisation line of one class: the 1st percentile over its real images, and its samples below it.
    public struct ClassLine: Encodable, Sendable {
        public var realFirstPercentile: Double
        public var realImages: Int
        public var samplesBelow: Int
        /// The distances of this class's samples that fall below its line, nearest first.
        public var below: [Double]

        enum CodingKeys: String, CodingKey {
            case realFirstPercentile = "real_first_percentile"
            case realImages = "real_images"
            case samplesBelow = "samples_below"
            case below
        }
    }

    public var model: String
    public var judge: String
    /// `training`, `held-out`, or the one template used.
    public var prompts: String
    public var sampler: String
    public var steps: Int
    public var guidance: Float
    public var seed: UInt64
    public var samples: Int
    public var fidelity: Double
    public var perLabel: [String: Double]
    /// How often each class's samples were called each label: confusion[prompted][judged].
    public var confusion: [String: [String: Int]]
    public var diversity: Diversity?
    public var memorisation: Memorisation?
    public var secondsPerImage: Double
    /// Real images that could not be read.
    public var failed: Int

    enum CodingKeys: String, CodingKey {
        case model, judge, prompts, sampler, steps, guidance, seed, samples, fidelity
        case perLabel = "per_label"
        case confusion, diversity, memorisation
        case secondsPerImage = "seconds_per_image"
        case failed
    }

    /// The phrasings a report draws its prompts from.
    public enum Phrasings: Sendable, Equatable {
        case training
        case heldOut
        /// One template, `{}` standing for the class's name.
        case template(String)

        var templates: [String] {
            switch self {
            case .training: PromptPhrasings.training
            case .heldOut: PromptPhrasings.heldOut
            case .template(let template): [template]
            }
        }

        var name: String {
            switch self {
            case .training: "training"
            case .heldOut: "held-out"
            case .template(let template): template
            }
        }
    }

    /// Draws `perLabel` samples of each of the model's classes and measures them.
    /// - Parameters:
    ///   - real: Labelled real images of the classes (the test split), for diversity and memorisation.
    ///   - training: The training images, for memorisation.
    public static func evaluate(
        _ model: TextToImageModel, judge: Classifier, perLabel: Int, phrasings: Phrasings, options: SamplingOptions,
        real: LabelledData?, training: LabelledData?, decodeJobs: Int, progress: ProgressBar? = nil
    ) async throws -> DiffusionEvaluation {
        let labels = model.labels
        var requests: [(tokens: [Float]?, index: Int)] = []
        for label in labels {
            let prompts = PromptPhrasings.prompts(for: label, templates: phrasings.templates)
            for sample in 0..<perLabel {
                requests.append((try model.encode(prompt: prompts[sample % prompts.count]), sample))
            }
        }
        let clock = ContinuousClock.now
        let drawn = model.generate(requests, options: options, onStep: { progress?.advance() }).map(\.image)
        let seconds = (ContinuousClock.now - clock).seconds
        let verdicts = try judge.predict(drawn.map(Media.image), ids: drawn.indices.map(String.init))
        var confusion: [String: [String: Int]] = [:]
        var perLabelFidelity: [String: Double] = [:]
        for (position, label) in labels.enumerated() {
            let judged = verdicts[(position * perLabel)..<((position + 1) * perLabel)].map { prediction in
                judge.labels[prediction.probabilities.indices.max { prediction.probabilities[$0] < prediction.probabilities[$1] } ?? 0]
            }
            confusion[label] = Dictionary(judged.map { ($0, 1) }, uniquingKeysWith: +)
            perLabelFidelity[label] = Double(judged.filter { $0 == label }.count) / Double(perLabel)
        }
        let fidelity = perLabelFidelity.values.reduce(0, +) / Double(max(1, labels.count))
        var report = DiffusionEvaluation(
            model: model.name, judge: judge.name, prompts: phrasings.name, sampler: options.sampler.rawValue,
            steps: options.steps, guidance: options.guidance, seed: options.seed, samples: drawn.count,
            fidelity: fidelity, perLabel: perLabelFidelity, confusion: confusion, diversity: nil, memorisation: nil,
            secondsPerImage: seconds / Double(max(1, drawn.count)), failed: 0)
        guard let real else { return report }

        let canvas = model.canvas
        let samplePixels = drawn.map(\.floatSamples)
        let realSet = try await ExampleSet.load(
            real, split: nil, requiringLabels: true, cacheBytes: 1 << 30, decodeJobs: decodeJobs,
            errors: .standardError(), progress: nil, frontEnd: canvas.exampleFrontEnd)
        report.failed = realSet.failedCount
        // Diversity compares as many real images per class as samples, the first ones of the split; memorisation's
        // percentile takes every real image, since the 1st percentile of a thousand is only its 10th nearest.
        var realByLabel: [String: [[Float]]] = [:]
        var (realPixels, realLabels): ([Float], [String]) = ([], [])
        for try await batch in realSet.validationBatches(batchSize: 1024) {
            for example in batch.examples {
                let label = realSet.labels[example.label]
                if realByLabel[label, default: []].count < perLabel { realByLabel[label, default: []].append(example.values) }
                realPixels += example.values
                realLabels.append(label)
            }
        }
        var (sampleSpread, realSpread, ratios) = ([String: Double](), [String: Double](), [Double]())
        for (position, label) in labels.enumerated() {
            guard let realImages = realByLabel[label], realImages.count >= 2 else { continue }
            let samples = Array(samplePixels[(position * perLabel)..<((position + 1) * perLabel)])
            sampleSpread[label] = meanPairwiseDistance(samples)
            realSpread[label] = meanPairwiseDistance(realImages)
            ratios.append(sampleSpread[label]! / realSpread[label]!)
        }
        report.diversity = Diversity(
            samples: sampleSpread, real: realSpread, ratio: ratios.reduce(0, +) / Double(max(1, ratios.count)))
        guard let training else { return report }

        let trainingSet = try await ExampleSet.load(
            training, split: nil, requiringLabels: false, cacheBytes: 1 << 30, decodeJobs: decodeJobs,
            errors: .standardError(), progress: nil, frontEnd: canvas.exampleFrontEnd)
        var trainingPixels: [Float] = []
        for try await batch in trainingSet.validationBatches(batchSize: 4096) {
            trainingPixels += batch.examples.flatMap(\.values)
        }
        let index = NearestNeighbours(vectors: trainingPixels, width: canvas.pixelCount)
        let sampleDistances = index.nearestDistances(of: samplePixels.flatMap { $0 })
        let sampleLabels = labels.flatMap { repeatElement($0, count: perLabel) }
        report.memorisation = memorisation(
            samples: Array(zip(sampleLabels, sampleDistances)),
            real: Array(zip(realLabels, index.nearestDistances(of: realPixels))))
        return report
    }

    /// The memorisation report from each sample's and each real image's distance to its nearest training image.
    static func memorisation(samples: [(label: String, distance: Float)], real: [(label: String, distance: Float)])
        -> Memorisation
    {
        var classLines: [String: ClassLine] = [:]
        for label in Set(samples.map(\.label)) {
            let ofClass = real.filter { $0.label == label }.map(\.distance).sorted()
            guard !ofClass.isEmpty else { continue }
            let line = firstPercentile(ofClass)
            let below = samples.filter { $0.label == label && $0.distance < line }.map(\.distance).sorted()
            classLines[label] = ClassLine(
                realFirstPercentile: Double(line), realImages: ofClass.count, samplesBelow: below.count,
                below: below.map(Double.init))
        }
        let sampleDistances = samples.map(\.distance).sorted()
        let realDistances = real.map(\.distance).sorted()
        let line = firstPercentile(realDistances)
        return Memorisation(
            nearestTrainingMinimum: Double(sampleDistances.first ?? 0),
            nearestTrainingMedian: Double(sampleDistances[sampleDistances.count / 2]),
            realFirstPercentile: Double(line),
            realImages: realDistances.count,
            samplesBelow: sampleDistances.filter { $0 < line }.count,
            perLabel: classLines)
    }

    /// The 1st percentile of sorted distances (the nearest of the first 1% of them).
    static func firstPercentile(_ sorted: [Float]) -> Float {
        sorted[Int(Double(sorted.count - 1) * 0.01)]
    }

    /// The mean Euclidean distance over every pair of images.
    static func meanPairwiseDistance(_ images: [[Float]]) -> Double {
        var (total, pairs) = (0.0, 0)
        for first in images.indices {
            for second in images.indices where second > first {
                let squared = zip(images[first], images[second]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                total += Double(squared.squareRoot())
                pairs += 1
            }
        }
        return pairs > 0 ? total / Double(pairs) : 0
    }
}
