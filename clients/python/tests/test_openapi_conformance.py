"""openapi.yaml against live nodes (issue 13 item 4): the seed flow — role switch, link, allocate, pull, with the
error answers met on the way — driven by the shipped Python client, every request and answer checked with
``openapi-core``. `make pytest` installs openapi-core into its venv and sets DATADIST_REQUIRE_OPENAPI_CORE=1,
so there a missing validator fails instead of skipping."""

from __future__ import annotations

import os
import time
from typing import Callable, Dict, List, Set, Tuple

import pytest
from conftest import NodeFactory, free_port
from datadist import Client, DataDistError
from recorded_exchanges import ExchangeRecorder

if os.environ.get("DATADIST_REQUIRE_OPENAPI_CORE") != "1":
    pytest.importorskip("openapi_core", reason="openapi-core is a test-only dependency (`make pytest` installs it)")

from openapi_spec import load_spec, request_problems, response_problems  # noqa: E402

PROMPT_ID = 1
DECODER_ID = 2
# Two slots of 4 tensors (2 layers of K and V) of 256 fp16 values: 512 bytes per slot and tensor.
NUM_TENSORS = 4
DESC: Dict[str, object] = {
    "num_tensors": NUM_TENSORS,
    "shape": [2, 256],
    "data_type": "DT_FLOAT16",
    "placement": "HOST",
}
SLOT_BYTES = 512


def expect_error(call: Callable[[], object], http_status: int, status: str) -> DataDistError:
    """The call must fail with exactly this HTTP status and LLM-DataDist status."""
    with pytest.raises(DataDistError) as raised:
        call()
    error = raised.value
    assert (error.http_status, error.status) == (http_status, status), error
    return error


def slot_bytes(tensor: int, seed: int) -> bytes:
    return bytes((seed * 31 + tensor * 7 + i) % 251 for i in range(SLOT_BYTES))


def role_switch(prompt: Client, listen: str) -> None:
    """A decoder becomes the prompt (the seed page's use case), after the refusals §4 lists in order."""
    with_listen = {"llm.listenIpInfo": listen}
    assert prompt.get_role()["role"] == "DECODER"
    expect_error(lambda: prompt.switch_role("DECODER"), 400, "LLM_PARAM_INVALID")  # same role
    expect_error(lambda: prompt.switch_role("PROMPT"), 400, "LLM_PARAM_INVALID")  # no listen address
    expect_error(lambda: prompt.switch_role("PROMPT", with_listen, expected_epoch=7), 409, "EPOCH_MISMATCH")
    expect_error(lambda: prompt.switch_role("PROMPT", {"llm.listenIpInfo": "127.0.0.1:x"}), 400, "VALUE_ERROR")
    switched = prompt.switch_role("PROMPT", with_listen, expected_epoch=0)
    assert (switched["role"], switched["role_epoch"], switched["listen_ip_info"]) == ("PROMPT", 1, listen)
    assert prompt.readyz()["status"] == "ready"


def allocate_source(prompt: Client, req_ids: List[int]) -> int:
    """A prompt cache whose slot i is bound to request req_ids[i] and holds known bytes."""
    keys = [{"prompt_cluster_id": PROMPT_ID, "req_id": r} for r in req_ids]
    cache_id = int(prompt.allocate_cache(DESC, cache_keys=keys)["cache_id"])
    for slot, req_id in enumerate(req_ids):
        for tensor in range(NUM_TENSORS):
            prompt.write_tensor(cache_id, tensor, slot_bytes(tensor, req_id), batch_index=slot)
    return cache_id


def wait_for(what: str, probe: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not probe():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.05)


