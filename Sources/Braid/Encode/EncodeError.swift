/// Why an input could not be embedded or an encoder could not be chosen.
///
/// Encoders see media, not files: the Encode stage attaches the item's id when it reports these.
public enum EncodeError: Error, Equatable, CustomStringConvertible {
    /// The input's modality differs from the encoder's.
    case wrongModality(encoder: String, expected: Modality, got: Modality)
    /// The input holds nothing this encoder can describe (text without a letter or digit, a video without
    /// frames or sound).
    case nothingToEncode(encoder: String, reason: String)
    /// The input contradicts itself (an image with fewer samples than its geometry needs).
    case malformedInput(encoder: String, reason: String)
    /// An encoder returned a different number of vectors than it was given inputs.
    case batchSizeMismatch(encoder: String, expected: Int, got: Int)
    /// FFmpeg could not set up a transform the encoder needs.
    case transformUnavailable(encoder: String, size: Int, code: Int32)
    /// `--encoder` named an encoder that is not registered for that modality.
    case unknownEncoder(name: String, modality: Modality, available: [String])
    /// `--encoder` could not be parsed.
    case invalidSelection(String, reason: String)
    /// An encoder built by a registration reports another modality or dimension than it was registered with.
    case registrationMismatch(name: String, reason: String)

    public var description: String {
        switch self {
        case .wrongModality(let encoder, let expected, let got):
            "encoder '\(encoder)' embeds \(expected), but was given \(got)"
        case .nothingToEncode(let encoder, let reason):
            "encoder '\(encoder)' has nothing to embed: \(reason)"
        case .malformedInput(let encoder, let reason):
            "encoder '\(encoder)' was given malformed input: \(reason)"
        case .batchSizeMismatch(let encoder, let expected, let got):
            "encoder '\(encoder)' returned \(got) vectors for \(expected) inputs"
        case .transformUnavailable(let encoder, let size, let code):
            "encoder '\(encoder)' could not create a real FFT of size \(size) (FFmpeg error \(code))"
        case .unknownEncoder(let name, let modality, let available):
            "no \(modality) encoder named '\(name)'; available: "
                + (available.isEmpty ? "none" : available.joined(separator: ", "))
        case .invalidSelection(let text, let reason):
            "invalid encoder selection '\(text)': \(reason)"
        case .registrationMismatch(let name, let reason):
            "encoder '\(name)' does not match its registration: \(reason)"
        }
    }
}
