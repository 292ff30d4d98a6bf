"""``LLMRole``, ``Placement``, ``DataType``, ``LLMConfig``, ``LLMClusterInfo`` as the llm_datadist package has them."""

from __future__ import annotations

import enum
import socket
import struct
from typing import Any, Dict, List, Optional, Tuple, Union

from .checks import check_int32, check_isinstance, check_uint16, check_uint32, check_uint64
from .status import LLMException, LLMStatusCode, raise_if_false


class LLMRole(enum.Enum):
    PROMPT = 1
    DECODER = 2
    MIX = 3


class Placement(enum.Enum):
    HOST = 0
    DEVICE = 1


class DataType(enum.Enum):
    """GE's data type values; the node speaks the names."""

    DT_FLOAT = 0
    DT_FLOAT16 = 1
    DT_INT8 = 2
    DT_INT32 = 3
    DT_UINT8 = 4
    DT_INT16 = 6
    DT_UINT16 = 7
    DT_UINT32 = 8
    DT_INT64 = 9
    DT_UINT64 = 10
    DT_DOUBLE = 11
    DT_BOOL = 12
    DT_STRING = 13
    DT_BF16 = 27


class RegisterMemStatus(enum.Enum):
    OK = 0
    PREPARING = 1
    FAILED = 2


def ip_to_int(ip: Union[str, int]) -> int:
    """The library's encoding: ``socket.inet_aton`` read as a little-endian uint32."""
    if isinstance(ip, int) and not isinstance(ip, bool):
        return check_uint32("ip", ip)
    if not isinstance(ip, str):
        raise TypeError(f"ip must be str or int, got {type(ip).__name__}")
    try:
        packed = socket.inet_aton(ip)
    except OSError:
        raise RuntimeError(f"Can not parse ip str:{ip}") from None
    return int(struct.unpack("<I", packed)[0])


def int_to_ip(value: int) -> str:
    return socket.inet_ntoa(struct.pack("<I", value))


class LLMClusterInfo:
    def __init__(self) -> None:
        self._remote_cluster_id: Optional[int] = None
        self._remote_role_type: int = 0
        self._local_ip_info_list: List[Tuple[int, int]] = []
        self._remote_ip_info_list: List[Tuple[int, int]] = []

    @property
    def remote_cluster_id(self) -> Optional[int]:
        return self._remote_cluster_id

    @remote_cluster_id.setter
    def remote_cluster_id(self, value: int) -> None:
        self._remote_cluster_id = check_uint64("remote_cluster_id", value)

    @property
    def remote_role_type(self) -> int:
        return self._remote_role_type

    @remote_role_type.setter
    def remote_role_type(self, value: Union[LLMRole, int]) -> None:
        if isinstance(value, LLMRole):
            self._remote_role_type = value.value
        elif isinstance(value, int) and not isinstance(value, bool):
            self._remote_role_type = value
        else:
            raise TypeError("remote_role_type must be LLMRole or int")

    def append_local_ip_info(self, ip: Union[str, int], port: int) -> None:
        self._local_ip_info_list.append((ip_to_int(ip), check_uint16("port", port)))

    def append_remote_ip_info(self, ip: Union[str, int], port: int) -> None:
        self._remote_ip_info_list.append((ip_to_int(ip), check_uint16("port", port)))

    @property
    def local_ip_info_list(self) -> List[Tuple[int, int]]:
        return self._local_ip_info_list

    @property
    def remote_ip_info_list(self) -> List[Tuple[int, int]]:
        return self._remote_ip_info_list


