#!/usr/bin/env python3
"""Hand KV to a node through shared memory, with no bytes through HTTP (CONTRACT §10).

Starts a prompt node (cluster 1) and a decoder node (cluster 2), both with `--shm-dir` (pools are files there), on
free 127.0.0.1 ports. The "engine" next to the prompt allocates a cache, maps the prompt's pool file with Python's
`mmap` at the offsets the cache's `memory` gives, and writes its KV in place. The decoder links, pulls the request
key, and the decoder's engine reads the bytes back through its own mapping of the decoder's pool file. Exit status
0 only if every byte arrived. The README's "Hand-off through shared memory" walkthrough quotes this code.

    python3 examples/shm_handoff.py [--datadist PATH] [--shm-dir DIR] [--tensor-bytes N]
"""

from __future__ import annotations

import argparse
import mmap
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "clients" / "python"))

from datadist import Client, DataDistError  # noqa: E402


def map_tensors(memory: Dict[str, Any]) -> Tuple[mmap.mmap, List[memoryview]]:
    """Maps a cache's tensors from the pool file named by its `memory` (a `POST`/`GET /v1/cache` answer's field):
    from the page holding the first tensor to the end of the last, MAP_SHARED; one writable view per tensor."""
    tensors = memory["tensors"]
    start = min(t["offset"] for t in tensors) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
    end = max(t["offset"] + t["size"] for t in tensors)
    with open(memory["shm_path"], "r+b") as f:
        m = mmap.mmap(f.fileno(), end - start, offset=start)
    return m, [memoryview(m)[t["offset"] - start : t["offset"] - start + t["size"]] for t in tensors]


def unmap(m: mmap.mmap, views: List[memoryview]) -> None:
    """The views must go before the mapping can close."""
    for v in views:
        v.release()
    m.close()


def handoff(prompt: Client, decoder: Client, listen: str, tensor_bytes: int) -> None:
    desc = {"num_tensors": 2, "shape": [1, tensor_bytes], "data_type": "DT_UINT8", "placement": "DEVICE"}
    key = {"prompt_cluster_id": 1, "req_id": 7}
    kv = [os.urandom(tensor_bytes) for _ in range(2)]  # the engine's KV for request 7, one buffer per tensor

    # Prompt side: allocate, map the pool file at the cache's offsets, write in place.
    cache = prompt.allocate_cache(desc, cache_keys=[key])
    print("prompt cache", cache["cache_id"], "memory", cache["memory"])
    m, views = map_tensors(cache["memory"])
    for t, view in enumerate(views):
        view[:] = kv[t]
    unmap(m, views)

    # Decoder side: link, pull the key, read back through the decoder's own mapping.
    decoder.link_clusters([{"remote_cluster_id": 1, "remote_ip_info": listen}])
    dst = decoder.allocate_cache(desc)
    pulled = decoder.pull_cache(dst["cache_id"], cache_key=key)
    print("pull", pulled["status"], pulled["bytes"], "bytes")
    m, views = map_tensors(decoder.get_cache(dst["cache_id"])["memory"])
    same = all(view == kv[t] for t, view in enumerate(views))
    unmap(m, views)
    print("decoder's mapping holds the engine's bytes:", same)
    if not same:
        raise SystemExit("the decoder's bytes differ from what the engine wrote")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """A `datadist serve` child with pools in `shm_dir`, and a client for it."""

    def __init__(self, binary: str, cluster_id: int, role: str, shm_dir: str) -> None:
        self.listen: Optional[str] = f"127.0.0.1:{free_port()}" if role == "prompt" else None
        admin = f"127.0.0.1:{free_port()}"
        argv = [binary, "serve", "--cluster-id", str(cluster_id), "--role", role, "--admin", admin,
                "--shm-dir", shm_dir, "--device-pool", "64MiB", "--host-pool", "4MiB"]
        if self.listen:
            argv += ["--listen", self.listen]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.client = Client(admin, timeout=15)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.healthz()
                return
            except (OSError, DataDistError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise RuntimeError(f"node {cluster_id} did not start: {err}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the node removes its pool files
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datadist", default=str(REPO / ".build" / "debug" / "datadist"), help="the binary")
    parser.add_argument("--shm-dir", help="pool files go here (default: a new directory in /dev/shm)")
    parser.add_argument("--tensor-bytes", type=int, default=1 << 20, help="bytes per tensor (2 tensors)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="datadist-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        shm_dir = args.shm_dir or tmp
        nodes: List[Node] = []
        try:
            nodes.append(Node(args.datadist, 1, "prompt", shm_dir))
            nodes.append(Node(args.datadist, 2, "decoder", shm_dir))
            print("pool files:", sorted(p.name for p in Path(shm_dir).glob("*.pool")))
            listen = nodes[0].listen
            assert listen is not None
            handoff(nodes[0].client, nodes[1].client, listen, args.tensor_bytes)
        finally:
            for node in nodes:
                node.stop()
        left = sorted(p.name for p in Path(shm_dir).glob("datadist-*.pool"))
        print("pool files after a graceful stop:", left)
    return 0


if __name__ == "__main__":
    sys.exit(main())
