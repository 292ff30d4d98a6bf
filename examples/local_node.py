"""What the examples share: a `datadist serve` child on 127.0.0.1 and a client for it (stdlib + clients/python)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients" / "python"))

from datadist import Client  # noqa: E402


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """A `datadist serve` child (a peer listener when it is a prompt) and a client for its admin API.

    `DATADIST_*` variables of this process are not passed on, so only `extra` configures the node."""

    def __init__(self, binary: str, cluster_id: int, role: str, extra: Sequence[str] = (),
                 client_timeout: float = 15) -> None:
        self.cluster_id = cluster_id
        self.admin = free_port()
        self.listen: Optional[str] = f"127.0.0.1:{free_port()}" if role == "prompt" else None
        argv = [binary, "serve", "--cluster-id", str(cluster_id), "--role", role,
                "--admin", f"127.0.0.1:{self.admin}", *extra]
        if self.listen:
            argv += ["--listen", self.listen]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = Client(f"127.0.0.1:{self.admin}", timeout=client_timeout)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.healthz()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"node {cluster_id} did not start")
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
