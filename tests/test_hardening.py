"""Hostile conditions: parallel writers, a process killed mid-write, a
read-only home, a full disk, an unwritable $BASH_ENV.  Nothing may be lost,
half-written or leaked.

The file-system cases mount small tmpfs file systems, which needs root (as in
CI and on the project's machines).
"""

from __future__ import annotations

import configparser
import os
import random
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from steps import ROLE, run_aws, run_aws_oidc


@pytest.fixture
def job(aws_oidc_bin, moto_server, tokens, job_env):
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_STS": moto_server}
    return env


@contextmanager
def tmpfs(path: Path, size: str, readonly: bool = False):
    """A small tmpfs at `path` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("these file-system tests mount a tmpfs and need root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def parse_ini(text: str) -> configparser.ConfigParser:
    """Parses as botocore does (RawConfigParser, strict about duplicates)."""
    p = configparser.RawConfigParser()
    p.read_string(text)
    return p


def test_sixteen_parallel_steps_writing_profiles_lose_nothing(aws_oidc_bin, job, moto_server):
    aws_dir = Path(job["HOME"]) / ".aws"
    aws_dir.mkdir()
    original = "# hand-written, keep me\n[other]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n"
    (aws_dir / "credentials").write_text(original)
    procs = [
        subprocess.Popen([str(aws_oidc_bin), "assume", "--role-arn", ROLE, "--profile", f"p{i}",
                          "--session-name", f"s{i}"], env=job, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(16)
    ]
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    assert all(p.returncode == 0 for p, _, _ in results), [e for _, _, e in results]

    text = (aws_dir / "credentials").read_text()
    assert text.startswith(original)
    creds = parse_ini(text)
    assert sorted(creds.sections()) == sorted(["other", *(f"p{i}" for i in range(16))])
    config = parse_ini((aws_dir / "config").read_text())
    for i in range(16):
        assert creds[f"p{i}"]["aws_access_key_id"].startswith("ASIA")
        assert config[f"profile p{i}"]["region"] == "us-east-1"
    assert not list(aws_dir.glob(".aws-oidc-*")), "temporary files were left behind"
    for i in random.Random(7).sample(range(16), 3):
        out = run_aws(job, "sts", "get-caller-identity", "--profile", f"p{i}", endpoint=moto_server)
        assert out.returncode == 0 and f"/s{i}" in out.stdout, out.stderr


def test_a_step_killed_at_any_moment_leaves_the_old_file_or_the_new_one(aws_oidc_bin, job):
    aws_dir = Path(job["HOME"]) / ".aws"
    aws_dir.mkdir()
    # A large file widens the window in which a write could be caught half-done.
    filler = "".join(f"# line {i:07d} of a large, hand-kept credentials file\n" for i in range(60_000))
    original = filler + "[deploy]\naws_access_key_id = OLD\n"
    creds_file = aws_dir / "credentials"
    creds_file.write_text(original)
    rng = random.Random(11)
    outcomes = set()
    for _ in range(25):
        proc = subprocess.Popen([str(aws_oidc_bin), "assume", "--role-arn", ROLE, "--profile", "deploy"],
                                env=job, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.06))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        text = creds_file.read_text()
        assert text.startswith(filler), "the file was truncated or replaced by a partial write"
        section = parse_ini(text)["deploy"]
        if section["aws_access_key_id"] == "OLD":
            outcomes.add("old")
        else:
            assert section["aws_access_key_id"].startswith("ASIA")
            assert section["aws_session_token"], "a new file without all its keys"
            outcomes.add("new")
        for leftover in aws_dir.glob(".aws-oidc-*"):
            leftover.unlink()  # a killed process may leave its temporary file, never a broken target
    assert outcomes, "no run was observed"


def test_a_read_only_home_is_a_clear_error_and_nothing_else_is_written(aws_oidc_bin, job, tmp_path):
    home = tmp_path / "ro-home"
    with tmpfs(home, "1m", readonly=True):
        env = {**job, "HOME": str(home)}
        result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p", "--bash-env"], env)
    assert result.returncode == 1
    assert "Read-only file system" in result.stderr and "choose another path" in result.stderr
    assert Path(job["BASH_ENV"]).read_text() == "", "$BASH_ENV was written although the profile failed"


def test_a_full_disk_keeps_the_old_credentials_file(aws_oidc_bin, job, tmp_path):
    home = tmp_path / "small-home"
    with tmpfs(home, "64k"):
        aws_dir = home / ".aws"
        aws_dir.mkdir()
        original = "[keep]\naws_access_key_id = AKIAKEEP\n" + "# padding\n" * 2000
        (aws_dir / "credentials").write_text(original)
        # Fill the rest of the file system.
        fd = os.open(home / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        env = {**job, "HOME": str(home)}
        result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p"], env)
        assert result.returncode == 1
        assert "disk is full" in result.stderr, result.stderr
        assert (aws_dir / "credentials").read_text() == original
        assert not list(aws_dir.glob(".aws-oidc-*")), "a temporary file was left on the full disk"


def test_an_unwritable_bash_env_fails_before_the_token_is_spent(aws_oidc_bin, job, tmp_path, moto_server):
    ro = tmp_path / "ro"
    with tmpfs(ro, "1m") as d:
        (d / "bash_env").write_text("export KEEP=1\n")
        subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True)
        env = {**job, "BASH_ENV": str(d / "bash_env")}
        result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p", "--bash-env"], env)
        assert result.returncode == 1
        assert "cannot append to" in result.stderr and "$BASH_ENV" in result.stderr
        assert (d / "bash_env").read_text() == "export KEEP=1\n"
    assert not (Path(job["HOME"]) / ".aws").exists(), "the profile was written although the step failed"
