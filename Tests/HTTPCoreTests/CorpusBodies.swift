/// Requests with bodies: Content-Length, chunked (extensions, trailers), Expect, body limits.
let bodyCorpus: [ParserCase] = [
    ParserCase(
        "Content-Length body",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        ["head POST /u 1.1 cl=5 ka | Host: a | Content-Length: 5", "body hello", "end"]
    ),
    ParserCase(
        "Content-Length 0",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        ["head POST /u 1.1 cl=0 ka | Host: a | Content-Length: 0", "end"]
    ),
    ParserCase(
        "Content-Length with leading zeros and OWS",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length:  005 \r\n\r\nhello",
        ["head POST /u 1.1 cl=5 ka | Host: a | Content-Length: 005", "body hello", "end"]
    ),
    ParserCase(
        "body bytes are opaque, even CRLF and request text",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        [
            "head POST /u 1.1 cl=18 ka | Host: a | Content-Length: 18",
            "body GET / HTTP/1.1\\r\\n\\r\\n", "end",
        ]
    ),
    ParserCase(
        "body exactly at the limit",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd",
        ["head POST /u 1.1 cl=4 ka | Host: a | Content-Length: 4", "body abcd", "end"],
        bodyLimit: 4
    ),
    ParserCase(
        "chunked, several chunks, hex in both cases",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\na\r\n0123456789\r\nA\r\nABCDEFGHIJ\r\n0\r\n\r\n",
        [
            "head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked",
            "body abc0123456789ABCDEFGHIJ", "end",
        ]
    ),
    ParserCase(
        "chunk data may contain CRLF",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nx\r\ny\r\n0\r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body x\\r\\ny", "end"]
    ),
    ParserCase(
        "chunk extensions accepted and ignored",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3;name=value\r\nabc\r\n2 ;q=\"a b\";x\r\nde\r\n0;last\r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abcde", "end"]
    ),
    ParserCase(
        "trailers validated and discarded",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-Other:  v \r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abc", "end"]
    ),
    ParserCase(
        "chunked only the last chunk",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "end"]
    ),
    ParserCase(
        "Transfer-Encoding case-insensitive with OWS",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  Chunked \r\n\r\n1\r\nz\r\n0\r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: Chunked", "body z", "end"]
    ),
    ParserCase(
        "chunked body exactly at the limit",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abcd", "end"],
        bodyLimit: 4
    ),
    ParserCase(
        "Expect 100-continue with a Content-Length body",
        "PUT /u HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok",
        [
            "head PUT /u 1.1 cl=2 ka 100c | Host: a | Content-Length: 2 | Expect: 100-continue",
            "body ok", "end",
        ]
    ),
    ParserCase(
        "Expect 100-Continue case-insensitive with chunked",
        "PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        [
            "head PUT /u 1.1 chunked ka 100c | Host: a | Expect: 100-Continue | Transfer-Encoding: chunked",
            "end",
        ]
    ),
    ParserCase(
        "Expect 100-continue without a body is not flagged",
        "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a | Expect: 100-continue", "end"]
    ),
    ParserCase(
        "Expect 100-continue with Content-Length 0 is not flagged",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        ["head PUT / 1.1 cl=0 ka | Host: a | Expect: 100-continue | Content-Length: 0", "end"]
    ),
    ParserCase(
        "Expect 100-continue from HTTP/1.0 is ignored",
        "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
        ["head PUT / 1.0 cl=1 close | Expect: 100-continue | Content-Length: 1", "body x", "end"]
    ),
    ParserCase(
        "Expect other value → 417",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\nContent-Length: 1\r\n\r\nx",
        ["error 417"]
    ),
    ParserCase(
        "Expect list with an unknown member → 417",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, foo\r\nContent-Length: 1\r\n\r\nx",
        ["error 417"]
    ),
    ParserCase(
        "Content-Length over the body limit → 413 instead of head",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        ["error 413"],
        bodyLimit: 4
    ),
    ParserCase(
        "Content-Length over the default limit → 413",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n",
        ["error 413"]
    ),
    ParserCase(
        "absurdly long Content-Length → 413 without trapping",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
        ["error 413"]
    ),
    ParserCase(
        "chunked over the limit → 413 at the size line, before its data",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abc", "error 413"],
        bodyLimit: 4
    ),
    ParserCase(
        "huge chunk size over the default limit → 413",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "error 413"]
    ),
    ParserCase(
        "chunk size overflowing Int → 400",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "error 400"],
        bodyLimit: Int.max
    ),
    ParserCase(
        "EOF mid-body → 400 after the bytes received",
        "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel",
        ["head POST /u 1.1 cl=5 ka | Host: a | Content-Length: 5", "body hel", "error 400"],
        eof: true
    ),
    ParserCase(
        "EOF mid-chunked → 400",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        ["head POST /c 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abc", "error 400"],
        eof: true
    ),
]
