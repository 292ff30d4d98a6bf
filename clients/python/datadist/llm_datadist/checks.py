"""The library's argument checks (``utils/utils.py``): TypeError for a wrong type, ValueError out of range."""

from __future__ import annotations

from typing import Any

UINT64_MAX = (1 << 64) - 1
UINT32_MAX = (1 << 32) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
UINT16_MAX = (1 << 16) - 1


def _int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, got {type(value).__name__}")
    return value


def _range(name: str, value: Any, low: int, high: int) -> int:
    v = _int(name, value)
    if not low <= v <= high:
        raise ValueError(f"{name} must be in range [{low}, {high}], got {v}")
    return v


def check_uint64(name: str, value: Any) -> int:
    return _range(name, value, 0, UINT64_MAX)


def check_uint32(name: str, value: Any) -> int:
    return _range(name, value, 0, UINT32_MAX)


def check_uint16(name: str, value: Any) -> int:
    return _range(name, value, 0, UINT16_MAX)


def check_int32(name: str, value: Any) -> int:
    return _range(name, value, INT32_MIN, INT32_MAX)


def check_int64(name: str, value: Any) -> int:
    return _range(name, value, INT64_MIN, INT64_MAX)


def check_isinstance(name: str, value: Any, types: Any) -> None:
    if not isinstance(value, types):
        names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise TypeError(f"{name} must be {names}, got {type(value).__name__}")
