import ArgumentParser
import Braid
import BraidTensor
import Foundation

extension BraidCommand {
    struct Eval: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure a model on data: a classifier's accuracy, a generative model's reconstruction and likelihood.",
            discussion: """
                Prints one JSON object. For a classifier: {"model","examples","failed","accuracy","labels",\
                "per_class","confusion","per_group"}; confusion[t][p] counts examples of label t called p. Labels \
                are read as 'braid train' reads them; unless given, --label-pattern and --group-pattern are the ones \
                the model was trained with (training.json).

                For a generative model: {"model","architecture","examples","failed","metrics"}, the metrics per \
                pixel or per image: an autoencoder's mse_per_pixel and bce_per_pixel (a denoising one's psnr_noisy \
                and psnr_denoised, its own noise added from a fixed seed), a VAE's neg_elbo, bce and kl in nats (z \
                drawn 10 times per image), a VQ-VAE's mse_per_pixel, perplexity and codes_used; with --knn-index, \
                knn5_accuracy of the encoder's vectors.

                For a fusion model, on records {"id","image","audio","label"}: {"model","examples","failed",\
                "corruption","accuracy","image_only","audio_only","mistakes"}, image_only and audio_only its encoders' \
                own accuracy on the same pairs, mistakes the first 20 pairs it got wrong with each encoder's \
                decision; --corrupt damages every pair first (from a fixed seed), as the robustness table does, \
                and a classifier's items the same way. \
                For a caption model, on records {"id","image","audio","caption"}: {"model","examples","failed",\
                "beam","exact","by_parts","mistakes"}.

                For a text-to-image diffusion model: --per-label samples of each class it was trained on, prompts \
                cycling through the phrasings --prompts names, labelled by the --judge classifier: {"model","judge",\
                "prompts","fidelity","per_label","confusion","seconds_per_image",…}; with --data (real labelled \
                images), "diversity" (mean pairwise pixel distance of a class's samples against its real images'), \
                and with --knn-index (the training images) too, "memorisation" (each sample's distance to its \
                nearest training image against the real images' 1st percentile).

                Items that cannot be decoded, or whose label the model does not know, are reported on standard \
                error, and the exit code is then 1.

                Examples:
                  braid eval handwritten-digits --data ../shared/data/mnist/test-images-idx3-ubyte.gz
                  braid eval spoken-digits --data ../shared/data/fsdd/recordings --match '_[0-4]\\.wav$'
                  braid eval digits-ae --data ../shared/data/mnist/test-images-idx3-ubyte.gz \\
                      --knn-index ../shared/data/mnist/train-images-idx3-ubyte.gz
                  braid eval digits-fusion-cross --records fusion-test.jsonl --corrupt image-noise=1,audio-snr=0
                  braid eval handwritten-digits-robust --data ../shared/data/mnist/test-images-idx3-ubyte.gz \
                      --corrupt occlusion=0.5
                  braid eval digit-captions --records caption-test.jsonl
                  braid eval digits-diffusion --judge handwritten-digits --per-label 100 --prompts held-out
                """)

        @Argument(help: "The model: a shipped name, a name in $BRAID_MODELS, or a model folder's path.")
        var model: String

        @Option(
            help: ArgumentHelp(
                "Labelled images (an IDX file, folders) whose encoder vectors a k-NN classifier of the data looks up.",
                valueName: "PATH"))
        var knnIndex: String?

        @Option(
            help: ArgumentHelp(
                "Damage every item before a classifier or fusion model sees it: image-noise=SIGMA, occlusion=SHARE, "
                    + "audio-snr=DB, drop=image|audio (pairs only), comma-separated.",
                valueName: "LIST"))
        var corrupt: PartCorruption?

        @Option(help: "Beams of a caption model's beam search; 1 decodes greedily.")
        var beam = 3

        @OptionGroup(title: "Text-to-image") var diffusion: DiffusionEvalOptions

        @OptionGroup(title: "Data") var data: DataOptions

        @Option(help: "Items decoded at once; default: one per core.")
        var jobs: Int?

        @Option(help: "Compute threads; default: one per core.")
        var threads: Int?

        @Flag(name: .shortAndLong, help: "Draw no progress bar.")
        var quiet = false

        func validate() throws {
            guard data.isGiven || diffusion.judge != nil else {
                throw ValidationError("Give the data: '--data', '--records' or '--tar'.")
            }
        }

        func run() async throws {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let evaluation: any Encodable
            let failed: Int
            do {
                ThreadBudget.setComputeThreads(threads ?? cores)
                let folder = try ModelLocator.folder(for: model)
                let progress = ProgressBar(total: nil, quiet: quiet, unit: "items")
                struct Header: Decodable { let architecture: String? }
                let architecture = try folder.json(Header.self, from: "config.json").architecture ?? ""
                let generates =
                    architecture == DiffusionConfiguration.architectureName || architecture == "caption"
                    || GenerativeArchitecture(rawValue: architecture) != nil
                if corrupt != nil, generates {
                    throw ValidationError("--corrupt: \(model) is not a classifier or a fusion model.")
                }
                if architecture == DiffusionConfiguration.architectureName {
                    var training: LabelledData?
                    if let knnIndex {
                        training = LabelledData()
                        training?.paths = [knnIndex]
                    }
                    let report = try await DiffusionEvaluation.evaluate(
                        TextToImageModel(folder: folder),
                        judge: Braid.Classifier(named: diffusion.judge ?? "handwritten-digits"),
                        perLabel: diffusion.perLabel, phrasings: diffusion.phrasings, options: diffusion.sampling.options,
                        real: data.isGiven ? data.labelledData : nil, training: training, decodeJobs: jobs ?? cores,
                        progress: progress)
                    (evaluation, failed) = (report, report.failed)
                } else if architecture == "caption" {
                    let captions = try await CaptionEvaluation.evaluate(
                        CaptionModel(folder: folder), on: data.labelledData, beam: beam, decodeJobs: jobs ?? cores,
                        progress: progress)
                    (evaluation, failed) = (captions, captions.failed)
                } else if FusionArchitecture(rawValue: architecture) != nil {
                    let fusion = try await FusionEvaluation.evaluate(
                        Fusion(named: model), on: data.labelledData, corruption: corrupt ?? PartCorruption(),
                        decodeJobs: jobs ?? cores, progress: progress)
                    (evaluation, failed) = (fusion, fusion.failed)
                } else if try folder.isGenerative {
                    var index: LabelledData?
                    if let knnIndex {
                        index = LabelledData()
                        index?.paths = [knnIndex]
                    }
                    let generative = try await GenerativeEvaluation.evaluate(
                        GenerativeModel(folder: folder), on: data.labelledData, knnIndex: index,
                        decodeJobs: jobs ?? cores, progress: progress)
                    (evaluation, failed) = (generative, generative.failed)
                } else {
                    var labelled = data.labelledData
                    if let trained = try? folder.json(TrainingRecord.self, from: "training.json") {
                        labelled.labelPattern = labelled.labelPattern ?? trained.data.labelPattern
                        labelled.groupPattern = labelled.groupPattern ?? trained.data.groupPattern
                    }
                    let classifier = try Braid.Classifier(folder: folder)
                    if let problem = corrupt?.problem(for: classifier.modality) {
                        throw ValidationError("--corrupt: \(problem).")
                    }
                    let classification = try await ClassifierEvaluation.evaluate(
                        classifier, on: labelled, corruption: corrupt, decodeJobs: jobs ?? cores, progress: progress)
                    (evaluation, failed) = (classification, classification.failed)
                }
            } catch let usage as ValidationError {
                throw usage
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(evaluation) + Data("\n".utf8))
            if failed > 0 {
                Diagnostics.warn("\(failed) items failed (see the error lines above); the figures leave them out")
                throw ExitCode.failure
            }
        }
    }
}

