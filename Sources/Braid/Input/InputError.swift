/// A problem that stops a whole input, as opposed to one item (which becomes an ``ItemFailure``): the list file
/// cannot be opened, stdin fails to read, a tar stream is corrupt past recovery.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or `-` for stdin) the input came from.
    public let file: String
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
