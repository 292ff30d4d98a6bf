"""``CacheDesc``, ``CacheKey``, ``CacheKeyByIdAndIndex``, ``BlocksCacheKey`` and ``Cache`` (``v2/llm_types.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

from .checks import UINT64_MAX, check_int32, check_int64, check_isinstance, check_uint32, check_uint64
from .configs import DataType, Placement
from .status import LLMException, LLMStatusCode, raise_if_false

if TYPE_CHECKING:
    from .cache_manager import CacheManager


class CacheDesc:
    def __init__(
        self,
        num_tensors: int,
        shape: Union[List[int], Tuple[int, ...]],
        data_type: DataType,
        placement: Placement = Placement.DEVICE,
        batch_dim_index: int = 0,
        seq_len_dim_index: int = -1,
        kv_tensor_format: Optional[str] = None,
    ) -> None:
        self.num_tensors = check_uint32("num_tensors", num_tensors)
        check_isinstance("shape", shape, (list, tuple))
        for dim in shape:
            check_int64("shape", dim)
        self.shape = list(shape)
        check_isinstance("data_type", data_type, DataType)
        self.data_type = data_type
        check_isinstance("placement", placement, Placement)
        self.placement = placement
        check_isinstance("batch_dim_index", batch_dim_index, int)
        raise_if_false(0 <= batch_dim_index < len(self.shape), f"batch_dim_index {batch_dim_index} is out of range")
        self.batch_dim_index = batch_dim_index
        check_int32("seq_len_dim_index", seq_len_dim_index)
        raise_if_false(
            seq_len_dim_index == -1 or 0 <= seq_len_dim_index < len(self.shape),
            f"seq_len_dim_index {seq_len_dim_index} is out of range",
        )
        self.seq_len_dim_index = seq_len_dim_index
        if kv_tensor_format is not None:
            check_isinstance("kv_tensor_format", kv_tensor_format, str)
        self.kv_tensor_format = kv_tensor_format

    def to_wire(self) -> Dict[str, Any]:
        return {
            "num_tensors": self.num_tensors,
            "shape": self.shape,
            "data_type": self.data_type.name,
            "placement": self.placement.name,
            "seq_len_dim_index": self.seq_len_dim_index,
        }

    def __repr__(self) -> str:
        return f"CacheDesc(num_tensors={self.num_tensors}, shape={self.shape}, data_type={self.data_type}, placement={self.placement})"


class CacheKey:
    """``CacheKey(cluster_id, req_id, model_id=0, prefix_id=2**64-1)``; keywords ``cluster_id`` or
    ``prompt_cluster_id``, ``req_id``, ``model_id``, ``prefix_id``."""

    _ORDER = ("cluster_id", "req_id", "model_id", "prefix_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise_if_false(len(args) + len(kwargs) <= 4, "CacheKey takes at most 4 parameters")
        values: Dict[str, Any] = {}
        for name, value in zip(self._ORDER, args):
            values[name] = value
        for name, value in kwargs.items():
            key = "cluster_id" if name == "prompt_cluster_id" else name
            raise_if_false(key in self._ORDER, f"unknown CacheKey parameter {name!r}")
            raise_if_false(key not in values, f"CacheKey parameter {name!r} given twice")
            values[key] = value
        raise_if_false("cluster_id" in values, "CacheKey needs cluster_id (or prompt_cluster_id)")
        raise_if_false("req_id" in values, "CacheKey needs req_id")
        self.cluster_id = check_uint64("cluster_id", values["cluster_id"])
        self.req_id = check_uint64("req_id", values["req_id"])
        self.model_id = check_uint64("model_id", values.get("model_id", 0))
        self.prefix_id = check_uint64("prefix_id", values.get("prefix_id", UINT64_MAX))

    @property
    def prompt_cluster_id(self) -> int:
        return self.cluster_id

    def to_wire(self) -> Dict[str, Any]:
        return {
            "prompt_cluster_id": self.cluster_id,
            "req_id": self.req_id,
            "model_id": self.model_id,
            "prefix_id": self.prefix_id,
        }

    def __repr__(self) -> str:
        return f"CacheKey(cluster_id={self.cluster_id}, req_id={self.req_id}, model_id={self.model_id}, prefix_id={self.prefix_id})"


class CacheKeyByIdAndIndex:
    def __init__(self, cluster_id: int, cache_id: int, batch_index: int = 0) -> None:
        self.cluster_id = check_uint64("cluster_id", cluster_id)
        self.cache_id = check_int64("cache_id", cache_id)
        self.batch_index = check_uint32("batch_index", batch_index)

    def to_wire(self) -> Dict[str, Any]:
        return {"cluster_id": self.cluster_id, "cache_id": self.cache_id, "batch_index": self.batch_index}


class BlocksCacheKey:
    """``BlocksCacheKey(cluster_id, model_id=0)``; only ``int`` type checks (no range check), as the library."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise_if_false(len(args) + len(kwargs) <= 2, "BlocksCacheKey takes at most 2 parameters")
        values: Dict[str, Any] = dict(zip(("cluster_id", "model_id"), args))
        for name, value in kwargs.items():
            key = "cluster_id" if name == "prompt_cluster_id" else name
            raise_if_false(key in ("cluster_id", "model_id"), f"unknown BlocksCacheKey parameter {name!r}")
            values[key] = value
        raise_if_false("cluster_id" in values, "BlocksCacheKey needs cluster_id (or prompt_cluster_id)")
        check_isinstance("cluster_id", values["cluster_id"], int)
        check_isinstance("model_id", values.get("model_id", 0), int)
        self.cluster_id: int = values["cluster_id"]
        self.model_id: int = values.get("model_id", 0)

    @property
    def prompt_cluster_id(self) -> int:
        return self.cluster_id

    def to_wire(self) -> Dict[str, Any]:
        return {"prompt_cluster_id": self.cluster_id, "model_id": self.model_id}


