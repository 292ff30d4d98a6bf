"""``datadist.llm_datadist``: the library's names, argument checks and errors, on live nodes."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from conftest import NodeFactory, datadist_binary, free_port
from datadist.llm_datadist import (
    BlocksCacheKey,
    CacheDesc,
    CacheKey,
    CacheKeyByIdAndIndex,
    DataType,
    LLMClusterInfo,
    LLMConfig,
    LLMDataDist,
    LLMException,
    LLMRole,
    LLMStatusCode,
    Placement,
)


@pytest.fixture(autouse=True)
def binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADIST_BIN", datadist_binary())
    monkeypatch.delenv("DATADIST_ADMIN", raising=False)


@pytest.fixture
def finalizing() -> Iterator[list]:
    made: list = []
    yield made
    for d in made:
        d.finalize()


def status(e: pytest.ExceptionInfo) -> LLMStatusCode:
    assert isinstance(e.value, LLMException)
    return e.value.status_code


def port_or_free(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return free_port()


def test_status_codes_are_the_library_values() -> None:
    assert LLMStatusCode.LLM_PARAM_INVALID == 0x5010B005 == 1343270917
    assert LLMStatusCode.LLM_EXIST_LINK == 1343270936
    assert LLMStatusCode.LLM_FAILED == 0xFFFFFFFF
    assert issubclass(LLMException, RuntimeError)


def test_argument_checks_raise_as_the_library() -> None:
    with pytest.raises(TypeError):
        LLMDataDist("PROMPT", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        LLMDataDist(LLMRole.PROMPT, -1)
    with pytest.raises(ValueError):
        CacheDesc(-1, [2, 4], DataType.DT_INT8)
    with pytest.raises(LLMException) as e:
        CacheDesc(1, [2, 4], DataType.DT_INT8, batch_dim_index=2)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(LLMException) as e:
        CacheKey(0, 1, 0, 5, 6)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(LLMException):
        CacheKey(req_id=1)
    with pytest.raises(LLMException):
        CacheKey(0, 1, colour=2)
    with pytest.raises(TypeError):
        CacheKey(0, "1")
    assert CacheKey(prompt_cluster_id=3, req_id=4).cluster_id == 3
    assert BlocksCacheKey(prompt_cluster_id=1).model_id == 0
    with pytest.raises(LLMException):
        BlocksCacheKey(1, 2, 3)
    with pytest.raises(ValueError):
        CacheKeyByIdAndIndex(0, 1, -1)
    cluster = LLMClusterInfo()
    with pytest.raises(RuntimeError, match="Can not parse ip"):
        cluster.append_remote_ip_info("nonsense", 1)
    with pytest.raises(ValueError):
        cluster.append_remote_ip_info("127.0.0.1", 70000)
    config = LLMConfig()
    with pytest.raises(LLMException):
        config.sync_kv_timeout = 0
    with pytest.raises(TypeError):
        config.sync_kv_timeout = 1.5  # type: ignore[assignment]
    with pytest.raises(ValueError):
        config.sync_kv_timeout = 2**31
    with pytest.raises(LLMException):
        config.link_retry_count = 101
    options = config.generate_options()
    assert options["llm.MemoryUtilization"] == "0.95"
    config.listen_ip_info = "127.0.0.1:1"
    assert config.generate_options() is options and options["llm.listenIpInfo"] == "127.0.0.1:1"


def test_calls_before_init_raise_runtime_error() -> None:
    d = LLMDataDist(LLMRole.DECODER, 99)
    with pytest.raises(RuntimeError, match="not initialized"):
        d.switch_role(LLMRole.PROMPT)
    with pytest.raises(RuntimeError):
        d.link_clusters([], 1000)
    d.finalize()  # a no-op


def test_seed_switch_role_example(finalizing: list) -> None:
    """The seed page's example, through the facade against a live node it starts."""
    llm_datadist = LLMDataDist(LLMRole.DECODER, 0)
    finalizing.append(llm_datadist)
    config = LLMConfig()
    config.enable_cache_manager = True
    llm_datadist.init(config.generate_options())
    port = port_or_free(26000)
    switch_options = {"llm.listenIpInfo": f"127.0.0.1:{port}"}
    llm_datadist.switch_role(LLMRole.PROMPT, switch_options)
    node = llm_datadist.client.node()
    assert node["role"] == "PROMPT" and node["listen_ip_info"] == f"127.0.0.1:{port}"
    assert node["compat"] == "cache-manager"
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    # Type checks of switch_role.
    with pytest.raises(TypeError):
        llm_datadist.switch_role("not_a_role")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        llm_datadist.switch_role(LLMRole.DECODER, "not_dict")  # type: ignore[arg-type]
    with pytest.raises(LLMException) as e:
        llm_datadist.switch_role(LLMRole.PROMPT, {"llm.listenIpInfo": "127.0.0.1"})
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(ValueError):
        llm_datadist.switch_role(LLMRole.PROMPT, {"llm.listenIpInfo": "127.0.0.1:abc"})
    # CacheManager mode: a same-role switch without options stops listening.
    llm_datadist.switch_role(LLMRole.PROMPT)
    assert llm_datadist.client.node()["listen_ip_info"] is None