extension PartCorruption: ExpressibleByArgument {
    /// `image-noise=1,occlusion=0.5,audio-snr=0,drop=image`.
    public init?(argument: String) {
        self.init()
        for setting in argument.split(separator: ",") {
            let pair = setting.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "image-noise": guard let value = Float(pair[1]) else { return nil }; imageNoise = value
            case "occlusion": guard let value = Float(pair[1]) else { return nil }; imageOcclusion = value
            case "audio-snr": guard let value = Float(pair[1]) else { return nil }; audioSNR = value
            case "drop":
                guard let part = Modality(rawValue: pair[1]), part == .image || part == .audio else { return nil }
                drop = part
            default: return nil
            }
        }
    }
}

/// `braid eval`'s options for a text-to-image model.
struct DiffusionEvalOptions: ParsableArguments {
    @Option(help: "The classifier that labels the samples (default handwritten-digits).")
    var judge: String?

    @Option(help: "Samples of each class.")
    var perLabel = 100

    @Option(
        help: ArgumentHelp(
            "The phrasings prompts cycle through: training, held-out, or one TEMPLATE with {} for the class.",
            valueName: "PHRASINGS"))
    var prompts = "training"

    @OptionGroup(title: "Sampling") var sampling: SamplingFlags

    func validate() throws {
        guard perLabel >= 1 else { throw ValidationError("'--per-label' must be at least 1, got \(perLabel).") }
        if !["training", "held-out"].contains(prompts), !prompts.contains("{}") {
            throw ValidationError("'--prompts' is training, held-out, or a template with {} for the class, got '\(prompts)'.")
        }
    }

    var phrasings: DiffusionEvaluation.Phrasings {
        switch prompts {
        case "training": .training
        case "held-out": .heldOut
        default: .template(prompts)
        }
    }
}
