"""``openapi.yaml`` loaded with ``openapi-core`` (PyPI; a test-only dependency — the client package stays standard
library only), and what it finds wrong with one recorded exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Tuple
from urllib.parse import parse_qsl, urlsplit

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from recorded_exchanges import Exchange

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi.yaml"


def _octets(value: bytes, **parameters: str) -> str:
    """An ``application/octet-stream`` body as the string of octets that ``{type: string, format: binary}``
    describes. openapi-core hands such a body to an OpenAPI 3.1 schema as Python ``bytes``, which strict JSON
    Schema typing never accepts as a string; latin-1 maps each byte to one code point, losing nothing."""
    return value.decode("latin-1")


def load_spec() -> OpenAPI:
    """The spec as shipped; ``OpenAPI.from_file_path`` also validates the document itself (OpenAPI 3.1)."""
    config = Config(extra_media_type_deserializers={"application/octet-stream": _octets})
    return OpenAPI.from_file_path(str(SPEC_PATH), config=config)


def _short(text: object, limit: int = 240) -> str:
    s = str(text)
    return s if len(s) <= limit else s[:limit] + f"… ({len(s)} chars)"


def _explain(error: BaseException) -> str:
    """openapi-core wraps the JSON-schema errors; the useful part is the innermost ones."""
    text = f"{type(error).__name__}: {_short(error)}"
    cause = error.__cause__
    details: List[Any] = list(getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None) or [])
    if details:
        text += "".join(
            f"\n      - {_short(getattr(d, 'message', d))} at {list(getattr(d, 'absolute_path', []))}" for d in details
        )
    elif cause is not None:
        text += f"\n      - {type(cause).__name__}: {_short(cause)}"
    return text


def _as_sent(exchange: Exchange) -> Tuple[MockRequest, MockResponse]:
    target = urlsplit(exchange.target)
    request = MockRequest(
        exchange.host_url,
        exchange.method,
        target.path,
        args=dict(parse_qsl(target.query, keep_blank_values=True)),
        headers=exchange.request_headers,
        data=exchange.request_body or None,
        content_type=exchange.request_headers.get("Content-Type", ""),
    )
    response = MockResponse(
        exchange.response_body,
        status_code=exchange.status,
        headers=exchange.response_headers,
        content_type=exchange.response_headers.get("content-type", ""),
    )
    return request, response


def request_problems(spec: OpenAPI, exchange: Exchange) -> List[str]:
    """How the request departs from its operation: path, method, parameters, security, content type, body."""
    request, _ = _as_sent(exchange)
    return [f"request: {_explain(e)}" for e in spec.iter_request_errors(request)]


def response_problems(spec: OpenAPI, exchange: Exchange) -> List[str]:
    """How the node's answer departs from the operation's responses: the status must be listed, the content
    type and the body must match (headers the spec declares, too)."""
    request, response = _as_sent(exchange)
    return [f"response: {_explain(e)}" for e in spec.iter_response_errors(request, response)]
