/// Why the bench could not measure something; printed and the run stops.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
