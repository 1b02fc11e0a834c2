"""Running the real binary and the real AWS CLI the way a CircleCI step does."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .accounts import REPO, VENV_BIN


#: The release's target for each machine (`platform.machine()`).
RELEASE_TARGETS = {"x86_64": "x86_64-unknown-linux-musl", "aarch64": "aarch64-unknown-linux-musl"}
#: Every target a release ships (tools/dist.sh, orb-pack's TARGETS).
ALL_TARGETS = (
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-gnu",
)
#: Each target's archive formats: the same tar twice.  The orb's install step
#: takes the first where the image has zstd, else the second.
ARCHIVE_FORMATS = ("tar.zst", "tar.gz")


def release_under_test() -> tuple[Path, str, tuple[str, ...]]:
    """Where `make dist` put the release (AWS_OIDC_DIST), its version (the
    workspace's), and the targets under test (AWS_OIDC_TARGETS, else all)."""
    import tomllib

    repo = REPO
    with open(repo / "Cargo.toml", "rb") as f:
        version = tomllib.load(f)["workspace"]["package"]["version"]
    targets = tuple(os.environ.get("AWS_OIDC_TARGETS", " ".join(ALL_TARGETS)).split())
    return Path(os.environ.get("AWS_OIDC_DIST", repo / "dist")), version, targets


def archive_name(version: str, target: str, fmt: str) -> str:
    """A release archive's file name, as tools/dist.sh and the orb spell it."""
    return f"aws-oidc-{version}-{target}.{fmt}"


def pinned_sums(orb: dict) -> dict[str, str]:
    """The packed orb's pin table, {archive name: sha256}: what its install
    step checks downloads against (`sha256sum`'s own line format)."""
    table = orb["commands"]["install_aws_oidc"]["steps"][0]["run"]["environment"]["AWS_OIDC_PINNED_SHA256"]
    return {name: digest for digest, name in (line.split() for line in table.splitlines())}


def run_aws_oidc(binary: Path, args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Runs `aws-oidc ARGS` with exactly `env`; never raises on failure."""
    return subprocess.run(
        [str(binary), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=kwargs.pop("timeout", 120),
        **kwargs,
    )


def with_stored_keys(job_env: dict[str, str], tmp_path: Path, key_id: str, secret: str, region: str,
                     session_token: str | None = None, endpoints: dict[str, str] | None = None) -> dict[str, str]:
    """A job step after setup exported keys: `job_env` with the keys (and
    session token), the region, each service of `endpoints` at its URL
    (`{"ECR": url}` sets AWS_ENDPOINT_URL_ECR) and a private aws-oidc cache."""
    return {
        **job_env,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        **({"AWS_SESSION_TOKEN": session_token} if session_token else {}),
        "AWS_REGION": region,
        **{f"AWS_ENDPOINT_URL_{service}": url for service, url in (endpoints or {}).items()},
        "AWS_OIDC_CACHE_DIR": str(tmp_path / "cache"),
    }


def with_tool(env: dict[str, str], directory: Path, name: str, script: str) -> dict[str, str]:
    """`env` with `directory` first on PATH, holding `name`: an executable sh `script`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(f"#!/bin/sh\n{script}")
    (directory / name).chmod(0o755)
    return {**env, "PATH": f"{directory}:{env['PATH']}"}


def run_aws(env: dict[str, str], *args: str, endpoint: str | None = None) -> subprocess.CompletedProcess:
    """Runs the real AWS CLI (from the test venv) with `env`."""
    cmd = [str(VENV_BIN / "aws")]
    if endpoint:
        cmd += ["--endpoint-url", endpoint]
    return subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=120)


def sourced_env(bash_env: Path, base: dict[str, str]) -> dict[str, str]:
    """The environment a later step sees after `$BASH_ENV` is sourced (by real bash)."""
    out = subprocess.run(
        ["bash", "-c", f'set -a; . "{bash_env}"; env -0'],
        env=base,
        capture_output=True,
        check=True,
    ).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return dict(pairs)


def assert_no_secrets(texts: list[str], secrets: list[str]) -> None:
    """No secret value appears in any of `texts`."""
    for secret in secrets:
        assert secret, "empty secret in the list"
        for text in texts:
            assert secret not in text, "a secret leaked into output"


def credentials_in(env: dict[str, str]) -> list[str]:
    return [env[k] for k in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if env.get(k)]


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- the strict STS fixture's AWS account: its provider and trust policies ---

# --- a run with its wall time and peak memory ---


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_kb: int


def measured(binary: Path, args: list[str], env: dict, timeout: float = 60, **popen) -> Measured:
    """Runs the binary, with its wall time and peak memory.

    The peak comes from /usr/bin/time, which forks from a small process: a
    child forked from pytest itself would count pytest's memory too.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        rss = Path(scratch) / "rss"
        started = time.monotonic()
        try:
            proc = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", str(rss), str(binary), *args], env=env,
                                  capture_output=True, timeout=timeout, **popen)
        except subprocess.TimeoutExpired:
            pytest.fail(f"aws-oidc {' '.join(args)} still ran after {timeout}s: a hang")
        seconds = time.monotonic() - started
        result = Measured(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"),
                          seconds, int(rss.read_text().split()[-1]))
    assert result.returncode != 134 and "panicked" not in result.stderr, result.stderr
    return result
