import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Train {
    struct Classifier: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train an image or audio classifier (and encoder) on labelled files.",
            discussion: """
                Labels come from the data: a record's "label" (--records), an IDX labels file, the first group of \
                --label-pattern in each file name, or the folder each file is in (one subfolder per class). Files \
                that cannot be decoded or labelled are reported on standard error by name and skipped.

                Images become 28×28 grey digits centred as MNIST's are; sounds become one-second log-mel \
                spectrograms at 8 kHz. The folder written holds config.json, model.safetensors (the best epoch on \
                the validation split), training.json and checkpoint.safetensors. When done, one JSON line on \
                standard output gives the folder and the best epoch's figures.

                Examples:
                  braid train classifier --modality image --data train-images-idx3-ubyte.gz --out runs/mnist
                  braid train classifier --modality audio --data recordings/ --label-pattern '^(\\d)_' \\
                      --match '_([5-9]|[1-4][0-9])\\.wav$' --out runs/fsdd --epochs 60
                  braid train classifier --resume runs/mnist --epochs 20
                """)

        @Option(help: "What the classifier reads: image or audio.")
        var modality: Modality?

        @OptionGroup(title: "Data") var data: DataOptions
        @OptionGroup(title: "Training") var training: TrainingFlags

        @Option(help: "Items decoded at once while the data is read; default: one per core.")
        var jobs: Int?

        func validate() throws {
            if training.resume != nil {
                return try TrainingLauncher.validate(resuming: training, data: data, extraGiven: modality != nil)
            }
            guard let modality else { throw ValidationError("Give '--modality image' or '--modality audio'.") }
            guard ClassifierArchitecture.default(for: modality) != nil else {
                throw ValidationError("Braid trains image and audio classifiers, not \(modality).")
            }
            guard data.isGiven else {
                throw ValidationError("Give the training data: '--data', '--records' or '--tar'.")
            }
        }

        func run() async throws {
            try await TrainingLauncher.run(
                modality.flatMap(ClassifierArchitecture.default(for:)).map(TrainingKind.classifier),
                command: "classifier", data: data, training: training, defaults: TrainingOptions(), jobs: jobs)
        }
    }
}
