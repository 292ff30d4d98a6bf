#!/usr/bin/env python3
"""GPU → shared-memory pool hand-off on the accelerator machine (issue 9, CONTRACT §10). Stdlib + torch.

Starts `.devrun/bin/datadist serve` twice (a prompt and a decoder, `--shm-dir` on /dev/shm, free 127.0.0.1 ports),
allocates a 512 MiB cache on the prompt, maps the prompt's pool file at the cache's offset, `cudaHostRegister`s the
mapping, and times torch copies of one GPU tensor into it against copies into `torch.empty(..., pin_memory=True)`
(target ≥ 0.9×) and into pageable memory, interleaved, plus the pool mapping before it is registered and today's
path (GPU → host bytes → `PUT /v1/cache/{id}/tensors/0`). Then the decoder pulls the cache and the bytes are checked
through the decoder's own mapping. Prints ONE JSON line of figures. Exit status: 0 when the bytes verified (the
JSON's "met" says whether the target held) and also when there is no GPU (the JSON says so); 1 on any failure.

    python3 scripts/device/gpu_handoff.py                 # on the device machine, after ../shared/tools/device-bundle
    python3 scripts/device/gpu_handoff.py --no-cuda       # here: the "no GPU" answer
    python3 scripts/device/gpu_handoff.py --host-only     # here: every step but CUDA, host memory copies instead

Binaries: `../shared/tools/device-bundle` builds `.devrun/bin/datadist` (a wrapper that finds its libraries). The
device check, from the project root: `../shared/tools/device-bundle` here, then the device tool's
run(command="python3 scripts/device/gpu_handoff.py", carry=[".devrun"], timeout_s=180). The measurement stops
itself after --deadline seconds (60) and still prints what it had measured.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import importlib
import json
import mmap
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "clients" / "python"))

from datadist import Client, DataDistError  # noqa: E402

MiB = 1 << 20
TARGET = 0.9  # registered pool mapping ÷ pinned memory (issue 9)
CUDA_HOST_REGISTER_PORTABLE = 1
CUDA_HOST_REGISTER_DEFAULT = 0


def emit(result: Dict[str, Any]) -> None:
    print(json.dumps(result, sort_keys=True), flush=True)


def find_torch(no_cuda: bool) -> Tuple[Optional[ModuleType], str]:
    """torch with a usable GPU, or None and why not."""
    if no_cuda:
        return None, "--no-cuda given"
    try:
        torch = importlib.import_module("torch")  # not `import torch`: the script type-checks without it
    except ImportError as e:
        return None, f"torch not importable: {e}"
    if not torch.cuda.is_available():
        return None, f"torch {torch.__version__}: torch.cuda.is_available() is False"
    return torch, ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pick_shm_dir(need: int) -> Tuple[str, Dict[str, Any]]:
    """A new directory on /dev/shm when it has room for every pool, else in the temp directory (a container's
    /dev/shm is often 64 MiB); the facts go into the JSON."""
    facts: Dict[str, Any] = {"need_bytes": need}
    for base in ("/dev/shm", tempfile.gettempdir()):
        if not os.path.isdir(base):
            continue
        fs = os.statvfs(base)
        free = fs.f_bavail * fs.f_frsize
        facts[f"free_bytes {base}"] = free
        if free >= need:
            facts["base"] = base
            return tempfile.mkdtemp(prefix="datadist-gpu-", dir=base), facts
    raise RuntimeError(f"no directory with {need} bytes free for the pools: {facts}")


class Node:
    """A `datadist serve` child with pools in `shm_dir`, and a client for it."""

    def __init__(self, binary: str, cluster_id: int, role: str, shm_dir: str, pool: int) -> None:
        self.cluster_id = cluster_id
        self.listen: Optional[str] = f"127.0.0.1:{free_port()}" if role == "prompt" else None
        admin = f"127.0.0.1:{free_port()}"
        argv = [binary, "serve", "--cluster-id", str(cluster_id), "--role", role, "--admin", admin,
                "--shm-dir", shm_dir, "--device-pool", str(pool), "--host-pool", "4MiB",
                "--sync-kv-timeout-ms", "60000", "--log-level", "warning"]
        if self.listen:
            argv += ["--listen", self.listen]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = Client(admin, timeout=60)
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client.healthz()
                return
            except (OSError, DataDistError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    why = self.output()
                    self.stop()
                    raise RuntimeError(f"node {cluster_id} did not start: {why}")
                time.sleep(0.05)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: the node removes its pool files
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Mapping:
    """One tensor of a cache, mapped MAP_SHARED from the pool file its `memory` names (at a page-aligned offset)."""

    def __init__(self, memory: Dict[str, Any]) -> None:
        tensor = memory["tensors"][0]
        offset, self.size = int(tensor["offset"]), int(tensor["size"])
        start = offset // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
        self.delta = offset - start
        self.length = self.delta + self.size
        self.path = str(memory["shm_path"])
        with open(self.path, "r+b") as f:
            self.map = mmap.mmap(f.fileno(), self.length, offset=start)
        self.view = memoryview(self.map)[self.delta : self.delta + self.size]
        # The mapping's address (for cudaHostRegister); the ctypes object keeps an export, so the map stays open.
        self._anchor = ctypes.c_char.from_buffer(self.map)
        self.base = ctypes.addressof(self._anchor)


class HostCopies:
    """No CUDA: the same steps with host memory copies, so the plumbing is checked on a machine without a GPU."""

    name = "host-only (no CUDA; figures are memcpy, not GPU copies)"

    def __init__(self, size: int) -> None:
        self.src = bytearray(os.urandom(size))

    def wrap(self, mapping: Mapping) -> Any:
        return mapping.view

    def pinned(self, size: int) -> Any:
        return memoryview(bytearray(size))

    def pageable(self, size: int) -> Any:
        return memoryview(bytearray(size))

    def copy(self, dst: Any) -> float:
        started = time.perf_counter()
        dst[:] = self.src
        return time.perf_counter() - started

    def register(self, mapping: Mapping) -> Dict[str, Any]:
        return {"ok": False, "skipped": "host-only"}

    def unregister(self, mapping: Mapping) -> None:
        pass

    def equal(self, a: Any, b: Any) -> bool:
        return bool(a == b)

    def host_bytes(self, dst: Any) -> bytes:
        return bytes(dst)

    def is_pinned(self, dst: Any) -> Optional[bool]:
        return None


class TorchCopies:
    """GPU → host copies with torch: one random GPU tensor copied into each destination, then synchronised."""

    def __init__(self, torch: ModuleType, size: int) -> None:
        self.torch = torch
        self.name = f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}"
        self.src = torch.randint(0, 256, (size,), dtype=torch.uint8, device="cuda")
        torch.cuda.synchronize()

    def wrap(self, mapping: Mapping) -> Any:
        return self.torch.frombuffer(mapping.view, dtype=self.torch.uint8)

    def pinned(self, size: int) -> Any:
        return self.torch.empty(size, dtype=self.torch.uint8, pin_memory=True)

    def pageable(self, size: int) -> Any:
        return self.torch.zeros(size, dtype=self.torch.uint8)  # zeros: its pages are touched before the timing

    def copy(self, dst: Any) -> float:
        self.torch.cuda.synchronize()
        started = time.perf_counter()
        dst.copy_(self.src, non_blocking=True)
        self.torch.cuda.synchronize()
        return time.perf_counter() - started

    def _cudarts(self) -> List[Tuple[Any, str]]:
        """torch's libcudart bindings, then libcudart through ctypes (torch's copy first, found by its path)."""
        found: List[Tuple[Any, str]] = []
        try:
            bindings = self.torch.cuda.cudart()
            if hasattr(bindings, "cudaHostRegister"):
                found.append((bindings, "torch.cuda.cudart()"))
        except (AttributeError, AssertionError, RuntimeError):
            pass
        roots = [os.path.dirname(self.torch.__file__ or ".")] + [p for p in sys.path if p]
        patterns = ("lib/libcudart.so*", "nvidia/*/lib/libcudart.so*")
        paths = sorted({p for r in roots for g in patterns for p in glob.glob(os.path.join(r, g))})
        for path in paths + ["libcudart.so.13", "libcudart.so.12", "libcudart.so"]:
            try:
                found.append((_CtypesCudart(ctypes.CDLL(path)), f"ctypes {path}"))
                break
            except (OSError, AttributeError):
                continue
        return found

    def register(self, mapping: Mapping) -> Dict[str, Any]:
        """cudaHostRegister on the whole mapping; every attempt is reported (a failure leaves the figures unpinned)."""
        attempts: List[Dict[str, Any]] = []
        for cudart, via in self._cudarts():
            for flags in (CUDA_HOST_REGISTER_PORTABLE, CUDA_HOST_REGISTER_DEFAULT):
                started = time.perf_counter()
                try:
                    code = int(cudart.cudaHostRegister(mapping.base, mapping.length, flags))
                except Exception as e:  # a binding that cannot be called: try the next one
                    attempts.append({"via": via, "flags": flags, "error": f"{type(e).__name__}: {e}"})
                    break
                ms = round(1000 * (time.perf_counter() - started), 2)
                attempts.append({"via": via, "flags": flags, "cuda_error": code, "ms": ms})
                if code == 0:
                    self._registered = cudart
                    return {"ok": True, "via": via, "flags": flags, "ms": ms, "attempts": attempts}
        return {"ok": False, "attempts": attempts}

    def unregister(self, mapping: Mapping) -> None:
        cudart = getattr(self, "_registered", None)
        if cudart is not None:
            cudart.cudaHostUnregister(mapping.base)

    def equal(self, a: Any, b: Any) -> bool:
        return bool(self.torch.equal(a, b))

    def host_bytes(self, dst: Any) -> bytes:
        return ctypes.string_at(dst.data_ptr(), dst.numel())

    def is_pinned(self, dst: Any) -> Optional[bool]:
        return bool(dst.is_pinned())


class _CtypesCudart:
    """The two calls of libcudart this script needs, for a torch without `torch.cuda.cudart()`."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        lib.cudaHostRegister.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint]
        lib.cudaHostRegister.restype = ctypes.c_int
        lib.cudaHostUnregister.argtypes = [ctypes.c_void_p]
        lib.cudaHostUnregister.restype = ctypes.c_int
        self.lib = lib

    def cudaHostRegister(self, ptr: int, size: int, flags: int) -> int:  # noqa: N802 (CUDA's name)
        return int(self.lib.cudaHostRegister(ptr, size, flags))

    def cudaHostUnregister(self, ptr: int) -> int:  # noqa: N802
        return int(self.lib.cudaHostUnregister(ptr))


