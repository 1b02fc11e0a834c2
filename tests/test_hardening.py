"""Hostile conditions: parallel writers, a process killed mid-write, a
read-only home, a full disk, an unwritable $BASH_ENV.  Nothing may be lost,
half-written or leaked.

The file-system cases mount small tmpfs file systems, which needs root (as in
CI and on the project's machines).
"""

from __future__ import annotations

import configparser
import json
import os
import random
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.accounts import ROLE
from support.steps import run_aws, run_aws_oidc


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


# --- the file matrix: every target stays what it is ---------------------------------
#
# Each case runs `aws-oidc assume` against the strict STS fixture, which counts
# calls: a target that cannot be written is refused before any network call.

import stat  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from support.steps import Measured, measured  # noqa: E402


@pytest.fixture
def strict_job(aws_oidc_bin, strict_sts, aws, tokens, job_env):  # noqa: F811
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_STS": strict_sts.url}
    return env


def private_null(path: Path) -> Path:
    """A character device like /dev/null, of our own, so no test touches the real one."""
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return path


def assert_char_device(path: Path) -> None:
    assert stat.S_ISCHR(os.lstat(path).st_mode), f"{path} was replaced"


def test_dotenv_onto_a_character_device_is_written_through_not_replaced(aws_oidc_bin, strict_job, strict_sts, tmp_path):
    null = private_null(tmp_path / "null")
    before = os.lstat(null)
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "dotenv", str(null)], strict_job)
    assert r.returncode == 0, r.stderr
    assert_char_device(null)
    after = os.lstat(null)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), "the device node changed"


def test_dotenv_onto_a_proc_fd_link_writes_through_the_pipe(aws_oidc_bin, strict_job, tmp_path):
    read_end, write_end = os.pipe()
    try:
        r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "dotenv", f"/proc/self/fd/{write_end}"],
                     strict_job, pass_fds=(write_end,))
        os.close(write_end)
        written = os.read(read_end, 1 << 20).decode()
    finally:
        os.close(read_end)
    assert r.returncode == 0, r.stderr
    assert written.startswith("AWS_ACCESS_KEY_ID=ASIA"), written[:40]


def test_a_character_device_as_credentials_file_is_refused_before_sts(aws_oidc_bin, strict_job, strict_sts, tmp_path):
    null = private_null(tmp_path / "null")
    env = {**strict_job, "AWS_SHARED_CREDENTIALS_FILE": str(null)}
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p"], env)
    assert r.returncode == 1
    assert "character device" in r.stderr and str(null) in r.stderr, r.stderr
    assert strict_sts.calls() == 0, "STS was called for a target that cannot be written"
    assert_char_device(null)
    assert not list(tmp_path.glob(".null*")), "a lock file was left beside the device"


@pytest.mark.parametrize("sink", ["dotenv", "bash-env", "profile"])
def test_a_directory_as_target_is_refused_before_sts(aws_oidc_bin, strict_job, strict_sts, tmp_path, sink):
    target = tmp_path / "target"
    target.mkdir()
    args = {"dotenv": ["--output", "dotenv", str(target)], "bash-env": ["--bash-env", str(target)],
            "profile": ["--profile", "p"]}[sink]
    env = {**strict_job, "AWS_SHARED_CREDENTIALS_FILE": str(target)}
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, *args], env)
    assert r.returncode == 1 and "is a directory" in r.stderr, r.stderr
    assert r.stderr.count("(os error") <= 1, "an OS error printed twice"
    assert strict_sts.calls() == 0
    assert target.is_dir() and not list(target.iterdir())


