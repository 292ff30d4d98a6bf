"""The official LLM-DataDist Python samples' flows (hicann/hixl examples/python/llm_datadist), re-written:
the same calls in the same order through ``datadist.llm_datadist``, each side in its own process on a node it
starts (``--compat cache-manager``); NPU tensors are replaced by ``Cache.write_tensor`` / ``read_tensor``."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from conftest import datadist_binary, free_port
from flows import floats, run_sides

NUM_TENSORS = 2
BLOCKS_NUM = 3
KV_SHAPE = 10
PROMPT_CLUSTER_ID = 0
DECODER_CLUSTER_ID = 1
FLOATS = BLOCKS_NUM * KV_SHAPE
FAKE_ADDRS = [0x1000, 0x2000]  # register_* needs non-zero addresses; node memory backs the cache


@pytest.fixture(autouse=True)
def binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADIST_BIN", datadist_binary())
    monkeypatch.delenv("DATADIST_ADMIN", raising=False)


def env() -> Dict[str, Any]:
    return {"prompt_port": free_port(), "decoder_port": free_port()}



# ---- switch_role_sample.py -------------------------------------------------------------------------


def switch_role_prompt(barrier: Any, e: Dict[str, Any]) -> Any:
    from datadist.llm_datadist import (
        BlocksCacheKey, CacheDesc, DataType, LLMClusterInfo, LLMConfig, LLMDataDist, LLMRole, LLMStatusCode, Placement,
    )

    datadist = LLMDataDist(LLMRole.PROMPT, PROMPT_CLUSTER_ID)
    llm_config = LLMConfig()
    llm_config.device_id = 0
    llm_config.local_comm_res = ""
    llm_config.listen_ip_info = f"127.0.0.1:{e['prompt_port']}"
    datadist.init(llm_config.generate_options())
    cache_manager = datadist.cache_manager
    cache_desc = CacheDesc(num_tensors=NUM_TENSORS, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
    cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS, BlocksCacheKey(PROMPT_CLUSTER_ID, 0))
    for t in range(NUM_TENSORS):  # torch.ones(...).npu()
        cache.write_tensor(t, floats(1, FLOATS))
    barrier.wait()  # register end
    barrier.wait()  # decoder unlink
    datadist.switch_role(LLMRole.DECODER)
    barrier.wait()  # prompt switch role end, close listen
    barrier.wait()  # decoder switch role end, listen
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = DECODER_CLUSTER_ID
    cluster.append_local_ip_info("127.0.0.1", e["prompt_port"])
    cluster.append_remote_ip_info("127.0.0.1", e["decoder_port"])
    ret, _ = datadist.link_clusters([cluster], 5000)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("link failed")
    barrier.wait()  # prompt link end
    barrier.wait()  # decoder push blocks end
    tensors = [cache.read_tensor(t) for t in range(NUM_TENSORS)]
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = DECODER_CLUSTER_ID
    ret, _ = datadist.unlink_clusters([cluster], 5000, force=True)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("unlink failed")
    cache_manager.unregister_cache(cache.cache_id)
    datadist.finalize()
    return tensors


def switch_role_decoder(barrier: Any, e: Dict[str, Any]) -> Any:
    from datadist.llm_datadist import (
        BlocksCacheKey, CacheDesc, DataType, LLMClusterInfo, LLMConfig, LLMDataDist, LLMRole, LLMStatusCode, Placement,
    )

    datadist = LLMDataDist(LLMRole.DECODER, DECODER_CLUSTER_ID)
    llm_config = LLMConfig()
    llm_config.device_id = 0
    llm_config.local_comm_res = ""
    datadist.init(llm_config.generate_options())
    cache_manager = datadist.cache_manager
    cache_desc = CacheDesc(num_tensors=NUM_TENSORS, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
    cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS, BlocksCacheKey(DECODER_CLUSTER_ID, 0))
    for t in range(NUM_TENSORS):  # torch.full(..., 0).npu()
        cache.write_tensor(t, floats(0, FLOATS))
    barrier.wait()  # register end
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = PROMPT_CLUSTER_ID
    cluster.append_local_ip_info("127.0.0.1", e["decoder_port"])
    cluster.append_remote_ip_info("127.0.0.1", e["prompt_port"])
    ret, _ = datadist.link_clusters([cluster], 5000)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("link failed")
    cache_manager.pull_blocks(BlocksCacheKey(PROMPT_CLUSTER_ID, 0), cache, src_blocks=[0, 1], dst_blocks=[0, 2])
    after_pull = [cache.read_tensor(t) for t in range(NUM_TENSORS)]
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = PROMPT_CLUSTER_ID
    cluster.append_remote_ip_info("127.0.0.1", e["prompt_port"])
    ret, _ = datadist.unlink_clusters([cluster], 5000)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("unlink failed")
    barrier.wait()  # decoder unlink
    barrier.wait()  # prompt switch role end, close listen
    llm_config = LLMConfig()
    llm_config.listen_ip_info = f"127.0.0.1:{e['decoder_port']}"
    llm_options = llm_config.generate_options()
    datadist.switch_role(LLMRole.PROMPT, llm_options)
    barrier.wait()  # decoder switch role end, listen
    barrier.wait()  # prompt link end
    cache_manager.push_blocks(
        BlocksCacheKey(PROMPT_CLUSTER_ID, 0),
        cache,
        src_blocks=[0, 1, 2],
        dst_blocks=[0, 1, 2],
        src_layer_range=range(0, 2),
        dst_layer_range=range(0, 2),
        tensor_num_per_layer=1,
    )
    barrier.wait()  # decoder push blocks end
    cluster = LLMClusterInfo()
    cluster.remote_cluster_id = PROMPT_CLUSTER_ID
    ret, _ = datadist.unlink_clusters([cluster], 5000, force=True)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("unlink failed")
    cache_manager.unregister_cache(cache.cache_id)
    datadist.finalize()
    return after_pull


def test_switch_role_sample() -> None:
    prompt, decoder = run_sides([switch_role_prompt, switch_role_decoder], env())
    one, zero = floats(1, KV_SHAPE), floats(0, KV_SHAPE)
    # The decoder pulled prompt blocks 0, 1 into its blocks 0, 2; block 1 stayed 0.
    assert decoder == [one + zero + one] * NUM_TENSORS
    # Then pushed all three blocks back to the former prompt.
    assert prompt == [one + zero + one] * NUM_TENSORS


# ---- push_blocks_sample.py and push_cache_sample.py ------------------------------------------------


def _init(role_name: str, cluster_id: int, port: int) -> Any:
    from datadist.llm_datadist import LLMConfig, LLMDataDist, LLMRole

    datadist = LLMDataDist(getattr(LLMRole, role_name), cluster_id)
    llm_config = LLMConfig()
    llm_config.device_id = 0
    llm_config.local_comm_res = ""
    llm_config.listen_ip_info = f"127.0.0.1:{port}"
    datadist.init(llm_config.generate_options())
    return datadist


def push_prompt(kind: str) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import BlocksCacheKey, CacheDesc, DataType, LLMClusterInfo, LLMStatusCode, Placement

        datadist = _init("PROMPT", PROMPT_CLUSTER_ID, e["prompt_port"])
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=NUM_TENSORS, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
        if kind == "blocks":
            cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS, BlocksCacheKey(PROMPT_CLUSTER_ID, 0))
            fill = 1
        else:
            cache = cache_manager.register_cache(cache_desc, FAKE_ADDRS)
            fill = 0
        for t in range(NUM_TENSORS):
            cache.write_tensor(t, floats(fill, FLOATS))
        barrier.wait()  # register end
        barrier.wait()  # decoder push end
        tensors = [cache.read_tensor(t) for t in range(NUM_TENSORS)]
        if kind == "blocks":
            cluster = LLMClusterInfo()
            cluster.remote_cluster_id = DECODER_CLUSTER_ID
            ret, _ = datadist.unlink_clusters([cluster], 5000, force=True)
            if ret != LLMStatusCode.LLM_SUCCESS:
                raise Exception("unlink failed")
        else:
            barrier.wait()  # wait unlink end
        cache_manager.unregister_cache(cache.cache_id)
        datadist.finalize()
        return tensors

    return side


def push_decoder(kind: str) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import (
            BlocksCacheKey, CacheDesc, CacheKeyByIdAndIndex, DataType, LLMClusterInfo, LLMStatusCode, Placement,
        )

        datadist = _init("DECODER", DECODER_CLUSTER_ID, e["decoder_port"])
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=NUM_TENSORS, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
        if kind == "blocks":
            cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS, BlocksCacheKey(DECODER_CLUSTER_ID, 0))
            fill = 0
        else:
            cache = cache_manager.register_cache(cache_desc, FAKE_ADDRS)
            fill = 1
        for t in range(NUM_TENSORS):
            cache.write_tensor(t, floats(fill, FLOATS))
        barrier.wait()  # register end
        cluster = LLMClusterInfo()
        cluster.remote_cluster_id = PROMPT_CLUSTER_ID
        cluster.append_local_ip_info("127.0.0.1", e["decoder_port"])
        cluster.append_remote_ip_info("127.0.0.1", e["prompt_port"])
        ret, _ = datadist.link_clusters([cluster], 5000)
        if ret != LLMStatusCode.LLM_SUCCESS:
            raise Exception("link failed")
        if kind == "blocks":
            cache_manager.push_blocks(BlocksCacheKey(PROMPT_CLUSTER_ID, 0), cache, src_blocks=[0, 1], dst_blocks=[0, 2])
            barrier.wait()  # push_blocks end
            cluster = LLMClusterInfo()
            cluster.remote_cluster_id = PROMPT_CLUSTER_ID
            ret, _ = datadist.unlink_clusters([cluster], 5000, force=True)
        else:
            cache_manager.push_cache(
                CacheKeyByIdAndIndex(cluster_id=PROMPT_CLUSTER_ID, cache_id=1, batch_index=0), cache, src_batch_index=0
            )
            barrier.wait()  # push cache end
            cluster = LLMClusterInfo()
            cluster.remote_cluster_id = PROMPT_CLUSTER_ID
            cluster.append_remote_ip_info("127.0.0.1", e["prompt_port"])
            ret, _ = datadist.unlink_clusters([cluster], 5000)
            barrier.wait()  # unlink end
        if ret != LLMStatusCode.LLM_SUCCESS:
            raise Exception("unlink failed")
        cache_manager.unregister_cache(cache.cache_id)
        datadist.finalize()
        return None

    return side


def test_push_blocks_sample() -> None:
    prompt, _ = run_sides([push_prompt("blocks"), push_decoder("blocks")], env())
    one, zero = floats(1, KV_SHAPE), floats(0, KV_SHAPE)
    assert prompt == [zero + one + zero] * NUM_TENSORS


def test_push_cache_sample() -> None:
    prompt, _ = run_sides([push_prompt("cache"), push_decoder("cache")], env())
    one, zero = floats(1, KV_SHAPE), floats(0, KV_SHAPE)
    assert prompt == [one + zero + zero] * NUM_TENSORS


# ---- pull_blocks_xpyd_sample.py (2 prompts, 1 decoder) ---------------------------------------------


def ip_port_to_int(ip_port: str) -> int:
    ip, port = ip_port.split(":")
    a, b, c, d = (int(x) for x in ip.split("."))
    return (((a << 24) | (b << 16) | (c << 8) | d) << 16) | int(port)


def xpyd_prompt(index: int) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import BlocksCacheKey, CacheDesc, DataType, LLMConfig, LLMDataDist, LLMRole, Placement

        local = e["prompts"][index]
        datadist = LLMDataDist(LLMRole.PROMPT, ip_port_to_int(local))
        llm_config = LLMConfig()
        llm_config.device_id = 0
        llm_config.local_comm_res = ""
        llm_config.listen_ip_info = local
        datadist.init(llm_config.generate_options())
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=1, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
        cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS[:1], BlocksCacheKey(ip_port_to_int(local), 0))
        cache.write_tensor(0, floats(index + 1, FLOATS))  # torch.full(..., value).npu()
        barrier.wait()  # registered (the sample sleeps 5 s on the decoder)
        barrier.wait()  # decoder done (the sample sleeps 30 s here)
        cache_manager.unregister_cache(cache.cache_id)
        datadist.finalize()
        return None

    return side


def xpyd_decoder(barrier: Any, e: Dict[str, Any]) -> Any:
    from datadist.llm_datadist import (
        BlocksCacheKey, CacheDesc, DataType, LLMClusterInfo, LLMConfig, LLMDataDist, LLMRole, LLMStatusCode, Placement,
    )

    local = e["decoder"]
    datadist = LLMDataDist(LLMRole.DECODER, ip_port_to_int(local))
    llm_config = LLMConfig()
    llm_config.device_id = 0
    llm_config.local_comm_res = ""
    datadist.init(llm_config.generate_options())
    cache_manager = datadist.cache_manager
    cache_desc = CacheDesc(num_tensors=1, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
    cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS[:1], BlocksCacheKey(ip_port_to_int(local), 0))
    cache.write_tensor(0, floats(0, FLOATS))
    barrier.wait()  # register end
    cluster_list = []
    for remote in e["prompts"]:
        cluster = LLMClusterInfo()
        cluster.remote_cluster_id = ip_port_to_int(remote)
        cluster.append_local_ip_info(local.split(":")[0], 0)
        cluster.append_remote_ip_info(remote.split(":")[0], int(remote.split(":")[1]))
        cluster_list.append(cluster)
    ret, _ = datadist.link_clusters(cluster_list, 5000)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("link failed")
    seen = []
    for remote in e["prompts"]:
        cache_manager.pull_blocks(BlocksCacheKey(ip_port_to_int(remote), 0), cache, src_blocks=[0, 1], dst_blocks=[0, 2])
        seen.append(cache.read_tensor(0))  # tensor.cpu()
    ret, _ = datadist.unlink_clusters(cluster_list, 5000)
    if ret != LLMStatusCode.LLM_SUCCESS:
        raise Exception("unlink failed")
    cache_manager.unregister_cache(cache.cache_id)
    datadist.finalize()
    barrier.wait()
    return seen


def test_pull_blocks_xpyd_sample() -> None:
    e = {"prompts": [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"], "decoder": f"127.0.0.1:{free_port()}"}
    _, _, seen = run_sides([xpyd_prompt(0), xpyd_prompt(1), xpyd_decoder], e)
    zero = floats(0, KV_SHAPE)
    assert seen == [floats(v, KV_SHAPE) + zero + floats(v, KV_SHAPE) for v in (1, 2)]


# ---- hixl_transfer_backend_sample.py ---------------------------------------------------------------


def hixl_side(role_name: str) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import (
            BlocksCacheKey, CacheDesc, DataType, LLMClusterInfo, LLMConfig, LLMDataDist, LLMRole, LLMStatusCode, Placement,
        )

        is_prompt = role_name == "PROMPT"
        me, peer = (PROMPT_CLUSTER_ID, DECODER_CLUSTER_ID) if is_prompt else (DECODER_CLUSTER_ID, PROMPT_CLUSTER_ID)
        my_port, peer_port = (e["prompt_port"], e["decoder_port"]) if is_prompt else (e["decoder_port"], e["prompt_port"])
        datadist = LLMDataDist(getattr(LLMRole, role_name), me)
        llm_config = LLMConfig()
        llm_config.device_id = 0
        llm_config.local_comm_res = ""
        llm_config.transfer_backend = "hixl"
        llm_config.listen_ip_info = f"127.0.0.1:{my_port}"
        datadist.init(llm_config.generate_options())
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=NUM_TENSORS, shape=[BLOCKS_NUM, KV_SHAPE], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
        cache = cache_manager.register_blocks_cache(cache_desc, FAKE_ADDRS, BlocksCacheKey(me, 0))
        for t in range(NUM_TENSORS):  # prompt: torch.ones, decoder: torch.full(0)
            cache.write_tensor(t, floats(1 if is_prompt else 0, FLOATS))
        barrier.wait()  # register end
        cluster = LLMClusterInfo()
        cluster.remote_cluster_id = peer
        cluster.append_local_ip_info("127.0.0.1", my_port)
        cluster.append_remote_ip_info("127.0.0.1", peer_port)
        ret, _ = datadist.link_clusters([cluster], 5000)
        if ret != LLMStatusCode.LLM_SUCCESS:
            raise Exception(f"link failed {_} {datadist.client.list_links()}")
        if is_prompt:
            cache_manager.pull_blocks(BlocksCacheKey(DECODER_CLUSTER_ID, 0), cache, src_blocks=[2], dst_blocks=[2])
        else:
            cache_manager.push_blocks(BlocksCacheKey(PROMPT_CLUSTER_ID, 0), cache, src_blocks=[0, 1], dst_blocks=[0, 1])
        barrier.wait()  # transfers end
        cluster = LLMClusterInfo()
        cluster.remote_cluster_id = peer
        ret, _ = datadist.unlink_clusters([cluster], 5000)
        if ret != LLMStatusCode.LLM_SUCCESS:
            raise Exception("unlink failed")
        barrier.wait()
        tensors = [cache.read_tensor(t) for t in range(NUM_TENSORS)]
        cache_manager.unregister_cache(cache.cache_id)
        datadist.finalize()
        return tensors

    return side


def test_hixl_transfer_backend_sample() -> None:
    prompt, _ = run_sides([hixl_side("PROMPT"), hixl_side("DECODER")], env())
    # The sample's own check: the prompt's tensors are all zeros (block 2 pulled, blocks 0 and 1 pushed).
    assert prompt == [floats(0, FLOATS)] * NUM_TENSORS


# ---- pull_cache_sample.py: a two-sided comm (link / query_register_mem_status / unlink) -------------

PULL_NUM_TENSORS = 4
PULL_SHAPE = [2, 16 * 1024]
MEM_POOL_SIZE = 64 * 1024 * 1024


def slot_bytes(tensor: int, slot: int) -> bytes:
    return bytes([(tensor * 16 + slot * 3 + i) % 251 for i in range(PULL_SHAPE[1] * 2)])


def pull_cache_side(cluster_id: int) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        import time

        from datadist.llm_datadist import CacheDesc, CacheKey, DataType, LLMConfig, LLMDataDist, LLMRole, Placement, RegisterMemStatus

        role = LLMRole.PROMPT if cluster_id == 1 else LLMRole.DECODER
        datadist = LLMDataDist(role, cluster_id)
        llm_config = LLMConfig()
        llm_config.device_id = 0
        llm_config.enable_cache_manager = True
        llm_config.mem_pool_cfg = f'{{"memory_size": {MEM_POOL_SIZE}}}'
        datadist.init(llm_config.generate_options())
        comm_id = datadist.link("link", {1: 0, 2: 1}, "{}")  # the rank table names NPU device IPs
        while True:
            ret = datadist.query_register_mem_status(comm_id)
            if ret == RegisterMemStatus.OK:
                break
            if ret == RegisterMemStatus.FAILED:
                raise RuntimeError("link failed")
            time.sleep(0.1)
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=PULL_NUM_TENSORS, shape=PULL_SHAPE, data_type=DataType.DT_FLOAT16, placement=Placement.DEVICE)
        cache_key_0 = CacheKey(prompt_cluster_id=1, req_id=0, model_id=0)
        cache_key_1 = CacheKey(prompt_cluster_id=1, req_id=1, model_id=0)
        if role == LLMRole.DECODER:
            cache = cache_manager.allocate_cache(cache_desc)
            barrier.wait()  # cache ready
            cache_manager.pull_cache(cache_key_0, cache, batch_index=0)
            cache_manager.pull_cache(cache_key_1, cache, batch_index=1)
            got = [cache.read_tensor(t) for t in range(PULL_NUM_TENSORS)]
            barrier.wait()  # pull_cache end
            datadist.unlink(comm_id)
            barrier.wait()  # wait peer unlink end
            cache_manager.deallocate_cache(cache)
            datadist.finalize()
            return got
        cache = cache_manager.allocate_cache(cache_desc, [cache_key_0, cache_key_1])
        for t in range(PULL_NUM_TENSORS):  # the prefill's KV, written where the NPU would
            cache.write_tensor(t, slot_bytes(t, 0) + slot_bytes(t, 1))
        barrier.wait()  # cache ready
        barrier.wait()  # decoder pull_cache end
        datadist.unlink(comm_id)
        barrier.wait()  # wait peer unlink end
        cache_manager.remove_cache_key(cache_key_0)
        cache_manager.remove_cache_key(cache_key_1)
        cache_manager.deallocate_cache(cache)
        datadist.finalize()
        return None

    return side


def test_pull_cache_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADIST_PEERS", f"1=127.0.0.1:{free_port()}")
    _, got = run_sides([pull_cache_side(1), pull_cache_side(2)], {})
    assert got == [slot_bytes(t, 0) + slot_bytes(t, 1) for t in range(PULL_NUM_TENSORS)]


# ---- pull_from_cache_to_blocks.py and pull_blocks_sample.py (two-sided comms too) -------------------


def two_sided_link(datadist: Any) -> int:
    import time

    from datadist.llm_datadist import RegisterMemStatus

    comm_id = datadist.link("link", {1: 0, 2: 1}, "{}")
    while True:
        ret = datadist.query_register_mem_status(comm_id)
        if ret == RegisterMemStatus.OK:
            return int(comm_id)
        if ret == RegisterMemStatus.FAILED:
            raise RuntimeError("link failed")
        time.sleep(0.1)


def cm_init(cluster_id: int) -> Any:
    from datadist.llm_datadist import LLMConfig, LLMDataDist, LLMRole

    datadist = LLMDataDist(LLMRole.PROMPT if cluster_id == 1 else LLMRole.DECODER, cluster_id)
    llm_config = LLMConfig()
    llm_config.device_id = 0
    llm_config.enable_cache_manager = True
    llm_config.mem_pool_cfg = f'{{"memory_size": {MEM_POOL_SIZE}}}'
    datadist.init(llm_config.generate_options())
    return datadist


def cache_to_blocks_side(cluster_id: int) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import CacheDesc, CacheKey, DataType, Placement

        datadist = cm_init(cluster_id)
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=PULL_NUM_TENSORS, shape=PULL_SHAPE, data_type=DataType.DT_FLOAT16, placement=Placement.DEVICE)
        cache_key = CacheKey(prompt_cluster_id=1, req_id=0, model_id=0)
        if cluster_id == 2:
            cache = cache_manager.register_blocks_cache(cache_desc, [0x1000 + t for t in range(PULL_NUM_TENSORS)])
            for t in range(PULL_NUM_TENSORS):  # torch.ones(..., float16)
                cache.write_tensor(t, b"\x00\x3c" * (PULL_SHAPE[0] * PULL_SHAPE[1]))
            comm_id = two_sided_link(datadist)
            barrier.wait()  # cache ready
            cache_manager.pull_blocks(cache_key, cache, src_blocks=[], dst_blocks=[0])
            got = [cache.read_tensor(t) for t in range(PULL_NUM_TENSORS)]
            barrier.wait()  # pull_blocks end
            datadist.unlink(comm_id)
            barrier.wait()  # wait peer unlink end
            datadist.finalize()
            return got
        comm_id = two_sided_link(datadist)
        cache = cache_manager.allocate_cache(cache_desc, [cache_key])
        for t in range(PULL_NUM_TENSORS):
            cache.write_tensor(t, slot_bytes(t, 0) + slot_bytes(t, 1))
        barrier.wait()  # cache ready
        barrier.wait()  # decoder pull_blocks end
        datadist.unlink(comm_id)
        barrier.wait()  # wait peer unlink end
        cache_manager.remove_cache_key(cache_key)
        cache_manager.deallocate_cache(cache)
        datadist.finalize()
        return None

    return side


def test_pull_from_cache_to_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADIST_PEERS", f"1=127.0.0.1:{free_port()}")
    _, got = run_sides([cache_to_blocks_side(1), cache_to_blocks_side(2)], {})
    ones = b"\x00\x3c" * PULL_SHAPE[1]
    # Slot 0 of the source (one block's worth) lands in block 0; block 1 keeps its ones.
    assert got == [slot_bytes(t, 0) + ones for t in range(PULL_NUM_TENSORS)]


def pull_blocks_side(cluster_id: int) -> Any:
    def side(barrier: Any, e: Dict[str, Any]) -> Any:
        from datadist.llm_datadist import BlocksCacheKey, Cache, CacheDesc, DataType, Placement

        datadist = cm_init(cluster_id)
        cache_manager = datadist.cache_manager
        cache_desc = CacheDesc(num_tensors=1, shape=[2, 1024 * 1024], data_type=DataType.DT_FLOAT, placement=Placement.DEVICE)
        if cluster_id == 2:
            cache = cache_manager.register_blocks_cache(cache_desc, [0x1000])
            cache.write_tensor(0, floats(1, 2 * 1024 * 1024))  # torch.ones
            comm_id = two_sided_link(datadist)
            barrier.wait()  # cache ready
            cache_manager.pull_blocks(BlocksCacheKey(1, 0), cache, src_blocks=[0, 1], dst_blocks=[0, 1])
            # _allocate_cpu_cache: a CPU cache (torch CPU tensors in the sample)
            cpu_desc = CacheDesc(num_tensors=1, shape=[2, 1024 * 1024], data_type=DataType.DT_FLOAT, placement=Placement.HOST)
            cpu_cache = Cache.create_cpu_cache(cpu_desc, [0x2000])
            cache_manager.swap_blocks(cache, cpu_cache, {0: 0, 1: 1})
            cache.write_tensor(0, floats(0, 2 * 1024 * 1024))  # (not in the sample) prove the swap-in below
            cache_manager.swap_blocks(cpu_cache, cache, {0: 0, 1: 1})
            got = cache.read_tensor(0)
            barrier.wait()  # pull_blocks end
            datadist.unlink(comm_id)
            barrier.wait()  # wait peer unlink end
            datadist.finalize()
            return got
        cache = cache_manager.register_blocks_cache(cache_desc, [0x1000], BlocksCacheKey(1, 0))
        cache.write_tensor(0, floats(2, 2 * 1024 * 1024))  # the sample's torch.ones; 2 tells the bytes apart
        comm_id = two_sided_link(datadist)
        barrier.wait()  # cache ready
        barrier.wait()  # decoder pull_blocks end
        datadist.unlink(comm_id)
        barrier.wait()  # wait peer unlink end
        datadist.finalize()
        return None

    return side


def test_pull_blocks_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATADIST_PEERS", f"1=127.0.0.1:{free_port()}")
    _, got = run_sides([pull_blocks_side(1), pull_blocks_side(2)], {})
    assert got == floats(2, 2 * 1024 * 1024)
