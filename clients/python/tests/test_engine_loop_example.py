"""examples/engine_loop.py (CONTRACT §11) runs end to end against live nodes, so the README walkthrough stays true:
32 asynchronous pulls collected with since= (each listed once), a progressive pull following 5 ms layer marks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent.parent


def test_engine_loop_collects_32_async_pulls_and_follows_a_progressive_prompt() -> None:
    binary = os.environ.get("DATADIST_BIN") or str(REPO / ".build" / "debug" / "datadist")
    if not Path(binary).exists():
        pytest.skip("no datadist binary: run `swift build` first (or set DATADIST_BIN)")
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "engine_loop.py"), "--datadist", binary],
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "submitted 32 async pulls" in out
    assert re.search(r"async pulls: 32 listed once each, 0 failed, in \d+ steps", out), out
    line = next(l for l in out.splitlines() if l.startswith("progressive pull:"))
    assert "progressive pull: done, 4194304 bytes" in line
    assert "progressive pull submitted before any layer: waiting" in out
    assert out.rstrip().endswith("result: 0 failures")
