import Foundation

/// How a JSON line writes an embedding, and how a reader takes it back.
public enum EmbeddingFormat: String, Sendable, Equatable, CaseIterable {
    /// An array of numbers, each the shortest decimal that reads back to the same `Float`: what jq and every JSON
    /// reader take as it is.
    case float
    /// The vector's little-endian float32 bytes in base64, as OpenAI's embeddings API offers them: a JSON string
    /// under half as long that a reader turns into floats without parsing a number
    /// (`numpy.frombuffer(base64.b64decode(s), "<f4")`). Non-finite values survive too; `float` writes them `null`.
    case base64

    /// The base64 of `vector`'s float32 bytes, ASCII that a JSON string holds without escapes. The bytes are the
    /// host's, little-endian on every platform Braid builds for (as ``MappedArray`` reads them too).
    static func base64(of vector: [Float]) -> Data {
        vector.withUnsafeBytes { Data($0) }.base64EncodedData()
    }

    /// The vector a parsed JSON line holds under `embedding`, written in either format; nil when it is neither an
    /// array of numbers nor base64 of whole float32s.
    public static func vector(from value: Any?) -> [Float]? {
        if let numbers = value as? [Double] { return numbers.map(Float.init) }
        guard let text = value as? String, let bytes = Data(base64Encoded: text),
            bytes.count % MemoryLayout<Float>.size == 0
        else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
    }
}
