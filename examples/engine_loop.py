#!/usr/bin/env python3
"""An engine-style loop over datadist's asynchronous transfers and progressive caches (CONTRACT §11).

Starts a prompt and a decoder (`datadist serve` children on free 127.0.0.1 ports) and links them. Then:

1. The prompt "prefills" 32 requests (one cache, one batch slot per request key). The decoder submits 32
   asynchronous pulls at once (`POST /v1/transfers`), and, like vLLM's `get_finished` or SGLang's `KVPoll`, asks once
   per engine step what ended since its last question (`GET /v1/transfers?since=SEQ`). Every pull is listed once.
2. A progressive pull: the prompt writes a request's KV one layer at a time and marks each layer ready 5 ms apart
   (`POST /v1/cache/{id}/ready`); the decoder's pull, submitted before the first layer, streams each layer as it is
   declared and finishes just after the last one.

The decoder checks every byte against what the prompt wrote. Exit status 0 only if everything arrived.

    python3 examples/engine_loop.py [--datadist PATH]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "clients" / "python"))

from local_node import Node, free_port  # noqa: E402
from datadist import Client  # noqa: E402

PROMPT, DECODER = 0, 1
NODE_FLAGS = ["--sync-kv-timeout-ms", "10000"]
REQUESTS = 32
SLOT_BYTES = 16 * 1024  # per tensor, per request
LAYERS = 8
LAYER_TENSOR_BYTES = 256 * 1024
STEP_S = 0.002  # one engine step
READY_EVERY_S = 0.005


def pattern(seed: int, size: int) -> bytes:
    """Deterministic bytes that differ per seed (so a misplaced slot or layer is caught)."""
    return bytes((seed * 131 + i * 7) & 0xFF for i in range(256)) * (size // 256)


def key(req_id: int) -> Dict[str, int]:
    return {"prompt_cluster_id": PROMPT, "req_id": req_id}


def many_async_pulls(prompt: Client, decoder: Client) -> int:
    """Part 1: 32 asynchronous pulls, collected once per step with `since=`. Returns the number of failures."""
    desc = {"num_tensors": 2, "shape": [REQUESTS, SLOT_BYTES], "data_type": "DT_UINT8", "placement": "HOST"}
    src = prompt.allocate_cache(desc, cache_keys=[key(r) for r in range(1, REQUESTS + 1)])["cache_id"]
    for t in range(2):
        for slot in range(REQUESTS):
            prompt.write_tensor(src, t, pattern(100 * t + slot, SLOT_BYTES), batch_index=slot)
    prompt.deallocate_cache(src)  # the keys keep it; the last consuming pull frees it
    dst = decoder.allocate_cache(desc)["cache_id"]

    cursor = decoder.list_transfers(since=0)["next"]  # start after anything already listed
    submitted = {}
    for slot in range(REQUESTS):
        t = decoder.submit_transfer("pull", dst, cache_key=key(slot + 1), batch_index=slot, timeout_ms=30000)
        submitted[t["transfer_id"]] = slot
    print(f"submitted {len(submitted)} async pulls")

    finished: Dict[str, str] = {}
    steps = 0
    while len(finished) < len(submitted):
        time.sleep(STEP_S)  # the engine's forward pass
        steps += 1
        page = decoder.list_transfers(since=cursor)
        cursor = page["next"]
        ended = [t for t in page["transfers"] if t["transfer_id"] in submitted]
        for t in ended:
            if t["transfer_id"] in finished:
                raise RuntimeError(f"transfer {t['transfer_id']} listed twice")
            finished[t["transfer_id"]] = t["state"]
        if ended:
            print(f"step {steps}: {len(ended)} ended, {len(finished)}/{len(submitted)}")

    failures = sum(1 for state in finished.values() if state != "done")
    for slot in range(REQUESTS):
        for t in range(2):
            if decoder.read_tensor(dst, t, batch_index=slot) != pattern(100 * t + slot, SLOT_BYTES):
                failures += 1
                print(f"request {slot + 1} tensor {t}: bytes differ")
    print(f"async pulls: {len(finished)} listed once each, {failures} failed, in {steps} steps")
    decoder.deallocate_cache(dst)
    return failures


def progressive_pull(prompt: Client, decoder: Client) -> int:
    """Part 2: the prompt writes and marks one layer every 5 ms; the pull follows. Returns the number of failures."""
    desc = {"num_tensors": 2 * LAYERS, "shape": [1, LAYER_TENSOR_BYTES], "data_type": "DT_UINT8", "placement": "HOST"}
    src = prompt.allocate_cache(desc, cache_keys=[key(1000)], progressive=True)["cache_id"]
    dst = decoder.allocate_cache(desc)["cache_id"]
    transfer = decoder.submit_transfer("pull", dst, cache_key=key(1000), timeout_ms=30000)["transfer_id"]
    # Nothing is ready yet: the pull holds its response open and reports `waiting` (blocked on readiness).
    deadline = time.monotonic() + 20
    while decoder.get_transfer(transfer)["state"] != "waiting":
        if time.monotonic() > deadline:
            raise RuntimeError("the progressive pull never reported waiting")
        time.sleep(STEP_S)
    print("progressive pull submitted before any layer: waiting")

    last_ready: List[float] = []

    def prefill() -> None:
        for layer in range(LAYERS):
            for t in (2 * layer, 2 * layer + 1):
                prompt.write_tensor(src, t, pattern(500 + t, LAYER_TENSOR_BYTES))
            prompt.mark_ready(src, layers=layer + 1, batch_index=0)
            last_ready[:] = [time.monotonic()]
            time.sleep(READY_EVERY_S)

    writer = threading.Thread(target=prefill)
    writer.start()
    seen_states = set()
    while True:
        time.sleep(STEP_S)
        record = decoder.get_transfer(transfer)
        seen_states.add(record["state"])
        if record["state"] not in ("running", "waiting"):
            break
    done_at = time.monotonic()
    writer.join()
    failures = 0 if record["state"] == "done" else 1
    for t in range(2 * LAYERS):
        if decoder.read_tensor(dst, t) != pattern(500 + t, LAYER_TENSOR_BYTES):
            failures += 1
            print(f"layer {t // 2} tensor {t}: bytes differ")
    after = (done_at - last_ready[0]) * 1000 if last_ready else float("nan")
    print(f"progressive pull: {record['state']}, {record['bytes_done']} bytes, states seen {sorted(seen_states)}, "
          f"done {after:.1f} ms after the last ready (seen at the next step)")
    prompt.deallocate_cache(src)
    decoder.deallocate_cache(dst)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datadist", default=str(REPO / ".build" / "debug" / "datadist"))
    args = parser.parse_args()
    prompt = Node(args.datadist, PROMPT, "prompt", NODE_FLAGS, client_timeout=30)
    decoder = Node(args.datadist, DECODER, "decoder", NODE_FLAGS, client_timeout=30)
    try:
        decoder.client.link_clusters([{"remote_cluster_id": PROMPT, "remote_ip_info": prompt.listen}])
        failures = many_async_pulls(prompt.client, decoder.client)
        failures += progressive_pull(prompt.client, decoder.client)
        print(f"result: {failures} failures")
        return 0 if failures == 0 else 1
    finally:
        decoder.stop()
        prompt.stop()


if __name__ == "__main__":
    sys.exit(main())