def test_links_and_errors_as_status_codes(start_node: NodeFactory, finalizing: list) -> None:
    prompt = start_node(role="prompt", cluster_id=0, listen=True, compat="cache-manager")
    decoder = LLMDataDist(LLMRole.DECODER, 1)
    finalizing.append(decoder)
    config = LLMConfig()
    config.enable_cache_manager = True
    config.mem_pool_cfg = '{"memory_size": 1048576}'
    decoder.init(config.generate_options())
    ip, port = prompt.listen.split(":") if prompt.listen else ("", "0")
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = 0
    cluster.append_local_ip_info("127.0.0.1", 0)
    cluster.append_remote_ip_info(ip, int(port))
    assert decoder.link_clusters([], 1000) == (LLMStatusCode.LLM_PARAM_INVALID, [])
    with pytest.raises(LLMException):
        decoder.link_clusters([cluster], 0)
    with pytest.raises(TypeError):
        decoder.link_clusters("x", 5000)  # type: ignore[arg-type]
    bare = LLMClusterInfo()
    bare.remote_cluster_id = 0
    bare.append_remote_ip_info(ip, int(port))
    with pytest.raises(LLMException, match="local_ip_info_list is empty"):
        decoder.link_clusters([bare], 1000)
    nowhere = LLMClusterInfo()
    nowhere.remote_cluster_id = 5
    nowhere.append_local_ip_info("127.0.0.1", 0)
    nowhere.append_remote_ip_info("127.0.0.1", free_port())
    ret, rets = decoder.link_clusters([cluster, nowhere], 2000)
    assert rets == [LLMStatusCode.LLM_SUCCESS, LLMStatusCode.LLM_LINK_FAILED]
    assert ret == LLMStatusCode.LLM_LINK_FAILED
    assert decoder.link_clusters([cluster], 2000) == (LLMStatusCode.LLM_ALREADY_LINK, [LLMStatusCode.LLM_ALREADY_LINK])
    with pytest.raises(LLMException) as e:
        decoder.switch_role(LLMRole.PROMPT, {"llm.listenIpInfo": f"127.0.0.1:{free_port()}"})
    assert status(e) == LLMStatusCode.LLM_EXIST_LINK
    with pytest.raises(LLMException) as e:
        decoder.check_link_status(0)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID

    cm = decoder.cache_manager
    desc = CacheDesc(2, [2, 8], DataType.DT_UINT8, Placement.DEVICE)
    with pytest.raises(LLMException) as e:
        cm.allocate_cache(CacheDesc(2, [2, 8], DataType.DT_UINT8, Placement.HOST))
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID  # no host pool configured
    cache = cm.allocate_cache(desc)
    assert cache.cache_id == 1
    with pytest.raises(LLMException) as e:
        cm.pull_cache(CacheKey(0, 4242), cache)
    assert status(e) == LLMStatusCode.LLM_KV_CACHE_NOT_EXIST
    with pytest.raises(LLMException) as e:
        cm.pull_cache(CacheKey(0, 2**64 - 1), cache)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(LLMException):
        cm.pull_cache(CacheKey(0, 1), cache, size=0)
    with pytest.raises(TypeError):
        cm.pull_cache(CacheKey(0, 1), cache, tensor_num_per_layer=1.0)
    with pytest.raises(ValueError):
        cm.pull_cache(CacheKey(0, 1), cache, tensor_num_per_layer=-1)
    with pytest.raises(LLMException) as e:
        cm.push_cache(CacheKeyByIdAndIndex(0, 1), cache)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID  # not in remote-access mode
    # Bytes: the prompt binds a key, the decoder pulls it once (consumed), then it is gone.
    p = prompt.client
    src = p.allocate_cache(
        {"num_tensors": 2, "shape": [2, 8], "data_type": "DT_UINT8"}, cache_keys=[{"prompt_cluster_id": 0, "req_id": 7}]
    )["cache_id"]
    p.write_tensor(src, 0, bytes(range(16)))
    p.write_tensor(src, 1, bytes(range(16, 32)))
    cm.pull_cache(CacheKey(prompt_cluster_id=0, req_id=7), cache, batch_index=1)
    assert cache.read_tensor(0, batch_index=1) == bytes(range(8))
    assert cache.read_tensor(1, batch_index=1) == bytes(range(16, 24))
    with pytest.raises(LLMException) as e:
        cm.pull_cache(CacheKey(prompt_cluster_id=0, req_id=7), cache)
    assert status(e) == LLMStatusCode.LLM_KV_CACHE_NOT_EXIST
    assert decoder.unlink_clusters([cluster], 3000) == (LLMStatusCode.LLM_SUCCESS, [LLMStatusCode.LLM_SUCCESS])
    with pytest.raises(TypeError):
        decoder.unlink_clusters([cluster], 3000, force="x")  # type: ignore[arg-type]
    cm.deallocate_cache(cache)
    with pytest.raises(LLMException):
        cm.deallocate_blocks_cache(cache)


