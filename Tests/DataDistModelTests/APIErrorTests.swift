import Testing

@testable import DataDistModel

/// The error body of every failed answer (CONTRACT §3).
@Suite struct APIErrorTests {
    @Test func bodyShapeIsExact() {
        let error = APIError(.LLM_EXIST_LINK, "links remain with clusters [1]")
        #expect(
            error.json.serialized
                == #"{"error":{"status":"LLM_EXIST_LINK","code":1343270936,"message":"links remain with clusters [1]"}}"#
        )
    }

    @Test func largestCodeIsAnExactInteger() {
        let error = APIError(.LLM_FAILED, "bind failed")
        #expect(
            error.json.serialized == #"{"error":{"status":"LLM_FAILED","code":4294967295,"message":"bind failed"}}"#
        )
    }

    @Test func pseudoStatusesCarryMinusOne() {
        #expect(
            APIError.typeError("'role' must be a string").json.serialized
                == #"{"error":{"status":"TYPE_ERROR","code":-1,"message":"'role' must be a string"}}"#
        )
        #expect(
            APIError.valueError("bad port").json.serialized
                == #"{"error":{"status":"VALUE_ERROR","code":-1,"message":"bad port"}}"#
        )
    }

    @Test func messageIsEscaped() {
        let error = APIError.paramInvalid("say \"hi\"\n")
        #expect(
            error.json.serialized
                == #"{"error":{"status":"LLM_PARAM_INVALID","code":1343270917,"message":"say \"hi\"\n"}}"#
        )
    }

    @Test func bodyParsesBackToTheSameFields() throws {
        let error = APIError(.EPOCH_MISMATCH, "expected_epoch is 2 but the node's role_epoch is 3")
        let parsed = try JSONValue.parse(error.json.serialized)
        #expect(parsed["error"]?["status"]?.stringValue == "EPOCH_MISMATCH")
        #expect(parsed["error"]?["code"]?.int64Value == -1)
        #expect(parsed["error"]?["message"]?.stringValue == error.message)
        #expect(parsed.objectValue?.keys == ["error"])
        #expect(parsed["error"]?.objectValue?.keys == ["status", "code", "message"])
    }

    @Test func helpersPickTheirStatus() {
        #expect(APIError.typeError("m") == APIError(.TYPE_ERROR, "m"))
        #expect(APIError.valueError("m") == APIError(.VALUE_ERROR, "m"))
        #expect(APIError.paramInvalid("m") == APIError(.LLM_PARAM_INVALID, "m"))
        #expect(APIError.paramInvalid("m").description == "LLM_PARAM_INVALID: m")
    }
}
