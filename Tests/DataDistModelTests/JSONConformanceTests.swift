import DataDistModel
import Testing

/// One input document for a conformance case.
struct JSONCase: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let expected: JSONValue?
    init(_ name: String, _ text: String, _ expected: JSONValue? = nil) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.expected = expected
    }
    init(_ name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
        self.expected = nil
    }
    var testDescription: String { name }
}

/// Documents every strict RFC 8259 parser accepts, with the value each must produce.
let acceptedCases: [JSONCase] = [
    JSONCase("y_array_empty", "[]", []),
    JSONCase("y_array_empty_with_whitespace", " [ ] ", []),
    JSONCase("y_array_nested_empty", "[[[]]]", [[[]]]),
    JSONCase("y_array_heterogeneous", #"[1,"a",true,false,null,{}]"#, [1, "a", true, false, nil, [:]]),
    JSONCase("y_array_all_whitespace_kinds", "\t[\n1\r,\n 2 ]\n", [1, 2]),
    JSONCase("y_object_empty", "{}", [:]),
    JSONCase("y_object_simple", #"{"a":1}"#, ["a": 1]),
    JSONCase("y_object_whitespace", #" { "a" : [ ] , "b" : { } } "#, ["a": [], "b": [:]]),
    JSONCase("y_object_nested", #"{"a":{"b":{"c":null}}}"#, ["a": ["b": ["c": nil]]]),
    JSONCase("y_object_empty_key", #"{"":0}"#, ["": 0]),
    JSONCase("y_object_keys_differ_in_case", #"{"a":1,"A":2}"#, ["a": 1, "A": 2]),
    JSONCase("y_object_same_key_in_siblings", #"{"a":{"a":1},"b":{"a":2}}"#, ["a": ["a": 1], "b": ["a": 2]]),
    JSONCase("y_literal_true", "true", true),
    JSONCase("y_literal_false", "false", false),
    JSONCase("y_literal_null", "null", .null),
    JSONCase("y_number_zero", "0", 0),
    JSONCase("y_number_negative_zero", "-0", 0),
    JSONCase("y_number_negative_int", "-123", -123),
    JSONCase("y_number_fraction", "1.5", .double(1.5)),
    JSONCase("y_number_exponent", "1e3", .double(1000)),
    JSONCase("y_number_capital_exponent_plus", "1E+2", .double(100)),
    JSONCase("y_number_exponent_minus", "1e-2", .double(0.01)),
    JSONCase("y_number_zero_fraction", "0.0", .double(0)),
    JSONCase("y_number_negative_fraction", "-0.5", .double(-0.5)),
    JSONCase("y_number_exponent_leading_zeros", "1e007", .double(1e7)),
    JSONCase("y_number_underflow_to_zero", "1e-400", .double(0)),
    JSONCase("y_number_negative_zero_double", "-0.0", .double(-0.0)),
    JSONCase("y_number_integer_with_exponent", "10e0", .double(10)),
    JSONCase("y_number_double_max", "1.7976931348623157e308", .double(Double.greatestFiniteMagnitude)),
    JSONCase("y_number_min_subnormal", "5e-324", .double(Double.leastNonzeroMagnitude)),
    JSONCase("y_number_integer_beyond_uint64", "100000000000000000000", .double(1e20)),
    JSONCase("y_string_empty", #""""#, ""),
    JSONCase("y_string_simple", #""abc""#, "abc"),
    JSONCase("y_string_simple_escapes", #""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
    JSONCase("y_string_unicode_escape", #""\u0041""#, "A"),
    JSONCase("y_string_unicode_escape_hex_case", #""\u00e9\u00E9""#, "éé"),
    JSONCase("y_string_surrogate_pair", #""\uD83D\uDE00""#, "😀"),
    JSONCase("y_string_surrogate_pair_lowercase", #""\ud834\udd1e""#, "𝄞"),
    JSONCase("y_string_escaped_nul", #""\u0000""#, "\u{0}"),
    JSONCase("y_string_escaped_noncharacter", #""\uFFFF""#, "\u{FFFF}"),
    JSONCase("y_string_raw_multibyte", #""é😀中""#, "é😀中"),
    JSONCase("y_string_raw_del", "\"\u{7F}\"", "\u{7F}"),
    JSONCase("y_string_raw_line_separator", "\"\u{2028}\u{2029}\"", "\u{2028}\u{2029}"),
    JSONCase("y_string_raw_max_scalar", "\"\u{10FFFF}\"", "\u{10FFFF}"),
    JSONCase("y_string_escape_between_raw", #""a\nb\u00e9c😀d""#, "a\nbéc😀d"),
    JSONCase("y_string_unescaped_slash", #"["a/b"]"#, ["a/b"]),
    JSONCase("y_structure_whitespace_around_scalar", " \r\n\t1 \r\n\t", 1),
    JSONCase("y_structure_string_with_brackets", #"{"[":"]","{":"}"}"#, ["[": "]", "{": "}"]),
]

/// Documents every strict parser must reject.
let rejectedCases: [JSONCase] = [
    JSONCase("n_structure_empty", ""),
    JSONCase("n_structure_whitespace_only", " \n"),
    JSONCase("n_structure_bom", bytes: [0xEF, 0xBB, 0xBF, 0x31]),
    JSONCase("n_structure_bom_object", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8)),
    JSONCase("n_structure_trailing_garbage", "[1] x"),
    JSONCase("n_structure_two_values", "1 2"),
    JSONCase("n_structure_two_objects", "{} {}"),
    JSONCase("n_structure_block_comment", "/* c */ 1"),
    JSONCase("n_structure_line_comment", "[1]//"),
    JSONCase("n_structure_form_feed_whitespace", "\u{0C}1"),
    JSONCase("n_structure_vertical_tab_whitespace", "[\u{0B}1]"),
    JSONCase("n_structure_nbsp_whitespace", "\u{A0}1"),
    JSONCase("n_structure_trailing_nul", bytes: Array("[1]".utf8) + [0]),
    JSONCase("n_array_trailing_comma", "[1,]"),
    JSONCase("n_array_leading_comma", "[,1]"),
    JSONCase("n_array_double_comma", "[1,,2]"),
    JSONCase("n_array_comma_only", "[,]"),
    JSONCase("n_array_unclosed", "[1"),
    JSONCase("n_array_unclosed_empty", "["),
    JSONCase("n_array_extra_close", "[1]]"),
    JSONCase("n_array_colon_separator", "[1:2]"),
    JSONCase("n_array_missing_comma", "[1 2]"),
    JSONCase("n_array_closed_with_brace", "[1}"),
    JSONCase("n_object_trailing_comma", #"{"a":1,}"#),
    JSONCase("n_object_missing_colon", #"{"a" 1}"#),
    JSONCase("n_object_unquoted_key", "{a:1}"),
    JSONCase("n_object_single_quoted_key", "{'a':1}"),
    JSONCase("n_object_numeric_key", "{1:1}"),
    JSONCase("n_object_missing_value", #"{"a":}"#),
    JSONCase("n_object_unclosed", #"{"a":1"#),
    JSONCase("n_object_comma_only", "{,}"),
    JSONCase("n_object_double_colon", #"{"a"::1}"#),
    JSONCase("n_object_closed_with_bracket", #"{"a":1]"#),
    JSONCase("n_object_duplicate_key", #"{"a":1,"a":2}"#),
    JSONCase("n_number_leading_zero", "01"),
    JSONCase("n_number_negative_leading_zero", "-01"),
    JSONCase("n_number_double_zero", "00"),
    JSONCase("n_number_trailing_dot", "1."),
    JSONCase("n_number_leading_dot", ".5"),
    JSONCase("n_number_negative_leading_dot", "-.5"),
    JSONCase("n_number_plus_sign", "+1"),
    JSONCase("n_number_nan", "NaN"),
    JSONCase("n_number_infinity", "Infinity"),
    JSONCase("n_number_negative_infinity", "-Infinity"),
    JSONCase("n_number_minus_only", "-"),
    JSONCase("n_number_minus_space_digit", "- 1"),
    JSONCase("n_number_exponent_without_digits", "1e"),
    JSONCase("n_number_exponent_sign_without_digits", "1e+"),
    JSONCase("n_number_capital_exponent_minus_only", "1E-"),
    JSONCase("n_number_dot_before_exponent", "2.e3"),
    JSONCase("n_number_hex", "0x1"),
    JSONCase("n_number_two_dots", "1.2.3"),
    JSONCase("n_number_fractional_exponent", "1e5.5"),
    JSONCase("n_number_overflow_double", "1e400"),
    JSONCase("n_number_negative_overflow_double", "-1e400"),
    JSONCase("n_number_fullwidth_digit", "\u{FF11}"),
    JSONCase("n_number_in_array_with_leading_zero", "[012]"),
    JSONCase("n_string_unterminated", #""abc"#),
    JSONCase("n_string_quote_only", #"""#),
    JSONCase("n_string_raw_newline", "\"a\nb\""),
    JSONCase("n_string_raw_tab", "\"a\tb\""),
    JSONCase("n_string_raw_nul", bytes: [0x22, 0x00, 0x22]),
    JSONCase("n_string_raw_control_after_escape", "\"\\n\u{1F}\""),
    JSONCase("n_string_invalid_escape", #""\x""#),
    JSONCase("n_string_capital_u_escape", #""\U0041""#),
    JSONCase("n_string_short_unicode_escape", #""\u12""#),
    JSONCase("n_string_non_hex_unicode_escape", #""\u12G4""#),
    JSONCase("n_string_escape_at_end_of_input", #""\"#),
    JSONCase("n_string_single_quoted", "'a'"),
    JSONCase("n_string_lone_high_surrogate", #""\uD800""#),
    JSONCase("n_string_high_surrogate_then_char", #""\uD800a""#),
    JSONCase("n_string_two_high_surrogates", #""\uD800\uD800""#),
    JSONCase("n_string_lone_low_surrogate", #""\uDC00""#),
    JSONCase("n_string_high_surrogate_then_bmp_escape", #""\uD800\u0041""#),
    JSONCase("n_string_high_surrogate_then_simple_escape", #""\uD800\n""#),
    JSONCase("n_utf8_lone_continuation", bytes: [0x22, 0x80, 0x22]),
    JSONCase("n_utf8_overlong_two_byte", bytes: [0x22, 0xC0, 0xAF, 0x22]),
    JSONCase("n_utf8_overlong_c1", bytes: [0x22, 0xC1, 0xBF, 0x22]),
    JSONCase("n_utf8_overlong_three_byte", bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22]),
    JSONCase("n_utf8_overlong_four_byte", bytes: [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22]),
    JSONCase("n_utf8_encoded_surrogate", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]),
    JSONCase("n_utf8_above_max_scalar", bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]),
    JSONCase("n_utf8_f5_lead", bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22]),
    JSONCase("n_utf8_ff_byte", bytes: [0x22, 0xFF, 0x22]),
    JSONCase("n_utf8_truncated_sequence", bytes: [0x22, 0xE2, 0x82, 0x22]),
    JSONCase("n_utf8_truncated_at_end", bytes: [0x22, 0xE2, 0x82]),
    JSONCase("n_utf8_outside_string", bytes: [0x5B, 0xC3, 0xA9, 0x5D]),
    JSONCase("n_utf8_invalid_in_key", bytes: Array(#"{""#.utf8) + [0xFE] + Array(#"":1}"#.utf8)),
    JSONCase("n_literal_truncated_true", "tru"),
    JSONCase("n_literal_capitalized", "True"),
    JSONCase("n_literal_truncated_null", "nul"),
    JSONCase("n_literal_extra_letter", "nulll"),
    JSONCase("n_literal_in_array_truncated", "[fals]"),
]

@Test(arguments: acceptedCases)
func acceptsValidDocument(_ testCase: JSONCase) throws {
    let value = try JSONValue.parse(testCase.bytes)
    #expect(value == testCase.expected)
}

@Test(arguments: rejectedCases)
func rejectsInvalidDocument(_ testCase: JSONCase) {
    #expect(throws: JSONParseError.self) { try JSONValue.parse(testCase.bytes) }
}

@Test(arguments: rejectedCases)
func rejectionOffsetLiesWithinInput(_ testCase: JSONCase) {
    do {
        _ = try JSONValue.parse(testCase.bytes)
        Issue.record("accepted \(testCase.name)")
    } catch {
        #expect((0...testCase.bytes.count).contains(error.offset))
        #expect(!error.reason.isEmpty)
    }
}
