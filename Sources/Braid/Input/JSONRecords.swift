import Foundation

/// `--records FILE|-`: JSON lines as `llm embed-multi` takes them, `{"id": …, "text": …}` for a text or
/// `{"id": …, "path": …}` for a file (read by its decoder; a relative path is relative to the working directory).
/// A multimodal item names its parts' files instead: `{"id": …, "image": …, "audio": …}` (either may be left
/// out), or `{"id": …, "video": …}` for a video's frames and soundtrack; `caption`, a pair's caption, is its label
/// when it has no `label` (the target a caption model trains on).
///
/// `id` may be a string or a number (`7` → `"7"`, `1.5` → `"1.5"`); so may `label`, the item's class for training
/// and evaluation (`{"path": "a.png", "label": 7}`); other keys are ignored. Without an `id`, a `path` is its own id. Blank lines are
/// skipped. A line that is not such an object becomes a failure whose id is the record's id when it has one,
/// else its 1-based line number.
struct JSONRecords {
    private struct Record: Decodable {
        let id: Scalar?
        let text: String?
        let path: String?
        let image: String?
        let audio: String?
        let video: String?
        let label: Scalar?
        let caption: String?
    }

    /// A string, or a number written as text.
    private struct Scalar: Decodable {
        let text: String

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let string = try? value.decode(String.self) {
                text = string
            } else if let integer = try? value.decode(Int.self) {
                text = String(integer)
            } else {
                text = String(try value.decode(Double.self))
            }
        }
    }

    private let reader: ByteReader
    private var lineNumber = 0
    private let decoder = JSONDecoder()

    init(reader: ByteReader) {
        self.reader = reader
    }

    mutating func next() throws(InputError) -> Result<Item, ItemFailure>? {
        while let line = try reader.readLine() {
            lineNumber += 1
            let bytes = line.droppingCarriageReturn
            if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            return item(from: Data(bytes))
        }
        return nil
    }

    /// A short reason instead of `DecodingError`'s full dump.
    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            return "not valid JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            let key = context.codingPath.first?.stringValue ?? "record"
            return key == "id" || key == "label"
                ? "\"\(key)\" must be a string or a number" : "\"\(key)\": \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private func item(from json: Data) -> Result<Item, ItemFailure> {
        let place = "\(reader.name) line \(lineNumber)"
        let record: Record
        do {
            record = try decoder.decode(Record.self, from: json)
        } catch {
            return .failure(ItemFailure(id: String(lineNumber), message: "\(place): \(Self.reason(error))"))
        }
        guard let id = record.id?.text ?? record.path ?? record.video ?? record.image ?? record.audio else {
            return .failure(ItemFailure(id: String(lineNumber), message: "\(place): record has no \"id\""))
        }
        let label = record.label?.text ?? record.caption
        let parts = [(Modality.image, record.image), (.audio, record.audio)].compactMap { modality, path in
            path.map { Item.Part(modality: modality, name: $0, source: .file(path: $0)) }
        }
        let forms = [
            record.text.map { Item.Source.text($0) }, record.path.map { .file(path: $0) },
            record.video.map { .parts([Item.Part(modality: .video, name: $0, source: .file(path: $0))]) },
            parts.isEmpty ? nil : .parts(parts),
        ].compactMap { $0 }
        switch forms.count {
        case 1:
            return .success(Item(id: id, source: forms[0], label: label))
        case 0:
            return .failure(
                ItemFailure(
                    id: id, message: "\(place): record has none of \"text\", \"path\", \"image\", \"audio\", \"video\""))
        default:
            return .failure(
                ItemFailure(
                    id: id,
                    message:
                        "\(place): record mixes \"text\", \"path\", \"video\" and parts (\"image\", \"audio\"): give one"))
        }
    }
}