def test_a_bash_env_fifo_nobody_reads_fails_at_once_not_a_hang(aws_oidc_bin, strict_job, tmp_path):
    fifo = tmp_path / "fifo_bash_env"
    os.mkfifo(fifo)
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE], {**strict_job, "BASH_ENV": str(fifo)}, timeout=30)
    assert r.returncode == 1 and "nothing reads from" in r.stderr, r.stderr
    assert r.seconds < 10
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_bash_env_fifo_with_a_reader_gets_the_export_lines(aws_oidc_bin, strict_job, tmp_path):
    fifo = tmp_path / "fifo_bash_env"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    try:
        r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE], {**strict_job, "BASH_ENV": str(fifo)}, timeout=30)
    finally:
        out, _ = reader.communicate(timeout=30)
    assert r.returncode == 0, r.stderr
    assert "export AWS_ACCESS_KEY_ID=ASIA" in out


@pytest.mark.parametrize("through_symlink", [False, True])
def test_a_bash_env_others_can_read_is_made_private_before_keys_go_in(aws_oidc_bin, strict_job, tmp_path,
                                                                        through_symlink):
    real = tmp_path / "real_bash_env"
    real.write_text("export KEEP=1\n")
    real.chmod(0o644)
    path = real
    if through_symlink:
        path = tmp_path / "link"
        path.symlink_to(real)
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE], {**strict_job, "BASH_ENV": str(path)})
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    assert real.read_text().startswith("export KEEP=1\n") and "AWS_SESSION_TOKEN" in real.read_text()


def test_a_read_only_credentials_file_is_refused_before_sts_and_kept(aws_oidc_bin, strict_job, strict_sts):
    aws_dir = Path(strict_job["HOME"]) / ".aws"
    aws_dir.mkdir()
    creds = aws_dir / "credentials"
    creds.write_text("[keep]\naws_access_key_id = AKIAKEEP\n")
    creds.chmod(0o400)
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p"], strict_job)
    assert r.returncode == 1 and "read-only" in r.stderr, r.stderr
    assert strict_sts.calls() == 0
    assert creds.read_text() == "[keep]\naws_access_key_id = AKIAKEEP\n"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o400


