"""Hardening, round three: ECR's answer and the helper's settings are not
trusted for host names, every file read is bounded and refuses what is not
a regular file, and a full stdout or stderr is a clean failure.

Private registries: moto's ECR, or `FakeEcr` below when the test needs an
answer moto never gives (a made-up registry host, a token with a newline).
ECR Public: the SigV4-verifying fixture in `support/ecr_public.py`.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from support.accounts import ACCOUNT_ID, ROLE
from support.ecr import HOST, MOTO_PASSWORD, PUBLIC_PASSWORD, REGION, SECRET
from support.loopback import LoopbackServer, StandInHandler
from support.steps import assert_no_secrets, measured, run_aws_oidc, with_tool

FAKE_PASSWORD = "fake-ecr-password-for-tests"


class FakeEcr(LoopbackServer):
    """ECR's GetAuthorizationToken with the answer a test chooses; counts calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.proxy_endpoint = f"https://{HOST}"
        self.token = f"AWS:{FAKE_PASSWORD}"
        fixture = self

        class Handler(StandInHandler):
            def do_POST(self):  # noqa: N802
                self.request_body()
                fixture.calls += 1
                self.send_json(200, {"authorizationData": [{
                    "authorizationToken": base64.b64encode(fixture.token.encode()).decode(),
                    "expiresAt": time.time() + 12 * 3600,
                    "proxyEndpoint": fixture.proxy_endpoint,
                }]}, "application/x-amz-json-1.1")  # fmt: skip

        super().__init__(Handler)


@pytest.fixture
def fake_ecr():
    with FakeEcr() as fixture:
        yield fixture


@pytest.fixture
def fake_env(ecr_env, fake_ecr) -> dict[str, str]:
    return {**ecr_env, "AWS_ENDPOINT_URL_ECR": fake_ecr.url}


SECRETS = [MOTO_PASSWORD, PUBLIC_PASSWORD, FAKE_PASSWORD, SECRET]


def ecr_login(binary, env, *args, **kwargs) -> subprocess.CompletedProcess:
    result = run_aws_oidc(binary, ["ecr-login", *args], env, **kwargs)
    assert_no_secrets([result.stdout, result.stderr], SECRETS)
    assert result.returncode != 134 and "panicked" not in result.stderr, result.stderr
    return result


def config_path(env: dict) -> Path:
    return Path(env["DOCKER_CONFIG"]) / "config.json"


def helper_on_path(binary: Path, env: dict, tmp_path: Path) -> dict:
    """docker-credential-aws-oidc on PATH: a link to the binary, as the orb's install makes it."""
    link = tmp_path / "helper-bin" / "docker-credential-aws-oidc"
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(binary)
    return {**env, "PATH": f"{link.parent}:{env['PATH']}"}


def helper(env: dict, action: str, stdin: str | None = "", timeout: float = 60) -> subprocess.CompletedProcess:
    """What Docker does: runs the helper with the host on stdin."""
    try:
        result = subprocess.run(["docker-credential-aws-oidc", action], input=stdin, env=env, capture_output=True,
                                text=True, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"docker-credential-aws-oidc {action} still ran after {timeout}s: a hang")
    assert result.returncode != 134 and "panicked" not in result.stderr, result.stderr
    return result


@contextmanager
def fifo_with_a_silent_writer(path: Path):
    """A named pipe whose writer never writes: a reader would wait forever."""
    os.mkfifo(path)
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    try:
        yield path
    finally:
        os.close(fd)


# --- 1. the helper serves the job's own registry its private token -------------------

