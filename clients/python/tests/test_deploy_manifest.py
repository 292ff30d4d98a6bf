"""deploy/kubernetes.yaml means what it says (issue 13 item 5, issue 9 item 6, issue 15): `make lint` checks its
schema; here, that its parts fit together — the shared Memory emptyDir is the node's --shm-dir in both containers,
the TLS files come from the mounted Secret, the probes use HTTPS when the admin port serves TLS — and that the
node's own binary starts with the manifest's arguments and answers the probes' paths."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from conftest import datadist_binary, free_port

if os.environ.get("DATADIST_REQUIRE_OPENAPI_CORE") != "1":
    pytest.importorskip("yaml", reason="PyYAML is a test-only dependency (`make pytest` installs it)")
import yaml  # type: ignore[import-untyped]  # noqa: E402

MANIFEST = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes.yaml"
# While a build refuses TLS flags (issue 15 not yet merged), the node starts without them and is probed over HTTP.
TLS_NOT_YET = "does not serve or dial TLS yet"


def pod_spec() -> Dict[str, Any]:
    documents = [d for d in yaml.safe_load_all(MANIFEST.read_text()) if d]
    (statefulset,) = [d for d in documents if d["kind"] == "StatefulSet"]
    spec: Dict[str, Any] = statefulset["spec"]["template"]["spec"]
    return spec


def container(spec: Dict[str, Any], name: str) -> Dict[str, Any]:
    (found,) = [c for c in spec["containers"] if c["name"] == name]
    return dict(found)


def flag(args: List[str], name: str) -> Optional[str]:
    return args[args.index(name) + 1] if name in args else None


def mount_path(c: Dict[str, Any], volume: str) -> str:
    (path,) = [m["mountPath"] for m in c.get("volumeMounts", []) if m["name"] == volume]
    return str(path)


def test_the_pod_fits_together() -> None:
    spec = pod_spec()
    node, engine = container(spec, "datadist"), container(spec, "engine")
    args = [str(a) for a in node["args"]]
    volumes = {v["name"]: v for v in spec["volumes"]}

    # §10: the pools are files in a tmpfs both containers mount at the node's --shm-dir, as one user.
    shm_dir = flag(args, "--shm-dir")
    (shm_volume,) = [name for name, v in volumes.items() if v.get("emptyDir", {}).get("medium") == "Memory"]
    assert shm_dir == mount_path(node, shm_volume) == mount_path(engine, shm_volume)
    assert spec["securityContext"]["runAsUser"] == spec["securityContext"]["runAsGroup"]
    assert all("runAsUser" not in c.get("securityContext", {}) for c in spec["containers"])

    # §13: certificate, key and CA are files of the Secret's mount.
    tls_dir = mount_path(node, "tls")
    assert "secret" in volumes["tls"]
    for name in ("--tls-cert", "--tls-key", "--tls-ca"):
        value = flag(args, name)
        assert value is not None and value.startswith(tls_dir + "/"), f"{name} {value}"

    # Probes: the admin port's number is --admin's, and a TLS admin port is probed over HTTPS.
    admin_port = {p["name"]: p["containerPort"] for p in node["ports"]}["admin"]
    assert (flag(args, "--admin") or "").endswith(f":{admin_port}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = node[probe]["httpGet"]
        assert (get["path"], get["port"], get.get("scheme")) == (path, "admin", "HTTPS")


def make_certificates(directory: Path) -> None:
    """A CA and a node certificate for 127.0.0.1 signed by it, with the Secret's file names."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ca_key, ca, key, csr, cert = (directory / n for n in ("ca.key", "ca.crt", "tls.key", "tls.csr", "tls.crt"))
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
            "-subj", "/CN=datadist test CA", "-days", "1")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=datadist")
    extensions = directory / "san.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "1", "-extfile", str(extensions), "-out", str(cert))  # fmt: skip


def manifest_argv(tmp: Path, admin: str) -> List[str]:
    """The datadist container's arguments, with its paths moved under `tmp` and the pools made small."""
    args = [str(a) for a in container(pod_spec(), "datadist")["args"]]
    moved = {"/etc/datadist/tls/": f"{tmp}/tls/", flag(args, "--shm-dir") or "": str(tmp / "shm")}
    out: List[str] = []
    for a in args:
        for old, new in moved.items():
            if old and a.startswith(old):
                a = new + a[len(old) :]
        out.append(a)
    out[out.index("--admin") + 1] = admin
    for pool in ("--device-pool", "--host-pool"):
        out[out.index(pool) + 1] = "64MiB"
    return out


@pytest.fixture
def node_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "tls").mkdir()
    (tmp_path / "shm").mkdir()
    yield tmp_path


def get(url: str, context: Optional[ssl.SSLContext]) -> Dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5, context=context) as answer:
        body: Dict[str, Any] = yaml.safe_load(answer.read())  # JSON is YAML
        return body


def test_the_node_starts_with_the_manifests_arguments_and_answers_the_probes(node_dir: Path) -> None:
    make_certificates(node_dir / "tls")
    port = free_port()
    argv = [datadist_binary(), *manifest_argv(node_dir, f"127.0.0.1:{port}")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATADIST_")}
    env.update(DATADIST_CLUSTER_ID="0", DATADIST_ADMIN_TOKEN="admin-secret", DATADIST_PEER_TOKEN="peer-secret")
    scheme = "https"
    context: Optional[ssl.SSLContext] = ssl.create_default_context(cafile=str(node_dir / "tls" / "ca.crt"))
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                err = process.stderr.read() if process.stderr else ""
                assert process.returncode == 2 and TLS_NOT_YET in err, f"exit {process.returncode}: {err}"
                # This build refuses TLS: every other flag of the manifest must still be accepted.
                argv = [a for a in argv if not a.startswith(str(node_dir / "tls"))]
                argv = [a for a in argv if a not in ("--tls-cert", "--tls-key", "--tls-ca")]
                scheme, context = "http", None
                process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                continue
            try:
                health = get(f"{scheme}://127.0.0.1:{port}/healthz", context)
                break
            except OSError:
                assert time.monotonic() < deadline, "the node did not answer /healthz within 20 s"
                time.sleep(0.05)
        assert health == {"status": "ok"}
        assert get(f"{scheme}://127.0.0.1:{port}/readyz", context)["status"] == "ready"
        assert sorted(p.name for p in (node_dir / "shm").iterdir()), "no pool file in --shm-dir"
        print(f"the manifest's node answered its probes over {scheme}")
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stderr:
            process.stderr.close()
