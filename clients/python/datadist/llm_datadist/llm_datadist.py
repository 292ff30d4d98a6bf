"""``LLMDataDist`` on top of a datadist node: attach to one (``datadist.admin`` / ``DATADIST_ADMIN``) or start
``datadist serve`` with the options translated (CONTRACT §14)."""

from __future__ import annotations

import atexit
import json
import os
import random
import signal
import shutil
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from ..client import Client
from ..errors import DataDistError
from .checks import check_int32, check_isinstance, check_uint64
from .configs import LLMClusterInfo, LLMRole, int_to_ip
from .status import LLMException, LLMStatusCode, code_2_status, raise_if_false

T = TypeVar("T")

ADMIN_OPTION = "datadist.admin"
BINARY_OPTION = "datadist.binary"
TOKEN_OPTION = "datadist.token"


def call(action: Callable[[], T]) -> T:
    """Runs one node call; an error answer becomes what the library raises: TypeError / ValueError for the
    node's TYPE_ERROR / VALUE_ERROR, else LLMException with the library's status code."""
    try:
        return action()
    except DataDistError as e:
        raise translate(e) from None
    except OSError as e:
        raise LLMException(f"the node cannot be reached: {e}", status_code=LLMStatusCode.LLM_FAILED) from None


def translate(e: DataDistError) -> Exception:
    if e.status == "TYPE_ERROR":
        return TypeError(e.message)
    if e.status == "VALUE_ERROR":
        return ValueError(e.message)
    return LLMException(e.message, status_code=code_2_status(e.status))


def parse_listen_ip_info(text: str) -> Tuple[str, int]:
    """``ip:port`` split on ':' into exactly two parts (else LLM_PARAM_INVALID); a non-integer port → ValueError."""
    parts = text.split(":")
    raise_if_false(len(parts) == 2, f"listen ip info {text!r} must be ip:port")
    return parts[0], int(parts[1])


