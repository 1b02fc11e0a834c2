"""The servers the tests talk to, as processes on 127.0.0.1: moto's server
and the strict STS fixture (tests/strict_sts)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from .accounts import VENV_BIN

TESTS = Path(__file__).resolve().parents[1]


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


@contextmanager
def stopped_at_exit(proc: subprocess.Popen):
    """`proc`, terminated and waited for when the block ends, however it ends."""
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def running_moto(extra_env: dict[str, str] | None = None):
    """moto's server on a free loopback port, stopped on exit; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with stopped_at_exit(subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )) as proc:
        wait_http(url + "/moto-api/", proc)
        yield url


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


@contextmanager
def running_strict_sts(scratch: Path):
    """The strict STS fixture on a free loopback port, stopped on exit."""
    port_file = scratch / "port"
    with stopped_at_exit(subprocess.Popen(
        [sys.executable, "-m", "strict_sts", "serve", "--port", "0", "--port-file", str(port_file)],
        cwd=TESTS,
        env={**os.environ, "PYTHONPATH": str(TESTS)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )) as proc:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"strict_sts did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.05)
        yield StrictSts(f"http://127.0.0.1:{port_file.read_text().strip()}")
