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

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .truncated(let path, let needed, let size): "\(path): truncated: needs \(needed) bytes, file has \(size)"
        case .badHeader(let path, let reason): "\(path): bad safetensors header: \(reason)"
        case .missingKey(let path, let key): "\(path): no tensor named '\(key)'"
        case .shapeMismatch(let path, let key, let expected, let found):
            "\(path): tensor '\(key)' has shape \(found), expected \(expected)"
        case .unsupportedDType(let path, let key, let dtype): "\(path): tensor '\(key)' has unsupported dtype \(dtype)"
        case .badConfiguration(let path, let reason): "\(path): bad configuration: \(reason)"
        }
    }
}
