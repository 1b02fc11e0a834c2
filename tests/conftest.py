"""Shared fixtures for the end-to-end tests.

The tests drive the real release binary (`make build`), real servers on
127.0.0.1 (moto's STS, the strict STS fixture) and the real AWS CLI from the
test venv.  Nothing here talks to the internet.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Clearly fake values: recognisable in a leak scan, useless anywhere else.
ORG_ID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PROJECT_ID = "0a1b2c3d-1111-4222-8333-444455556666"
USER_ID = "9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Polls `url` until the server answers anything, or fails with its output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode}) before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")


@pytest.fixture(scope="session")
def aws_oidc_bin() -> Path:
    """The release binary built by `make build` (AWS_OIDC_BIN overrides)."""
    path = Path(
        os.environ.get(
            "AWS_OIDC_BIN", REPO / "target/x86_64-unknown-linux-musl/release/aws-oidc"
        )
    )
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make build` first (or `make test`)")
    return path


@contextmanager
def running_moto(extra_env: dict[str, str] | None = None):
    """moto's server on a free loopback port, stopped on exit; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/moto-api/", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def moto_server():
    """moto's server for the whole session."""
    with running_moto() as url:
        yield url


class TokenFactory:
    """Mints CircleCI-shaped OIDC tokens signed with a throwaway RSA key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def claims(
        self,
        *,
        org_id: str = ORG_ID,
        project_id: str = PROJECT_ID,
        aud: str | None = None,
        exp_in: int = 3600,
        vcs_origin: str | None = "github.com/acme/app",
        vcs_ref: str | None = "refs/heads/main",
        context_ids: list[str] | None = None,
        ssh_rerun: bool = False,
        **extra,
    ) -> dict:
        now = int(time.time())
        sub = f"org/{org_id}/project/{project_id}/user/{USER_ID}"
        if vcs_origin is not None and vcs_ref is not None:
            sub += f"/vcs-origin/{vcs_origin}/vcs-ref/{vcs_ref}"
        claims = {
            "iss": f"https://oidc.circleci.com/org/{org_id}",
            "aud": aud if aud is not None else org_id,
            "sub": sub,
            "iat": now - 5,
            "nbf": now - 5,
            "exp": now + exp_in,
            "oidc.circleci.com/project-id": project_id,
            "oidc.circleci.com/context-ids": context_ids or [],
            "oidc.circleci.com/ssh-rerun": ssh_rerun,
            "jti": str(uuid.uuid4()),
        }
        if vcs_origin is not None:
            claims["oidc.circleci.com/vcs-origin"] = vcs_origin
        if vcs_ref is not None:
            claims["oidc.circleci.com/vcs-ref"] = vcs_ref
        claims.update(extra)
        return claims

    def mint(self, **kwargs) -> str:
        return jwt.encode(self.claims(**kwargs), self.key, algorithm="RS256", headers={"kid": "test"})


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def job_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a CircleCI job step, with a private HOME and $BASH_ENV.

    Nothing from the developer's own AWS set-up leaks in: only PATH, LANG and
    the variables CircleCI sets are kept.
    """
    home = tmp_path / "home"
    home.mkdir()
    bash_env = tmp_path / "bash_env"
    bash_env.touch()
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "BASH_ENV": str(bash_env),
        "CIRCLECI": "true",
        "CIRCLE_JOB": "deploy",
        "CIRCLE_BUILD_NUM": "42",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class StrictSts:
    """Handle on a running strict STS fixture (see tests/strict_sts/README.md)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def configure(self, config: dict) -> None:
        self._call("PUT", "/_fixture/config", config)
        self._call("DELETE", "/_fixture/faults")
        self._call("DELETE", "/_fixture/calls")

    def fault(self, kind: str, count: int = 1, action: str = "AssumeRoleWithWebIdentity", **extra) -> None:
        self._call("POST", "/_fixture/faults", {"action": action, "kind": kind, "count": count, **extra})

    def calls(self, action: str = "AssumeRoleWithWebIdentity") -> int:
        return self._call("GET", "/_fixture/calls")[action]

    def log(self) -> list[dict]:
        return self._call("GET", "/_fixture/calls")["log"]


@pytest.fixture(scope="session")
def strict_sts(tmp_path_factory):
    """The strict STS fixture on a free loopback port."""
    port_file = tmp_path_factory.mktemp("strict-sts") / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "strict_sts", "serve", "--port", "0", "--port-file", str(port_file)],
        cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"strict_sts did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)
        yield StrictSts(f"http://127.0.0.1:{port_file.read_text().strip()}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def private_pem(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def aws(strict_sts, tokens):
    """Configures the strict fixture's AWS account; returns a function to change it."""
    from steps import ROLE, SECOND_ROLE, PROVIDER, chain_trust, trust

    def configure(trust_policy: dict | None = None, *, client_ids=(ORG_ID,), providers=True,
                  max_session_duration=3600, **extra) -> None:
        config = {
            "account_id": ACCOUNT_ID,
            "region": "us-east-1",
            "signing_keys": {"test": private_pem(tokens.key)},
            "providers": [{"url": PROVIDER, "client_ids": list(client_ids)}] if providers else [],
            "roles": {
                ROLE: {"trust_policy": trust_policy or trust(), "max_session_duration": max_session_duration},
                SECOND_ROLE: {"trust_policy": extra.pop("second_trust", chain_trust()), "max_session_duration": 3600},
            },
            **extra,
        }
        strict_sts.configure(config)

    configure()
    return configure
