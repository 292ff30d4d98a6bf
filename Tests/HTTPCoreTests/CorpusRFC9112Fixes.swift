/// Cases a reliability battery found (issue 14): each failed before its fix.
let rfc9112FixesCorpus: [ParserCase] = [
    ParserCase(
        "four empty lines before a request line are tolerated",
        "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET / 1.1 none ka | Host: a", "end"]
    ),
    ParserCase(
        "a fifth empty line before a request line → 400 (a slow CRLF drip cannot hold a connection)",
        "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ["error 400"]
    ),
    ParserCase(
        "empty lines are counted per request",
        "\r\n\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\n\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
        ["head GET /1 1.1 none ka | Host: a", "end", "head GET /2 1.1 none ka | Host: a", "end"]
    ),
    ParserCase("Host with a space → 400", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ["error 400"]),
    ParserCase("Host with a slash → 400", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", ["error 400"]),
    ParserCase("Host with userinfo → 400", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", ["error 400"]),
    ParserCase(
        "Host forms that are valid: name:port, IPv4, IPv6 literal, empty",
        "GET /1 HTTP/1.1\r\nHost: node-1.example:9200\r\n\r\nGET /2 HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n"
            + "GET /3 HTTP/1.1\r\nHost: [::1]:80\r\n\r\nGET /4 HTTP/1.1\r\nHost:\r\n\r\n",
        [
            "head GET /1 1.1 none ka | Host: node-1.example:9200", "end",
            "head GET /2 1.1 none ka | Host: 10.0.0.1", "end",
            "head GET /3 1.1 none ka | Host: [::1]:80", "end",
            "head GET /4 1.1 none ka | Host: ", "end",
        ]
    ),
    ParserCase(
        "empty Expect is no expectation",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect:\r\nContent-Length: 1\r\n\r\nx",
        ["head PUT / 1.1 cl=1 ka | Host: a | Expect:  | Content-Length: 1", "body x", "end"]
    ),
    ParserCase(
        "Expect list with an empty element",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue,\r\nContent-Length: 1\r\n\r\nx",
        ["head PUT / 1.1 cl=1 ka 100c | Host: a | Expect: 100-continue, | Content-Length: 1", "body x", "end"]
    ),
    ParserCase(
        "Expect list with 100-continue twice",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, 100-continue\r\nContent-Length: 1\r\n\r\nx",
        [
            "head PUT / 1.1 cl=1 ka 100c | Host: a | Expect: 100-continue, 100-continue | Content-Length: 1",
            "body x", "end",
        ]
    ),
    ParserCase(
        "Expect list with another expectation → 417",
        "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x-other\r\nContent-Length: 1\r\n\r\nx",
        ["error 417"]
    ),
]
