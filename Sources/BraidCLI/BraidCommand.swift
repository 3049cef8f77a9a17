import ArgumentParser

@main
struct BraidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "braid",
        abstract: "Decode, embed, fuse and generate from text, images, audio and video.",
        subcommands: [Embed.self, Run.self, Probe.self, Decode.self, Encoders.self, Bench.self, Models.self])
}