def gbps(size: int, seconds: List[float]) -> Dict[str, float]:
    rates = [size / 1e9 / s for s in seconds]
    return {"median": round(statistics.median(rates), 3), "min": round(min(rates), 3), "max": round(max(rates), 3)}


def measure(copies: Any, prompt: Node, decoder: Node, size: int, trials: int, out: Dict[str, Any]) -> None:
    """Fills `out` as it goes, so that a failure or the deadline still reports what was measured."""
    out["copies"] = copies.name
    desc = {"num_tensors": 1, "shape": [1, size], "data_type": "DT_UINT8", "placement": "DEVICE"}
    cache = prompt.client.allocate_cache(desc)
    out["prompt_cache"] = {"cache_id": cache["cache_id"], "memory": cache["memory"]}
    pool_map = Mapping(cache["memory"])
    pool = copies.wrap(pool_map)
    pinned, pageable = copies.pinned(size), copies.pageable(size)

    # Before registering: the first copy takes the pool file's pages (once), then plain pageable-mapping copies.
    out["first_copy_into_pool_ms"] = round(1000 * copies.copy(pool), 2)
    unregistered = [copies.copy(pool) for _ in range(trials)]
    out["register"] = copies.register(pool_map)
    out["pool_is_pinned"] = copies.is_pinned(pool)
    times: Dict[str, List[float]] = {"pool_registered": [], "pinned": [], "pageable": []}
    copies.copy(pinned)  # warm-up of each destination (the pool had its own above)
    copies.copy(pageable)
    for _ in range(trials):  # interleaved: each trial copies into all three
        times["pool_registered"].append(copies.copy(pool))
        times["pinned"].append(copies.copy(pinned))
        times["pageable"].append(copies.copy(pageable))
    figures = {k: gbps(size, v) for k, v in times.items()}
    figures["pool_unregistered"] = gbps(size, unregistered)
    out["gbps"] = figures
    ratios = [p / q for p, q in zip(times["pinned"], times["pool_registered"])]  # time ratio = rate ratio inverted
    out["ratio_pool_registered_vs_pinned"] = round(statistics.median(ratios), 3)
    out["ratio_pool_registered_vs_pageable"] = round(
        statistics.median(p / q for p, q in zip(times["pageable"], times["pool_registered"])), 3
    )
    out["pool_equals_gpu_bytes"] = copies.equal(pool, pinned)

    # The decoder pulls the cache; its engine reads the bytes through the decoder's own mapping.
    decoder.client.link_clusters([{"remote_cluster_id": prompt.cluster_id, "remote_ip_info": prompt.listen}])
    dst = decoder.client.allocate_cache(desc)
    started = time.perf_counter()
    pulled = decoder.client.pull_cache(
        dst["cache_id"],
        cache_key_by_id={"cluster_id": prompt.cluster_id, "cache_id": cache["cache_id"], "batch_index": 0},
        timeout_ms=60000,
    )
    out["pull"] = {"status": pulled.get("status"), "seconds": round(time.perf_counter() - started, 4)}
    out["pull"]["gbps"] = round(size / 1e9 / out["pull"]["seconds"], 3)
    decoder_map = Mapping(decoder.client.get_cache(dst["cache_id"])["memory"])
    out["decoder_bytes_equal"] = copies.equal(copies.wrap(decoder_map), pinned)

    # Today's path for comparison: GPU → pageable host bytes → PUT over loopback (one trial; it is slow).
    started = time.perf_counter()
    copies.copy(pageable)
    prompt.client.write_tensor(cache["cache_id"], 0, copies.host_bytes(pageable))
    out["gpu_then_put_ms"] = round(1000 * (time.perf_counter() - started), 1)
    out["registered_copy_ms"] = round(1000 * statistics.median(times["pool_registered"]), 2)
    copies.unregister(pool_map)


