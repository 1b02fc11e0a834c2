"""Several roles in one job, and guard rails (issue 19), end to end.

`exec` runs the real AWS CLI with one role's credentials in its environment
only; allowed accounts refuse a role before any call; the strict STS fixture
sees the CircleCI build in the user agent (as CloudTrail would) and the
session tags on the chained AssumeRole.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from support.accounts import ACCOUNT_ID, ROLE, SECOND_ROLE
from support.steps import run_aws, run_aws_oidc, sourced_env

OTHER_ROLE = "arn:aws:iam::210987654321:role/deploy"


@pytest.fixture
def job(aws_oidc_bin, tokens, job_env):
    """Runs aws-oidc in a job step whose token is in CIRCLE_OIDC_TOKEN_V2."""
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_DEFAULT_REGION": "us-east-1",
           "CIRCLE_PROJECT_USERNAME": "acme", "CIRCLE_PROJECT_REPONAME": "app", "CIRCLE_BUILD_NUM": "42",
           "CIRCLE_JOB": "deploy", "CIRCLE_BRANCH": "main",
           "CIRCLE_WORKFLOW_ID": "6f1b2c3d-0000-4000-8000-000000000042"}

    def run(*args: str, **extra: str):
        return run_aws_oidc(aws_oidc_bin, list(args), {**env, **extra})

    run.env = env
    run.aws_oidc_bin = aws_oidc_bin
    return run


def test_exec_runs_the_aws_cli_as_two_roles_in_one_job_and_writes_nothing(job, job_env, moto_server):
    identities = []
    for role in (ROLE, OTHER_ROLE):
        result = job("exec", "--role-arn", role, "--endpoint-url", moto_server, "--",
                     "aws", "sts", "get-caller-identity", "--endpoint-url", moto_server, AWS_PROFILE="stale")
        assert result.returncode == 0, result.stderr
        identities.append(json.loads(result.stdout)["Arn"])
        assert "running aws as" in result.stderr
    assert identities[0].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deploy/")
    assert identities[1].startswith("arn:aws:sts::210987654321:assumed-role/deploy/")
    assert Path(job_env["BASH_ENV"]).read_text() == ""
    assert not (Path(job_env["HOME"]) / ".aws").exists()


def test_exec_passes_the_exit_status_and_signals_through(job, moto_server):
    failed = job("exec", "--role-arn", ROLE, "--endpoint-url", moto_server, "--", "sh", "-c", "exit 7")
    assert failed.returncode == 7
    killed = job("exec", "--role-arn", ROLE, "--endpoint-url", moto_server, "--", "sh", "-c", "kill -TERM $$")
    assert killed.returncode == -signal.SIGTERM
    missing = job("exec", "--role-arn", ROLE, "--endpoint-url", moto_server, "--", "no-such-command-here")
    assert missing.returncode == 1 and "cannot run no-such-command-here" in missing.stderr


def test_a_role_outside_the_allowed_accounts_is_refused_before_any_call(job, aws, strict_sts):
    aws()
    refused = job("assume", "--role-arn", OTHER_ROLE, "--output", "json", "--endpoint-url", strict_sts.url,
                  "--allowed-account-ids", f"{ACCOUNT_ID}, 111111111111")
    assert refused.returncode == 1
    assert "not in an allowed account" in refused.stderr and "allowed_account_ids" in refused.stderr
    chained = job("assume", "--role-arn", ROLE, "--chain-role-arn", OTHER_ROLE, "--output", "json",
                  "--endpoint-url", strict_sts.url, "--allowed-account-ids", ACCOUNT_ID)
    assert chained.returncode == 1 and OTHER_ROLE in chained.stderr
    assert strict_sts.calls() == 0
    allowed = job("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", strict_sts.url,
                  AWS_OIDC_ALLOWED_ACCOUNT_IDS=ACCOUNT_ID)
    assert allowed.returncode == 0, allowed.stderr


def test_the_sts_user_agent_names_the_circleci_build(job, aws, strict_sts):
    aws()
    result = job("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--output", "json",
                 "--endpoint-url", strict_sts.url)
    assert result.returncode == 0, result.stderr
    agents = [e["user_agent"] for e in strict_sts.log()]
    assert len(agents) == 2
    for agent in agents:
        assert "circleci-project/acme.app circleci-build/42" in agent, agent
        assert "circleci-workflow/6f1b2c3d-0000-4000-8000-000000000042" in agent, agent


def test_session_tags_reach_the_chained_assume_role_whose_trust_trust_policy_wrote(job, aws, strict_sts):
    # The chained role's trust exactly as `aws-oidc trust-policy --chained-from ... --session-tags` writes it.
    written = job("trust-policy", "--chained-from", ROLE, "--session-tags")
    assert written.returncode == 0, written.stderr
    aws(second_trust=json.loads(written.stdout))
    result = job("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--output", "json",
                 "--endpoint-url", strict_sts.url, "--tag", "team=payments", "--circleci-tags")
    assert result.returncode == 0, result.stderr
    chained = [e for e in strict_sts.log() if e["action"] == "AssumeRole"]
    assert chained[0]["tags"] == {"team": "payments", "circleci:project": "app", "circleci:job": "deploy",
                                  "circleci:build-num": "42", "circleci:branch": "main"}


def test_tags_without_tag_session_in_the_trust_are_explained(job, aws, strict_sts):
    written = job("trust-policy", "--chained-from", ROLE)
    assert written.returncode == 0, written.stderr
    aws(second_trust=json.loads(written.stdout))
    result = job("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--output", "json",
                 "--endpoint-url", strict_sts.url, "--tag", "team=payments")
    assert result.returncode == 1
    assert "sts:TagSession" in result.stderr and "drop --tag" in result.stderr


def test_tags_without_a_chain_say_why(job, strict_sts):
    result = job("assume", "--role-arn", ROLE, "--output", "json", "--endpoint-url", strict_sts.url,
                 "--tag", "team=payments")
    assert result.returncode == 1
    assert "AssumeRoleWithWebIdentity takes no tags from the caller" in result.stderr


def test_cleanup_takes_back_what_setup_wrote_and_keeps_everything_else(job, job_env, moto_server, tmp_path):
    home = Path(job_env["HOME"])
    (home / ".aws").mkdir()
    foreign_creds = "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n"
    foreign_config = "# mine\n[profile other]\nregion = ap-south-1\n"
    (home / ".aws/credentials").write_text(foreign_creds)
    (home / ".aws/config").write_text(foreign_config)
    dotenv = tmp_path / "creds.env"
    for args in (["--profile", "deploy", "--bash-env"], ["--profile", "cached", "--refresh"],
                 ["--output", "dotenv", str(dotenv)]):
        result = job("assume", "--role-arn", ROLE, "--endpoint-url", moto_server, *args)
        assert result.returncode == 0, result.stderr
    cache = home / ".cache/aws-oidc"
    assert any(p.suffix == ".json" for p in cache.iterdir()), "a cache entry was written"
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert later["AWS_ACCESS_KEY_ID"].startswith("ASIA")

    cleaned = job("cleanup")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "unset the exported variables" in cleaned.stderr and '"deploy"' in cleaned.stderr
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert "AWS_ACCESS_KEY_ID" not in later and "AWS_SESSION_TOKEN" not in later
    # The foreign profile, and every byte around it, is as it was.
    assert (home / ".aws/credentials").read_text() == foreign_creds
    assert (home / ".aws/config").read_text() == foreign_config
    assert not dotenv.exists()
    assert not [p for p in cache.iterdir() if p.suffix == ".json"], "the cache entries are gone"
    # With nothing left, the AWS CLI finds no credentials for the profile.
    cli = run_aws({k: v for k, v in later.items() if k != "BASH_ENV"}, "sts", "get-caller-identity",
                  "--profile", "deploy", endpoint=moto_server)
    assert cli.returncode != 0
    again = job("cleanup")
    assert again.returncode == 0 and "nothing recorded" in again.stderr


def test_skip_if_valid_does_nothing_while_the_same_roles_credentials_last(job, job_env, aws, strict_sts):
    aws()
    first = job("assume", "--role-arn", ROLE, "--endpoint-url", strict_sts.url, "--bash-env")
    assert first.returncode == 0, first.stderr
    exported = Path(job_env["BASH_ENV"]).read_text()
    # A later step (a rerun of setup, or a second setup in the same job) sees the exported keys.
    later = {**sourced_env(Path(job_env["BASH_ENV"]), job_env), "CIRCLE_OIDC_TOKEN_V2": job.env["CIRCLE_OIDC_TOKEN_V2"]}
    skipped = run_aws_oidc(job.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", strict_sts.url,
                                              "--bash-env", "--skip-if-valid", "10"], later)
    assert skipped.returncode == 0, skipped.stderr
    assert "nothing to do" in skipped.stderr and "--skip-if-valid 10" in skipped.stderr
    assert strict_sts.calls() == 1
    assert Path(job_env["BASH_ENV"]).read_text() == exported
    # Asking for more than is left, or for another role, assumes again.
    longer = run_aws_oidc(job.aws_oidc_bin, ["assume", "--role-arn", ROLE, "--endpoint-url", strict_sts.url,
                                             "--bash-env", "--skip-if-valid", "120"], later)
    assert longer.returncode == 0, longer.stderr
    assert "nothing to do" not in longer.stderr
    assert strict_sts.calls() == 2