def test_an_unwritable_directory_is_found_before_sts_by_a_non_root_user(aws_oidc_bin, strict_job, strict_sts, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("this test switches to the user nobody and needs root (CI runs as root)")
    import tempfile

    # A directory the user nobody can reach but not write to.
    base = Path(tempfile.mkdtemp(prefix="aws-oidc-nobody-"))
    base.chmod(0o755)
    locked = base / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    env = {**strict_job, "AWS_SHARED_CREDENTIALS_FILE": str(locked / "credentials"),
           "AWS_CONFIG_FILE": str(locked / "config")}
    r = measured(Path("/usr/bin/setpriv"), ["--reuid=65534", "--regid=65534", "--clear-groups", str(aws_oidc_bin),
                                            "assume", "--role-arn", ROLE, "--profile", "p"], env)
    try:
        assert r.returncode == 1 and "Permission denied" in r.stderr and str(locked) in r.stderr, r.stderr
        assert strict_sts.calls() == 0, "the unwritable directory was found only after the STS call"
    finally:
        import shutil

        shutil.rmtree(base)


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_one_file_for_credentials_and_config_does_not_deadlock(aws_oidc_bin, strict_job, tmp_path, how):
    shared = tmp_path / "aws"
    shared.write_text("# mine\n")
    other = {"same path": shared, "symlink": tmp_path / "link", "hard link": tmp_path / "hard"}[how]
    if how == "symlink":
        other.symlink_to(shared)
    elif how == "hard link":
        os.link(shared, other)
    env = {**strict_job, "AWS_SHARED_CREDENTIALS_FILE": str(shared), "AWS_CONFIG_FILE": str(other)}
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p"], env, timeout=30)
    assert r.returncode == 0, r.stderr
    doc = parse_ini(shared.read_text())
    assert doc["p"]["aws_access_key_id"].startswith("ASIA")
    assert doc["profile p"]["region"] == "us-east-1"


def test_twenty_parallel_writers_of_one_shared_file_lose_nothing(aws_oidc_bin, strict_job, tmp_path):
    shared = tmp_path / "aws"
    link = tmp_path / "link"
    link.symlink_to(shared)
    env = {**strict_job, "AWS_SHARED_CREDENTIALS_FILE": str(shared), "AWS_CONFIG_FILE": str(link)}
    procs = [subprocess.Popen([str(aws_oidc_bin), "assume", "--role-arn", ROLE, "--profile", f"p{i}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(20)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    doc = parse_ini(shared.read_text())
    assert all(doc[f"p{i}"]["aws_session_token"] and doc[f"profile p{i}"]["region"] for i in range(20))


# --- profiles: names the AWS CLI can use, sections compared as it does --------------

@pytest.mark.parametrize("name", ["a  b", "a\tb", "it's", 'a"b', "a#b", "profile x", "[x]"])
def test_profile_names_the_aws_cli_cannot_use_are_refused_before_sts(aws_oidc_bin, strict_job, strict_sts, name):
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", name], strict_job)
    assert r.returncode == 1 and "invalid profile name" in r.stderr and "letters, digits, -_./@+: and single spaces" in r.stderr
    assert strict_sts.calls() == 0


# --- hostile cache entries ------------------------------------------------------------

def cache_dir(env: dict) -> Path:
    return Path(env["HOME"]) / ".cache/aws-oidc"


def test_a_cache_entry_expiring_near_the_end_of_time_is_ignored_and_replaced(aws_oidc_bin, strict_job, strict_sts):
    args = ["credential-process", "--role-arn", ROLE]
    assert measured(aws_oidc_bin, args, strict_job).returncode == 0
    [entry] = cache_dir(strict_job).glob("*.json")
    doc = json.loads(entry.read_text())
    doc.update(issued_at=0, expires_at=2**64 - 1)
    entry.write_text(json.dumps(doc))
    for _ in range(2):
        r = measured(aws_oidc_bin, args, strict_job)
        assert r.returncode == 0, r.stderr
    assert strict_sts.calls() == 2, "the corrupt entry was not replaced"
    assert json.loads(entry.read_text())["expires_at"] < 2**40


@pytest.mark.parametrize("what", ["entry is a directory", "entry is a symlink", "lock is a directory",
                                  "lock is a symlink"])
def test_a_hostile_cache_entry_or_lock_means_no_cache(aws_oidc_bin, strict_job, strict_sts, tmp_path, what):
    args = ["credential-process", "--role-arn", ROLE]
    assert measured(aws_oidc_bin, args, strict_job).returncode == 0
    [entry] = cache_dir(strict_job).glob("*.json")
    victim = entry if what.startswith("entry") else entry.with_suffix(".lock")
    victim.unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep")
    if what.endswith("directory"):
        victim.mkdir()
    else:
        victim.symlink_to(elsewhere)
    r = measured(aws_oidc_bin, args, strict_job)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["AccessKeyId"].startswith("ASIA")
    assert elsewhere.read_text() == "keep", "the cache wrote through a symlink"


# --- bounded reads --------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["assume", "--role-arn", ROLE, "--token-file", "/dev/zero", "--output", "json"],
    ["assume", "--role-arn", ROLE, "--policy", "file:///dev/zero", "--output", "json"],
    ["check", "--policy", "/dev/zero"],
    ["claims", "--token-file", "/dev/zero"],
], ids=["token-file", "policy", "check-policy", "claims"])
def test_an_endless_input_file_is_refused_not_read_until_memory_runs_out(aws_oidc_bin, strict_job, strict_sts, args):
    r = measured(aws_oidc_bin, args, strict_job, timeout=30)
    assert r.returncode == 1 and ("larger than" in r.stderr or "more than" in r.stderr), r.stderr
    assert r.max_rss_kb < 64 * 1024, f"{r.max_rss_kb} KiB"
    assert strict_sts.calls() == 0


# --- time limits: minting, the cache lock, thumbprint ---------------------------------

def hanging_circleci(tmp_path: Path) -> Path:
    bindir = tmp_path / "hang-bin"
    bindir.mkdir()
    (bindir / "circleci").write_text("#!/bin/sh\nsleep 30\n")
    (bindir / "circleci").chmod(0o755)
    return bindir


def test_timeout_bounds_minting_a_token(aws_oidc_bin, strict_job, tmp_path):
    env = {k: v for k, v in strict_job.items() if k != "CIRCLE_OIDC_TOKEN_V2"}
    env["PATH"] = f"{hanging_circleci(tmp_path)}:{env['PATH']}"
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--timeout", "3"], env, timeout=30)
    assert r.returncode == 1 and "time limit" in r.stderr, r.stderr
    assert r.seconds < 6, r.seconds


def test_a_credential_process_waiter_gives_up_by_its_timeout(aws_oidc_bin, strict_job, tmp_path):
    env = {k: v for k, v in strict_job.items() if k != "CIRCLE_OIDC_TOKEN_V2"}
    env["PATH"] = f"{hanging_circleci(tmp_path)}:{env['PATH']}"
    args = ["credential-process", "--role-arn", ROLE]
    holder = subprocess.Popen([str(aws_oidc_bin), *args, "--timeout", "20"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # the holder has the lock and is minting
        r = measured(aws_oidc_bin, [*args, "--timeout", "3"], env, timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 1 and "cache lock" in r.stderr, r.stderr
    assert r.seconds < 6, r.seconds


def test_thumbprint_timeout_bounds_a_server_that_sends_a_byte_every_half_second(aws_oidc_bin, tmp_path):
    import socket
    import ssl
    import threading

    from support.certs import make_chain

    chain = make_chain(tmp_path, "slow")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain.server_chain, chain.server_key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            for byte in b"HTTP/1.0 200 OK\r\n" * 1000:
                if stop.is_set():
                    return
                try:
                    tls.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.5)

    threading.Thread(target=serve, daemon=True).start()
    env = {"PATH": "/usr/bin:/bin", "SSL_CERT_FILE": str(chain.root)}
    try:
        r = measured(aws_oidc_bin, ["thumbprint", "--timeout", "2", f"https://127.0.0.1:{listener.getsockname()[1]}"],
                     env, timeout=30)
    finally:
        stop.set()
        listener.close()
    assert r.returncode == 1 and "time limit" in r.stderr, r.stderr
    assert r.seconds < 4, r.seconds


# --- checks before any network call ---------------------------------------------------

@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:99999/", "port"),
    ("ftp://127.0.0.1/", "scheme"),
    ("127.0.0.1:5000", "scheme"),
    ("http://user:pass@127.0.0.1:5000/", "password"),
])
def test_endpoint_urls_are_checked_before_any_attempt(aws_oidc_bin, strict_job, url, why):
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", url, "--output", "json"], strict_job,
                 timeout=10)
    assert r.returncode == 1 and "invalid endpoint URL" in r.stderr and why in r.stderr, r.stderr
    assert "pass@" not in r.stderr and r.seconds < 2


@pytest.mark.parametrize("exp", [-9.2e18, -1e300, -(2**63)])
def test_a_token_expired_at_the_end_of_the_clock_is_not_sent(aws_oidc_bin, strict_job, strict_sts, tokens, exp):
    token = tokens.mint(exp=exp)
    env = {**strict_job, "CIRCLE_OIDC_TOKEN_V2": token}
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "json"], env)
    assert r.returncode == 1 and "expired at" in r.stderr, r.stderr
    assert strict_sts.calls() == 0
    shown = measured(aws_oidc_bin, ["claims"], env)
    assert shown.returncode == 0 and "EXPIRED" in shown.stdout, shown.stdout


def test_a_session_policy_is_counted_in_characters_as_sts_counts(aws_oidc_bin, job):
    policy = json.dumps({"Version": "2012-10-17", "Sid": "é" * 1000,
                         "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, ensure_ascii=False)
    r = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--policy", policy, "--output", "json"], job)
    assert r.returncode == 0, r.stderr
