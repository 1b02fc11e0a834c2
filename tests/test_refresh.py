"""Long jobs: a profile whose credentials refresh themselves (issue: credential_process).

The strict STS fixture issues short-lived credentials, and the job's token
itself expires mid-test, so a loop of real AWS CLI calls only keeps working
if `aws-oidc credential-process` refreshes credentials (from a fresh token)
when they run out, and serves them from its cache in between.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from support.accounts import ACCOUNT_ID, ORG_ID, ROLE, private_pem, trust
from support.steps import run_aws, run_aws_oidc

PROVIDER = f"oidc.circleci.com/org/{ORG_ID}"


@pytest.fixture
def short_lived(strict_sts, tokens):
    """The fixture's account, issuing credentials that live `lifetime` seconds."""

    def configure(lifetime: int | None) -> None:
        strict_sts.configure({
            "account_id": ACCOUNT_ID,
            "region": "us-east-1",
            "signing_keys": {"test": private_pem(tokens.key)},
            "providers": [{"url": PROVIDER, "client_ids": [ORG_ID]}],
            "roles": {ROLE: {"trust_policy": trust(), "max_session_duration": 3600}},
            "credential_lifetime": lifetime,
        })

    configure(None)
    return configure


@pytest.fixture
def job(job_env, strict_sts, short_lived, tokens, tmp_path):
    """A job with a `circleci` CLI that mints real tokens, and the fixture as STS."""
    key = tmp_path / "key.pem"
    key.write_text(private_pem(tokens.key))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "mint.log"
    tests_dir = Path(__file__).parent
    import sys

    (bindir / "circleci").write_text(
        "#!/bin/sh\n"
        f"echo minted >> '{log}'\n"
        f"PYTHONPATH='{tests_dir}' exec '{sys.executable}' -m strict_sts mint --key '{key}' "
        f"--org-id {ORG_ID} --kid test --project-id 0a1b2c3d-1111-4222-8333-444455556666 "
        "--vcs-origin github.com/acme/app --vcs-ref refs/heads/main\n"
    )
    (bindir / "circleci").chmod(0o755)
    env = {
        **job_env,
        "PATH": f"{bindir}:{job_env['PATH']}",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_STS": strict_sts.url,
        "CIRCLE_OIDC_TOKEN_V2": tokens.mint(),
    }
    env["mint_log"] = str(log)
    return env


def cli_identity(env: dict, strict_sts, profile: str) -> subprocess.CompletedProcess:
    return run_aws(env, "sts", "get-caller-identity", "--profile", profile, endpoint=strict_sts.url)


def test_refresh_profile_runs_credential_process(aws_oidc_bin, job, strict_sts):
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "deploy", "--refresh"], job)
    assert result.returncode == 0, result.stderr
    assert "refreshes itself" in result.stderr
    home = Path(job["HOME"])
    config = (home / ".aws/config").read_text()
    assert f"credential_process = {aws_oidc_bin} credential-process --role-arn {ROLE} --region us-east-1" in config
    # No static keys: they would take precedence over credential_process.
    creds_file = home / ".aws/credentials"
    assert not creds_file.exists() or "aws_access_key_id" not in creds_file.read_text()
    assert Path(job["BASH_ENV"]).read_text() == ""
    # The setup call primed the cache: the first CLI call costs no STS call.
    before = strict_sts.calls()
    out = cli_identity(job, strict_sts, "deploy")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"].endswith("assumed-role/deploy/deploy-42")
    assert strict_sts.calls() == before


def test_refresh_refuses_exported_keys(aws_oidc_bin, job):
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "p", "--refresh", "--bash-env"], job)
    assert result.returncode == 1
    assert "--refresh" in result.stderr and "shadow" in result.stderr


