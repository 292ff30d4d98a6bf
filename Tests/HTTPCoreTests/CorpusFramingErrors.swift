/// Content-Length / Transfer-Encoding conflicts, malformed chunked framing, and header limits.
let framingErrorCorpus: [ParserCase] = [
    clCase("5abc", ["error 400"]),
    clCase("-1", ["error 400"]),
    clCase("+5", ["error 400"]),
    clCase("5 5", ["error 400"]),
    clCase("0x10", ["error 400"]),
    clCase("5.0", ["error 400"]),
    clCase("", ["error 400"]),
    clCase("5, 5", ["error 400"]),
    ParserCase(
        "duplicate equal Content-Length",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        ["error 400"]
    ),
    ParserCase(
        "duplicate different Content-Length",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello",
        ["error 400"]
    ),
    ParserCase(
        "Content-Length and Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["error 400"]
    ),
    ParserCase(
        "Transfer-Encoding and Content-Length, other order",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        ["error 400"]
    ),
    ParserCase(
        "Transfer-Encoding in HTTP/1.0",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["error 400"]
    ),
    teCase("gzip, chunked", ["error 501"]),
    teCase("gzip", ["error 501"]),
    teCase("chunked, chunked", ["error 501"]),
    teCase("identity", ["error 501"]),
    teCase("", ["error 501"]),
    ParserCase(
        "two Transfer-Encoding fields → 501",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["error 501"]
    ),
    chunkedCase("non-hex chunk size", "g\r\n", []),
    chunkedCase("0x prefix on a chunk size", "0x5\r\nhello\r\n0\r\n\r\n", []),
    chunkedCase("negative chunk size", "-5\r\n", []),
    chunkedCase("empty chunk size line", "\r\n", []),
    chunkedCase("bare LF after a chunk size", "5\nhello\r\n0\r\n\r\n", []),
    chunkedCase("whitespace after a chunk size without an extension", "5 \r\nhello\r\n0\r\n\r\n", []),
    chunkedCase("control byte in a chunk extension", "5;a\u{1}\r\nhello\r\n0\r\n\r\n", []),
    chunkedCase("chunk data not followed by CRLF", "5\r\nhelloX\r\n0\r\n\r\n", ["body hello"]),
    chunkedCase("chunk data followed by bare LF", "5\r\nhello\n0\r\n\r\n", ["body hello"]),
    chunkedCase("obs-fold in a trailer", "1\r\nz\r\n0\r\nX: a\r\n b\r\n\r\n", ["body z"]),
    chunkedCase("space before the colon in a trailer", "1\r\nz\r\n0\r\nX : a\r\n\r\n", ["body z"]),
    chunkedCase("bare LF ending the trailer section", "1\r\nz\r\n0\r\n\n", ["body z"]),
    ParserCase(
        "chunk size line too long",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 5000),
        ["head POST / 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "error 400"]
    ),
    ParserCase(
        "target over the limit → 414 before the line ends",
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaa",
        ["error 414"],
        limits: limits(target: 10)
    ),
    ParserCase(
        "target one byte over the limit",
        "GET /abcdefghij HTTP/1.1\r\nHost: a\r\n\r\n",
        ["error 414"],
        limits: limits(target: 10)
    ),
    ParserCase(
        "header section over the byte limit → 431",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "v", count: 100) + "\r\n\r\n",
        ["error 431"],
        limits: limits(headerBytes: 64)
    ),
    ParserCase(
        "header section one byte over the limit",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["error 431"],
        limits: limits(headerBytes: 26)
    ),
    ParserCase(
        "too many header fields → 431",
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
        ["error 431"],
        limits: limits(headerCount: 3)
    ),
    ParserCase(
        "trailer fields count toward the field limit",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n\r\n",
        ["head POST / 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "error 431"],
        limits: limits(headerCount: 2)
    ),
    ParserCase(
        "endless empty lines before a request → 400",
        String(repeating: "\r\n", count: 40),
        ["error 400"],
        limits: limits(headerBytes: 64)
    ),
]

/// A POST whose only framing header is `Content-Length: <value>`.
private func clCase(_ value: String, _ expected: [String]) -> ParserCase {
    ParserCase(
        "Content-Length \"\(value)\"",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\nhello",
        expected
    )
}

/// A POST whose only framing header is `Transfer-Encoding: <value>`.
private func teCase(_ value: String, _ expected: [String]) -> ParserCase {
    ParserCase(
        "Transfer-Encoding \"\(value)\"",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n",
        expected
    )
}

/// A chunked POST with `body` after its head, expected to fail with 400 after `events`.
private func chunkedCase(_ name: String, _ body: String, _ events: [String]) -> ParserCase {
    ParserCase(
        name,
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
        ["head POST / 1.1 chunked ka | Host: a | Transfer-Encoding: chunked"] + events + ["error 400"]
    )
}