def test_the_helper_serves_the_private_token_for_the_own_registry_logged_in_without_a_registry(
        aws_oidc_bin, ecr_env, ecr_public, tmp_path):
    env = helper_on_path(aws_oidc_bin, {**ecr_env, "AWS_ENDPOINT_URL_ECR_PUBLIC": ecr_public.url}, tmp_path)
    result = ecr_login(aws_oidc_bin, env, "--helper")
    assert result.returncode == 0, result.stderr
    assert json.loads(config_path(env).read_text())["credHelpers"] == {HOST: "aws-oidc"}
    recorded = json.loads((config_path(env).parent / "aws-oidc-credential-helper.json").read_text())
    assert recorded["registries"][HOST]["account"] == ACCOUNT_ID
    out = helper(env, "get", HOST)
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout)["Secret"] == MOTO_PASSWORD, "the private host got another registry's token"
    assert ecr_public.calls == 0, "ECR Public was asked for a private registry's token"


# --- 2. a host is ECR's, or named explicitly ------------------------------------------

@pytest.mark.parametrize("proxy_endpoint", [
    "https://user:pw@evil.example.com",
    "https://evil.example.com",
    f"https://{HOST}.evil.example.com",
    f"https://{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com.cn",
    f"https://{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com",
    "https://-evil.example.com",
    "",
], ids=["userinfo", "other-host", "ecr-prefix", "cn-suffix", "other-region", "dash", "none"])
def test_a_registry_host_in_ecrs_answer_that_is_not_an_ecr_host_of_the_region_gets_no_token(
        aws_oidc_bin, fake_env, fake_ecr, proxy_endpoint):
    fake_ecr.proxy_endpoint = proxy_endpoint
    result = ecr_login(aws_oidc_bin, fake_env)
    assert result.returncode == 1, result.stderr
    assert "no token is written" in result.stderr or "names no registry" in result.stderr, result.stderr
    assert "user:pw" not in result.stderr
    assert not config_path(fake_env).exists(), "a token was written"


@pytest.mark.parametrize("raw", [
    "--help=" + ACCOUNT_ID,
    "-evil.example.com=" + ACCOUNT_ID,
    "..=" + ACCOUNT_ID,
    ":=" + ACCOUNT_ID,
    "[]=" + ACCOUNT_ID,
    "user:pw@evil.example.com=" + ACCOUNT_ID,
    "--help",
    "..",
    ":",
    "[]",
], ids=["help", "dash", "dots", "colon", "brackets", "userinfo", "bare-help", "bare-dots", "bare-colon",
        "bare-brackets"])  # fmt: skip
def test_a_host_that_is_not_a_host_is_refused_by_name_before_any_call(aws_oidc_bin, fake_env, fake_ecr, raw):
    result = ecr_login(aws_oidc_bin, fake_env, "--", raw)
    assert result.returncode == 1, result.stderr
    assert raw.split("=")[0] in result.stderr and "HOST=ACCOUNT_ID" in result.stderr, result.stderr
    assert fake_ecr.calls == 0
    assert not config_path(fake_env).exists()


# --- 3. docker login never sees a host as an option -----------------------------------

def test_docker_login_gets_the_host_after_a_double_dash(aws_oidc_bin, ecr_env, tmp_path):
    log = tmp_path / "docker.log"
    env = with_tool(ecr_env, tmp_path / "fake-docker", "docker",
                    f"for a in \"$@\"; do printf '%s\\n' \"$a\" >>'{log}'; done\ncat >/dev/null\n")
    result = ecr_login(aws_oidc_bin, env, "--docker-login", "registry.example.com:5000=" + ACCOUNT_ID)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["login", "--username", "AWS", "--password-stdin", "--",
                                            "registry.example.com:5000"]  # fmt: skip


# --- 4. bounded reads that refuse what is not a regular file -------------------------

def oversized(path: Path) -> None:
    with open(path, "wb") as f:
        f.write(b'{"auths": {}, "x": "')
        f.write(b"a" * (16 << 20))
        f.write(b'"}')


