import Testing

@testable import DataDistModel

/// Role names on the wire (CONTRACT §3) and LLM-DataDist's numbers (facts §1.2).
@Suite struct RoleTests {
    @Test(arguments: [
        ("PROMPT", Role.prompt), ("prompt", .prompt), ("Prompt", .prompt), ("pRoMpT", .prompt),
        ("DECODER", .decoder), ("decoder", .decoder), ("Decoder", .decoder),
        ("MIX", .mix), ("mix", .mix), ("Mix", .mix),
    ])
    func parsesAnyLetterCase(text: String, role: Role) {
        #expect(Role(parsing: text) == role)
    }

    @Test(arguments: [
        "", "leader", "PROMPTS", " PROMPT", "PROMPT ", "1", "DECODE", "mixed", "PRÖMPT",
        // Lookalikes whose Unicode upper case is ASCII ("ı".uppercased() == "I").
        "mıx", "decodır", "ＭＩＸ",
    ])
    func rejectsOtherText(text: String) {
        #expect(Role(parsing: text) == nil)
    }

    @Test(arguments: [(Role.prompt, 1, "PROMPT"), (.decoder, 2, "DECODER"), (.mix, 3, "MIX")])
    func numberAndWireName(role: Role, number: Int, wire: String) {
        #expect(role.number == number)
        #expect(role.rawValue == wire)
    }

    @Test func everyRoleIsListed() {
        #expect(Role.allCases == [.prompt, .decoder, .mix])
    }
}