class Deadline(Exception):
    pass


def on_alarm(signum: int, frame: Optional[FrameType]) -> None:
    raise Deadline("the script ran past its --deadline")


def main() -> int:
    parser = argparse.ArgumentParser(description="GPU → shared-memory pool hand-off (issue 9); one JSON line.")
    parser.add_argument("--datadist", default=str(REPO / ".devrun" / "bin" / "datadist"), help="the node binary")
    parser.add_argument("--mib", type=int, default=512, help="cache size in MiB")
    parser.add_argument("--trials", type=int, default=10, help="interleaved trials per destination")
    parser.add_argument("--deadline", type=int, default=60, help="give up after this many seconds")
    parser.add_argument("--no-cuda", action="store_true", help="act as on a machine without a GPU")
    parser.add_argument("--host-only", action="store_true", help="no CUDA: check every other step with host copies")
    args = parser.parse_args()
    began = time.monotonic()
    result: Dict[str, Any] = {"script": "gpu_handoff", "bytes": args.mib * MiB}

    torch, why = (None, "--host-only given") if args.host_only else find_torch(args.no_cuda)
    if torch is None and not args.host_only:
        result.update({"gpu": False, "reason": why, "ok": True})
        emit(result)
        return 0
    if not os.access(args.datadist, os.X_OK):
        result.update({"ok": False, "error": f"no datadist binary at {args.datadist} (run ../shared/tools/device-bundle)"})
        emit(result)
        return 1

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.deadline)
    size = args.mib * MiB
    pool = size + 64 * MiB
    nodes: List[Node] = []
    shm_dir = ""
    try:
        shm_dir, facts = pick_shm_dir(2 * (pool + 4 * MiB) + 64 * MiB)
        result["shm"] = {"dir": shm_dir, **facts}
        enabled = Path("/sys/kernel/mm/transparent_hugepage/shmem_enabled")
        result["shm"]["shmem_enabled"] = enabled.read_text().strip() if enabled.exists() else None
        result["gpu"] = torch is not None
        copies: Any = TorchCopies(torch, size) if torch is not None else HostCopies(size)
        nodes.append(Node(args.datadist, 1, "prompt", shm_dir, pool))
        nodes.append(Node(args.datadist, 2, "decoder", shm_dir, pool))
        measure(copies, nodes[0], nodes[1], size, args.trials, result)
        verified = bool(result["pool_equals_gpu_bytes"] and result["decoder_bytes_equal"])
        result["verified"] = verified
        if torch is not None:
            result["target"] = f"pool_registered ≥ {TARGET} × pinned"
            result["met"] = bool(result["register"]["ok"] and result["ratio_pool_registered_vs_pinned"] >= TARGET)
        result["ok"] = verified and result["pull"]["status"] == "LLM_SUCCESS"
    except Exception as e:  # one JSON line whatever happened (Deadline included)
        result.update({"ok": False, "error": f"{type(e).__name__}: {e}"})
        for node in nodes:
            result.setdefault("node_logs", {})[str(node.cluster_id)] = node.output()
    finally:
        signal.alarm(0)
        for node in nodes:
            node.stop()
        if shm_dir:
            shutil.rmtree(shm_dir, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - began, 2)
    emit(result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