class Cache:
    """A cache on the node. ``tensor_addrs`` are the addresses given to ``register_*`` (empty for allocated
    caches: node memory has no address in this process). Without an NPU, contents are read and written with
    :meth:`read_tensor` / :meth:`write_tensor` (over the admin API)."""

    def __init__(
        self,
        cache_id: int,
        cache_desc: CacheDesc,
        tensor_addrs: Sequence[int],
        is_blocks_cache: bool,
        manager: Optional["CacheManager"] = None,
        registered: bool = False,
    ) -> None:
        self.cache_id = cache_id
        self.cache_desc = cache_desc
        self.tensor_addrs = list(tensor_addrs)
        self.is_blocks_cache = is_blocks_cache
        self._manager = manager
        self._registered = registered

    @staticmethod
    def create_cpu_cache(cache_desc: CacheDesc, addrs: List[int]) -> "Cache":
        raise_if_false(cache_desc.placement == Placement.HOST, "create_cpu_cache needs a HOST cache_desc")
        raise_if_false(len(addrs) == cache_desc.num_tensors, "len(addrs) must equal num_tensors")
        return Cache(-1, cache_desc, addrs, True)

    def _client(self) -> Any:
        if self._manager is None:
            raise LLMException("this cache is not on a node", status_code=LLMStatusCode.LLM_PARAM_INVALID)
        return self._manager._client

    def write_tensor(self, index: int, data: bytes, *, batch_index: Optional[int] = None, block: Optional[int] = None) -> None:
        """Writes tensor ``index`` (whole, or one slot / block) — what the engine's NPU code would do."""
        from .llm_datadist import call

        call(lambda: self._client().write_tensor(self.cache_id, index, data, batch_index=batch_index, block=block))

    def read_tensor(self, index: int, *, batch_index: Optional[int] = None, block: Optional[int] = None) -> bytes:
        from .llm_datadist import call

        return bytes(call(lambda: self._client().read_tensor(self.cache_id, index, batch_index=batch_index, block=block)))

    def __repr__(self) -> str:
        return f"Cache(cache_id={self.cache_id}, is_blocks_cache={self.is_blocks_cache}, desc={self.cache_desc})"