def test_a_long_loop_of_cli_calls_survives_several_expiries(aws_oidc_bin, job, strict_sts, short_lived, tokens):
    lifetime = 12
    short_lived(lifetime)
    # The job's own token runs out during the loop too: refreshes must mint new ones.
    job["CIRCLE_OIDC_TOKEN_V2"] = tokens.mint(exp_in=75)
    setup = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--profile", "deploy", "--refresh"], job)
    assert setup.returncode == 0, setup.stderr

    started = time.monotonic()
    cli_calls = 0
    while time.monotonic() - started < 40:
        out = cli_identity(job, strict_sts, "deploy")
        assert out.returncode == 0, f"call {cli_calls + 1} at {time.monotonic() - started:.1f}s failed: {out.stderr}"
        cli_calls += 1
    elapsed = time.monotonic() - started

    sts_calls = strict_sts.calls()
    expiries = elapsed / lifetime
    assert expiries >= 3
    # One STS call per refresh (every 3/4 of the lifetime), not one per CLI call.
    assert sts_calls <= 1 + elapsed / (lifetime * 0.75) + 1, (sts_calls, cli_calls)
    assert sts_calls >= 1 + int(elapsed // lifetime), (sts_calls, cli_calls)
    assert cli_calls > 2 * sts_calls, (sts_calls, cli_calls)
    assert Path(job["mint_log"]).exists(), "the expired job token was never replaced"


def test_eight_parallel_processes_make_one_sts_call(aws_oidc_bin, job, strict_sts):
    strict_sts.fault("slow", delay=1.0)
    argv = [str(aws_oidc_bin), "credential-process", "--role-arn", ROLE, "--session-name", "parallel"]
    procs = [subprocess.Popen(argv, env=job, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outputs]
    keys = {json.loads(out)["AccessKeyId"] for out, _ in outputs}
    assert len(keys) == 1
    assert strict_sts.calls() == 1


def test_untrustworthy_cache_entries_are_ignored_and_replaced(aws_oidc_bin, job, strict_sts):
    argv = ["credential-process", "--role-arn", ROLE]
    assert run_aws_oidc(aws_oidc_bin, argv, job).returncode == 0
    cache = Path(job["HOME"]) / ".cache/aws-oidc"
    assert (cache.stat().st_mode & 0o777) == 0o700
    [entry] = list(cache.glob("*.json"))
    assert (entry.stat().st_mode & 0o777) == 0o600
    assert run_aws_oidc(aws_oidc_bin, argv, job).returncode == 0
    assert strict_sts.calls() == 1, "a fresh entry must be served from the cache"

    tamperings = {
        "corrupt": lambda: entry.write_text("{ not json"),
        "readable by others": lambda: entry.chmod(0o644),
        "owned by someone else": lambda: os.chown(entry, 65534, 65534),
        "forged keys": lambda: entry.write_text(json.dumps({"version": 1})),
    }
    for n, (what, tamper) in enumerate(tamperings.items(), start=2):
        tamper()
        result = run_aws_oidc(aws_oidc_bin, argv, job)
        assert result.returncode == 0, f"{what}: {result.stderr}"
        assert json.loads(result.stdout)["AccessKeyId"].startswith("ASIA")
        assert strict_sts.calls() == n, f"{what}: the entry was trusted"
        st = entry.stat()
        assert st.st_uid == os.geteuid() and (st.st_mode & 0o777) == 0o600, what


def test_an_unsafe_cache_directory_is_not_used(aws_oidc_bin, job, tmp_path, strict_sts):
    foreign = tmp_path / "foreign-cache"
    foreign.mkdir()
    os.chown(foreign, 65534, 65534)
    env = {**job, "AWS_OIDC_CACHE_DIR": str(foreign)}
    result = run_aws_oidc(aws_oidc_bin, ["credential-process", "--role-arn", ROLE], env)
    assert result.returncode == 0, result.stderr
    assert "not caching credentials" in result.stderr and "owned by another user" in result.stderr
    assert list(foreign.iterdir()) == []
    assert job["CIRCLE_OIDC_TOKEN_V2"] not in result.stderr
