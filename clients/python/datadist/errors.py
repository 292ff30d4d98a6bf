"""The error a node answers (CONTRACT §3): ``{"error": {"status", "code", "message"}}``."""

from __future__ import annotations

from typing import Any, Dict, Optional


class DataDistError(Exception):
    """An error answer from a node.

    ``status`` is LLM-DataDist's status name (``LLM_EXIST_LINK``) or a pseudo-status (``TYPE_ERROR``,
    ``NODE_DRAINING``, …), ``code`` its numeric value (-1 for pseudo-statuses), ``http_status`` the HTTP
    status line's code. ``body`` is the whole JSON answer: a link/unlink batch that failed still carries
    every cluster's result there.
    """

    def __init__(
        self,
        status: str,
        code: int,
        message: str,
        http_status: int,
        body: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(f"{http_status} {status} ({code}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.http_status = http_status
        self.body: Dict[str, Any] = body if body is not None else {}
