/// An item that could not pass a stage: its id and what went wrong.
///
/// Stages turn a thrown error into this value instead of ending the stream, so one bad file costs one line on
/// stderr (`{"id":…,"error":…}`) and every later item still flows.
public struct ItemFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id of the item that failed (see ``Item/id``).
    public let id: String
    /// What went wrong, naming the file when the error does (as `DecodeError` does).
    public let message: String

    /// - Parameters:
    ///   - id: The failed item's id.
    ///   - message: The problem, in words.
    public init(id: String, message: String) {
        self.id = id
        self.message = message
    }

    /// Records `error` as the failure of item `id`.
    public init(id: String, error: any Error) {
        self.init(id: id, message: String(describing: error))
    }

    public var description: String { "\(id): \(message)" }
}

extension Result where Success: Identifiable, Success.ID == String, Failure == ItemFailure {
    /// The id of the item this record is about, whether it succeeded or failed.
    public var id: String {
        switch self {
        case .success(let value): value.id
        case .failure(let failure): failure.id
        }
    }
}
