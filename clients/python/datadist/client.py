"""``datadist.Client``: one method per admin route of a node (CONTRACT §14), standard library only."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, urlencode, urlsplit

from .errors import DataDistError

JSON = Dict[str, Any]
LayerRange = Union[Sequence[int], range]

DEFAULT_URL = "http://127.0.0.1:9200"


def normalize_admin(address: str) -> Tuple[str, str, int]:
    """``http://host:port``, ``https://…`` or ``HOST:PORT`` → (scheme, host, port). A ``0.0.0.0`` (or ``::``)
    host — the address a node binds to serve every interface — means this machine."""
    text = address.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"admin address {address!r}: scheme must be http or https")
    host = parts.hostname or "127.0.0.1"
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, host, port


def _range(value: Optional[LayerRange]) -> Optional[List[int]]:
    """A layer range as the wire's half-open ``[start, stop)``; a Python ``range`` is accepted."""
    if value is None:
        return None
    if isinstance(value, range):
        return [value.start, value.stop]
    return [int(v) for v in value]


def _put(body: JSON, **fields: Any) -> JSON:
    for key, value in fields.items():
        if value is not None:
            body[key] = value
    return body


class Client:
    """A node's admin API. Every method returns the JSON answer as a ``dict`` (bytes for tensor reads) and
    raises :class:`DataDistError` on an error answer."""

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.scheme, self.host, self.port = normalize_admin(url)
        self.token = token
        self.timeout = timeout

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    # MARK: transport

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        t = self.timeout if timeout is None else timeout
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=t)
        return http.client.HTTPConnection(self.host, self.port, timeout=t)

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers: Dict[str, str] = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if extra:
            headers.update(extra)
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Optional[Any] = None,
        *,
        query: Optional[Mapping[str, Any]] = None,
        data: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
    ) -> Tuple[int, Dict[str, str], bytes]:
        """One HTTP exchange; returns (status, headers, body) and raises DataDistError on status ≥ 400."""
        target = path
        if query:
            q = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items() if v is not None}
            if q:
                target += "?" + urlencode(q)
        h = self._headers(headers)
        payload: Optional[bytes] = None
        if body is not None:
            payload = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif data is not None:
            payload = bytes(data)
            h["Content-Type"] = "application/octet-stream"
        elif method in ("POST", "PUT"):
            payload = b""
        conn = self._connection(timeout)
        try:
            conn.request(method, target, body=payload, headers=h)
            response = conn.getresponse()
            raw = response.read()
            status = response.status
            got = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        if status >= 400:
            raise self._error(status, raw)
        return status, got, raw

    @staticmethod
    def _error(http_status: int, raw: bytes) -> DataDistError:
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        err = parsed.get("error")
        if isinstance(err, dict):
            return DataDistError(
                str(err.get("status", "UNKNOWN")),
                int(err.get("code", -1)),
                str(err.get("message", "")),
                http_status,
                parsed,
            )
        if "status" in parsed:
            # A link/unlink batch: the overall status at the top, each cluster's result in `results`.
            failed = [r for r in parsed.get("results", []) if isinstance(r, dict) and r.get("code", 0) != 0]
            message = "; ".join(f"cluster {r.get('remote_cluster_id')}: {r.get('message', r.get('status'))}" for r in failed)
            return DataDistError(
                str(parsed["status"]), int(parsed.get("code", -1)), message, http_status, parsed
            )
        text = raw.decode("utf-8", "replace").strip()
        return DataDistError("HTTP_ERROR", -1, text or f"HTTP {http_status}", http_status, parsed)

    def _json(self, method: str, path: str, body: Optional[Any] = None, **kwargs: Any) -> JSON:
        _, _, raw = self.request(method, path, body, **kwargs)
        if not raw:
            return {}
        value = json.loads(raw)
        return value if isinstance(value, dict) else {"value": value}

    # MARK: health and node (CONTRACT §7, §12)

    def healthz(self) -> JSON:
        return self._json("GET", "/healthz")

    def readyz(self) -> JSON:
        """200 → the answer; 503 (not ready) raises DataDistError with status ``HTTP_ERROR``."""
        return self._json("GET", "/readyz")

    def node(self) -> JSON:
        return self._json("GET", "/v1/node")

    def load(self) -> JSON:
        return self._json("GET", "/v1/node/load")

    def metrics(self) -> str:
        _, _, raw = self.request("GET", "/metrics", headers={"Accept": "text/plain"})
        return raw.decode()

    # MARK: role (CONTRACT §4, §4a, §12)

    def get_role(self) -> JSON:
        return self._json("GET", "/v1/role")

    def switch_role(
        self,
        role: str,
        switch_options: Optional[Mapping[str, str]] = None,
        expected_epoch: Optional[int] = None,
        unlink: Optional[str] = None,
        drain_timeout_ms: Optional[int] = None,
        respond_async: bool = False,
    ) -> JSON:
        body = _put(
            {"role": role},
            switch_options=dict(switch_options) if switch_options is not None else None,
            expected_epoch=expected_epoch,
            unlink=unlink,
            drain_timeout_ms=drain_timeout_ms,
        )
        headers = {"Prefer": "respond-async"} if respond_async else None
        return self._json("PUT", "/v1/role", body, headers=headers)

    # MARK: links (CONTRACT §5)

    @staticmethod
    def _clusters(clusters: Sequence[Mapping[str, Any]]) -> List[JSON]:
        return [dict(c) for c in clusters]

    def link_clusters(self, clusters: Sequence[Mapping[str, Any]], timeout_ms: Optional[int] = None) -> JSON:
        """Each cluster: ``{"remote_cluster_id", "remote_ip_info", "local_ip_info"?}``. A batch that failed
        raises DataDistError whose ``body`` carries every cluster's result."""
        return self._json("POST", "/v1/links", _put({"clusters": self._clusters(clusters)}, timeout_ms=timeout_ms))

    def unlink_clusters(
        self, clusters: Sequence[Mapping[str, Any]], timeout_ms: Optional[int] = None, force: bool = False
    ) -> JSON:
        body = _put({"clusters": self._clusters(clusters), "force": force}, timeout_ms=timeout_ms)
        return self._json("POST", "/v1/links/unlink", body)

    def unlink_cluster(self, remote_cluster_id: int, force: bool = False, timeout_ms: Optional[int] = None) -> JSON:
        return self._json(
            "DELETE", f"/v1/links/{int(remote_cluster_id)}", query={"force": force, "timeout_ms": timeout_ms}
        )

    def unlink_all(self, force: bool = False, timeout_ms: Optional[int] = None) -> JSON:
        return self._json("DELETE", "/v1/links", query={"force": force, "timeout_ms": timeout_ms})

    def list_links(self) -> JSON:
        return self._json("GET", "/v1/links")

    def check_link(self, remote_cluster_id: int) -> JSON:
        return self._json("GET", f"/v1/links/{int(remote_cluster_id)}")

    # MARK: caches (CONTRACT §6)

    def allocate_cache(
        self,
        cache_desc: Mapping[str, Any],
        cache_keys: Optional[Sequence[Mapping[str, Any]]] = None,
        blocks: bool = False,
        blocks_cache_key: Optional[Mapping[str, Any]] = None,
        progressive: bool = False,
        region: Optional[Mapping[str, Any]] = None,
    ) -> JSON:
        """``progressive``: layer-wise readiness (§11, see :meth:`mark_ready`); ``region``:
        ``{"region_id", "tensor_offsets"}`` places the tensors in registered memory (§10)."""
        body: JSON = {"cache_desc": dict(cache_desc)}
        if cache_keys:
            body["cache_keys"] = [dict(k) for k in cache_keys]
        if blocks:
            body["blocks"] = True
        if blocks_cache_key is not None:
            body["blocks_cache_key"] = dict(blocks_cache_key)
        if progressive:
            body["progressive"] = True
        if region is not None:
            body["region"] = dict(region)
        return self._json("POST", "/v1/cache", body)

    def mark_ready(
        self, cache_id: int, layers: int, batch_index: Optional[int] = None, tensor_num_per_layer: Optional[int] = None
    ) -> JSON:
        """Layers ``[0, layers)`` of a progressive cache's slot are written (CONTRACT §11)."""
        body = _put({"layers": layers}, batch_index=batch_index, tensor_num_per_layer=tensor_num_per_layer)
        return self._json("POST", f"/v1/cache/{int(cache_id)}/ready", body)

    def renew_lease(
        self,
        cache_key: Optional[Mapping[str, Any]] = None,
        blocks_cache_key: Optional[Mapping[str, Any]] = None,
        extend_ms: Optional[int] = None,
    ) -> JSON:
        """Renews a bound key's lease (``--kv-lease-ms``); the answer carries ``lease_expires_at``."""
        body = _put(
            {},
            cache_key=dict(cache_key) if cache_key is not None else None,
            blocks_cache_key=dict(blocks_cache_key) if blocks_cache_key is not None else None,
            extend_ms=extend_ms,
        )
        return self._json("POST", "/v1/cache/keys/lease", body)

    # MARK: shared memory (CONTRACT §10)

    def register_region(self, path: str, size: int, offset: int = 0) -> JSON:
        """Lends the node a file inside its ``--shm-dir`` (LLM-DataDist ``register_cache``)."""
        return self._json("POST", "/v1/regions", {"path": path, "offset": offset, "size": size})

    def list_regions(self) -> JSON:
        return self._json("GET", "/v1/regions")

    def get_region(self, region_id: int) -> JSON:
        return self._json("GET", f"/v1/regions/{int(region_id)}")

    def delete_region(self, region_id: int) -> JSON:
        return self._json("DELETE", f"/v1/regions/{int(region_id)}")

    def map_cache(self, cache_id: int) -> List[memoryview]:
        """Writable views of a cache's tensors, mapped from the node's shared-memory file (``--shm-dir`` on the
        same host): an engine writes KV in place, no bytes through HTTP. One view per tensor."""
        import mmap

        cache = self.get_cache(cache_id)
        memory = cache.get("memory") or {}
        path = memory.get("shm_path")
        if not path:
            raise DataDistError("LLM_FEATURE_NOT_ENABLED", -1, f"cache {cache_id} is not in shared memory", 0)
        tensors = memory.get("tensors") or []
        if not tensors:
            return []
        page = mmap.ALLOCATIONGRANULARITY
        start = min(int(t["offset"]) for t in tensors) // page * page
        end = max(int(t["offset"]) + int(t["size"]) for t in tensors)
        with open(path, "r+b") as f:
            mapping = mmap.mmap(f.fileno(), end - start, offset=start)
        view = memoryview(mapping)
        return [view[int(t["offset"]) - start : int(t["offset"]) - start + int(t["size"])] for t in tensors]

    def list_caches(self) -> JSON:
        return self._json("GET", "/v1/cache")

    def get_cache(self, cache_id: int) -> JSON:
        return self._json("GET", f"/v1/cache/{int(cache_id)}")

    def deallocate_cache(self, cache_id: int) -> JSON:
        return self._json("DELETE", f"/v1/cache/{int(cache_id)}")

    def remove_cache_key(
        self, req_id: Optional[int] = None, prefix_id: Optional[int] = None, model_id: Optional[int] = None
    ) -> JSON:
        return self._json(
            "DELETE", "/v1/cache/keys", query={"req_id": req_id, "prefix_id": prefix_id, "model_id": model_id}
        )

    def _tensor_query(
        self,
        batch_index: Optional[int],
        block: Optional[int],
        offset: Optional[int],
        size: Optional[int],
        device_id: Optional[int],
    ) -> Dict[str, Any]:
        return {"batch_index": batch_index, "block": block, "offset": offset, "size": size, "device_id": device_id}

    def write_tensor(
        self,
        cache_id: int,
        tensor: int,
        data: Union[bytes, bytearray, memoryview],
        *,
        batch_index: Optional[int] = None,
        block: Optional[int] = None,
        offset: Optional[int] = None,
        device_id: Optional[int] = None,
    ) -> JSON:
        query = self._tensor_query(batch_index, block, offset, None, device_id)
        _, _, raw = self.request(
            "PUT", f"/v1/cache/{int(cache_id)}/tensors/{int(tensor)}", query=query, data=bytes(data)
        )
        return json.loads(raw) if raw else {}

    def read_tensor(
        self,
        cache_id: int,
        tensor: int,
        *,
        batch_index: Optional[int] = None,
        block: Optional[int] = None,
        offset: Optional[int] = None,
        size: Optional[int] = None,
        device_id: Optional[int] = None,
    ) -> bytes:
        query = self._tensor_query(batch_index, block, offset, size, device_id)
        _, _, raw = self.request(
            "GET",
            f"/v1/cache/{int(cache_id)}/tensors/{int(tensor)}",
            query=query,
            headers={"Accept": "application/octet-stream"},
        )
        return raw

    def copy_cache(
        self,
        cache_id: int,
        src_cache_id: int,
        dst_batch_index: int = 0,
        src_batch_index: int = 0,
        offset: int = 0,
        size: int = -1,
    ) -> JSON:
        body = {
            "src_cache_id": src_cache_id,
            "dst_batch_index": dst_batch_index,
            "src_batch_index": src_batch_index,
            "offset": offset,
            "size": size,
        }
        return self._json("POST", f"/v1/cache/{int(cache_id)}/copy", body)

    def copy_blocks(self, cache_id: int, mapping: Mapping[int, Sequence[int]]) -> JSON:
        body = {"mapping": {str(k): [int(x) for x in v] for k, v in mapping.items()}}
        return self._json("POST", f"/v1/cache/{int(cache_id)}/copy_blocks", body)

    def swap_blocks(self, src_cache_id: int, dst_cache_id: int, src_to_dst: Mapping[int, int]) -> JSON:
        body = {
            "src_cache_id": src_cache_id,
            "dst_cache_id": dst_cache_id,
            "src_to_dst": {str(k): int(v) for k, v in src_to_dst.items()},
        }
        return self._json("POST", "/v1/cache/swap_blocks", body)

    # MARK: transfers (CONTRACT §6, §11)

    @staticmethod
    def _common(
        src_layer_range: Optional[LayerRange],
        dst_layer_range: Optional[LayerRange],
        tensor_num_per_layer: Optional[int],
        timeout_ms: Optional[int],
    ) -> JSON:
        return _put(
            {},
            src_layer_range=_range(src_layer_range),
            dst_layer_range=_range(dst_layer_range),
            tensor_num_per_layer=tensor_num_per_layer,
            timeout_ms=timeout_ms,
        )

    @staticmethod
    def pull_cache_body(
        cache_key: Optional[Mapping[str, Any]] = None,
        cache_key_by_id: Optional[Mapping[str, Any]] = None,
        batch_index: int = 0,
        size: int = -1,
        src_layer_range: Optional[LayerRange] = None,
        dst_layer_range: Optional[LayerRange] = None,
        tensor_num_per_layer: Optional[int] = None,
        timeout_ms: Optional[int] = None,
    ) -> JSON:
        body = Client._common(src_layer_range, dst_layer_range, tensor_num_per_layer, timeout_ms)
        body.update({"batch_index": batch_index, "size": size})
        if cache_key is not None:
            body["cache_key"] = dict(cache_key)
        if cache_key_by_id is not None:
            body["cache_key_by_id"] = dict(cache_key_by_id)
        return body

    def pull_cache(self, cache_id: int, **fields: Any) -> JSON:
        """``cache_key`` or ``cache_key_by_id``, ``batch_index``, ``size``, layer ranges, ``timeout_ms``."""
        return self._json("POST", f"/v1/cache/{int(cache_id)}/pull", self.pull_cache_body(**fields))

    @staticmethod
    def pull_blocks_body(
        dst_blocks: Sequence[int],
        src_cache_key: Optional[Mapping[str, Any]] = None,
        src_blocks_cache_key: Optional[Mapping[str, Any]] = None,
        src_cache_key_by_id: Optional[Mapping[str, Any]] = None,
        src_blocks: Sequence[int] = (),
        src_layer_range: Optional[LayerRange] = None,
        dst_layer_range: Optional[LayerRange] = None,
        tensor_num_per_layer: Optional[int] = None,
        timeout_ms: Optional[int] = None,
    ) -> JSON:
        body = Client._common(src_layer_range, dst_layer_range, tensor_num_per_layer, timeout_ms)
        body["dst_blocks"] = [int(b) for b in dst_blocks]
        if src_blocks:
            body["src_blocks"] = [int(b) for b in src_blocks]
        for name, key in (
            ("src_cache_key", src_cache_key),
            ("src_blocks_cache_key", src_blocks_cache_key),
            ("src_cache_key_by_id", src_cache_key_by_id),
        ):
            if key is not None:
                body[name] = dict(key)
        return body

    def pull_blocks(self, cache_id: int, **fields: Any) -> JSON:
        return self._json("POST", f"/v1/cache/{int(cache_id)}/pull_blocks", self.pull_blocks_body(**fields))

    @staticmethod
    def push_cache_body(
        dst_cache_key_by_id: Mapping[str, Any],
        src_batch_index: int = 0,
        size: int = -1,
        src_layer_range: Optional[LayerRange] = None,
        dst_layer_range: Optional[LayerRange] = None,
        tensor_num_per_layer: Optional[int] = None,
        timeout_ms: Optional[int] = None,
    ) -> JSON:
        body = Client._common(src_layer_range, dst_layer_range, tensor_num_per_layer, timeout_ms)
        body.update({"dst_cache_key_by_id": dict(dst_cache_key_by_id), "src_batch_index": src_batch_index, "size": size})
        return body

    def push_cache(self, cache_id: int, **fields: Any) -> JSON:
        return self._json("POST", f"/v1/cache/{int(cache_id)}/push", self.push_cache_body(**fields))

    @staticmethod
    def push_blocks_body(
        dst_blocks_cache_key: Mapping[str, Any],
        src_blocks: Sequence[int],
        dst_blocks: Sequence[int],
        src_layer_range: Optional[LayerRange] = None,
        dst_layer_range: Optional[LayerRange] = None,
        tensor_num_per_layer: Optional[int] = None,
        timeout_ms: Optional[int] = None,
    ) -> JSON:
        body = Client._common(src_layer_range, dst_layer_range, tensor_num_per_layer, timeout_ms)
        body.update(
            {
                "dst_blocks_cache_key": dict(dst_blocks_cache_key),
                "src_blocks": [int(b) for b in src_blocks],
                "dst_blocks": [int(b) for b in dst_blocks],
            }
        )
        return body

    def push_blocks(self, cache_id: int, **fields: Any) -> JSON:
        return self._json("POST", f"/v1/cache/{int(cache_id)}/push_blocks", self.push_blocks_body(**fields))

    def submit_transfer(self, op: str, cache_id: int, **fields: Any) -> JSON:
        """``op`` pull | pull_blocks | push | push_blocks with the fields of the synchronous call → 202's body
        (``transfer_id``, ``state``). A node runs a bounded number of asynchronous transfers per peer at once; the
        rest wait their turn as ``running`` (``datadist_transfers_queued`` in :meth:`metrics`), and ``timeout_ms``
        counts from this call, not from the turn."""
        builders = {
            "pull": self.pull_cache_body,
            "pull_blocks": self.pull_blocks_body,
            "push": self.push_cache_body,
            "push_blocks": self.push_blocks_body,
        }
        if op not in builders:
            raise ValueError(f"op must be one of {sorted(builders)}, got {op!r}")
        body = builders[op](**fields)
        body.update({"op": op, "cache_id": int(cache_id)})
        return self._json("POST", "/v1/transfers", body)

    def get_transfer(self, transfer_id: str, wait_ms: Optional[int] = None) -> JSON:
        timeout = None if wait_ms is None else self.timeout + wait_ms / 1000.0
        return self._json("GET", f"/v1/transfers/{quote(transfer_id, safe='')}", query={"wait_ms": wait_ms}, timeout=timeout)

    def list_transfers(self, since: int = 0, state: Optional[str] = None, limit: Optional[int] = None) -> JSON:
        return self._json("GET", "/v1/transfers", query={"since": since, "state": state, "limit": limit})

    def cancel_transfer(self, transfer_id: str) -> JSON:
        return self._json("DELETE", f"/v1/transfers/{quote(transfer_id, safe='')}")

    # MARK: events (CONTRACT §12)

    def events(
        self, since: Optional[int] = None, last_event_id: Optional[int] = None, timeout: Optional[float] = None
    ) -> Iterator[JSON]:
        """Iterates the node's Server-Sent Events as dicts (the ``data`` object; ``type`` from ``event:``).
        Ends when the node ends the stream; ``timeout`` bounds each wait for a line (``socket.timeout``)."""
        headers = self._headers({"Accept": "text/event-stream"})
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        target = "/v1/events" + (f"?since={int(since)}" if since is not None else "")
        conn = self._connection(timeout)
        try:
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            if response.status >= 400:
                raise self._error(response.status, response.read())
            yield from _sse(response)
        finally:
            conn.close()


def _sse(response: http.client.HTTPResponse) -> Iterator[JSON]:
    event: Optional[str] = None
    ident: Optional[str] = None
    data: List[str] = []
    while True:
        try:
            line_bytes = response.readline()
        except (socket.timeout, TimeoutError):
            raise
        if not line_bytes:
            return
        line = line_bytes.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                try:
                    value = json.loads("\n".join(data))
                except ValueError:
                    value = {"data": "\n".join(data)}
                if not isinstance(value, dict):
                    value = {"data": value}
                if event is not None:
                    value.setdefault("type", event)
                if ident is not None:
                    value.setdefault("id", ident)
                yield value
            event, ident, data = None, None, []
            continue
        if line.startswith(":"):
            continue
        name, _, rest = line.partition(":")
        rest = rest[1:] if rest.startswith(" ") else rest
        if name == "event":
            event = rest
        elif name == "id":
            ident = rest
        elif name == "data":
            data.append(rest)
