/// Why a checkpoint or model folder could not be read or written. Every case names the file.
public enum WeightError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, sized, mapped or written.
    case unreadable(path: String, reason: String)
    /// The file ends before the header or a tensor's bytes do.
    case truncated(path: String, neededBytes: Int, fileBytes: Int)
    /// The JSON header is malformed or describes impossible tensors.
    case badHeader(path: String, reason: String)
    /// The model asked for a tensor the file does not have.
    case missingKey(path: String, key: String)
    /// The file's tensor has a different shape than the model expects.
    case shapeMismatch(path: String, key: String, expected: [Int], found: [Int])
    /// A dtype other than F32, F16 and BF16.
    case unsupportedDType(path: String, key: String, dtype: String)
    /// `config.json` could not be decoded into the model's configuration.
    case badConfiguration(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .unreadable(let path, _), .truncated(let path, _, _), .badHeader(let path, _), .missingKey(let path, _),
            .shapeMismatch(let path, _, _, _), .unsupportedDType(let path, _, _), .badConfiguration(let path, _):
            path
        }
    }

    /// What is wrong with the file, without its path.
    public var reason: String {
        switch self {
        case .unreadable(_, let reason): "cannot read: \(reason)"
        case .truncated(_, let needed, let size): "truncated: needs \(needed) bytes, file has \(size)"
        case .badHeader(_, let reason): "bad safetensors header: \(reason)"
        case .missingKey(_, let key): "no tensor named '\(key)'"
        case .shapeMismatch(_, let key, let expected, let found):
            "tensor '\(key)' has shape \(found), expected \(expected)"
        case .unsupportedDType(_, let key, let dtype): "tensor '\(key)' has unsupported dtype \(dtype)"
        case .badConfiguration(_, let reason): "bad configuration: \(reason)"
        }
    }

    public var description: String { "\(path): \(reason)" }
}