class LLMConfig:
    """Builds the ``init`` options; ``generate_options()`` returns (and keeps updating) one dict, and always
    carries ``llm.MemoryUtilization`` — as the library does."""

    def __init__(self) -> None:
        self._options: Dict[str, str] = {}
        self._ge_options: Dict[str, str] = {}
        self._fields: Dict[str, str] = {}
        self._mem_utilization = 0.95

    def _set(self, key: str, value: Optional[str]) -> None:
        if value is None:
            self._fields.pop(key, None)
        else:
            self._fields[key] = value

    @property
    def device_id(self) -> Any:
        return self._fields.get("ge.exec.deviceId")

    @device_id.setter
    def device_id(self, value: Union[int, List[int], Tuple[int, ...]]) -> None:
        ids = list(value) if isinstance(value, (list, tuple)) else [value]
        for i in ids:
            check_isinstance("device_id", i, int)
            raise_if_false(i >= 0, "device_id must be >= 0")
            check_int32("device_id", i)
        text = ";".join(str(i) for i in ids)
        self._set("ge.exec.deviceId", text)
        self._set("ge.session_device_id", text)

    @property
    def sync_kv_timeout(self) -> Any:
        return self._fields.get("llm.SyncKvCacheWaitTime")

    @sync_kv_timeout.setter
    def sync_kv_timeout(self, value: Union[int, str]) -> None:
        if isinstance(value, str):
            raise_if_false(value.isdigit(), f"sync_kv_timeout must be digits, got {value!r}")
            value = int(value)
        check_isinstance("sync_kv_timeout", value, int)
        raise_if_false(value > 0, "sync_kv_timeout must be > 0")
        check_int32("sync_kv_timeout", value)
        self._set("llm.SyncKvCacheWaitTime", str(value))

    @property
    def listen_ip_info(self) -> Optional[str]:
        return self._fields.get("llm.listenIpInfo")

    @listen_ip_info.setter
    def listen_ip_info(self, value: str) -> None:
        check_isinstance("listen_ip_info", value, str)
        self._set("llm.listenIpInfo", value)

    def _bool(self, name: str, key: str, value: bool) -> None:
        check_isinstance(name, value, bool)
        self._set(key, "1" if value else "0")

    @property
    def enable_cache_manager(self) -> bool:
        return self._fields.get("llm.EnableCacheManager") == "1"

    @enable_cache_manager.setter
    def enable_cache_manager(self, value: bool) -> None:
        self._bool("enable_cache_manager", "llm.EnableCacheManager", value)

    @property
    def enable_remote_cache_accessible(self) -> bool:
        return self._fields.get("llm.EnableRemoteCacheAccessible") == "1"

    @enable_remote_cache_accessible.setter
    def enable_remote_cache_accessible(self, value: bool) -> None:
        self._bool("enable_remote_cache_accessible", "llm.EnableRemoteCacheAccessible", value)

    @property
    def enable_switch_role(self) -> bool:
        return self._fields.get("llm.EnableSwitchRole") == "1"

    @enable_switch_role.setter
    def enable_switch_role(self, value: bool) -> None:
        check_isinstance("enable_switch_role", value, bool)
        self._set("llm.EnableSwitchRole", "1" if value else None)

    @property
    def mem_pool_cfg(self) -> Optional[str]:
        return self._fields.get("llm.MemPoolConfig")

    @mem_pool_cfg.setter
    def mem_pool_cfg(self, value: str) -> None:
        check_isinstance("mem_pool_cfg", value, str)
        self._set("llm.MemPoolConfig", value)

    @property
    def host_mem_pool_cfg(self) -> Optional[str]:
        return self._fields.get("llm.HostMemPoolConfig")

    @host_mem_pool_cfg.setter
    def host_mem_pool_cfg(self, value: str) -> None:
        check_isinstance("host_mem_pool_cfg", value, str)
        self._set("llm.HostMemPoolConfig", value)

    @property
    def local_comm_res(self) -> Optional[str]:
        return self._fields.get("llm.LocalCommRes")

    @local_comm_res.setter
    def local_comm_res(self, value: str) -> None:
        check_isinstance("local_comm_res", value, str)
        self._set("llm.LocalCommRes", value)

    @property
    def transfer_backend(self) -> Optional[str]:
        return self._fields.get("llm.TransferBackend")

    @transfer_backend.setter
    def transfer_backend(self, value: str) -> None:
        check_isinstance("transfer_backend", value, str)
        self._set("llm.TransferBackend", value)

    @property
    def link_total_time(self) -> Any:
        return self._fields.get("llm.LinkTotalTime")

    @link_total_time.setter
    def link_total_time(self, value: int) -> None:
        check_isinstance("link_total_time", value, int)
        raise_if_false(0 <= value <= (1 << 32) - 1, "link_total_time must be in [0, 2^32-1]")
        self._set("llm.LinkTotalTime", str(value))

    @property
    def link_retry_count(self) -> Any:
        return self._fields.get("llm.LinkRetryCount")

    @link_retry_count.setter
    def link_retry_count(self, value: int) -> None:
        check_isinstance("link_retry_count", value, int)
        raise_if_false(1 <= value <= 100, "link_retry_count must be in [1, 100]")
        self._set("llm.LinkRetryCount", str(value))

    @property
    def mem_utilization(self) -> float:
        return self._mem_utilization

    @mem_utilization.setter
    def mem_utilization(self, value: float) -> None:
        check_isinstance("mem_utilization", value, (float, int))
        raise_if_false(0 <= value <= 1, "mem_utilization must be in [0, 1]")
        self._mem_utilization = float(value)

    @property
    def ge_options(self) -> Dict[str, str]:
        return self._ge_options

    @ge_options.setter
    def ge_options(self, value: Dict[str, str]) -> None:
        check_isinstance("ge_options", value, dict)
        self._ge_options = value

    def generate_options(self) -> Dict[str, str]:
        self._options.update(self._ge_options)
        self._options.update(self._fields)
        self._options["llm.MemoryUtilization"] = str(self._mem_utilization)
        return self._options


LlmConfig = LLMConfig
