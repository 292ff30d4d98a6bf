"""datadist.Client against live nodes: every admin route, answers as dicts, errors as DataDistError."""

from __future__ import annotations

import threading

import pytest

from conftest import NodeFactory, free_port
from datadist import Client, DataDistError, normalize_admin

DESC = {"num_tensors": 2, "shape": [2, 8], "data_type": "DT_UINT8", "placement": "HOST"}


def test_admin_address_forms() -> None:
    assert normalize_admin("127.0.0.1:9200") == ("http", "127.0.0.1", 9200)
    assert normalize_admin("http://10.0.0.1:80") == ("http", "10.0.0.1", 80)
    assert normalize_admin("0.0.0.0:9200") == ("http", "127.0.0.1", 9200)
    assert normalize_admin("[::1]:9200") == ("http", "::1", 9200)
    with pytest.raises(ValueError):
        normalize_admin("ftp://x:1")


def test_health_node_and_metrics(start_node: NodeFactory) -> None:
    node = start_node(role="prompt", cluster_id=3, listen=True, compat="cache-manager")
    c = node.client
    assert c.healthz() == {"status": "ok"}
    assert c.readyz()["status"] == "ready"
    info = c.node()
    assert info["cluster_id"] == 3
    assert info["compat"] == "cache-manager"
    assert info["listen_ip_info"] == node.listen
    metrics = c.metrics()
    assert "datadist_role_epoch" in metrics
    assert "datadist_transfers_queued 0" in metrics
    assert c.load()["links"] == 0


def test_switch_role_lists_ignored_options(start_node: NodeFactory) -> None:
    node = start_node(role="decoder", extra=["--enable-switch-role"])
    c = node.client
    role = c.get_role()
    assert role["role"] == "DECODER" and role["role_epoch"] == 0
    listen = f"127.0.0.1:{free_port()}"
    answer = c.switch_role("PROMPT", {"llm.listenIpInfo": listen, "llm.MemoryUtilization": "0.95"}, expected_epoch=0)
    assert answer["role"] == "PROMPT"
    assert answer["listen_ip_info"] == listen
    assert answer["role_epoch"] == 1
    assert answer["ignored_options"] == ["llm.MemoryUtilization"]


def test_errors_carry_status_code_message_and_http_status(start_node: NodeFactory) -> None:
    c = start_node(role="decoder", extra=["--enable-switch-role"]).client
    with pytest.raises(DataDistError) as same:
        c.switch_role("DECODER")
    assert same.value.status == "LLM_PARAM_INVALID"
    assert same.value.code == 1343270917
    assert same.value.http_status == 400
    assert "DECODER" in same.value.message
    with pytest.raises(DataDistError) as stale:
        c.switch_role("MIX", expected_epoch=9)
    assert (stale.value.status, stale.value.code, stale.value.http_status) == ("EPOCH_MISMATCH", -1, 409)
    with pytest.raises(DataDistError) as bad_type:
        c.switch_role("MIX", {"llm.listenIpInfo": 5})  # type: ignore[dict-item]
    assert bad_type.value.status == "TYPE_ERROR"
    with pytest.raises(DataDistError) as missing:
        c.get_cache(99)
    assert (missing.value.status, missing.value.http_status) == ("LLM_KV_CACHE_NOT_EXIST", 404)


def test_documented_profile_needs_enable_switch_role(start_node: NodeFactory) -> None:
    c = start_node(role="decoder").client
    with pytest.raises(DataDistError) as e:
        c.switch_role("MIX")
    assert (e.value.status, e.value.http_status) == ("LLM_FEATURE_NOT_ENABLED", 409)


def test_token(start_node: NodeFactory) -> None:
    node = start_node(extra=["--admin-token", "s3cret"])
    with pytest.raises(DataDistError) as e:
        node.client.get_role()
    assert e.value.http_status == 401
    assert Client(node.admin, token="s3cret").get_role()["role"] == "DECODER"
    assert node.client.healthz()["status"] == "ok"