def test_attach_checks_the_cluster_id_and_one_instance_per_process(
    start_node: NodeFactory, finalizing: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = start_node(role="decoder", cluster_id=9, compat="cache-manager")
    wrong = LLMDataDist(LLMRole.DECODER, 8)
    with pytest.raises(LLMException) as e:
        wrong.init({"llm.EnableCacheManager": "1", "datadist.admin": node.admin})
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    monkeypatch.setenv("DATADIST_ADMIN", node.admin)
    right = LLMDataDist(LLMRole.DECODER, 9)
    finalizing.append(right)
    right.init({"llm.EnableCacheManager": "1"})
    assert right.client.get_role()["role"] == "DECODER"
    second = LLMDataDist(LLMRole.DECODER, 9)
    with pytest.raises(LLMException) as e:
        second.init({"llm.EnableCacheManager": "1"})
    assert status(e) == LLMStatusCode.LLM_FAILED
    right.finalize()
    assert node.client.healthz()["status"] == "ok"  # finalize leaves an attached node running


def test_finalize_stops_a_node_it_started() -> None:
    d = LLMDataDist(LLMRole.PROMPT, 4)
    d.init({"llm.EnableCacheManager": "1", "llm.listenIpInfo": f"127.0.0.1:{free_port()}"})
    client = d.client
    assert client.node()["cluster_id"] == 4
    d.finalize()
    with pytest.raises(OSError):
        client.healthz()
    with pytest.raises(RuntimeError):
        d.client


def test_legacy_mode_is_refused_for_cache_manager(finalizing: list) -> None:
    d = LLMDataDist(LLMRole.DECODER, 6)
    finalizing.append(d)
    d.init({"llm.EnableSwitchRole": "1"})
    assert d.client.node()["compat"] == "legacy"
    with pytest.raises(LLMException) as e:
        d.cache_manager
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(LLMException) as e:
        d.switch_role(LLMRole.DECODER)
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    with pytest.raises(LLMException) as e:
        d.switch_role(LLMRole.PROMPT, {})
    assert status(e) == LLMStatusCode.LLM_PARAM_INVALID
    d.switch_role(LLMRole.MIX)
    assert d.client.get_role()["role"] == "MIX"
