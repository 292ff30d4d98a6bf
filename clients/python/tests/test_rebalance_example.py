"""examples/rebalance.py (CONTRACT §12) runs end to end: 1 prompt + 3 decoders pulling → 2 + 2, no failed pull."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent.parent


def test_rebalance_moves_a_pulling_cluster_to_two_plus_two_without_a_failed_pull() -> None:
    binary = os.environ.get("DATADIST_BIN") or str(REPO / ".build" / "debug" / "datadist")
    if not Path(binary).exists():
        pytest.skip("no datadist binary: run `swift build` first (or set DATADIST_BIN)")
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "rebalance.py"), "--datadist", binary, "--seconds", "1.0"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "event  node 203: draining" in out
    assert "event  node 203: link_down" in out
    assert "event  node 203: role_changed" in out
    assert "final: prompts [100, 203], decoders [201, 202]; failed pulls: 0" in out
    # the decoder that gained the new prompt really pulled from it
    line = next(l for l in out.splitlines() if "decoder 202: pulls by prompt" in l)
    assert "203:" in line
