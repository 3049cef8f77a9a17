import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Train {
    struct Fusion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a fusion model that decides on an image and a sound together.",
            discussion: """
                The records are pairs, '{"id","image","audio","label"}' per line (either part may be missing). Two \
                trained classifiers describe the parts and stay frozen; the fusion learns to join them:
                  early   their embeddings and which parts are there, through one joint network
                  late    their decisions, as a weighted product of experts
                  cross   their token sequences attending to each other, then a joint transformer block
                Early and cross-attention fusion decide from the classifiers' own decisions, weighted by what \
                the joint network sees, plus a small correction where both parts are there.
                Every training pair is corrupted at random, so the model learns to trust the clearer part: image \
                noise in half the pairs (σ 0-1.5), a hidden square in a quarter (30-70% of the side), sound noise \
                in half (SNR -15-20 dB), a part dropped in 30%. '--augmentation FILE' changes them, e.g. \
                {"pairs": {"occlusion_probability": 0.5}}; training.json records the settings a model trained with.

                Example:
                  scripts/make-pairs.py
                  braid train fusion --architecture cross --records .build/pairs/fusion-train.jsonl --out runs/cross
                  braid eval runs/cross --records .build/pairs/fusion-test.jsonl --corrupt image-noise=1
                """)

        @Option(help: "early, late or cross.")
        var architecture: FusionArchitecture?

        @OptionGroup(title: "Encoders") var encoders: PartEncoderOptions
        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags
        @Option(help: "Items decoded at once while the data is read; default: one per core.") var jobs: Int?

        func validate() throws {
            if training.resume != nil {
                return try TrainingLauncher.validate(
                    resuming: training, data: data, extraGiven: architecture != nil || encoders.isGiven)
            }
            guard architecture != nil else { throw ValidationError("Give '--architecture early|late|cross'.") }
            guard data.isGiven else { throw ValidationError("Give the labelled pairs: '--records FILE'.") }
            // Damage is how a fusion model learns whom to trust, and it picks its best epoch on damaged pairs too.
            if training.noAugment {
                throw ValidationError(
                    "'--no-augment' does not apply to fusion models, which learn from damaged pairs which part to "
                        + "trust. To change the damage, give '--augmentation FILE', e.g. {\"pairs\": "
                        + "{\"occlusion_probability\": 0}}.")
            }
        }

        func run() async throws {
            try await TrainingLauncher.run(
                architecture.map { .fusion($0, encoders: encoders.names) }, command: "fusion", data: data,
                training: training, defaults: FusionTraining.defaultOptions, jobs: jobs)
        }
    }

    struct Caption: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a caption model that says what an image shows and a sound says.",
            discussion: """
                The records are pairs with their captions, '{"id","image","audio","caption"}' per line (either part \
                may be missing). Two trained classifiers describe the parts and stay frozen; a cross-attention \
                fusion and a transformer decoder learn to write the caption word by word, starting from the \
                classifiers' decisions. The words of the training captions are the vocabulary, saved with the \
                model as tokenizer.json. When the captions are a closed set (a few forms over a few labels, as \
                digit captions are), '--closed' keeps the model to them: it then writes one of the training \
                captions and never a mix of two.

                Example:
                  scripts/make-pairs.py
                  braid train caption --records .build/pairs/caption-train.jsonl --closed --out runs/captions
                  braid caption --model runs/captions --image three.png --audio seven.wav
                """)

        @OptionGroup(title: "Encoders") var encoders: PartEncoderOptions
        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags
        @Flag(help: "Write only the training records' captions (beam search keeps to them).") var closed = false
        @Option(help: "Items decoded at once while the data is read; default: one per core.") var jobs: Int?

        func validate() throws {
            if training.resume != nil {
                return try TrainingLauncher.validate(
                    resuming: training, data: data, extraGiven: encoders.isGiven || closed)
            }
            guard data.isGiven else { throw ValidationError("Give the captioned pairs: '--records FILE'.") }
        }

        func run() async throws {
            try await TrainingLauncher.run(
                .caption(encoders: encoders.names, closed: closed), command: "caption", data: data, training: training,
                defaults: CaptionTraining.defaultOptions, jobs: jobs)
        }
    }
}

extension FusionArchitecture: ExpressibleByArgument {
    public init?(argument: String) {
        guard let architecture = Self.allCases.first(where: { $0.shortName == argument || $0.rawValue == argument })
        else { return nil }
        self = architecture
    }

    public static var allValueStrings: [String] { allCases.map(\.shortName) }
}
