"""``CacheManager`` (CacheManager mode, ``v2/cache_manager.py``) over a node's ``/v1/cache`` routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

from ..client import Client
from .checks import UINT64_MAX, check_int64, check_isinstance, check_uint32, check_uint64
from .llm_types import BlocksCacheKey, Cache, CacheDesc, CacheKey, CacheKeyByIdAndIndex
from .llm_datadist import call
from .status import LLMException, LLMStatusCode, raise_if_false

if TYPE_CHECKING:
    from .llm_datadist import LLMDataDist

AnyKey = Union[CacheKey, CacheKeyByIdAndIndex, BlocksCacheKey]


def _layer_range(name: str, value: Any) -> Optional[range]:
    """A pull's layer range: a ``range`` (TypeError otherwise), step 1 and start ≥ 0; empty means all layers."""
    if value is None:
        return None
    check_isinstance(name, value, range)
    raise_if_false(value.step == 1, f"{name} step must be 1")
    raise_if_false(value.start >= 0, f"{name} start must be >= 0")
    return value if len(value) > 0 else None


def _check_cache_key(key: CacheKey) -> None:
    req_valid = key.req_id < UINT64_MAX
    prefix_valid = key.prefix_id < UINT64_MAX
    raise_if_false(req_valid or prefix_valid, "one of req id and prefix id should contain valid value")
    raise_if_false(not (req_valid and prefix_valid), "only one of req id and prefix id should contain valid value")


def _tensor_num_per_layer(kwargs: Dict[str, Any], default: int = 2) -> int:
    n = kwargs.get("tensor_num_per_layer", default)
    check_uint32("tensor_num_per_layer", n)
    raise_if_false(n > 0, "tensor_num_per_layer must be > 0")
    return int(n)


def _wire(r: Optional[range]) -> Optional[List[int]]:
    return None if r is None else [r.start, r.stop]


