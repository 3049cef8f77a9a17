/// Why a model folder (its config, weights or tokenizer) could not be used. Every case names the file,
/// so one line on stderr says which file is wrong and how.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The file does not exist; `hint` says how to get it.
        case missing(hint: String)
        case unreadable(String)
        case invalid(String)
        case unsupported(String)
        /// Downloading or unpacking the model failed.
        case fetchFailed(String)
    }

    /// The path of the file the error belongs to.
    public let file: String
    public let reason: Reason

    public init(_ file: String, _ reason: Reason) {
        self.file = file
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .missing(let hint): "\(file): missing (\(hint))"
        case .unreadable(let detail): "\(file): cannot read: \(detail)"
        case .invalid(let detail): "\(file): invalid: \(detail)"
        case .unsupported(let detail): "\(file): unsupported: \(detail)"
        case .fetchFailed(let detail): "\(file): cannot fetch: \(detail)"
        }
    }
}