@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "oversized"])
def test_a_docker_config_that_is_not_a_small_regular_file_is_refused_before_the_ecr_call(
        aws_oidc_bin, fake_env, fake_ecr, kind):
    path = config_path(fake_env)
    path.parent.mkdir()
    with fifo_with_a_silent_writer(path.parent / "pipe") as pipe:
        if kind == "fifo":
            path.symlink_to(pipe)
        elif kind == "device":
            path.symlink_to("/dev/zero")
        elif kind == "directory":
            path.mkdir()
        else:
            oversized(path)
        before = path.stat().st_size if kind == "oversized" else None
        r = measured(aws_oidc_bin, ["ecr-login"], fake_env, timeout=30)
    assert r.returncode == 1, r.stderr
    assert str(path) in r.stderr, r.stderr
    expected = {"fifo": "named pipe", "device": "character device", "directory": "directory",
                "oversized": "more than"}[kind]  # fmt: skip
    assert expected in r.stderr, r.stderr
    assert r.max_rss_kb < 64 * 1024, f"{r.max_rss_kb} KiB"
    assert fake_ecr.calls == 0
    if before is not None:
        assert path.stat().st_size == before


@pytest.mark.parametrize("which", ["config", "settings"])
@pytest.mark.parametrize("action", ["list", "get"])
def test_the_helper_refuses_a_fifo_for_its_files_instead_of_waiting_forever(
        aws_oidc_bin, fake_env, fake_ecr, tmp_path, which, action):
    env = helper_on_path(aws_oidc_bin, fake_env, tmp_path)
    config_dir = config_path(env).parent
    config_dir.mkdir()
    name = "config.json" if which == "config" else "aws-oidc-credential-helper.json"
    if which == "settings":
        config_path(env).write_text(json.dumps({"credHelpers": {HOST: "aws-oidc"}}))
    with fifo_with_a_silent_writer(config_dir / name):
        out = helper(env, action, HOST, timeout=30)
    if (which, action) in (("settings", "list"), ("config", "get")):
        # list reads only config.json, get only the settings: the other file is never opened.
        assert out.returncode == 0, out.stderr
        return
    assert out.returncode == 1, out.stdout
    assert "named pipe" in out.stdout, out.stdout
    assert fake_ecr.calls == 0


def test_the_helper_refuses_a_stdin_that_never_ends_instead_of_waiting_forever(aws_oidc_bin, fake_env, tmp_path):
    env = {**helper_on_path(aws_oidc_bin, fake_env, tmp_path), "AWS_OIDC_TIMEOUT": "2"}
    proc = subprocess.Popen(["docker-credential-aws-oidc", "get"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)  # fmt: skip
    proc.stdin.write(HOST)
    proc.stdin.flush()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the helper waited for stdin to end for ever")
    out = proc.stdout.read()
    proc.stdin.close()
    assert proc.returncode == 1 and "did not end within 2 s" in out, out


def test_the_helper_refuses_an_endless_stdin_instead_of_reading_it_all(aws_oidc_bin, fake_env, fake_ecr, tmp_path):
    env = helper_on_path(aws_oidc_bin, fake_env, tmp_path)
    link = tmp_path / "helper-bin" / "docker-credential-aws-oidc"
    with open("/dev/zero", "rb") as zero:
        r = measured(link, ["get"], env, timeout=30, stdin=zero)
    assert r.returncode == 1 and "more than 65536 bytes" in r.stdout, r.stdout
    assert fake_ecr.calls == 0


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_migrate_config_refuses_a_fifo_or_a_device_instead_of_waiting_or_reading_forever(
        aws_oidc_bin, job_env, tmp_path, kind):
    with fifo_with_a_silent_writer(tmp_path / "pipe") as pipe:
        target = str(pipe) if kind == "fifo" else "/dev/zero"
        r = measured(aws_oidc_bin, ["migrate-config", "--check", target], job_env, timeout=30)
    assert r.returncode == 1, r.stderr
    assert ("named pipe" if kind == "fifo" else "character device") in r.stderr, r.stderr
    assert r.max_rss_kb < 64 * 1024, f"{r.max_rss_kb} KiB"


# --- 5. a full stdout or stderr ---------------------------------------------------------

def run_into_dev_full(binary, args: list[str], env: dict, stdout=True, stderr=True) -> int:
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(binary), *args], env=env, stdout=full if stdout else subprocess.DEVNULL,
                              stderr=full if stderr else subprocess.DEVNULL, timeout=60)  # fmt: skip
    return proc.returncode