class CacheManager:
    def __init__(self, owner: "LLMDataDist") -> None:
        self._owner = owner
        self._initialized = True
        self._registered: Dict[int, bool] = {}

    @property
    def _client(self) -> Client:
        return self._owner._check_is_inited()

    # MARK: allocation

    def _check_pool(self, desc: CacheDesc) -> None:
        raise_if_false(
            self._owner._pools.get(desc.placement.name, False),
            f"you should config memory pool firstly (placement {desc.placement.name})",
        )

    def _make(self, desc: CacheDesc, answer: Dict[str, Any], blocks: bool, addrs: Sequence[int] = (), registered: bool = False) -> Cache:
        cache = Cache(int(answer["cache_id"]), desc, addrs, blocks, self, registered)
        if registered:
            self._registered[cache.cache_id] = True
        return cache

    def allocate_cache(self, cache_desc: CacheDesc, cache_keys: Sequence[CacheKey] = ()) -> Cache:
        check_isinstance("cache_desc", cache_desc, CacheDesc)
        check_isinstance("cache_keys", cache_keys, (list, tuple))
        for k in cache_keys:
            check_isinstance("cache_key", k, CacheKey)
        raise_if_false(cache_desc.num_tensors > 0, "num_tensors must be > 0")
        self._check_pool(cache_desc)
        keys = [k.to_wire() for k in cache_keys]
        answer = call(lambda: self._client.allocate_cache(cache_desc.to_wire(), cache_keys=keys))
        return self._make(cache_desc, answer, False)

    def allocate_blocks_cache(self, cache_desc: CacheDesc, blocks_cache_key: Optional[BlocksCacheKey] = None) -> Cache:
        check_isinstance("cache_desc", cache_desc, CacheDesc)
        if blocks_cache_key is not None:
            check_isinstance("blocks_cache_key", blocks_cache_key, BlocksCacheKey)
        raise_if_false(cache_desc.num_tensors > 0, "num_tensors must be > 0")
        self._check_pool(cache_desc)
        key = blocks_cache_key.to_wire() if blocks_cache_key is not None else None
        answer = call(lambda: self._client.allocate_cache(cache_desc.to_wire(), blocks=True, blocks_cache_key=key))
        return self._make(cache_desc, answer, True)

    def deallocate_cache(self, cache: Cache) -> None:
        check_isinstance("cache", cache, Cache)
        raise_if_false(not cache.is_blocks_cache, "deallocate_cache does not take a blocks cache")
        if self._registered.get(cache.cache_id):
            return  # The library: a registered cache is left alone (unregister_cache removes it).
        call(lambda: self._client.deallocate_cache(cache.cache_id))

    def deallocate_blocks_cache(self, cache: Cache) -> None:
        check_isinstance("cache", cache, Cache)
        raise_if_false(cache.is_blocks_cache, "deallocate_blocks_cache takes a blocks cache")
        if self._registered.get(cache.cache_id):
            return
        call(lambda: self._client.deallocate_cache(cache.cache_id))

    def remove_cache_key(self, cache_key: CacheKey) -> None:
        check_isinstance("cache_key", cache_key, CacheKey)
        if cache_key.prefix_id < UINT64_MAX:
            call(lambda: self._client.remove_cache_key(prefix_id=cache_key.prefix_id, model_id=cache_key.model_id))
        else:
            call(lambda: self._client.remove_cache_key(req_id=cache_key.req_id, model_id=cache_key.model_id))

    # MARK: registered memory — node memory stands in for the engine's tensors (no NPU here)

    @staticmethod
    def _check_addrs(addrs: Any, desc: CacheDesc, exact: bool) -> None:
        check_isinstance("addrs", addrs, list)
        for a in addrs:
            check_isinstance("addr", a, int)
        raise_if_false(len(addrs) > 0, "addrs must not be empty")
        if exact:
            raise_if_false(len(addrs) == desc.num_tensors, "len(addrs) must equal num_tensors")
            raise_if_false(all(a != 0 for a in addrs), "addrs must not contain 0")

    def register_cache(
        self,
        cache_desc: CacheDesc,
        addrs: List[int],
        cache_keys: Sequence[CacheKey] = (),
        remote_accessible: Optional[bool] = None,
    ) -> Cache:
        check_isinstance("cache_desc", cache_desc, CacheDesc)
        self._check_addrs(addrs, cache_desc, True)
        if remote_accessible is not None:
            check_isinstance("remote_accessible", remote_accessible, bool)
        for k in cache_keys:
            check_isinstance("cache_key", k, CacheKey)
        keys = [k.to_wire() for k in cache_keys]
        answer = call(lambda: self._client.allocate_cache(cache_desc.to_wire(), cache_keys=keys))
        return self._make(cache_desc, answer, False, addrs, registered=True)

    def register_blocks_cache(
        self,
        cache_desc: CacheDesc,
        addrs: List[int],
        blocks_cache_key: Optional[BlocksCacheKey] = None,
        remote_accessible: Optional[bool] = None,
    ) -> Cache:
        check_isinstance("cache_desc", cache_desc, CacheDesc)
        self._check_addrs(addrs, cache_desc, False)
        raise_if_false(len(addrs) == cache_desc.num_tensors, "len(addrs) must equal num_tensors")
        if remote_accessible is not None:
            check_isinstance("remote_accessible", remote_accessible, bool)
        if blocks_cache_key is not None:
            check_isinstance("blocks_cache_key", blocks_cache_key, BlocksCacheKey)
        key = blocks_cache_key.to_wire() if blocks_cache_key is not None else None
        answer = call(lambda: self._client.allocate_cache(cache_desc.to_wire(), blocks=True, blocks_cache_key=key))
        return self._make(cache_desc, answer, True, addrs, registered=True)

    def unregister_cache(self, cache_id: int) -> None:
        """Removes the cache and every key bound to it; an unknown id is a success."""
        check_int64("cache_id", cache_id)
        client = self._client
        try:
            info = client.get_cache(cache_id)
        except Exception:
            info = None
        if info is not None:
            for k in info.get("cache_keys", []) or []:
                if k.get("prefix_id", UINT64_MAX) < UINT64_MAX:
                    call(lambda: client.remove_cache_key(prefix_id=k["prefix_id"], model_id=k.get("model_id", 0)))
                else:
                    call(lambda: client.remove_cache_key(req_id=k["req_id"], model_id=k.get("model_id", 0)))
            call(lambda: client.deallocate_cache(cache_id))
        self._registered.pop(cache_id, None)

    # MARK: transfers

    def pull_cache(self, cache_key: Union[CacheKey, CacheKeyByIdAndIndex], cache: Cache, batch_index: int = 0, size: int = -1, **kwargs: Any) -> None:
        if self._owner._remote_cache_accessible:
            check_isinstance("cache_key", cache_key, CacheKeyByIdAndIndex)
        else:
            check_isinstance("cache_key", cache_key, (CacheKey, CacheKeyByIdAndIndex))
        check_isinstance("cache", cache, Cache)
        check_uint32("batch_index", batch_index)
        check_int64("size", size)
        raise_if_false(not cache.is_blocks_cache, "pull_cache does not take a blocks cache; use pull_blocks")
        raise_if_false(size == -1 or size > 0, f"size must be -1 or > 0, got {size}")
        n = _tensor_num_per_layer(kwargs)
        if isinstance(cache_key, CacheKey):
            _check_cache_key(cache_key)
        src = _layer_range("src_layer_range", kwargs.get("src_layer_range"))
        dst = _layer_range("dst_layer_range", kwargs.get("dst_layer_range"))
        fields: Dict[str, Any] = {
            "batch_index": batch_index,
            "size": size,
            "src_layer_range": _wire(src),
            "dst_layer_range": _wire(dst),
            "tensor_num_per_layer": n,
        }
        if isinstance(cache_key, CacheKey):
            fields["cache_key"] = cache_key.to_wire()
        else:
            fields["cache_key_by_id"] = cache_key.to_wire()
        call(lambda: self._client.pull_cache(cache.cache_id, **fields))

    def pull_blocks(
        self, src_cache_key: AnyKey, dst_cache: Cache, src_blocks: Sequence[int] = (), dst_blocks: Sequence[int] = (), **kwargs: Any
    ) -> None:
        check_isinstance("src_cache_key", src_cache_key, (CacheKey, CacheKeyByIdAndIndex, BlocksCacheKey))
        check_isinstance("dst_cache", dst_cache, Cache)
        check_isinstance("src_blocks", src_blocks, (list, tuple))
        check_isinstance("dst_blocks", dst_blocks, (list, tuple))
        for b in list(src_blocks) + list(dst_blocks):
            check_uint64("block index", b)
        raise_if_false(dst_cache.is_blocks_cache, "pull_blocks needs a blocks cache as destination")
        raise_if_false(len(dst_blocks) > 0, "dst_blocks must not be empty")
        if isinstance(src_cache_key, BlocksCacheKey):
            raise_if_false(len(src_blocks) > 0, "src_blocks must not be empty with a BlocksCacheKey")
        else:
            raise_if_false(len(src_blocks) == 0, "src_blocks must be empty when pulling from a cache")
        if isinstance(src_cache_key, CacheKey):
            _check_cache_key(src_cache_key)
        n = _tensor_num_per_layer(kwargs)
        src = _layer_range("src_layer_range", kwargs.get("src_layer_range"))
        dst = _layer_range("dst_layer_range", kwargs.get("dst_layer_range"))
        fields: Dict[str, Any] = {
            "dst_blocks": list(dst_blocks),
            "src_blocks": list(src_blocks),
            "src_layer_range": _wire(src),
            "dst_layer_range": _wire(dst),
            "tensor_num_per_layer": n,
        }
        if isinstance(src_cache_key, BlocksCacheKey):
            fields["src_blocks_cache_key"] = src_cache_key.to_wire()
        elif isinstance(src_cache_key, CacheKey):
            fields["src_cache_key"] = src_cache_key.to_wire()
        else:
            fields["src_cache_key_by_id"] = src_cache_key.to_wire()
        call(lambda: self._client.pull_blocks(dst_cache.cache_id, **fields))

    def _push_ranges(self, src_cache: Cache, n: int, src_layer_range: Any, dst_layer_range: Any) -> Dict[str, Any]:
        raise_if_false(
            self._owner._remote_cache_accessible,
            "push is only supported while enable_remote_cache_accessible is True",
        )
        layers = src_cache.cache_desc.num_tensors // n
        ranges = []
        for name, r in (("src_layer_range", src_layer_range), ("dst_layer_range", dst_layer_range)):
            if r is None:
                r = range(0, layers)
            check_isinstance(name, r, range)
            raise_if_false(r.step == 1 and 0 <= r.start < r.stop, f"{name} must be a range with 0 <= start < stop")
            ranges.append(r)
        raise_if_false(len(ranges[0]) == len(ranges[1]), "src_layer_range and dst_layer_range differ in length")
        return {"src_layer_range": _wire(ranges[0]), "dst_layer_range": _wire(ranges[1]), "tensor_num_per_layer": n}

    def push_cache(
        self,
        dst_cache_key: CacheKeyByIdAndIndex,
        src_cache: Cache,
        src_batch_index: int = 0,
        src_layer_range: Optional[range] = None,
        dst_layer_range: Optional[range] = None,
        size: int = -1,
        tensor_num_per_layer: int = 2,
    ) -> None:
        check_isinstance("dst_cache_key", dst_cache_key, CacheKeyByIdAndIndex)
        check_isinstance("src_cache", src_cache, Cache)
        check_uint32("src_batch_index", src_batch_index)
        raise_if_false(not src_cache.is_blocks_cache, "push_cache does not take a blocks cache")
        n = _tensor_num_per_layer({"tensor_num_per_layer": tensor_num_per_layer})
        fields = self._push_ranges(src_cache, n, src_layer_range, dst_layer_range)
        raise_if_false(size == -1, "push_cache supports only size -1")
        fields.update({"dst_cache_key_by_id": dst_cache_key.to_wire(), "src_batch_index": src_batch_index})
        call(lambda: self._client.push_cache(src_cache.cache_id, **fields))

    def push_blocks(
        self,
        dst_cache_key: BlocksCacheKey,
        src_cache: Cache,
        src_blocks: Sequence[int] = (),
        dst_blocks: Sequence[int] = (),
        src_layer_range: Optional[range] = None,
        dst_layer_range: Optional[range] = None,
        tensor_num_per_layer: int = 2,
    ) -> None:
        check_isinstance("dst_cache_key", dst_cache_key, BlocksCacheKey)
        check_isinstance("src_cache", src_cache, Cache)
        raise_if_false(src_cache.is_blocks_cache, "push_blocks needs a blocks cache as source")
        raise_if_false(len(dst_blocks) > 0, "dst_blocks must not be empty")
        n = _tensor_num_per_layer({"tensor_num_per_layer": tensor_num_per_layer})
        fields = self._push_ranges(src_cache, n, src_layer_range, dst_layer_range)
        fields.update(
            {"dst_blocks_cache_key": dst_cache_key.to_wire(), "src_blocks": list(src_blocks), "dst_blocks": list(dst_blocks)}
        )
        call(lambda: self._client.push_blocks(src_cache.cache_id, **fields))

    def transfer_cache_async(self, *args: Any, **kwargs: Any) -> Any:
        raise LLMException(
            "transfer_cache_async (LayerSynchronizer) is not provided by the datadist facade; "
            "use datadist.Client.submit_transfer",
            status_code=LLMStatusCode.LLM_FEATURE_NOT_ENABLED,
        )

    # MARK: local copies

    def copy_cache(
        self,
        dst: Cache,
        src: Cache,
        dst_batch_index: int = 0,
        src_batch_index: int = 0,
        offset: int = 0,
        size: int = -1,
        req_id: Optional[int] = None,
    ) -> None:
        check_isinstance("dst", dst, Cache)
        check_isinstance("src", src, Cache)
        raise_if_false(not dst.is_blocks_cache and not src.is_blocks_cache, "copy_cache does not take blocks caches")
        check_uint32("dst_batch_index", dst_batch_index)
        check_uint32("src_batch_index", src_batch_index)
        check_uint64("offset", offset)
        check_int64("size", size)
        raise_if_false(size == -1 or size > 0, "size must be -1 or > 0")
        if req_id is not None:
            check_uint64("req_id", req_id)
        call(lambda: self._client.copy_cache(dst.cache_id, src.cache_id, dst_batch_index, src_batch_index, offset, size))

    def copy_blocks(self, cache: Cache, copy_block_info: Dict[int, List[int]]) -> None:
        check_isinstance("cache", cache, Cache)
        check_isinstance("copy_block_info", copy_block_info, dict)
        raise_if_false(cache.is_blocks_cache, "copy_blocks needs a blocks cache")
        call(lambda: self._client.copy_blocks(cache.cache_id, copy_block_info))

    def swap_blocks(self, src_cache: Cache, dst_cache: Cache, src_to_dst: Dict[int, int]) -> None:
        check_isinstance("src_cache", src_cache, Cache)
        check_isinstance("dst_cache", dst_cache, Cache)
        check_isinstance("src_to_dst", src_to_dst, dict)
        raise_if_false(src_cache.is_blocks_cache and dst_cache.is_blocks_cache, "swap_blocks needs blocks caches")
        for cache in (src_cache, dst_cache):
            self._materialize(cache)
        call(lambda: self._client.swap_blocks(src_cache.cache_id, dst_cache.cache_id, src_to_dst))

    def _materialize(self, cache: Cache) -> None:
        """A ``Cache.create_cpu_cache`` (host memory of this process, id -1) lives in the node's HOST pool here:
        the node can only swap between its own caches. Allocated on first use."""
        if cache.cache_id != -1:
            return
        answer = call(lambda: self._client.allocate_cache(cache.cache_desc.to_wire(), blocks=True))
        cache.cache_id = int(answer["cache_id"])
        cache._manager = self
        self._registered[cache.cache_id] = True
