"""Every HTTP exchange a :class:`datadist.Client` makes, recorded byte for byte, so a test can hold the real
client's requests and the node's answers against ``openapi.yaml`` (issue 13 item 4).

The recording sits below the client, at ``http.client``: the client under test is the shipped one, unchanged;
only the connection it opens is swapped for one that keeps a copy of what went over it."""

from __future__ import annotations

import contextlib
import http.client
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from datadist import Client


@dataclass(frozen=True)
class Exchange:
    """One request and its answer as they crossed the socket."""

    host_url: str
    method: str
    target: str
    request_headers: Dict[str, str]
    request_body: bytes
    status: int
    response_headers: Dict[str, str]
    response_body: bytes
    # Sent on purpose against the schema (a wrong type, an unknown enum value) to get the node's error answer:
    # only the answer is held against the spec, the request is known not to conform.
    deliberately_malformed: bool

    def describe(self) -> str:
        return f"{self.method} {self.target} → {self.status}"


class _ReplayedResponse:
    """The part of ``http.client.HTTPResponse`` that ``Client.request`` reads, served from the recorded copy."""

    def __init__(self, status: int, headers: List[Tuple[str, str]], body: bytes) -> None:
        self.status = status
        self._headers = headers
        self._body = body

    def read(self) -> bytes:
        return self._body

    def getheaders(self) -> List[Tuple[str, str]]:
        return self._headers


class _RecordingConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, timeout: float, recorder: "ExchangeRecorder") -> None:
        super().__init__(host, port, timeout=timeout)
        self._recorder = recorder
        self._sent: Optional[Tuple[str, str, Dict[str, str], bytes]] = None

    def request(  # type: ignore[override]  # the client passes bytes or None bodies only
        self,
        method: str,
        url: str,
        body: Optional[bytes] = None,
        headers: Mapping[str, str] = {},
        *,
        encode_chunked: bool = False,
    ) -> None:
        self._sent = (method, url, dict(headers), bytes(body or b""))
        super().request(method, url, body=body, headers=dict(headers), encode_chunked=encode_chunked)

    def getresponse(self) -> Any:  # a _ReplayedResponse standing in for the HTTPResponse just read
        response = super().getresponse()
        body = response.read()
        headers = response.getheaders()
        assert self._sent is not None, "getresponse before request"
        method, target, sent_headers, sent_body = self._sent
        self._recorder.add(
            Exchange(
                host_url=f"http://{self.host}:{self.port}",
                method=method,
                target=target,
                request_headers=sent_headers,
                request_body=sent_body,
                status=response.status,
                response_headers={k.lower(): v for k, v in headers},
                response_body=body,
                deliberately_malformed=self._recorder.malformed_now,
            )
        )
        return _ReplayedResponse(response.status, headers, body)


class _RecordingClient(Client):
    def __init__(self, url: str, recorder: "ExchangeRecorder", token: Optional[str]) -> None:
        super().__init__(url, token=token, timeout=30)
        self._recorder = recorder

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        assert self.scheme == "http", "the recorder speaks plain HTTP only"
        return _RecordingConnection(self.host, self.port, self.timeout if timeout is None else timeout, self._recorder)


class ExchangeRecorder:
    """Hands out clients whose exchanges land in :attr:`exchanges`, in the order they happened."""

    def __init__(self) -> None:
        self.exchanges: List[Exchange] = []
        self.malformed_now = False

    def client(self, admin: str, token: Optional[str] = None) -> Client:
        return _RecordingClient(admin, self, token)

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    @contextlib.contextmanager
    def malformed(self) -> Iterator[None]:
        """Marks the exchanges inside as deliberately malformed requests (see :class:`Exchange`)."""
        self.malformed_now = True
        try:
            yield
        finally:
            self.malformed_now = False
