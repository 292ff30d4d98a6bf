"""Runs the two (or more) sides of an LLM-DataDist sample flow in separate processes, as the samples do
(one LLMDataDist per process), with a barrier in place of ``torch.distributed.barrier``."""

from __future__ import annotations

import multiprocessing
import struct
import traceback
from typing import Any, Callable, Dict, List, Sequence

Side = Callable[[Any, Dict[str, Any]], Any]


def floats(value: float, count: int) -> bytes:
    """The bytes of ``torch.full((…), value, dtype=torch.float)`` — what the samples' NPU tensors hold."""
    return struct.pack(f"<{count}f", *([float(value)] * count))


def _child(side: Side, barrier: Any, env: Dict[str, Any], out: Any, index: int) -> None:
    try:
        out.put((index, "ok", side(barrier, env)))
    except BaseException as e:  # noqa: BLE001 — the parent reports it
        barrier.abort()
        out.put((index, "error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))


def run_sides(sides: Sequence[Side], env: Dict[str, Any], timeout: float = 90) -> List[Any]:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(sides), timeout=timeout)
    out = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(s, barrier, env, out, i)) for i, s in enumerate(sides)]
    for p in procs:
        p.start()
    results: Dict[int, Any] = {}
    errors: List[str] = []
    try:
        for _ in procs:
            index, kind, value = out.get(timeout=timeout)
            if kind == "ok":
                results[index] = value
            else:
                errors.append(f"side {index}: {value}")
    finally:
        for p in procs:
            p.join(timeout=20)
            if p.is_alive():
                p.terminate()
                p.join()
    if errors:
        raise AssertionError("\n".join(errors))
    return [results[i] for i in range(len(sides))]
