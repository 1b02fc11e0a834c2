"""Real package registries on loopback, with one htpasswd user `aws`, for
the CodeArtifact tests: verdaccio (npm) and pypiserver (PyPI).

Neither answers without the user's credentials, so a package that installs
or publishes proves the settings aws-oidc wrote reached the tool.  Both are
installed by `make tools` (verdaccio: tools/install-verdaccio.sh) and
`make venv` (pypiserver, twine: tests/requirements.txt); a tool missing here
fails the test with the command that installs it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from .accounts import REPO, VENV_BIN
from .servers import free_port, stopped_at_exit, wait_http

VERDACCIO = REPO / ".tools" / "verdaccio" / "node_modules" / ".bin" / "verdaccio"


def tool(name: str) -> str:
    """`name` from the test venv (else the repository's .tools/py venv)."""
    found = shutil.which(name, path=f"{VENV_BIN}:{REPO / '.tools' / 'py' / 'bin'}")
    if not found:
        pytest.fail(f"{name} is not installed: run `make venv` (tests/requirements.txt)")
    return found


def htpasswd_line(user: str, password: str) -> str:
    """`user:{SHA}...`, which verdaccio and passlib both read."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


@contextmanager
def verdaccio(root: Path, password: str):
    """verdaccio with user `aws`; yields (url, the npm token verdaccio issues to `aws`)."""
    if not VERDACCIO.exists():
        pytest.fail("verdaccio is not installed: run tools/install-verdaccio.sh (make tools does)")
    root.mkdir(parents=True, exist_ok=True)
    (root / "htpasswd").write_text(htpasswd_line("aws", password))
    port = free_port()
    config = {
        "storage": str(root / "storage"),
        "auth": {"htpasswd": {"file": str(root / "htpasswd"), "max_users": -1}},
        "uplinks": {},
        "packages": {"**": {"access": "$authenticated", "publish": "$authenticated"}},
        "log": {"type": "stdout", "format": "pretty", "level": "error"},
        "web": {"enable": False},
    }
    (root / "config.yaml").write_text(json.dumps(config))  # YAML reads JSON
    url = f"http://127.0.0.1:{port}/"
    with open(root / "verdaccio.log", "wb") as log, stopped_at_exit(subprocess.Popen(
        [str(VERDACCIO), "--config", str(root / "config.yaml"), "--listen", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HOME": str(root)},
    )) as proc:  # fmt: skip
        wait_http(url + "-/ping", proc)
        # What `npm login` does: verdaccio answers the user's password (as
        # Basic auth, for a user it has) with a token of its own.
        basic = "Basic " + base64.b64encode(f"aws:{password}".encode()).decode()
        req = urllib.request.Request(url + "-/user/org.couchdb.user:aws", method="PUT",
                                     data=json.dumps({"name": "aws", "password": password}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": basic})  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as resp:
            token = json.load(resp)["token"]
        yield url, token


@contextmanager
def pypiserver(root: Path, password: str):
    """pypiserver with user `aws`, asking for it on every download, listing and upload; yields its URL."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "packages").mkdir(exist_ok=True)
    (root / "htpasswd").write_text(htpasswd_line("aws", password))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(root / "pypiserver.log", "wb") as log, stopped_at_exit(subprocess.Popen(
        [tool("pypi-server"), "run", "--host", "127.0.0.1", "--port", str(port), "--passwords", str(root / "htpasswd"),
         "--authenticate", "update,download,list", str(root / "packages")],
        stdout=log, stderr=subprocess.STDOUT,
    )) as proc:  # fmt: skip
        wait_http(url + "health", proc)
        yield url


def wheel(directory: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel of `name` (one module saying its name)."""
    dist = f"{name.replace('-', '_')}-{version}"
    path = directory / f"{dist}-py3-none-any.whl"
    files = {
        f"{name.replace('-', '_')}.py": f"NAME = {name!r}\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(path, "w") as z:
        for arcname, text in files.items():
            data = text.encode()
            z.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{arcname},sha256={digest},{len(data)}")
        record.append(f"{dist}.dist-info/RECORD,,")
        z.writestr(f"{dist}.dist-info/RECORD", "\n".join(record) + "\n")
    return path
