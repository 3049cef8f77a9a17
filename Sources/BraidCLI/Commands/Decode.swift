import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Decode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode one input and write its pixels, samples, frames or text to a file.",
            discussion: """
                The output's extension picks the format:
                  .npy   NumPy array: images uint8 H×W×C (float32 with --pixel-format rgbaf32), audio float32 \
                frames×channels, video uint8 N×H×W×3
                  .png   the image, or one video frame
                  .wav   the audio, or a video's soundtrack (32-bit float)
                  DIR/   one PNG per sampled video frame (frame-000000.png, ...)
                  .txt   text as UTF-8
                '--out -' writes to standard output. Nothing is written when decoding fails.

                Examples:
                  braid decode photo.png --out photo.npy --pixel-format rgb8
                  braid decode clip.mp4 --fps 1 --size 224x224 --out frames.npy
                  cat voice.wav | braid decode - --sample-rate 16000 --mono --out voice.npy
                """)

        @Argument(help: "The file to decode, or '-' for standard input.")
        var input: String

        @Option(name: .shortAndLong, help: "Where to write: FILE.npy, FILE.png, FILE.wav, FILE.txt, DIR/ or '-'.")
        var out: String

        @Option(
            help:
                "Image samples: \(PixelFormat.allCases.map(\.rawValue).joined(separator: ", ")). Default: the image's own channels, 8-bit."
        )
        var pixelFormat: PixelFormat?

        @OptionGroup var decoding: DecodeOptions

        func run() async throws {
            var options = decoding.decoderOptions()
            if pixelFormat == .rgbaf32 { options.imageSamples = .float32 }
            guard let item = InputArguments.items([input]).first else { return }
            do {
                let media = try MediaDecoder(options: options).decode(item)
                try DecodedOutput(path: out, pixelFormat: pixelFormat).write(media, id: item.id)
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }
    }
}

extension PixelFormat: ExpressibleByArgument {}