def drain_switch(prompt: Client, decoder: Client, destination: int, cluster: List[Dict[str, object]]) -> None:
    """A drain-aware switch (CONTRACT §12) while a pull waits on a progressive source: new links, transfers and
    key bindings answer 503 NODE_DRAINING until the pull ends; then the switch unlinks and applies."""
    key9 = {"prompt_cluster_id": PROMPT_ID, "req_id": 9}
    progressive = int(prompt.allocate_cache(DESC, cache_keys=[key9], progressive=True)["cache_id"])
    waiting = decoder.submit_transfer("pull", destination, cache_key=key9, timeout_ms=30000)
    accepted = decoder.switch_role("MIX", unlink="graceful", drain_timeout_ms=30000, respond_async=True)
    assert accepted["role"] == "DECODER", accepted
    wait_for("the decoder drains", lambda: decoder.load()["draining"] is True)
    expect_error(lambda: decoder.link_clusters(cluster, timeout_ms=5000), 503, "NODE_DRAINING")
    expect_error(lambda: decoder.pull_cache(destination, cache_key=key9, timeout_ms=5000), 503, "NODE_DRAINING")
    expect_error(lambda: decoder.submit_transfer("pull", destination, cache_key=key9), 503, "NODE_DRAINING")
    own_key = [{"prompt_cluster_id": DECODER_ID, "req_id": 1}]
    expect_error(lambda: decoder.allocate_cache(DESC, cache_keys=own_key), 503, "NODE_DRAINING")
    for tensor in range(NUM_TENSORS):
        prompt.write_tensor(progressive, tensor, slot_bytes(tensor, 9), batch_index=0)
    prompt.mark_ready(progressive, layers=NUM_TENSORS // 2, batch_index=0)
    assert decoder.get_transfer(waiting["transfer_id"], wait_ms=30000)["state"] == "done"
    wait_for("the switch applies", lambda: decoder.get_role()["role"] == "MIX")
    assert decoder.read_tensor(destination, 3, batch_index=0) == slot_bytes(3, 9)


def test_seed_flow_answers_as_openapi_yaml_says(start_node: NodeFactory) -> None:
    spec = load_spec()
    recorder = ExchangeRecorder()
    prompt_node = start_node(role="decoder", cluster_id=PROMPT_ID, extra=["--enable-switch-role"])
    decoder_node = start_node(role="decoder", cluster_id=DECODER_ID, extra=["--enable-switch-role"])
    guarded_node = start_node(role="decoder", cluster_id=3, extra=["--admin-token", "spec-token"])
    prompt = recorder.client(prompt_node.admin)
    decoder = recorder.client(decoder_node.admin)
    listen = f"127.0.0.1:{free_port()}"

    # Read-only routes of a fresh node.
    for client in (prompt, decoder):
        reads = (client.healthz, client.readyz, client.node, client.load, client.metrics, client.get_role)
        for read in (*reads, client.list_links, client.list_caches, client.list_transfers):
            read()

    # Malformed on purpose: the answers must still be the spec's error bodies.
    with recorder.malformed():
        expect_error(lambda: prompt.switch_role("BOSS"), 400, "VALUE_ERROR")
        expect_error(lambda: prompt.request("PUT", "/v1/role", {"role": 5}), 400, "TYPE_ERROR")
        expect_error(lambda: prompt.allocate_cache({**DESC, "data_type": "DT_NOPE"}), 400, "VALUE_ERROR")

    role_switch(prompt, listen)

    # Allocate on the prompt: keys bound to slots, bytes written; a cache the pool cannot hold; unknown ids.
    source = allocate_source(prompt, [7, 8])
    assert prompt.get_cache(source)["cache_id"] == source
    expect_error(lambda: prompt.allocate_cache({**DESC, "shape": [2, 1 << 26]}), 507, "LLM_OUT_OF_MEMORY")
    expect_error(lambda: prompt.get_cache(999), 404, "LLM_KV_CACHE_NOT_EXIST")
    expect_error(lambda: prompt.read_tensor(source, 99, batch_index=0), 400, "LLM_PARAM_INVALID")

    # The decoder before the link: nothing to check or pull from yet; a link to a port nobody listens on.
    destination = int(decoder.allocate_cache(DESC)["cache_id"])
    key7 = {"prompt_cluster_id": PROMPT_ID, "req_id": 7}
    expect_error(lambda: decoder.check_link(PROMPT_ID), 409, "LLM_NOT_YET_LINK")
    expect_error(lambda: decoder.pull_cache(destination, cache_key=key7, timeout_ms=5000), 409, "LLM_NOT_YET_LINK")
    dead = [{"remote_cluster_id": 9, "remote_ip_info": f"127.0.0.1:{free_port()}"}]
    expect_error(lambda: decoder.link_clusters(dead, timeout_ms=2000), 502, "LLM_LINK_FAILED")

    # Link; a second link of the same pair; the prompt may not switch while linked.
    cluster = [{"remote_cluster_id": PROMPT_ID, "remote_ip_info": listen}]
    assert decoder.link_clusters(cluster, timeout_ms=5000)["status"] == "LLM_SUCCESS"
    expect_error(lambda: decoder.link_clusters(cluster, timeout_ms=5000), 409, "LLM_ALREADY_LINK")
    assert decoder.check_link(PROMPT_ID)["status"] == "LLM_SUCCESS"
    assert [link["direction"] for link in prompt.list_links()["links"]] == ["inbound"]
    expect_error(lambda: prompt.switch_role("DECODER"), 409, "LLM_EXIST_LINK")

    # Pull by key: the bytes arrive and the key is consumed; a synchronous and an asynchronous pull.
    pulled = decoder.pull_cache(destination, cache_key=key7, batch_index=0, timeout_ms=10000)
    assert pulled["status"] == "LLM_SUCCESS"
    for tensor in range(NUM_TENSORS):
        assert decoder.read_tensor(destination, tensor, batch_index=0) == slot_bytes(tensor, 7)
    expect_error(
        lambda: decoder.pull_cache(destination, cache_key=key7, timeout_ms=5000), 404, "LLM_KV_CACHE_NOT_EXIST"
    )
    key8 = {"prompt_cluster_id": PROMPT_ID, "req_id": 8}
    submitted = decoder.submit_transfer("pull", destination, cache_key=key8, batch_index=1, timeout_ms=10000)
    finished = decoder.get_transfer(submitted["transfer_id"], wait_ms=10000)
    assert finished["state"] == "done", finished
    assert decoder.read_tensor(destination, 0, batch_index=1) == slot_bytes(0, 8)
    assert decoder.list_transfers()["transfers"]
    expect_error(lambda: decoder.get_transfer("no-such-transfer"), 404, "NOT_FOUND")

    drain_switch(prompt, decoder, destination, cluster)

    # The drain unlinked both sides; an unlink of a cluster no longer linked is a success. The prompt may now
    # switch back; caches go.
    assert prompt.list_links()["links"] == []
    assert decoder.unlink_cluster(PROMPT_ID)["status"] == "LLM_SUCCESS"
    assert prompt.switch_role("DECODER")["role_epoch"] == 2
    assert decoder.deallocate_cache(destination)["status"] == "LLM_SUCCESS"
    assert prompt.deallocate_cache(source)["status"] == "LLM_SUCCESS"

    # --admin-token: 401 without it (the spec's Unauthorized), health stays open.
    anonymous = recorder.client(guarded_node.admin)
    expect_error(anonymous.get_role, 401, "UNAUTHORIZED")
    assert anonymous.healthz()["status"] == "ok"
    assert recorder.client(guarded_node.admin, token="spec-token").get_role()["cluster_id"] == 3

    # Every exchange against the spec; and the flow really met the answers it is meant to cover.
    # A request sent malformed on purpose must really be outside the spec (else the mark would hide a check).
    report: List[str] = []
    for exchange in recorder.exchanges:
        found = response_problems(spec, exchange)
        if exchange.deliberately_malformed:
            if not request_problems(spec, exchange):
                found.append("request: marked malformed, but the spec accepts it")
        else:
            found += request_problems(spec, exchange)
        if found:
            report.append(exchange.describe() + "".join(f"\n    {p}" for p in found))
    assert not report, f"{len(report)} of {len(recorder.exchanges)} exchanges depart from openapi.yaml:\n" + "\n".join(
        report
    )
    seen: Set[Tuple[str, int]] = {(e.method, e.status) for e in recorder.exchanges}
    wanted = {
        ("GET", 200), ("PUT", 200), ("POST", 201), ("POST", 202), ("PUT", 400), ("POST", 400), ("GET", 400),
        ("GET", 401), ("GET", 404), ("POST", 404), ("GET", 409), ("POST", 409), ("PUT", 409), ("POST", 502),
        ("POST", 503), ("POST", 507), ("DELETE", 200), ("PUT", 202),
    }  # fmt: skip
    assert wanted <= seen, f"the flow missed {sorted(wanted - seen)}"
    statuses: Dict[int, int] = {}
    for exchange in recorder.exchanges:
        statuses[exchange.status] = statuses.get(exchange.status, 0) + 1
    print(f"{len(recorder.exchanges)} exchanges valid against openapi.yaml, by status: {sorted(statuses.items())}")
