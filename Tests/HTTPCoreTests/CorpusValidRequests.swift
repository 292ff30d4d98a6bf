/// Requests that parse: request line forms, field handling, Connection and HTTP/1.0 semantics.
let validRequestCorpus: [ParserCase] = [
    ParserCase(
        "simple GET",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a", "end"]
    ),
    ParserCase(
        "GET with query and four headers",
        "GET /v1/links/x?force=false HTTP/1.1\r\nHost: node:9200\r\nUser-Agent: curl/8\r\nAccept: */*\r\n"
            + "X-Request-Id: 42\r\n\r\n",
        [
            "head GET /v1/links/x?force=false 1.1 none ka | Host: node:9200 | User-Agent: curl/8 | Accept: */*"
                + " | X-Request-Id: 42",
            "end",
        ]
    ),
    ParserCase(
        "method is any token, case kept",
        "m-search * HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head m-search * 1.1 none ka | Host: a", "end"]
    ),
    ParserCase(
        "absolute-form target",
        "GET http://a:1/b?c=d HTTP/1.1\r\nHost: a:1\r\n\r\n",
        ["head GET http://a:1/b?c=d 1.1 none ka | Host: a:1", "end"]
    ),
    ParserCase(
        "OWS around values trimmed, inner whitespace kept",
        "GET / HTTP/1.1\r\nHost:   a \t\r\nX-Y:\tv  w \r\n\r\n",
        ["head GET / 1.1 none ka | Host: a | X-Y: v  w", "end"]
    ),
    ParserCase(
        "empty field value",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Blank:   \r\n\r\n",
        ["head GET / 1.1 none ka | Host: a | X-Empty:  | X-Blank: ", "end"]
    ),
    ParserCase(
        "field name case preserved, Host matched case-insensitively",
        "GET / HTTP/1.1\r\nhOsT: a\r\n\r\n",
        ["head GET / 1.1 none ka | hOsT: a", "end"]
    ),
    ParserCase(
        "obs-text in a field value is accepted",
        bytes: Array("GET / HTTP/1.1\r\nHost: a\r\nX: ".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8),
        ["head GET / 1.1 none ka | Host: a | X: é", "end"]
    ),
    ParserCase(
        "leading empty lines before the request line are ignored",
        "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a", "end"]
    ),
    ParserCase(
        "HTTP/1.1 Connection: close",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        ["head GET / 1.1 none close | Host: a | Connection: close", "end"]
    ),
    ParserCase(
        "Connection token list, case-insensitive close",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n",
        ["head GET / 1.1 none close | Host: a | Connection: foo, CLOSE", "end"]
    ),
    ParserCase(
        "HTTP/1.1 keep-alive token changes nothing",
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a | Connection: Keep-Alive, Upgrade", "end"]
    ),
    ParserCase(
        "HTTP/1.0 without Host defaults to close",
        "GET / HTTP/1.0\r\n\r\n",
        ["head GET / 1.0 none close", "end"]
    ),
    ParserCase(
        "HTTP/1.0 keep-alive",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ["head GET / 1.0 none ka | Connection: keep-alive", "end"]
    ),
    ParserCase(
        "HTTP/1.0 with a Content-Length body",
        "POST /u HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
        ["head POST /u 1.0 cl=3 close | Content-Length: 3", "body abc", "end"]
    ),
    ParserCase(
        "HTTP/1.2 is treated as 1.1",
        "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        ["head GET / 1.2 none ka | Host: a", "end"]
    ),
    ParserCase(
        "EOF after a complete request produces nothing",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a", "end"],
        eof: true
    ),
    ParserCase(
        "EOF after only empty lines produces nothing",
        "\r\n\r\n",
        [],
        eof: true
    ),
    ParserCase(
        "pipelined GET, Content-Length POST and chunked POST",
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        [
            "head GET /1 1.1 none ka | Host: a", "end",
            "head POST /2 1.1 cl=5 ka | Host: a | Content-Length: 5", "body hello", "end",
            "head POST /3 1.1 chunked ka | Host: a | Transfer-Encoding: chunked", "body abc", "end",
        ]
    ),
    ParserCase(
        "pipelined requests with the last one incomplete",
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo",
        ["head GET /1 1.1 none ka | Host: a", "end"]
    ),
    ParserCase(
        "exactly at the target limit",
        "GET /abcdefghi HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET /abcdefghi 1.1 none ka | Host: a", "end"],
        limits: limits(target: 10)
    ),
    ParserCase(
        "exactly at the header byte limit",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a", "end"],
        limits: limits(headerBytes: 27)
    ),
    ParserCase(
        "exactly at the header count limit",
        "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a | A: 1 | B: 2", "end"],
        limits: limits(headerCount: 3)
    ),
]