@pytest.mark.parametrize("streams", ["stdout", "stderr", "both"])
def test_a_successful_ecr_login_into_a_full_stdout_or_stderr_fails_cleanly_not_with_a_panic(
        aws_oidc_bin, ecr_env, streams):
    code = run_into_dev_full(aws_oidc_bin, ["ecr-login"], ecr_env, stdout=streams != "stderr",
                             stderr=streams != "stdout")  # fmt: skip
    # Nothing goes to stdout: a full stdout changes nothing; a lost message fails the step.
    assert code == (0 if streams == "stdout" else 1), code
    assert "auths" in json.loads(config_path(ecr_env).read_text())


@pytest.mark.parametrize("args", [
    ["trust-policy", "--org-id", "8e6fe6c8-0000-4000-8000-000000000000", "--project-id",
     "9e6fe6c8-0000-4000-8000-000000000000"],
    ["docker-credential", "list"],
    ["--help"],
], ids=["trust-policy", "helper-list", "help"])
def test_printing_into_a_full_stdout_is_a_clean_failure_not_a_panic(aws_oidc_bin, ecr_env, args):
    code = run_into_dev_full(aws_oidc_bin, args, ecr_env, stderr=False)
    assert code not in (0, 134, -6), code


def test_exec_with_a_full_stderr_still_runs_the_command(aws_oidc_bin, job_env, moto_server, tokens, tmp_path):
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL_STS": moto_server}  # fmt: skip
    ran = tmp_path / "ran"
    code = run_into_dev_full(aws_oidc_bin, ["exec", "--role-arn", ROLE, "--", "sh", "-c",
                                            f'printf %s "$AWS_ACCESS_KEY_ID" >"{ran}"; exit 7'], env)  # fmt: skip
    assert code == 7, code
    assert ran.read_text().startswith("ASIA")


# --- 6. the helper's settings file --------------------------------------------------------

@pytest.mark.parametrize("entry,named", [
    ({"account": ACCOUNT_ID, "region": "x.evil.example.com/#"}, "x.evil.example.com/#"),
    ({"account": "1234", "region": REGION}, "1234"),
    ({"account": "12345678901x", "region": REGION}, "12345678901x"),
], ids=["region", "short-account", "letter-account"])
def test_a_helper_settings_entry_of_the_wrong_shape_is_refused_before_any_request(
        aws_oidc_bin, fake_env, fake_ecr, tmp_path, entry, named):
    env = helper_on_path(aws_oidc_bin, fake_env, tmp_path)
    config_dir = config_path(env).parent
    config_dir.mkdir()
    config_path(env).write_text(json.dumps({"credHelpers": {"registry.example.com": "aws-oidc"}}))
    (config_dir / "aws-oidc-credential-helper.json").write_text(
        json.dumps({"version": 1, "registries": {"registry.example.com": entry}}))
    out = helper(env, "get", "registry.example.com")
    assert out.returncode == 1, out.stdout
    assert named in out.stdout and "ecr-login --helper" in out.stdout, out.stdout
    assert fake_ecr.calls == 0


# --- 7. a bad timeout, a token with a newline, a command that does not exist --------------

