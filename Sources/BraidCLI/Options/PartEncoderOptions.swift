import ArgumentParser
import Braid

/// The two classifiers that describe a multimodal item's parts, for `braid train fusion` and `braid train caption`.
struct PartEncoderOptions: ParsableArguments {
    @Option(help: "The image classifier whose outputs are fused: a model name or folder.")
    var imageEncoder = PartEncoders.Names().image

    @Option(help: "The sound classifier whose outputs are fused: a model name or folder.")
    var audioEncoder = PartEncoders.Names().audio

    var names: PartEncoders.Names { PartEncoders.Names(image: imageEncoder, audio: audioEncoder) }

    /// Whether either was given, which `--resume` refuses.
    var isGiven: Bool { names != PartEncoders.Names() }
}
