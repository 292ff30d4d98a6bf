import Testing

@testable import DataDistModel

/// Step 1 of `PUT /v1/role` (CONTRACT §4): body types and role names.
@Suite struct RoleSwitchRequestTests {
    private static func decode(_ body: String) throws -> Result<RoleSwitchRequest, APIError> {
        outcome { try RoleSwitchRequest.decode(try JSONValue.parse(body)) }
    }

    private static func status(_ body: String) throws -> APIStatus? {
        if case .failure(let e) = try decode(body) { e.status } else { nil }
    }

    @Test func fullBodyDecodes() throws {
        let request = try Self.decode(
            #"{"role": "PROMPT", "switch_options": {"llm.listenIpInfo": "127.0.0.1:26000"}, "expected_epoch": 3}"#
        ).get()
        #expect(request.role == .prompt)
        #expect(request.options.map(\.key) == ["llm.listenIpInfo"])
        #expect(request.options.map(\.value) == ["127.0.0.1:26000"])
        #expect(request.expectedEpoch == 3)
    }

    @Test func optionalFieldsMayBeAbsentOrNull() throws {
        #expect(try Self.decode(#"{"role": "DECODER"}"#) == .success(RoleSwitchRequest(role: .decoder)))
        #expect(
            try Self.decode(#"{"role": "DECODER", "switch_options": null, "expected_epoch": null}"#)
                == .success(RoleSwitchRequest(role: .decoder))
        )
        #expect(
            try Self.decode(#"{"role": "MIX", "switch_options": {}}"#) == .success(RoleSwitchRequest(role: .mix))
        )
    }

    @Test func optionsKeepTheirOrder() throws {
        let request = try Self.decode(#"{"role": "MIX", "switch_options": {"b": "2", "a": "1"}}"#).get()
        #expect(request.options.map(\.key) == ["b", "a"])
        #expect(request.options.map(\.value) == ["2", "1"])
    }

    @Test(arguments: [
        #"[]"#, #""PROMPT""#, #"null"#, #"1"#, #"true"#,
        #"{}"#, #"{"role": null}"#, #"{"role": 1}"#, #"{"role": true}"#, #"{"role": ["PROMPT"]}"#,
        #"{"role": {"name": "PROMPT"}}"#,
        #"{"role": "PROMPT", "switch_options": "llm.listenIpInfo=127.0.0.1:1"}"#,
        #"{"role": "PROMPT", "switch_options": ["127.0.0.1:1"]}"#,
        #"{"role": "PROMPT", "switch_options": 1}"#,
        #"{"role": "PROMPT", "switch_options": {"llm.listenIpInfo": 26000}}"#,
        #"{"role": "PROMPT", "switch_options": {"llm.listenIpInfo": null}}"#,
        #"{"role": "PROMPT", "switch_options": {"llm.listenIpInfo": {"ip": "127.0.0.1"}}}"#,
        #"{"role": "PROMPT", "expected_epoch": "3"}"#,
        #"{"role": "PROMPT", "expected_epoch": 1.5}"#,
        #"{"role": "PROMPT", "expected_epoch": true}"#,
        #"{"role": "PROMPT", "expected_epoch": [3]}"#,
    ])
    func wrongTypesAreTypeErrors(body: String) throws {
        #expect(try Self.status(body) == .TYPE_ERROR)
    }

    @Test(arguments: [
        #"{"role": "leader"}"#, #"{"role": ""}"#, #"{"role": "PROMPTS"}"#, #"{"role": "1"}"#,
        #"{"role": "PROMPT", "expected_epoch": -1}"#,
        #"{"role": "PROMPT", "expected_epoch": -9223372036854775808}"#,
    ])
    func wrongValuesAreValueErrors(body: String) throws {
        #expect(try Self.status(body) == .VALUE_ERROR)
    }

    @Test(arguments: [("prompt", Role.prompt), ("Decoder", .decoder), ("MIX", .mix), ("mIx", .mix)])
    func roleInAnyCase(text: String, role: Role) throws {
        #expect(try Self.decode(#"{"role": "\#(text)"}"#).get().role == role)
    }

    @Test(arguments: [
        ("0", UInt64(0)), ("9223372036854775807", UInt64(Int64.max)),
        ("9223372036854775808", UInt64(1) << 63), ("18446744073709551615", UInt64.max),
    ])
    func expectedEpochKeepsEveryUInt64(text: String, epoch: UInt64) throws {
        #expect(try Self.decode(#"{"role": "PROMPT", "expected_epoch": \#(text)}"#).get().expectedEpoch == epoch)
    }

    @Test func unknownTopLevelFieldIsParamInvalid() throws {
        let result = try Self.decode(#"{"role": "PROMPT", "switch_option": {}}"#)
        guard case .failure(let e) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(e.status == .LLM_PARAM_INVALID)
        #expect(e.message.contains("switch_option"))
    }

    @Test(arguments: [
        // A bad role value with a type error elsewhere: the type error answers.
        #"{"role": "leader", "switch_options": "x"}"#,
        #"{"role": "leader", "switch_options": {"llm.listenIpInfo": 1}}"#,
        #"{"role": "leader", "expected_epoch": "3"}"#,
        // A negative epoch with a type error elsewhere.
        #"{"role": "PROMPT", "switch_options": [], "expected_epoch": -1}"#,
        #"{"role": 7, "expected_epoch": -1}"#,
        // An unknown field never hides a type error.
        #"{"extra": 1, "role": 7}"#,
    ])
    func typeErrorWinsOverValueError(body: String) throws {
        #expect(try Self.status(body) == .TYPE_ERROR)
    }

    @Test(arguments: [
        #"{"extra": 1, "role": "leader"}"#,
        #"{"role": "PROMPT", "expected_epoch": -1, "extra": 1}"#,
    ])
    func valueErrorWinsOverUnknownField(body: String) throws {
        #expect(try Self.status(body) == .VALUE_ERROR)
    }
}

/// The drain fields of CONTRACT §12 on `PUT /v1/role`.
@Suite struct RoleSwitchDrainFieldTests {
    private static func decode(_ body: String) throws -> Result<RoleSwitchRequest, APIError> {
        outcome { try RoleSwitchRequest.decode(try JSONValue.parse(body)) }
    }

    @Test func unlinkAndDrainTimeoutDecode() throws {
        let r = try Self.decode(#"{"role": "MIX", "unlink": "Graceful", "drain_timeout_ms": 250}"#).get()
        #expect(r.unlink == .graceful)
        #expect(r.drainTimeoutMs == 250)
        #expect(try Self.decode(#"{"role": "MIX"}"#).get().unlink == .refuse)
    }

    @Test func badDrainFieldsAnswerTypeOrValueError() throws {
        let cases: [(String, APIStatus)] = [
            (#"{"role": "MIX", "unlink": 1}"#, .TYPE_ERROR),
            (#"{"role": "MIX", "unlink": "later"}"#, .VALUE_ERROR),
            (#"{"role": "MIX", "drain_timeout_ms": "5"}"#, .TYPE_ERROR),
            (#"{"role": "MIX", "drain_timeout_ms": 1.5}"#, .TYPE_ERROR),
            (#"{"role": "MIX", "drain_timeout_ms": -1}"#, .VALUE_ERROR),
            (#"{"role": "MIX", "drain_timeout_ms": 600001}"#, .VALUE_ERROR),
        ]
        for (body, status) in cases {
            guard case .failure(let e) = try Self.decode(body) else {
                Issue.record("\(body) decoded")
                continue
            }
            #expect(e.status == status, "\(body)")
        }
    }
}