def test_links_caches_pull_and_transfers(start_node: NodeFactory) -> None:
    prompt = start_node(role="prompt", cluster_id=1, listen=True)
    decoder = start_node(role="decoder", cluster_id=2)
    p, d = prompt.client, decoder.client

    src = p.allocate_cache(DESC, cache_keys=[{"prompt_cluster_id": 1, "req_id": 7}, {"prompt_cluster_id": 1, "req_id": 8}])
    assert src["cache_id"] == 1 and src["stride"] == 8
    payload = bytes(range(16))
    assert p.write_tensor(src["cache_id"], 0, payload)["bytes"] == 16
    assert p.write_tensor(src["cache_id"], 1, payload[::-1])["bytes"] == 16
    assert p.read_tensor(src["cache_id"], 0, batch_index=1) == payload[8:]
    assert [c["cache_id"] for c in p.list_caches()["caches"]] == [1]
    assert p.get_cache(1)["kind"] == "cache"

    linked = d.link_clusters([{"remote_cluster_id": 1, "remote_ip_info": prompt.listen}], timeout_ms=3000)
    assert linked["status"] == "LLM_SUCCESS" and linked["results"][0]["code"] == 0
    assert d.list_links()["links"][0]["direction"] == "outbound"
    assert p.list_links()["links"][0]["direction"] == "inbound"
    assert d.check_link(1)["status"] == "LLM_SUCCESS"
    with pytest.raises(DataDistError) as again:
        d.link_clusters([{"remote_cluster_id": 1, "remote_ip_info": prompt.listen}])
    assert again.value.status == "LLM_ALREADY_LINK"
    assert again.value.body["results"][0]["status"] == "LLM_ALREADY_LINK"

    dst = d.allocate_cache(DESC)["cache_id"]
    pulled = d.pull_cache(dst, cache_key={"prompt_cluster_id": 1, "req_id": 8}, batch_index=0)
    assert pulled["status"] == "LLM_SUCCESS"
    assert d.read_tensor(dst, 0, batch_index=0) == payload[8:]
    assert d.read_tensor(dst, 1, batch_index=0) == payload[::-1][8:]
    with pytest.raises(DataDistError) as consumed:
        d.pull_cache(dst, cache_key={"prompt_cluster_id": 1, "req_id": 8})
    assert consumed.value.status == "LLM_KV_CACHE_NOT_EXIST"

    # Asynchronous: submit, wait, list what ended.
    t = d.submit_transfer("pull", dst, cache_key={"prompt_cluster_id": 1, "req_id": 7}, batch_index=1)
    assert t["state"] == "running"
    done = d.get_transfer(t["transfer_id"], wait_ms=5000)
    assert done["state"] == "done" and done["status"] == "LLM_SUCCESS"
    ended = d.list_transfers(since=0)
    assert [x["transfer_id"] for x in ended["transfers"]] == [t["transfer_id"]]
    assert d.cancel_transfer(t["transfer_id"])["state"] == "done"
    assert d.read_tensor(dst, 0, batch_index=1) == payload[:8]

    # Push back by id, copy locally, remove keys, free.
    pushed = d.push_cache(dst, dst_cache_key_by_id={"cluster_id": 1, "cache_id": 1, "batch_index": 0}, src_batch_index=1)
    assert pushed["status"] == "LLM_SUCCESS"
    assert p.read_tensor(1, 0, batch_index=0) == payload[:8]
    other = d.allocate_cache(DESC)["cache_id"]
    assert d.copy_cache(other, dst, dst_batch_index=0, src_batch_index=1)["status"] == "LLM_SUCCESS"
    assert d.read_tensor(other, 0, batch_index=0) == payload[:8]
    assert p.remove_cache_key(req_id=7)["status"] == "LLM_SUCCESS"
    assert d.deallocate_cache(other)["status"] == "LLM_SUCCESS"

    unlinked = d.unlink_clusters([{"remote_cluster_id": 1, "remote_ip_info": prompt.listen}])
    assert unlinked["status"] == "LLM_SUCCESS"
    assert d.list_links()["links"] == [] and p.list_links()["links"] == []
    assert d.unlink_cluster(1, force=True)["status"] == "LLM_SUCCESS"
    assert d.unlink_all(force=True)["status"] in ("LLM_SUCCESS",)


def test_blocks_routes(start_node: NodeFactory) -> None:
    prompt = start_node(role="prompt", cluster_id=1, listen=True)
    decoder = start_node(role="decoder", cluster_id=2)
    p, d = prompt.client, decoder.client
    desc = {"num_tensors": 1, "shape": [4, 4], "data_type": "DT_UINT8", "placement": "HOST"}
    src = p.allocate_cache(desc, blocks=True, blocks_cache_key={"prompt_cluster_id": 1, "model_id": 0})["cache_id"]
    p.write_tensor(src, 0, bytes(range(16)))
    assert p.copy_blocks(src, {0: [3]})["status"] == "LLM_SUCCESS"
    assert p.read_tensor(src, 0, block=3) == bytes(range(4))
    d.link_clusters([{"remote_cluster_id": 1, "remote_ip_info": prompt.listen}])
    dst = d.allocate_cache(desc, blocks=True)["cache_id"]
    d.pull_blocks(dst, src_blocks_cache_key={"prompt_cluster_id": 1}, src_blocks=[1, 2], dst_blocks=[0, 1])
    assert d.read_tensor(dst, 0, block=0) == bytes(range(4, 8))
    assert d.read_tensor(dst, 0, block=1) == bytes(range(8, 12))
    d.write_tensor(dst, 0, b"\xff" * 4, block=3)
    d.push_blocks(
        dst, dst_blocks_cache_key={"prompt_cluster_id": 1}, src_blocks=[3], dst_blocks=[0], tensor_num_per_layer=1
    )
    assert p.read_tensor(src, 0, block=0) == b"\xff" * 4
    host = d.allocate_cache({**desc, "placement": "DEVICE"}, blocks=True)["cache_id"]
    assert d.swap_blocks(dst, host, {0: 1})["status"] == "LLM_SUCCESS"
    assert d.read_tensor(host, 0, block=1) == bytes(range(4, 8))


def test_events_iterator(start_node: NodeFactory) -> None:
    node = start_node(role="decoder", extra=["--enable-switch-role"])
    c = node.client
    got: list = []
    ready = threading.Event()

    def reader() -> None:
        for event in c.events(since=0, timeout=10):
            got.append(event)
            ready.set()
            if event.get("type") == "role_changed":
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    c.switch_role("MIX")
    thread.join(timeout=15)
    assert not thread.is_alive()
    changed = [e for e in got if e.get("type") == "role_changed"]
    assert changed and changed[0]["role"] == "MIX"
    assert isinstance(changed[0]["seq"], int)
