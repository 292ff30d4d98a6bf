import DataDistModel

/// The outcome of a `throws(APIError)` call as a value, so that a test compares a success and a failure with one
/// `#expect` (the model throws; tests read its answers as `Result`s). The closure is untyped because Swift infers
/// `any Error` for a closure's `try` without `FullTypedThrows`; the calls inside throw only `APIError`.
func outcome<T>(_ body: () throws -> T) -> Result<T, APIError> {
    do {
        return .success(try body())
    } catch {
        return .failure(error as? APIError ?? APIError(.LLM_FAILED, "not an APIError: \(error)"))
    }
}

/// The error a `throws(APIError)` check throws, nil when it passes (for checks that once returned `APIError?`).
func failure<T>(_ body: () throws -> T) -> APIError? {
    if case .failure(let e) = outcome(body) { return e }
    return nil
}
