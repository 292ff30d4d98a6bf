/// A node's role (LLM-DataDist `LLMRole`: PROMPT=1, DECODER=2, MIX=3).
public enum Role: String, Sendable, CaseIterable, Equatable {
    case prompt = "PROMPT"
    case decoder = "DECODER"
    case mix = "MIX"

    /// Accepts any letter case ("prompt", "Prompt", "PROMPT").
    public init?(parsing text: String) {
        // ASCII only: Unicode upper-casing maps lookalikes such as "mıx" (dotless i) onto "MIX".
        guard text.allSatisfy(\.isASCII) else { return nil }
        switch text.uppercased() {
        case "PROMPT": self = .prompt
        case "DECODER": self = .decoder
        case "MIX": self = .mix
        default: return nil
        }
    }

    /// LLM-DataDist's numeric role value.
    public var number: Int {
        switch self {
        case .prompt: 1
        case .decoder: 2
        case .mix: 3
        }
    }
}
