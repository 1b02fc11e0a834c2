"""Secrets never leak: every command and failure path, run with a real token
and real issued keys, is scanned for them in stdout, stderr, and every file
it left outside the sinks meant to hold them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.accounts import ACCOUNT_ID, ORG_ID, ROLE, SECOND_ROLE, private_pem
from support.accounts import chain_trust, trust  # noqa: F401
from support.steps import run_aws_oidc

PROVIDER = f"oidc.circleci.com/org/{ORG_ID}"
SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")


@pytest.fixture
def account(strict_sts, tokens):
    def configure(**extra):
        strict_sts.configure({
            "account_id": ACCOUNT_ID,
            "region": "us-east-1",
            "signing_keys": {"test": private_pem(tokens.key)},
            "providers": [{"url": PROVIDER, "client_ids": [ORG_ID]}],
            "roles": {ROLE: {"trust_policy": trust(), "max_session_duration": 3600},
                      SECOND_ROLE: {"trust_policy": chain_trust(), "max_session_duration": 3600}},
            **extra,
        })
    configure()
    return configure


def secrets_in_sinks(home: Path, bash_env: Path, extra: list[Path]) -> set[str]:
    """Every secret value the sinks hold (keys, session tokens)."""
    found: set[str] = set()
    for line in bash_env.read_text().splitlines():
        for key in SECRET_VARS:
            if line.startswith(f"export {key}="):
                found.add(line.split("=", 1)[1].strip("'"))
    creds = home / ".aws/credentials"
    if creds.exists():
        for line in creds.read_text().splitlines():
            if "=" in line and line.split("=")[0].strip().startswith("aws_"):
                found.add(line.split("=", 1)[1].strip())
    for path in [*extra, *home.glob(".cache/aws-oidc/*.json")]:
        if path.exists():
            text = path.read_text()
            try:
                doc = json.loads(text)
                found.update(str(v) for k, v in doc.items() if k in ("AccessKeyId", "SecretAccessKey", "SessionToken",
                                                                      "access_key_id", "secret_access_key", "session_token"))
            except json.JSONDecodeError:
                found.update(line.split("=", 1)[1].strip("'") for line in text.splitlines()
                             if line.split("=", 1)[0] in SECRET_VARS)
    return {s for s in found if len(s) >= 16}


def test_no_command_or_failure_prints_a_secret(aws_oidc_bin, account, strict_sts, tokens, job_env, tmp_path):
    token = tokens.mint()
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": token, "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_STS": strict_sts.url}
    home = Path(job_env["HOME"])
    bash_env = Path(job_env["BASH_ENV"])
    dotenv = tmp_path / "out.env"
    json_out = tmp_path / "out.json"
    sinks = {bash_env, dotenv, json_out, home / ".aws/credentials"}

    outputs: list[tuple[str, str, str]] = []

    def run(name: str, *args: str, **more_env) -> None:
        result = run_aws_oidc(aws_oidc_bin, list(args), {**env, **more_env})
        stdout = result.stdout
        if "--output" in args and "json" in args or args[0] == "credential-process":
            json_out.write_text(stdout)  # a sink by design
            stdout = ""
        outputs.append((name, stdout, result.stderr))

    # Successes, through every sink.
    run("bash-env", "assume", "--role-arn", ROLE, "--bash-env", "--verify")
    run("profile", "assume", "--role-arn", ROLE, "--profile", "p")
    run("dotenv", "assume", "--role-arn", ROLE, "--output", "dotenv", str(dotenv))
    run("json", "assume", "--role-arn", ROLE, "--output", "json")
    run("chain", "assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--bash-env")
    run("refresh", "assume", "--role-arn", ROLE, "--profile", "r", "--refresh")
    run("credential-process", "credential-process", "--role-arn", ROLE)
    # Failures of every kind.
    run("bad arn", "assume", "--role-arn", "arn:aws:iam::1:role/x")
    run("bad token", "assume", "--role-arn", ROLE, CIRCLE_OIDC_TOKEN_V2=token[:-20])
    run("expired", "assume", "--role-arn", ROLE, CIRCLE_OIDC_TOKEN_V2=tokens.mint(exp_in=-10), PATH="/usr/bin:/bin")
    strict_sts.fault("throttle", count=10)
    run("throttled", "assume", "--role-arn", ROLE)
    account(roles={ROLE: {"trust_policy": trust(sub_pattern="org/nope/*"), "max_session_duration": 3600}})
    run("denied", "assume", "--role-arn", ROLE, "--bash-env")
    account(providers=[])
    run("no provider", "assume", "--role-arn", ROLE)

    secrets = secrets_in_sinks(home, bash_env, [dotenv, json_out])
    assert len(secrets) >= 6, "the scan found too few secrets to mean anything"
    secrets |= {token, token.split(".")[2]}

    for name, stdout, stderr in outputs:
        for secret in secrets:
            assert secret not in stderr, f"{name}: a secret in stderr"
            assert secret not in stdout, f"{name}: a secret in stdout"
    # Files outside the sinks: the config (credential_process line), lock files, anything else.
    for path in home.rglob("*"):
        if path.is_file() and path not in sinks and not path.match(".cache/aws-oidc/*.json"):
            text = path.read_text(errors="replace")
            for secret in secrets:
                assert secret not in text, f"a secret in {path.relative_to(home)}"


def test_expand_env_errors_do_not_print_the_expanded_value(aws_oidc_bin, tokens, job_env):
    token = tokens.mint()
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": token}
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--expand-env", "--role-arn", ROLE, "--region",
                                         "$CIRCLE_OIDC_TOKEN_V2", "--output", "json"], env)
    assert result.returncode == 1 and "invalid region" in result.stderr, result.stderr
    assert token not in result.stderr and token.split(".")[1] not in result.stderr


def test_endpoint_user_info_is_never_printed(aws_oidc_bin, tokens, job_env):
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": "us-east-1"}
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url",
                                         "http://user:hunter2secret@127.0.0.1:9/", "--output", "json"], env)
    assert result.returncode == 1 and "***@127.0.0.1:9" in result.stderr, result.stderr
    assert "hunter2secret" not in result.stderr


@pytest.mark.parametrize("command", [["claims"], ["assume", "--role-arn", ROLE, "--output", "json"]])
def test_control_characters_in_claims_cannot_forge_lines_or_reach_the_terminal(aws_oidc_bin, account, strict_sts,
                                                                               tokens, job_env, command):
    sub = f"org/{ORG_ID}/project/x/user/u\naws-oidc: assumed arn:aws:iam::1:role/forged\x1b[2J"
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(sub=sub), "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_STS": strict_sts.url}
    result = run_aws_oidc(aws_oidc_bin, command, env)
    out = result.stdout + result.stderr
    assert "\x1b" not in out, out
    assert not any(line.startswith("aws-oidc: assumed") for line in out.splitlines()), out
    assert "\\n" in out and "\\u{1b}" in out, out


def test_os_errors_are_printed_once(aws_oidc_bin, tokens, job_env, tmp_path):
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": "us-east-1"}
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--bash-env",
                                         str(tmp_path / "missing/dir/bash_env")], env)
    assert result.returncode == 1
    assert result.stderr.count("(os error 2)") == 1, result.stderr
