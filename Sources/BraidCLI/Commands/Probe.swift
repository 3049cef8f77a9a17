import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what each input holds, one JSON object per line, as ffprobe would.",
            discussion: """
                The format is detected from the file's bytes, not its name. PNG: width, height, colour type, \
                bit depth, interlace and ancillary chunks. WAV: sample rate, channels, frames, sample format. \
                Video: container, codec, size, fps, duration, frame count and the audio stream. Text: encoding \
                and length. Use '-' to read one file from standard input.

                Example:
                  braid probe photo.png clip.mp4
                  cat voice.wav | braid probe -
                """)

        @Argument(help: "Files to probe, or '-' for standard input.")
        var inputs: [String]

        @OptionGroup var decoding: DecodeOptions

        func run() async throws {
            let decoder = MediaDecoder(options: decoding.decoderOptions())
            var failed = 0
            for item in InputArguments.items(inputs) {
                do {
                    print(try ProbeRecord.json(id: item.id, probe: decoder.probe(item)))
                } catch {
                    failed += 1
                    Diagnostics.report(error)
                }
            }
            if failed > 0 { throw ExitCode.failure }
        }
    }
}

/// One line of `braid probe` output: the id, format and modality first, then the format's own fields.
enum ProbeRecord {
    static func json(id: String, probe: Braid.Probe) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let details: Data
        switch probe {
        case .text(let info): details = try encoder.encode(info)
        case .png(let info): details = try encoder.encode(info)
        case .jpeg(let info): details = try encoder.encode(info)
        case .webp(let info): details = try encoder.encode(info)
        case .wav(let info): details = try encoder.encode(info)
        case .audio(let info): details = try encoder.encode(info)
        case .video(let info): details = try encoder.encode(info)
        }
        let quotedID = String(decoding: try encoder.encode(id), as: UTF8.self)
        let head =
            #"{"id":\#(quotedID),"format":"\#(probe.format.rawValue)","modality":"\#(probe.format.modality.rawValue)""#
        let body = String(decoding: details.dropFirst(), as: UTF8.self)
        return head + (body == "}" ? "}" : "," + body)
    }
}
