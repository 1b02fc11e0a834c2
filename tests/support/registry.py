"""A real registry and a real image for the ECR tests.

- `running_registry`: Debian's `docker-registry` (the distribution registry)
  on a free loopback port, plain HTTP, with htpasswd (bcrypt) auth for one
  user; started and stopped by the test.
- `make_oci_image`: a one-layer OCI image layout written by hand (no Docker
  needed), for `skopeo copy oci:DIR:TAG docker://...`.
- `skopeo`: runs Debian's skopeo with exactly the environment given, so it
  finds credentials only where aws-oidc wrote them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from support.servers import free_port, stopped_at_exit, wait_http


@contextmanager
def running_registry(directory: Path, user: str, password: str):
    """The distribution registry on 127.0.0.1, accepting only `user`/`password`; yields `host:port`."""
    for tool in ("docker-registry", "htpasswd"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: run `make tools`")
    directory.mkdir(parents=True, exist_ok=True)
    htpasswd = directory / "htpasswd"
    # -i: the password on stdin, never in a process list.
    subprocess.run(["htpasswd", "-Bic", str(htpasswd), user], input=password, text=True,
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
        f"auth:\n  htpasswd:\n    realm: aws-oidc-test\n    path: {htpasswd}\n"
    )
    log = directory / "registry.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=out, stderr=out)
    with stopped_at_exit(proc):
        wait_http(f"http://127.0.0.1:{port}/v2/", proc)
        yield f"127.0.0.1:{port}"


def _blob(layout: Path, data: bytes) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def make_oci_image(layout: Path, tag: str = "v1", text: str = "hello from aws-oidc\n") -> str:
    """Writes a one-layer OCI image layout; returns its layer's digest."""
    (layout / "blobs" / "sha256").mkdir(parents=True)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mode, info.mtime = len(text), 0o644, 0
        tar.addfile(info, io.BytesIO(text.encode()))
    layer = _blob(layout, gzip.compress(tar_bytes.getvalue(), mtime=0))
    config = _blob(layout, json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(tar_bytes.getvalue()).hexdigest()}"]},
    }).encode())  # fmt: skip
    manifest = _blob(layout, json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
    }).encode())  # fmt: skip
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **manifest,
                       "annotations": {"org.opencontainers.image.ref.name": tag}}],
    }))  # fmt: skip
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return layer["digest"]


def skopeo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`skopeo --insecure-policy ARGS` with exactly `env` (plain HTTP to the loopback registry)."""
    return subprocess.run(["skopeo", "--insecure-policy", *args], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def anonymous_status(host: str) -> int:
    """What the registry answers a request without credentials."""
    try:
        urllib.request.urlopen(f"http://{host}/v2/_catalog", timeout=5)
        return 200
    except urllib.error.HTTPError as e:
        return e.code