def test_a_timeout_that_is_not_a_number_is_refused_naming_the_variable(aws_oidc_bin, fake_env, fake_ecr, tmp_path):
    env = {**helper_on_path(aws_oidc_bin, fake_env, tmp_path), "AWS_OIDC_TIMEOUT": "abc"}
    out = helper(env, "get", HOST)
    assert out.returncode == 1 and "AWS_OIDC_TIMEOUT" in out.stdout and "abc" in out.stdout, out.stdout
    assert fake_ecr.calls == 0
    result = ecr_login(aws_oidc_bin, env)
    assert result.returncode != 0 and "AWS_OIDC_TIMEOUT" in result.stderr, result.stderr
    assert fake_ecr.calls == 0


@pytest.mark.parametrize("token", ["AWS:fake-ecr\npassword-for-tests", "AWS:fake-ecr-password\r-for-tests",
                                   "AWS:fake-ecr-\x1b[2Jpassword"], ids=["newline", "cr", "escape"])  # fmt: skip
def test_an_ecr_password_with_a_newline_or_control_character_is_refused(aws_oidc_bin, fake_env, fake_ecr, token):
    fake_ecr.token = token
    result = ecr_login(aws_oidc_bin, fake_env)
    assert result.returncode == 1 and "control character" in result.stderr, result.stderr
    assert "password-for-tests" not in result.stderr and "fake-ecr" not in result.stderr
    assert not config_path(fake_env).exists()


def test_exec_of_a_command_that_does_not_exist_fails_before_sts(aws_oidc_bin, job_env, strict_sts, aws, tokens):
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL_STS": strict_sts.url}  # fmt: skip
    r = measured(aws_oidc_bin, ["exec", "--role-arn", ROLE, "--", "no-such-command-here", "x"], env)
    assert r.returncode == 1 and "no-such-command-here" in r.stderr and "PATH" in r.stderr, r.stderr
    assert strict_sts.calls() == 0
    r = measured(aws_oidc_bin, ["exec", "--role-arn", ROLE, "--", "./no/such/script"], env)
    assert r.returncode == 1 and "./no/such/script" in r.stderr, r.stderr
    assert strict_sts.calls() == 0


# --- 8. config.json round-trips what aws-oidc does not change ----------------------------

def test_entries_of_config_json_it_does_not_change_keep_their_bytes(aws_oidc_bin, ecr_env):
    path = config_path(ecr_env)
    path.parent.mkdir()
    kept = ['"big": 12345678901234567890123', '"zero": -0', '"float": 1.50e3',
            '"ghcr.io": {"auth": "a2VlcA==",  "identitytoken": 99999999999999999999}']  # fmt: skip
    path.write_text('{"big": 12345678901234567890123, "zero": -0, "float": 1.50e3,\n'
                    ' "auths": {"ghcr.io": {"auth": "a2VlcA==",  "identitytoken": 99999999999999999999}}}')  # fmt: skip
    result = ecr_login(aws_oidc_bin, ecr_env)
    assert result.returncode == 0, result.stderr
    after = path.read_text()
    for entry in kept:
        assert entry in after, f"{entry} was rewritten"
    assert HOST in json.loads(after)["auths"]


def test_a_config_json_with_a_duplicate_auths_key_is_refused_and_left_as_it_was(aws_oidc_bin, fake_env, fake_ecr):
    path = config_path(fake_env)
    path.parent.mkdir()
    before = '{"auths": {"ghcr.io": {"auth": "a2VlcA=="}},\n "auths": {}}\n'
    path.write_text(before)
    result = ecr_login(aws_oidc_bin, fake_env)
    assert result.returncode == 1, result.stderr
    assert '"auths" appears twice' in result.stderr and str(path) in result.stderr, result.stderr
    assert path.read_text() == before
    assert fake_ecr.calls == 0


def test_auths_null_is_accepted_as_docker_does(aws_oidc_bin, ecr_env):
    path = config_path(ecr_env)
    path.parent.mkdir()
    path.write_text('{"auths": null, "credsStore": ""}')
    result = ecr_login(aws_oidc_bin, ecr_env)
    assert result.returncode == 0, result.stderr
    assert HOST in json.loads(path.read_text())["auths"]
