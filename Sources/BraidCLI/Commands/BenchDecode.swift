import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Bench {
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time decoding one file and print one JSON line: {\"seconds\", \"items\"}.",
            discussion: """
                Decodes the file once untimed, then --repeat times through the same decoder the pipeline uses. \
                items counts images for PNG, samples (frames × channels) for WAV and frames for video. \
                scripts/bench-decode runs this beside Pillow, soundfile and ffmpeg on the same files.

                Example:
                  braid bench decode --input clip.mp4 --repeat 3 --resize 224x224
                """)

        @Option(help: "The file to decode.")
        var input: String

        @Option(name: .customLong("repeat"), help: "Timed decodes.")
        var repetitions = 10

        @Option(help: "Video: scale frames to WIDTHxHEIGHT while decoding.")
        var resize: FrameSize?

        func validate() throws {
            guard repetitions >= 1 else { throw ValidationError("'--repeat' must be at least 1, got \(repetitions).") }
        }

        func run() throws {
            var options = MediaDecoder.Options()
            options.video.size = resize.map { ($0.width, $0.height) }
            options.video.includeAudio = false
            let decoder = MediaDecoder(options: options)
            let item = Item(id: input, source: .file(path: input))
            _ = try decoder.decode(item)
            var units = 0
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                for _ in 0..<repetitions {
                    switch try decoder.decode(item) {
                    case .image: units += 1
                    case .audio(let audio): units += audio.samples.count
                    case .video(let video): units += video.frames.count
                    case .text(let text): units += text.string.utf8.count
                    }
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print(#"{"seconds": \#(seconds), "items": \#(units)}"#)
        }
    }
}
