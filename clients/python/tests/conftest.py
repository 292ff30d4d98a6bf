"""Live nodes for the tests: the real `datadist serve` built by `swift build`, on free 127.0.0.1 ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from datadist import Client, DataDistError  # noqa: E402

REPO = HERE.parent.parent.parent


def datadist_binary() -> str:
    explicit = os.environ.get("DATADIST_BIN")
    if explicit:
        return explicit
    for build in (".build/debug/datadist", ".build/release/datadist"):
        candidate = REPO / build
        if candidate.exists():
            return str(candidate)
    pytest.skip("no datadist binary: run `swift build` first (or set DATADIST_BIN)")
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One `datadist serve` child process and a client for it."""

    def __init__(self, args: List[str], cluster_id: int, listen: Optional[str]) -> None:
        self.admin_port = free_port()
        self.cluster_id = cluster_id
        self.listen = listen
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
        argv = [datadist_binary(), "serve", "--admin", f"127.0.0.1:{self.admin_port}", "--cluster-id", str(cluster_id)]
        argv += args
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.client = Client(f"127.0.0.1:{self.admin_port}", timeout=10)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"datadist serve exited {self.process.returncode}: {err}")
            try:
                self.client.healthz()
                return
            except (OSError, DataDistError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("datadist serve did not answer /healthz within 20 s")
                time.sleep(0.05)

    @property
    def admin(self) -> str:
        return f"127.0.0.1:{self.admin_port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


NodeFactory = Callable[..., Node]


@pytest.fixture
def start_node() -> Iterator[NodeFactory]:
    nodes: List[Node] = []

    def start(
        role: str = "decoder",
        cluster_id: int = 1,
        listen: bool = False,
        compat: str = "documented",
        extra: Optional[List[str]] = None,
    ) -> Node:
        address = f"127.0.0.1:{free_port()}" if listen else None
        args = ["--role", role, "--compat", compat, "--host-pool", "64MiB", "--device-pool", "64MiB"]
        if address:
            args += ["--listen", address]
        args += extra or []
        node = Node(args, cluster_id, address)
        nodes.append(node)
        return node

    yield start
    for node in nodes:
        node.stop()
