"""``LLMStatusCode`` and ``LLMException`` as the llm_datadist package defines them (values 0x5010B000 | n)."""

from __future__ import annotations

import enum


class LLMStatusCode(enum.IntEnum):
    LLM_SUCCESS = 0x0
    LLM_FAILED = 0xFFFFFFFF
    LLM_WAIT_PROCESS_TIMEOUT = 0x5010B001
    LLM_KV_CACHE_NOT_EXIST = 0x5010B002
    LLM_REPEAT_REQUEST = 0x5010B003
    LLM_REQUEST_ALREADY_COMPLETED = 0x5010B004
    LLM_PARAM_INVALID = 0x5010B005
    LLM_ENGINE_FINALIZED = 0x5010B006
    LLM_NOT_YET_LINK = 0x5010B007
    LLM_ALREADY_LINK = 0x5010B008
    LLM_LINK_FAILED = 0x5010B009
    LLM_UNLINK_FAILED = 0x5010B00A
    LLM_NOTIFY_PROMPT_UNLINK_FAILED = 0x5010B00B
    LLM_CLUSTER_NUM_EXCEED_LIMIT = 0x5010B00C
    LLM_PROCESSING_LINK = 0x5010B00D
    LLM_DEVICE_OUT_OF_MEMORY = 0x5010B00E
    LLM_PREFIX_ALREADY_EXIST = 0x5010B00F
    LLM_PREFIX_NOT_EXIST = 0x5010B010
    LLM_SEQ_LEN_OVER_LIMIT = 0x5010B011
    LLM_NO_FREE_BLOCK = 0x5010B012
    LLM_BLOCKS_OUT_OF_MEMORY = 0x5010B013
    LLM_EXIST_LINK = 0x5010B018
    LLM_FEATURE_NOT_ENABLED = 0x5010B019
    LLM_TIMEOUT = 0x5010B01A
    LLM_LINK_BUSY = 0x5010B01B
    LLM_OUT_OF_MEMORY = 0x5010B01C
    LLM_DEVICE_MEM_ERROR = 0x0007BCAD
    LLM_SUSPECT_REMOTE_ERROR = 0x0007BCB1
    LLM_UNKNOWN_ERROR = -1


def code_2_status(name_or_code: object) -> LLMStatusCode:
    """A node's status name (or code) → the library's status; anything unknown is LLM_FAILED, as the
    library's ``code_2_status`` (pseudo-statuses such as NODE_DRAINING or EPOCH_MISMATCH included)."""
    if isinstance(name_or_code, str):
        member = LLMStatusCode.__members__.get(name_or_code)
        return member if member is not None else LLMStatusCode.LLM_FAILED
    if isinstance(name_or_code, int) and not isinstance(name_or_code, bool):
        try:
            status = LLMStatusCode(name_or_code)
        except ValueError:
            return LLMStatusCode.LLM_FAILED
        return LLMStatusCode.LLM_FAILED if status == LLMStatusCode.LLM_UNKNOWN_ERROR else status
    return LLMStatusCode.LLM_FAILED


class LLMException(RuntimeError):
    """The library's semantic error: ``status_code`` is an :class:`LLMStatusCode`."""

    def __init__(self, msg: str = "", status_code: LLMStatusCode = LLMStatusCode.LLM_FAILED) -> None:
        super().__init__(msg)
        self._status_code = status_code

    @property
    def status_code(self) -> LLMStatusCode:
        return self._status_code

    def __str__(self) -> str:
        return f"{super().__str__()} (status_code={self._status_code.name})"


def raise_if_false(condition: bool, msg: str, status: LLMStatusCode = LLMStatusCode.LLM_PARAM_INVALID) -> None:
    if not condition:
        raise LLMException(msg, status_code=status)
