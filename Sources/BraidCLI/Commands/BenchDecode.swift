import ArgumentParser
import Braid
import Foundation

extension BraidCommand.Bench {
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time decoding one file and print one JSON line: {\"seconds\", \"items\"}.",
            discussion: """
                Decodes the file once untimed, then --repeat times through the same decoder the pipeline uses. \
                items counts images for PNG, JPEG and WebP, samples (frames × channels) for WAV and frames for video; \
                video frames stream by without being kept. With --resize an image is decoded as an encoder asks for \
                it (a JPEG reduced in the DCT domain to no less than the size) and area-averaged to the size. \
                scripts/bench-decode runs this beside Pillow, soundfile and ffmpeg on the same files.

                Example:
                  braid bench decode --input clip.mp4 --repeat 3 --resize 224x224
                """)

        @Option(help: "The file to decode.")
        var input: String

        @Option(name: .customLong("repeat"), help: "Timed decodes.")
        var repetitions = 10

        @Option(help: "Scale video frames, or images, to WIDTHxHEIGHT while decoding.")
        var resize: FrameSize?

        func validate() throws {
            guard repetitions >= 1 else { throw ValidationError("'--repeat' must be at least 1, got \(repetitions).") }
        }

        func run() throws {
            var options = MediaDecoder.Options()
            options.video.size = resize.map { ($0.width, $0.height) }
            options.video.includeAudio = false
            options.minimumImageSide = resize.map { min($0.width, $0.height) }
            let decoder = MediaDecoder(options: options)
            let item = Item(id: input, source: .file(path: input))
            // Video frames are counted as they stream by, as ffmpeg's peers drop theirs, instead of held.
            let decodeOnce: () throws -> Int =
                if try decoder.sniff(item) == .video {
                    {
                        var frames = 0
                        _ = try VideoDecoder().streamFrames(item.source, id: item.id, options: options.video) { _, _ in
                            frames += 1
                        }
                        return frames
                    }
                } else {
                    {
                        switch try decoder.decode(item) {
                        case .image(let image):
                            if let resize { _ = image.areaResampledRGB(width: resize.width, height: resize.height) }
                            return 1
                        case .audio(let audio): return audio.samples.count
                        case .reducedAudio(let summary): return summary.frameCount * summary.channels
                        case .video(let video): return video.frames.count
                        case .text(let text): return text.string.utf8.count
                        }
                    }
                }
            _ = try decodeOnce()
            var units = 0
            let clock = ContinuousClock()
            let elapsed = try clock.measure {
                for _ in 0..<repetitions { units += try decodeOnce() }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            print(#"{"seconds": \#(seconds), "items": \#(units)}"#)
        }
    }
}
