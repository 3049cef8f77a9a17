import ArgumentParser
import Braid

/// What `reconstruct` and `denoise` take besides the model: the images, where the redrawn ones go, and the
/// pipeline's decoding, output and compute settings.
struct RedrawOptions: ParsableArguments {
    @OptionGroup(title: "Input") var input: InputOptions
    @OptionGroup(title: "Images") var images: ImageOutputOptions

    @Flag(help: "Put each input beside its output (in the grid; as input-NAME.png with --out-dir).")
    var withInputs = false

    @OptionGroup(title: "Decoding") var decoding: DecodeOptions
    @OptionGroup(title: "Output") var output: OutputOptions
    @OptionGroup(title: "Compute") var compute: ComputeOptions

    func validate() throws {
        guard input.origin != nil else {
            throw ValidationError("No images: give files or folders, '-', '--idx', '--records'.")
        }
    }

    /// Redraws every image with `model`, its own noise added first when `corrupting`.
    func run(model: String, corrupting: Bool, seed: UInt64) async throws {
        try await GenerativeRun.reconstruct(
            model: model, job: try input.job(decoding: decoding, compute: compute, output: output), output: output,
            images: images.destination, corrupting: corrupting, seed: seed, withInputs: withInputs)
    }
}
