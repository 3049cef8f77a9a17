import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Encoders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the encoders that '--encoder modality=name' can choose, with their dimensions.",
            discussion: """
                One row per encoder: its name, the modality it embeds, the length of its vectors, whether it is \
                the default for that modality, and what it computes. Encoders that load model files are listed \
                without loading them.

                Example:
                  braid encoders
                  braid encoders --json | jq -r 'select(.modality == "text") | .name'
                """)

        @Option(
            help: ArgumentHelp(
                "The model folder 'braid embed --model' would use; it decides whether minilm is the text default.",
                valueName: "PATH"))
        var model: String?

        @Flag(help: "Write one JSON object per encoder and line instead of a table.")
        var json = false

        func run() throws {
            let context = EncoderContext(modelsDirectory: model.map { URL(fileURLWithPath: $0) })
            let registry = EncoderRegistry.withModels(context)
            let rows = Modality.allCases.flatMap { modality in
                registry.registrations.filter { $0.modality == modality }.map { registration in
                    Row(
                        name: registration.name, modality: modality.rawValue, dimension: registration.dimension,
                        isDefault: registry.defaultName(for: modality) == registration.name,
                        summary: registration.summary)
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for row in rows {
                    print(String(decoding: try encoder.encode(row), as: UTF8.self))
                }
            } else {
                print(Self.table(rows))
            }
        }

        private struct Row: Encodable {
            let name: String
            let modality: String
            let dimension: Int
            let isDefault: Bool
            let summary: String

            enum CodingKeys: String, CodingKey {
                case name, modality, dimension, summary
                case isDefault = "default"
            }
        }

        /// Left-aligned columns separated by two spaces; the description column is not padded.
        private static func table(_ rows: [Row]) -> String {
            let header = ["NAME", "MODALITY", "DIM", "DEFAULT", "DESCRIPTION"]
            let cells =
                [header]
                + rows.map {
                    [$0.name, $0.modality, String($0.dimension), $0.isDefault ? "yes" : "", $0.summary]
                }
            let widths = (0..<(header.count - 1)).map { column in cells.map { $0[column].count }.max() ?? 0 }
            return cells.map { line in
                let padded = zip(line, widths).map { cell, width in
                    cell.padding(toLength: width, withPad: " ", startingAt: 0)
                }
                return (padded + [line[header.count - 1]]).joined(separator: "  ")
            }.joined(separator: "\n")
        }
    }
}
