import ArgumentParser

extension BraidCommand {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure Braid's kernels, decoders and pipeline; each prints one JSON line.",
            discussion: """
                'braid bench matmul|conv2d|attention' times a tensor kernel (the default subcommand, 'kernel'). \
                'braid bench decode' times one file's decoder, 'braid bench pipeline' the embedding stages and \
                'braid bench minilm' the sentence encoder, 'braid bench classifier' a trained classifier's network, \
                'braid bench caption' a caption's latency one pair at a time. \
                The scripts in scripts/ run the same work with the peers (NumPy, PyTorch, Pillow, soundfile, \
                ffmpeg) in the same run and print ratios.

                Examples:
                  braid bench matmul --size 2048 --threads 2
                  braid bench decode --input photo.png --repeat 20
                  braid bench pipeline --stage decode photos/
                """,
            subcommands: [
                Kernel.self, Decode.self, Pipeline.self, MiniLM.self, ClassifierForward.self, CaptionLatency.self,
                DiffusionLatency.self, Search.self,
            ],
            defaultSubcommand: Kernel.self)
    }
}