def _pool_bytes(cfg: Optional[str], name: str) -> Optional[Tuple[int, Optional[int]]]:
    if cfg is None:
        return None
    try:
        parsed = json.loads(cfg)
    except ValueError:
        raise LLMException(f"{name} is not JSON", status_code=LLMStatusCode.LLM_PARAM_INVALID) from None
    size = parsed.get("memory_size") if isinstance(parsed, dict) else None
    raise_if_false(isinstance(size, int) and size > 0, f"{name} needs a positive memory_size")
    shift = parsed.get("page_shift")
    if shift is not None:
        raise_if_false(isinstance(shift, int) and 10 <= shift < 31, f"{name} page_shift must be in [10, 31)")
    return int(size), shift


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the started node: SIGTERM it when this process dies (Linux PR_SET_PDEATHSIG), so a node started for
    a process that crashed or was killed does not outlive it (the library's node dies with its process)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_instance_lock = threading.Lock()
_initialized_instance: Optional["LLMDataDist"] = None


class LLMDataDist:
    def __init__(self, role: LLMRole, cluster_id: int) -> None:
        check_isinstance("role", role, LLMRole)
        self._role = role
        self._cluster_id = check_uint64("cluster_id", cluster_id)
        self._client: Optional[Client] = None
        self._process: Optional["subprocess.Popen[bytes]"] = None
        self._cache_manager: Optional[Any] = None
        self._cm_mode = False
        self._remote_cache_accessible = False
        self._local_comm_res: Optional[str] = None
        self._pools: Dict[str, bool] = {}
        self._options: Dict[str, str] = {}

    # MARK: life cycle

    @property
    def cluster_id(self) -> int:
        return self._cluster_id

    @property
    def role(self) -> LLMRole:
        return self._role

    @property
    def client(self) -> Client:
        """The underlying :class:`datadist.Client` (the node's whole admin API)."""
        return self._check_is_inited()

    @property
    def admin(self) -> str:
        return self._check_is_inited().url

    def _check_is_inited(self) -> Client:
        if self._client is None:
            raise RuntimeError("llm datadist is not initialized")
        return self._client

    def init(self, options: Dict[str, str]) -> None:
        global _initialized_instance
        if self._client is not None:
            return
        with _instance_lock:
            if _initialized_instance is not None and _initialized_instance is not self:
                raise LLMException("Cannot init multiple LLMDataDists", status_code=LLMStatusCode.LLM_FAILED)
            check_isinstance("options", options, dict)
            self._setup(options)
            _initialized_instance = self

    def _setup(self, options: Dict[str, str]) -> None:
        size = options.get("ge.flowGraphMemMaxSize")
        if size is not None:
            check_isinstance("ge.flowGraphMemMaxSize", size, str)
            raise_if_false("," not in size and size.isdigit(), "ge.flowGraphMemMaxSize must be digits")
        local_comm_res = options.get("llm.LocalCommRes")
        backend = options.get("llm.TransferBackend")
        cm = options.get("llm.EnableCacheManager")
        if local_comm_res is not None:
            raise_if_false(cm != "0", "llm.LocalCommRes needs llm.EnableCacheManager")
            cm = "1"
        remote = options.get("llm.EnableRemoteCacheAccessible")
        if backend is not None:
            raise_if_false(cm == "1", "llm.TransferBackend needs llm.EnableCacheManager")
            raise_if_false(remote != "0", "llm.TransferBackend needs llm.EnableRemoteCacheAccessible")
            raise_if_false("llm.listenIpInfo" in options, "llm.TransferBackend needs llm.listenIpInfo")
            raise_if_false(backend == "hixl", f"llm.TransferBackend {backend!r} is not supported")
        if remote is None and (local_comm_res is not None or backend is not None):
            remote = "1"
        raise_if_false(remote in (None, "0", "1"), "llm.EnableRemoteCacheAccessible must be 0 or 1")
        self._cm_mode = cm == "1"
        self._remote_cache_accessible = remote == "1"
        self._local_comm_res = local_comm_res
        self._hixl = backend == "hixl"
        listen = options.get("llm.listenIpInfo")
        if listen is None:
            # A node named in datadist.peers / DATADIST_PEERS listens there (two-sided comms, `link`).
            self._options = dict(options)
            listen = self._peers().get(self._cluster_id)
        if listen is not None:
            parse_listen_ip_info(listen)
        elif not self._cm_mode and self._role == LLMRole.PROMPT:
            raise LLMException(
                "neither llm.ClusterInfo nor llm.listenIp was specified", status_code=LLMStatusCode.LLM_PARAM_INVALID
            )
        device = options.get("ge.exec.deviceId", "0")
        if self._cm_mode:
            raise_if_false(device.isdigit(), f"ge.exec.deviceId must be one device id, got {device!r}")
        timeout = options.get("llm.SyncKvCacheWaitTime")
        if timeout is not None:
            raise_if_false(timeout.isdigit(), "llm.SyncKvCacheWaitTime must be digits")
        device_pool = _pool_bytes(options.get("llm.MemPoolConfig"), "llm.MemPoolConfig")
        host_pool = _pool_bytes(options.get("llm.HostMemPoolConfig"), "llm.HostMemPoolConfig")
        self._pools = {"DEVICE": device_pool is not None, "HOST": host_pool is not None}
        self._options = dict(options)

        admin = options.get(ADMIN_OPTION) or os.environ.get("DATADIST_ADMIN")
        token = options.get(TOKEN_OPTION) or os.environ.get("DATADIST_ADMIN_TOKEN")
        if admin:
            client = Client(admin, token=token)
            node = call(client.node)
            if int(node.get("cluster_id", -1)) != self._cluster_id:
                raise LLMException(
                    f"the node at {admin} is cluster {node.get('cluster_id')}, not {self._cluster_id}",
                    status_code=LLMStatusCode.LLM_PARAM_INVALID,
                )
            # An attached node's pools exist whatever the options say.
            self._pools = {"DEVICE": True, "HOST": True}
            self._client = client
            return
        self._client = self._spawn(options, listen, device, timeout, device_pool, host_pool, token)

    def _spawn(
        self,
        options: Dict[str, str],
        listen: Optional[str],
        device: str,
        timeout: Optional[str],
        device_pool: Optional[Tuple[int, Optional[int]]],
        host_pool: Optional[Tuple[int, Optional[int]]],
        token: Optional[str],
    ) -> Client:
        binary = options.get(BINARY_OPTION) or os.environ.get("DATADIST_BIN") or shutil.which("datadist")
        if not binary:
            raise LLMException(
                "no node to attach to (option datadist.admin or DATADIST_ADMIN) and no datadist binary to start "
                "(option datadist.binary, DATADIST_BIN or PATH)",
                status_code=LLMStatusCode.LLM_FAILED,
            )
        port = _free_port()
        argv = [
            binary,
            "serve",
            "--cluster-id",
            str(self._cluster_id),
            "--role",
            self._role.name.lower(),
            "--admin",
            f"127.0.0.1:{port}",
            "--compat",
            "cache-manager" if self._cm_mode else "legacy",
            "--device-ids",
            device.replace(";", ","),
        ]
        if listen is not None:
            argv += ["--listen", listen]
        if options.get("llm.EnableSwitchRole") == "1":
            argv.append("--enable-switch-role")
        if timeout is not None and int(timeout) > 0:
            argv += ["--sync-kv-timeout-ms", timeout]
        # Pools the options do not ask for still exist on the node (small), so registered caches have memory;
        # allocate_cache keeps the library's "config memory pool firstly" check.
        shifts = {p[1] for p in (device_pool, host_pool) if p is not None and p[1] is not None}
        argv += ["--device-pool", str(device_pool[0] if device_pool else 64 << 20)]
        argv += ["--host-pool", str(host_pool[0] if host_pool else 64 << 20)]
        if shifts:
            argv += ["--page-shift", str(min(shifts))]
        if token:
            argv += ["--admin-token", token]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        atexit.register(self.finalize)
        client = Client(f"127.0.0.1:{port}", token=token)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                err = process.stderr.read().decode().strip() if process.stderr else ""
                status = LLMStatusCode.LLM_PARAM_INVALID if process.returncode == 2 else LLMStatusCode.LLM_FAILED
                raise LLMException(f"datadist serve exited {process.returncode}: {err}", status_code=status)
            try:
                client.healthz()
                break
            except (OSError, DataDistError):
                if time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise LLMException("datadist serve did not start within 30 s", status_code=LLMStatusCode.LLM_FAILED)
                time.sleep(0.02)
        self._process = process
        return client

    def finalize(self) -> None:
        global _initialized_instance
        if self._client is None:
            return
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        self._client = None
        if self._cache_manager is not None:
            self._cache_manager._initialized = False
        with _instance_lock:
            if _initialized_instance is self:
                _initialized_instance = None

    # MARK: links

    def _check_timeout(self, timeout: int) -> None:
        check_int32("timeout", timeout)
        raise_if_false(timeout > 0, f"timeout must be > 0, got {timeout}")

    @staticmethod
    def _check_clusters(clusters: Sequence[LLMClusterInfo]) -> None:
        check_isinstance("clusters", clusters, (list, tuple))
        for c in clusters:
            check_isinstance("cluster", c, LLMClusterInfo)
            if c.remote_cluster_id is None:
                raise TypeError("remote_cluster_id is not set")

    @staticmethod
    def _results(
        clusters: Sequence[LLMClusterInfo], local: List[Optional[LLMStatusCode]], answer: Dict[str, Any]
    ) -> Tuple[LLMStatusCode, List[LLMStatusCode]]:
        sent = iter(answer.get("results", []))
        rets: List[LLMStatusCode] = []
        for status in local:
            if status is not None:
                rets.append(status)
            else:
                r = next(sent, {})
                rets.append(code_2_status(r.get("status", "LLM_FAILED")))
        ret = LLMStatusCode.LLM_SUCCESS
        for status in rets:
            if status != LLMStatusCode.LLM_SUCCESS:
                ret = status
        return ret, rets

    def _batch(
        self, clusters: Sequence[LLMClusterInfo], local: List[Optional[LLMStatusCode]], body: List[Dict[str, Any]], send: Callable[[], Dict[str, Any]]
    ) -> Tuple[LLMStatusCode, List[LLMStatusCode]]:
        if not clusters:
            return LLMStatusCode.LLM_PARAM_INVALID, []
        if not body:
            return self._results(clusters, local, {})
        try:
            answer = send()
        except DataDistError as e:
            if "results" not in e.body:
                if e.status in ("TYPE_ERROR", "VALUE_ERROR"):
                    raise translate(e) from None
                status = code_2_status(e.status)
                return status, [status] * len(clusters)
            answer = e.body
        except OSError as e:
            raise LLMException(f"the node cannot be reached: {e}", status_code=LLMStatusCode.LLM_FAILED) from None
        return self._results(clusters, local, answer)

    def link_clusters(
        self, clusters: Sequence[LLMClusterInfo], timeout: int = 3000
    ) -> Tuple[LLMStatusCode, List[LLMStatusCode]]:
        client = self._check_is_inited()
        self._check_timeout(timeout)
        self._check_clusters(clusters)
        if self._cm_mode and not self._local_comm_res:
            for c in clusters:
                raise_if_false(
                    len(c.local_ip_info_list) > 0,
                    "local_ip_info_list is empty, please set local ip info by append_local_ip_info",
                )
        local: List[Optional[LLMStatusCode]] = []
        body: List[Dict[str, Any]] = []
        for c in clusters:
            if len(c.remote_ip_info_list) != 1:
                local.append(LLMStatusCode.LLM_PARAM_INVALID)
                continue
            ip, port = c.remote_ip_info_list[0]
            spec: Dict[str, Any] = {"remote_cluster_id": c.remote_cluster_id, "remote_ip_info": f"{int_to_ip(ip)}:{port}"}
            if len(c.local_ip_info_list) == 1:
                spec["local_ip_info"] = int_to_ip(c.local_ip_info_list[0][0])
            local.append(None)
            body.append(spec)
        ret, rets = self._batch(clusters, local, body, lambda: client.link_clusters(body, timeout_ms=timeout))
        if self._hixl:
            specs = iter(body)
            rets = [
                self._hixl_link(client, c, r, timeout, None if local[i] is not None else next(specs))
                for i, (c, r) in enumerate(zip(clusters, rets))
            ]
            ret = next((r for r in reversed(rets) if r != LLMStatusCode.LLM_SUCCESS), LLMStatusCode.LLM_SUCCESS)
        return ret, rets

    @staticmethod
    def _hixl_link(
        client: Client,
        cluster: LLMClusterInfo,
        status: LLMStatusCode,
        timeout: int,
        spec: Optional[Dict[str, Any]],
    ) -> LLMStatusCode:
        """HIXL links one direction per side, so both sides of a pair call link_clusters; a datadist link serves
        both directions, so the side whose peer linked first (ALREADY_LINK, or PROCESSING_LINK while that
        handshake runs) has its link once the peer's appears. When both sides started at the same moment, each
        refused the other's offer (PROCESSING_LINK) and no link exists: retry after a random pause, which breaks
        the tie."""
        if status not in (LLMStatusCode.LLM_ALREADY_LINK, LLMStatusCode.LLM_PROCESSING_LINK):
            return status
        deadline = time.monotonic() + timeout / 1000.0
        retry_at = time.monotonic() + random.uniform(0.05, 0.25)
        while time.monotonic() < deadline:
            links = call(client.list_links).get("links", [])
            if any(link.get("remote_cluster_id") == cluster.remote_cluster_id for link in links):
                return LLMStatusCode.LLM_SUCCESS
            if spec is not None and time.monotonic() >= retry_at:
                remaining = max(1, int((deadline - time.monotonic()) * 1000))
                try:
                    client.link_clusters([spec], timeout_ms=remaining)
                    return LLMStatusCode.LLM_SUCCESS
                except DataDistError as e:
                    if e.status not in ("LLM_ALREADY_LINK", "LLM_PROCESSING_LINK"):
                        return code_2_status(e.status)
                retry_at = time.monotonic() + random.uniform(0.05, 0.25)
            time.sleep(0.02)
        return status

    def unlink_clusters(
        self, clusters: Sequence[LLMClusterInfo], timeout: int = 3000, force: bool = False
    ) -> Tuple[LLMStatusCode, List[LLMStatusCode]]:
        client = self._check_is_inited()
        self._check_timeout(timeout)
        self._check_clusters(clusters)
        check_isinstance("force", force, bool)
        if self._hixl:
            force = True  # HIXL unlinks locally only, whatever force says
        local: List[Optional[LLMStatusCode]] = []
        body: List[Dict[str, Any]] = []
        for c in clusters:
            spec: Dict[str, Any] = {"remote_cluster_id": c.remote_cluster_id}
            if len(c.remote_ip_info_list) == 1:
                ip, port = c.remote_ip_info_list[0]
                spec["remote_ip_info"] = f"{int_to_ip(ip)}:{port}"
            elif not force and len(c.remote_ip_info_list) > 1:
                local.append(LLMStatusCode.LLM_PARAM_INVALID)
                continue
            local.append(None)
            body.append(spec)
        return self._batch(clusters, local, body, lambda: client.unlink_clusters(body, timeout_ms=timeout, force=force))

    def check_link_status(self, remote_cluster_id: int) -> None:
        client = self._check_is_inited()
        check_uint64("remote_cluster_id", remote_cluster_id)
        if self._cm_mode:
            raise LLMException(
                "check_link_status is not supported when llm.EnableCacheManager is configured.",
                status_code=LLMStatusCode.LLM_PARAM_INVALID,
            )
        call(lambda: client.check_link(remote_cluster_id))

    # MARK: role

    def switch_role(self, role: LLMRole, switch_options: Optional[Dict[str, str]] = None) -> None:
        client = self._check_is_inited()
        check_isinstance("role", role, LLMRole)
        if switch_options is not None:
            check_isinstance("switch_options", switch_options, dict)
        options = dict(switch_options or {})
        listen = options.get("llm.listenIpInfo")
        if listen is None:
            # A node named in datadist.peers / DATADIST_PEERS listens there (two-sided comms, `link`).
            self._options = dict(options)
            listen = self._peers().get(self._cluster_id)
        if listen is not None:
            check_isinstance("llm.listenIpInfo", listen, str)
            parse_listen_ip_info(listen)
        if not self._cm_mode:
            raise_if_false(role != self._role, "role not changed")
            raise_if_false(role != LLMRole.PROMPT or listen is not None, "switching to PROMPT needs llm.listenIpInfo")
        call(lambda: client.switch_role(role.name, {k: str(v) for k, v in options.items()}))
        self._role = role

    # MARK: cache managers

    @property
    def cache_manager(self) -> Any:
        self._check_is_inited()
        if not self._cm_mode:
            raise LLMException(
                "cache_manager is not supported when llm.EnableCacheManager is not configured.",
                status_code=LLMStatusCode.LLM_PARAM_INVALID,
            )
        if self._cache_manager is None:
            from .cache_manager import CacheManager

            self._cache_manager = CacheManager(self)
        return self._cache_manager

    @property
    def kv_cache_manager(self) -> Any:
        self._check_is_inited()
        if self._cm_mode:
            raise LLMException(
                "kv_cache_manager is not supported when llm.EnableCacheManager is configured.",
                status_code=LLMStatusCode.LLM_PARAM_INVALID,
            )
        raise LLMException(
            "the legacy KvCacheManager is not provided by the datadist facade; use llm.EnableCacheManager",
            status_code=LLMStatusCode.LLM_FEATURE_NOT_ENABLED,
        )

    # MARK: two-sided comms (HCCL rank tables) on datadist links

    def link(self, comm_name: str, cluster_rank_info: Dict[int, int], rank_table: str) -> int:
        """A two-sided communication domain becomes datadist links: each member links to the members of lower
        rank, whose peer listeners are named by the option ``datadist.peers`` or env ``DATADIST_PEERS``
        (``ID=IP:PORT,…``; a node in that map listens there). Linking runs in ``query_register_mem_status``,
        which answers PREPARING until every link of the comm exists (the library's asynchronous setup)."""
        self._check_is_inited()
        check_isinstance("comm_name", comm_name, str)
        raise_if_false(0 < len(comm_name) < 128, "comm_name must be 1 to 127 characters")
        check_isinstance("cluster_rank_info", cluster_rank_info, dict)
        for k, v in cluster_rank_info.items():
            check_isinstance("cluster id", k, int)
            check_isinstance("rank", v, int)
        raise_if_false(1 < len(cluster_rank_info) <= 4, "cluster_rank_info must have 2 to 4 entries")
        ranks = list(cluster_rank_info.values())
        raise_if_false(ranks == sorted(ranks), "ranks must ascend in cluster_rank_info order")
        raise_if_false(self._cluster_id in cluster_rank_info, "this node's cluster id is not in cluster_rank_info")
        check_isinstance("rank_table", rank_table, str)
        peers = self._peers()
        mine = cluster_rank_info[self._cluster_id]
        targets = [c for c, r in cluster_rank_info.items() if r < mine]
        for c in targets:
            raise_if_false(c in peers, f"no peer listener for cluster {c}: set datadist.peers / DATADIST_PEERS")
        members = [c for c in cluster_rank_info if c != self._cluster_id]
        self._comm_seq = getattr(self, "_comm_seq", 0) + 1
        comms: Dict[int, Tuple[List[int], List[int]]] = getattr(self, "_comms", {})
        comms[self._comm_seq] = (targets, members)
        self._comms = comms
        return self._comm_seq

    def _peers(self) -> Dict[int, str]:
        text = self._options.get("datadist.peers") or os.environ.get("DATADIST_PEERS", "")
        out: Dict[int, str] = {}
        for item in filter(None, (x.strip() for x in text.split(","))):
            ident, _, address = item.partition("=")
            out[int(ident)] = address
        return out

    def _comm(self, comm_id: int) -> Tuple[List[int], List[int]]:
        comms: Dict[int, Tuple[List[int], List[int]]] = getattr(self, "_comms", {})
        if comm_id not in comms:
            raise LLMException(f"no comm {comm_id}", status_code=LLMStatusCode.LLM_NOT_YET_LINK)
        return comms[comm_id]

    def _linked(self, client: Client) -> List[int]:
        return [int(link["remote_cluster_id"]) for link in call(client.list_links).get("links", [])]

    def query_register_mem_status(self, comm_id: int) -> Any:
        from .configs import RegisterMemStatus

        client = self._check_is_inited()
        targets, members = self._comm(comm_id)
        linked = self._linked(client)
        peers = self._peers()
        for c in targets:
            if c not in linked:
                spec = [{"remote_cluster_id": c, "remote_ip_info": peers[c]}]
                try:
                    client.link_clusters(spec, timeout_ms=3000)
                except DataDistError as e:
                    if e.status not in ("LLM_LINK_FAILED", "LLM_TIMEOUT", "LLM_ALREADY_LINK", "LLM_PROCESSING_LINK"):
                        return RegisterMemStatus.FAILED
        linked = self._linked(client)
        return RegisterMemStatus.OK if all(c in linked for c in members) else RegisterMemStatus.PREPARING

    def unlink(self, comm_id: int) -> None:
        """Unlinks the comm's links: the linking side tells its peers; the other side waits (bounded) for
        them to go, then drops what remains locally."""
        client = self._check_is_inited()
        targets, members = self._comm(comm_id)
        if targets:
            body = [{"remote_cluster_id": c} for c in targets]
            call(lambda: client.unlink_clusters(body, timeout_ms=3000))
        waiting = [c for c in members if c not in targets]
        deadline = time.monotonic() + 5
        while waiting and time.monotonic() < deadline and any(c in self._linked(client) for c in waiting):
            time.sleep(0.02)
        left = [c for c in waiting if c in self._linked(client)]
        if left:
            call(lambda: client.unlink_clusters([{"remote_cluster_id": c} for c in left], force=True))
        del self._comms[comm_id]
