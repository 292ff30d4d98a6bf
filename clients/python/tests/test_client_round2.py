"""The client methods of this round's routes: shared memory (map_cache, regions), progressive readiness, leases."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from conftest import NodeFactory
from datadist import DataDistError

DESC = {"num_tensors": 2, "shape": [2, 4096], "data_type": "DT_UINT8", "placement": "HOST"}


def test_map_cache_writes_in_place_and_a_peer_pulls_it(start_node: NodeFactory) -> None:
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as shm:
        prompt = start_node(role="prompt", cluster_id=1, listen=True, extra=["--shm-dir", shm])
        decoder = start_node(role="decoder", cluster_id=2)
        decoder.client.link_clusters([{"remote_cluster_id": 1, "remote_ip_info": prompt.listen}])
        key = {"prompt_cluster_id": 1, "req_id": 7}
        cache = prompt.client.allocate_cache(DESC, cache_keys=[key])
        views = prompt.client.map_cache(cache["cache_id"])
        assert [len(v) for v in views] == [8192, 8192]
        for t, view in enumerate(views):
            view[0:4096] = bytes([t + 1]) * 4096  # slot 0 of tensor t, written in place by the "engine"
        dst = decoder.client.allocate_cache({**DESC, "shape": [1, 4096]})["cache_id"]
        decoder.client.pull_cache(dst, cache_key=key)
        for t in range(2):
            assert decoder.client.read_tensor(dst, t) == bytes([t + 1]) * 4096  # the in-place bytes, pulled
        for view in views:
            view.release()
        with pytest.raises(DataDistError) as e:
            decoder.client.map_cache(dst)
        assert e.value.status == "LLM_FEATURE_NOT_ENABLED"


def test_regions_register_list_and_refuse_outside_the_directory(start_node: NodeFactory) -> None:
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as shm:
        node = start_node(role="decoder", extra=["--shm-dir", shm])
        path = Path(shm) / "engine.kv"
        with open(path, "wb") as f:
            f.truncate(1 << 20)
        os.chmod(path, 0o600)
        region = node.client.register_region(str(path), size=1 << 20)
        assert node.client.get_region(region["region_id"])["size"] == 1 << 20
        assert len(node.client.list_regions()["regions"]) == 1
        with pytest.raises(DataDistError) as e:
            node.client.register_region("/etc/passwd", size=4096)
        assert e.value.status == "LLM_PARAM_INVALID"
        node.client.delete_region(region["region_id"])
        assert node.client.list_regions()["regions"] == []


def test_progressive_ready_and_lease_renewal(start_node: NodeFactory) -> None:
    node = start_node(role="prompt", listen=True, extra=["--kv-lease-ms", "60000"])
    key = {"prompt_cluster_id": 1, "req_id": 9}
    cache = node.client.allocate_cache(DESC, cache_keys=[key], progressive=True)
    assert node.client.mark_ready(cache["cache_id"], layers=1, batch_index=0)["ready_layers"] == 1
    assert node.client.get_cache(cache["cache_id"])["ready_tensors"] == [2, 0]
    renewed = node.client.renew_lease(cache_key=key, extend_ms=120000)
    assert renewed["lease_expires_at"].endswith("Z")
    with pytest.raises(DataDistError) as e:
        node.client.mark_ready(cache["cache_id"], layers=5)
    assert e.value.status == "LLM_PARAM_INVALID"
