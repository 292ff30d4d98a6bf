#!/usr/bin/env python3
"""Rebalance a local P/D cluster at run time without a failed pull (CONTRACT §12).

Starts 1 prompt + 3 decoders (`datadist serve` children on free 127.0.0.1 ports). Each decoder pulls continuously:
its worker asks the prompt to "prefill" a request (allocate a cache bound to a request key, write its bytes), pulls
the key, checks every byte, and lets the prompt free the cache. Then the cluster moves to 2 prompts + 2 decoders:
decoder 3 stops taking work, drains (`PUT /v1/role` with `unlink: graceful`, asynchronously), becomes a PROMPT,
and decoder 2 links to it and pulls from both prompts. The whole time the script follows `/v1/events` of the node
being switched and prints a timeline. Exit status 0 only if no pull failed and the final topology is 2 + 2.

    python3 examples/rebalance.py [--datadist PATH] [--seconds S]
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "clients" / "python"))

from local_node import Node, free_port  # noqa: E402
from datadist import Client, DataDistError  # noqa: E402

# Every node may switch roles; transfers give up after 5 s.
SWITCHABLE = ["--enable-switch-role", "--sync-kv-timeout-ms", "5000"]
TENSORS = 4
TENSOR_BYTES = 64 * 1024
DESC = {"num_tensors": TENSORS, "shape": [1, TENSOR_BYTES], "data_type": "DT_UINT8", "placement": "HOST"}


class Timeline:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.lines: List[str] = []

    def say(self, text: str) -> None:
        with self.lock:
            line = f"{time.monotonic() - self.start:7.3f}s  {text}"
            self.lines.append(line)
            print(line, flush=True)


class Worker(threading.Thread):
    """One decoder pulling continuously from the prompts it is told about."""

    def __init__(self, decoder: Node, prompts: List[Node], timeline: Timeline, seed: int) -> None:
        super().__init__(daemon=True)
        self.decoder = decoder
        self.prompts = list(prompts)
        self.timeline = timeline
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.pulls: Dict[int, int] = {}
        self.failures: List[str] = []
        self.dst = decoder.client.allocate_cache(DESC)["cache_id"]
        self.next_req = seed * 1_000_000

    def add_prompt(self, prompt: Node) -> None:
        with self.lock:
            self.prompts.append(prompt)

    def run(self) -> None:
        turn = 0
        while not self.stopping.is_set():
            with self.lock:
                prompt = self.prompts[turn % len(self.prompts)]
            turn += 1
            try:
                self.one_request(prompt)
                self.pulls[prompt.cluster_id] = self.pulls.get(prompt.cluster_id, 0) + 1
            except (DataDistError, OSError) as e:
                self.failures.append(f"decoder {self.decoder.cluster_id} ← prompt {prompt.cluster_id}: {e}")
                self.timeline.say(f"FAILED pull: {self.failures[-1]}")

    def one_request(self, prompt: Node) -> None:
        self.next_req += 1
        key = {"prompt_cluster_id": prompt.cluster_id, "req_id": self.next_req}
        data = [self.random.randbytes(TENSOR_BYTES) for _ in range(TENSORS)]
        src = prompt.client.allocate_cache(DESC, cache_keys=[key])["cache_id"]
        for t, chunk in enumerate(data):
            prompt.client.write_tensor(src, t, chunk)
        prompt.client.deallocate_cache(src)  # released: freed once the pull consumes the key
        self.decoder.client.pull_cache(self.dst, cache_key=key)
        for t, chunk in enumerate(data):
            if self.decoder.client.read_tensor(self.dst, t) != chunk:
                raise DataDistError("BYTES_DIFFER", -1, f"tensor {t} of req {self.next_req} differs", 0)


def follow_events(node: Node, timeline: Timeline, done: threading.Event) -> threading.Thread:
    def run() -> None:
        try:
            for event in node.client.events(timeout=30):
                kind = event.get("type")
                details = {k: v for k, v in event.items() if k not in ("seq", "type", "at", "boot_id", "id")}
                if kind in ("draining", "link_up", "link_down", "role_changed", "role_switch_failed"):
                    timeline.say(f"event  node {node.cluster_id}: {kind} {details}")
                if kind in ("role_changed", "role_switch_failed"):
                    done.set()
        except OSError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datadist", default=str(REPO / ".build" / "debug" / "datadist"))
    parser.add_argument("--seconds", type=float, default=2.0, help="pulling time before and after the move")
    args = parser.parse_args()

    timeline = Timeline()
    nodes: List[Node] = []
    try:
        prompt = Node(args.datadist, 100, "prompt", SWITCHABLE)
        nodes.append(prompt)
        decoders = [Node(args.datadist, 200 + i, "decoder", SWITCHABLE) for i in (1, 2, 3)]
        nodes += decoders
        for d in decoders:
            d.client.link_clusters([{"remote_cluster_id": prompt.cluster_id, "remote_ip_info": prompt.listen}])
        timeline.say("cluster up: prompt 100; decoders 201, 202, 203 linked and pulling")
        workers = [Worker(d, [prompt], timeline, seed=i + 1) for i, d in enumerate(decoders)]
        for w in workers:
            w.start()
        time.sleep(args.seconds)

        mover, gainer = decoders[2], decoders[1]
        workers[2].stopping.set()
        workers[2].join()
        timeline.say(f"decoder {mover.cluster_id} stops taking work ({workers[2].pulls.get(100, 0)} pulls done)")
        switched = threading.Event()
        follow_events(mover, timeline, switched)
        time.sleep(0.2)  # the event stream is open before the switch starts
        new_listen = f"127.0.0.1:{free_port()}"
        epoch = mover.client.get_role()["role_epoch"]
        accepted = mover.client.switch_role(
            "PROMPT", switch_options={"llm.listenIpInfo": new_listen}, expected_epoch=epoch,
            unlink="graceful", drain_timeout_ms=5000, respond_async=True,
        )
        timeline.say(f"PUT /v1/role accepted: phase {accepted.get('phase')}")
        if not switched.wait(30):
            timeline.say("the switch did not finish in 30 s")
            return 1
        role = mover.client.get_role()
        last = role.get("last_switch") or {}
        timeline.say(f"node {mover.cluster_id} is {role['role']} on {role['listen_ip_info']}: {last.get('status')}, "
                     f"drain {last.get('drain')}")
        if role["role"] != "PROMPT" or last.get("status") != "LLM_SUCCESS":
            return 1
        mover.listen = role["listen_ip_info"]
        gainer.client.link_clusters([{"remote_cluster_id": mover.cluster_id, "remote_ip_info": mover.listen}])
        workers[1].add_prompt(mover)
        timeline.say(f"decoder {gainer.cluster_id} linked to the new prompt {mover.cluster_id}: topology 2 + 2")
        time.sleep(args.seconds)
        for w in workers[:2]:
            w.stopping.set()
        for w in workers[:2]:
            w.join()

        failures = sum((w.failures for w in workers), [])
        for w in workers:
            timeline.say(f"decoder {w.decoder.cluster_id}: pulls by prompt {dict(sorted(w.pulls.items()))}")
        prompts = [n.cluster_id for n in nodes if n.client.get_role()["role"] == "PROMPT"]
        decs = [n.cluster_id for n in nodes if n.client.get_role()["role"] == "DECODER"]
        timeline.say(f"final: prompts {prompts}, decoders {decs}; failed pulls: {len(failures)}")
        ok = not failures and len(prompts) == 2 and len(decs) == 2 and workers[1].pulls.get(mover.cluster_id, 0) > 0
        return 0 if ok else 1
    finally:
        for n in nodes:
            n.stop()


if __name__ == "__main__":
    sys.exit(main())
