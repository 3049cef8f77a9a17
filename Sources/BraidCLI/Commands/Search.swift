import ArgumentParser
import Braid
import Foundation

extension BraidCommand {
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the stored items nearest a query: exact cosine over a '--db' database, an '--npy' folder or JSON lines.",
            discussion: """
                The query is embedded with the encoder that made the stored vectors (a collection's model \
                braid-ENCODER, the shards' folder, the lines' "encoder"), so it must be of a modality that encoder \
                embeds: a text, or the path of an image, sound or video file. A CLIP index answers texts and images \
                alike, both embedded into its one space. The stored vectors stream through in blocks, \
                each scored against every query with one matrix product, so an index larger than memory is searched \
                in bounded memory. Each match is a line {"query","id","score","source","meta"}, best first.

                Examples:
                  braid search notes.db "quick foxes" --top 5
                  braid search photos.db beach.png --collection features
                  braid search vectors/ --queries questions.txt --top 3 > answers.jsonl
                  braid search embeddings.jsonl "a red car"
                  braid search clip-photos.jsonl "a red car" --top 10
                """)

        @Argument(help: "A database ('--db'), an '--npy' folder (or one encoder's folder in it) or a JSONL file.")
        var index: String

        @Argument(help: "The query: a text, or the path of a file to embed.")
        var query: String?

        @Option(help: ArgumentHelp("Queries, one per line: texts or paths ('-' reads standard input).", valueName: "FILE"))
        var queries: String?

        @Option(help: "Matches per query.")
        var top = 10

        @Option(
            help: ArgumentHelp(
                "The collection of a database, the encoder folder of an '--npy' folder, or the encoder of JSON lines, when there are several.",
                valueName: "NAME"))
        var collection: String?

        @Option(
            help: ArgumentHelp(
                "A model folder or a folder of model folders; default $BRAID_MODELS or ~/.cache/braid/models.",
                valueName: "PATH"))
        var model: String?

        func validate() throws {
            guard (query == nil) != (queries == nil) else {
                throw ValidationError("Give one query, or '--queries FILE' with one per line.")
            }
            guard top >= 1 else { throw ValidationError("'--top' must be at least 1, got \(top).") }
        }

        func run() async throws {
            do {
                let vectors = try StoredVectors(path: index, collection: collection)
                let context = EncoderContext(modelsDirectory: model.map { URL(fileURLWithPath: $0) })
                let registry = EncoderRegistry.withModels(context)
                let texts = try queries.map(Self.lines) ?? [query ?? ""]
                let media = try texts.map(Self.media)
                // An index of an encoder with several modalities (CLIP's images, texts and videos share one space)
                // answers queries of each; every query goes through the encoder of its own modality.
                var queryVectors = [[Float]](repeating: [], count: media.count)
                for modality in Modality.allCases {
                    let indices = media.indices.filter { media[$0].modality == modality }
                    guard let first = indices.first else { continue }
                    let encoder = try Self.encoder(
                        named: vectors.encoder, for: modality, query: texts[first], registry: registry, context: context)
                    for (index, vector) in zip(indices, try encoder.encode(indices.map { media[$0] })) {
                        queryVectors[index] = vector
                    }
                }
                let results = try ExactSearch(top: top).search(queryVectors, in: vectors)
                let output = JSONLWriter.standardOutput()
                for (text, matches) in zip(texts, results) {
                    for match in matches { try output.write(SearchResult(query: text, match: match)) }
                }
            } catch OutputError.consumerGone {
                return
            } catch {
                Diagnostics.report(error)
                throw ExitCode.failure
            }
        }

        /// The encoder named, for `modality`; when it has none of that modality, an error naming the query and
        /// the modalities it does embed.
        private static func encoder(
            named name: String, for modality: Modality, query: String, registry: EncoderRegistry,
            context: EncoderContext
        ) throws -> any Encoder {
            do {
                return try registry.makeEncoder(for: modality, choices: [modality: name], context: context)
            } catch {
                // Only now, to word the error: whether the name embeds this modality at all (then its own error
                // says what went wrong), and which modalities it does embed.
                func embeds(_ modality: Modality) -> Bool {
                    registry.registration(named: name, for: modality) != nil
                        || (try? registry.modelResolver?(name, modality)) != nil
                }
                let known = Modality.allCases.filter(embeds)
                guard !embeds(modality), !known.isEmpty else { throw error }
                let wanted = known.map { $0 == .text ? "a text" : "a path to a file of \($0.rawValue)" }
                throw ValidationError(
                    "The index holds \(name) vectors of \(known.map(\.rawValue).joined(separator: ", ")): the query '\(query)' is \(modality.rawValue); give \(wanted.joined(separator: " or ")).")
            }
        }

        /// A query as the encoders take it: a file decoded as `braid embed` decodes it, or a text.
        private static func media(_ query: String) throws -> Media {
            var isFolder: ObjCBool = false
            let isFile = FileManager.default.fileExists(atPath: query, isDirectory: &isFolder) && !isFolder.boolValue
            return isFile
                ? try MediaDecoder(options: EmbedJob.defaultDecoding).decode(Item(id: query, source: .file(path: query)))
                : .text(Text(string: query, encoding: .utf8))
        }

        private static func lines(_ path: String) throws -> [String] {
            // A FileHandle reads pipes too (`--queries <(...)`), which Data(contentsOf:) refuses.
            guard let file = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path) else {
                throw ValidationError("Cannot read the queries in \(path).")
            }
            return String(decoding: file.readDataToEndOfFile(), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }
}
