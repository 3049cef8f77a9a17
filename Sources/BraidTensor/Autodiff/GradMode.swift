/// Whether ops record themselves on the tape. Task-local, so inference in one pipeline task does not
/// switch recording off for a training loop in another.
public enum GradMode {
    /// `true` unless inside `withNoGrad`.
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording any op on the tape: outputs carry no `gradNode` and keep no
/// inputs alive, which is what inference wants.
public func withNoGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Async form of `withNoGrad(_:)`.
public func withNoGrad<Result: Sendable>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
) async rethrows -> Result {
    try await GradMode.$isEnabled.withValue(false, operation: body, isolation: isolation)
}
