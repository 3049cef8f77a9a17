import ArgumentParser

@main
struct BraidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "braid",
        abstract: "Decode, embed, fuse and generate from text, images, audio and video.",
        discussion: """
            Start with 'braid embed': it turns files, folders, texts or a stream into JSON lines of embeddings.

            Examples:
              braid embed photos/ > photos.jsonl
              braid classify handwritten-digits digit.png
              braid train classifier --modality image --data digits/ --out runs/digits
              braid sample digits-vqvae --n 64 --label 7 --out sevens.png
              braid probe clip.mp4
              braid run pipelines/embed-folder.yaml recordings/
            """,
        subcommands: [
            Embed.self, Caption.self, Classify.self, Train.self, Eval.self, Reconstruct.self, Denoise.self, Sample.self,
            Generate.self,
            Interpolate.self, Score.self, Search.self, Run.self, Probe.self, Decode.self, Encoders.self, Bench.self,
            Models.self,
        ])
}
