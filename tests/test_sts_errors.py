"""Failures and retries of `aws-oidc assume` against the strict STS fixture.

The fixture verifies the token and evaluates the role's trust policy as IAM
does, so these tests show what a user sees when the AWS side is set up
wrong, and that only failures that can pass are retried.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from support.accounts import ACCOUNT_ID, ORG_ID, PROJECT_ID, PROVIDER, PROVIDER_ARN, ROLE, SECOND_ROLE, chain_trust, private_pem, trust
from support.steps import assert_no_secrets, credentials_in, run_aws, run_aws_oidc, sourced_env



@pytest.fixture
def step(aws_oidc_bin, strict_sts, aws, tokens, job_env, tmp_path):
    """Runs `aws-oidc` as a job step against the strict fixture; checks nothing secret is printed."""
    token = tokens.mint()
    base = {**job_env, "CIRCLE_OIDC_TOKEN_V2": token, "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_STS": strict_sts.url}

    def run(*args: str, extra_env: dict | None = None):
        env = {**base, **(extra_env or {})}
        started = time.monotonic()
        result = run_aws_oidc(aws_oidc_bin, list(args), env)
        result.elapsed = time.monotonic() - started
        out = result.stdout + result.stderr
        assert token not in out, "the OIDC token leaked"
        assert "Traceback" not in out and "panicked" not in out
        later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
        assert_no_secrets([result.stderr], credentials_in(later))
        return result

    run.env = base
    return run


def circleci_stand_in(tmp_path: Path, token: str) -> tuple[Path, Path]:
    """A `circleci` CLI whose `run oidc get` prints `token` and logs its arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    log = tmp_path / "circleci.log"
    cli = bindir / "circleci"
    cli.write_text(f"#!/bin/sh\necho \"$@\" >> '{log}'\nprintf '%s\\n' '{token}'\n")
    cli.chmod(0o755)
    return bindir, log


# --- success against a strict STS: signatures, trust policy, the AWS CLI ----------

def test_strict_sts_accepts_a_matching_trust_policy_and_the_aws_cli_signs_with_the_result(step, strict_sts, job_env):
    result = step("assume", "--role-arn", ROLE, "--bash-env", "--profile", "deploy", "--verify")
    assert result.returncode == 0, result.stderr
    assert "verified as arn:aws:sts::123456789012:assumed-role/deploy/deploy-42" in result.stderr
    # The fixture recomputes SigV4 signatures: these succeed only with the real keys.
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    env_call = run_aws(later, "sts", "get-caller-identity", endpoint=strict_sts.url)
    assert env_call.returncode == 0, env_call.stderr
    profile_call = run_aws({**job_env, "AWS_REGION": "us-east-1"}, "sts", "get-caller-identity",
                           "--profile", "deploy", endpoint=strict_sts.url)
    assert profile_call.returncode == 0, profile_call.stderr
    assert json.loads(profile_call.stdout)["Arn"].endswith("assumed-role/deploy/deploy-42")


def test_role_chaining_with_external_id(step, aws):
    aws(second_trust=chain_trust(external_id="ext-123"))
    ok = step("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--external-id", "ext-123", "--verify", "--output", "json")
    assert ok.returncode == 0, ok.stderr
    assert "verified as arn:aws:sts::123456789012:assumed-role/second/deploy-42" in ok.stderr

    wrong = step("assume", "--role-arn", ROLE, "--chain-role-arn", SECOND_ROLE, "--external-id", "other", "--output", "json")
    assert wrong.returncode == 1
    assert "AssumeRole failed" in wrong.stderr
    assert f'Principal {{"AWS": "{ROLE}"}}' in wrong.stderr
    assert "sts:ExternalId" in wrong.stderr


# --- each STS error explains itself -------------------------------------------------

def test_access_denied_shows_the_statement_that_would_match(step, aws, strict_sts):
    aws(trust(sub_pattern=f"org/{ORG_ID}/project/another-project/user/*"))
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    err = result.stderr
    assert "AccessDenied (HTTP 403): Not authorized to perform sts:AssumeRoleWithWebIdentity" in err
    assert f'"Federated": "{PROVIDER_ARN}"' in err
    assert f'"{PROVIDER}:aud": "{ORG_ID}"' in err
    assert f'"{PROVIDER}:sub": "org/{ORG_ID}/project/{PROJECT_ID}/user/*"' in err
    assert f"sub=org/{ORG_ID}/project/{PROJECT_ID}/user/" in err
    assert "from $CIRCLE_OIDC_TOKEN_V2" in err
    assert strict_sts.calls() == 1, "AccessDenied must not be retried"


def test_string_equals_with_a_wildcard_is_denied_and_the_fix_is_named(step, aws):
    aws(trust(operator="StringEquals"))
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert "StringLike (not StringEquals)" in result.stderr


def test_missing_identity_provider(step, aws, strict_sts):
    aws(providers=False)
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert "No OpenIDConnect provider found" in result.stderr
    assert f"aws iam create-open-id-connect-provider --url https://{PROVIDER} --client-id-list {ORG_ID}" in result.stderr
    assert strict_sts.calls() == 1


def test_custom_audience_the_provider_does_not_list(step, aws, tokens, tmp_path, strict_sts):
    bindir, log = circleci_stand_in(tmp_path, tokens.mint(aud="sts.amazonaws.com"))
    result = step("assume", "--role-arn", ROLE, "--audience", "sts.amazonaws.com",
                  extra_env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert result.returncode == 1
    assert "Incorrect token audience" in result.stderr
    assert "add-client-id-to-open-id-connect-provider" in result.stderr
    assert "--client-id sts.amazonaws.com" in result.stderr
    assert log.read_text().strip() == 'run oidc get --claims {"aud":"sts.amazonaws.com"}'

    # Once the provider lists it and the trust policy expects it, the same step works.
    aws(trust(aud="sts.amazonaws.com"), client_ids=(ORG_ID, "sts.amazonaws.com"))
    ok = step("assume", "--role-arn", ROLE, "--audience", "sts.amazonaws.com",
              extra_env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert ok.returncode == 0, ok.stderr


def test_duration_above_the_roles_maximum(step):
    result = step("assume", "--role-arn", ROLE, "--duration", "7200")
    assert result.returncode == 1
    assert "MaxSessionDuration" in result.stderr
    assert "aws iam update-role --role-name deploy --max-session-duration 7200" in result.stderr


def test_region_where_sts_is_disabled(step, aws):
    aws(disabled_regions=["us-east-1"])
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert "RegionDisabledException" in result.stderr
    assert "not activated in region us-east-1" in result.stderr


def test_packed_policy_too_large(step, aws):
    aws(packed_policy_limit=120)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"} for i in range(3)]})
    result = step("assume", "--role-arn", ROLE, "--policy", policy)
    assert result.returncode == 1
    assert "PackedPolicyTooLarge" in result.stderr and "too large" in result.stderr


@pytest.mark.parametrize(
    "code, message, status, needle",
    [
        ("MalformedPolicyDocument", "Syntax errors in policy.", 400, "session_policy"),
        ("IDPRejectedClaim", "Claim rejected", 403, "rejected a claim"),
        ("ValidationError", "1 validation error detected", 400, "STS refused a parameter"),
    ],
)
def test_other_sts_errors_are_explained_and_not_retried(step, strict_sts, code, message, status, needle):
    strict_sts.fault("error", count=1, status=status, code=code, message=message)
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert code in result.stderr and needle in result.stderr
    assert strict_sts.calls() == 1


def test_expired_token_is_retried_once_with_a_fresh_token(step, strict_sts, tokens, tmp_path):
    bindir, log = circleci_stand_in(tmp_path, tokens.mint())
    strict_sts.fault("error", count=1, status=400, code="ExpiredTokenException", message="Token expired: current date/time must be before the expiration date/time")
    result = step("assume", "--role-arn", ROLE, "--output", "json", extra_env={"PATH": f"{bindir}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert strict_sts.calls() == 2
    assert len(log.read_text().splitlines()) == 1

    # Without a way to mint, the same failure explains itself.
    strict_sts.fault("error", count=1, status=400, code="ExpiredTokenException", message="Token expired")
    failed = step("assume", "--role-arn", ROLE, "--output", "json", extra_env={"PATH": "/usr/bin:/bin"})
    assert failed.returncode == 1
    assert "ExpiredTokenException" in failed.stderr and "circleci run oidc get" in failed.stderr


# --- retries: only what can pass, bounded in count and time -----------------------------

@pytest.mark.parametrize("kind", ["throttle", "500", "503", "idp_communication", "jwks", "reset", "malformed"])
def test_transient_failures_are_retried_until_success(step, strict_sts, kind):
    strict_sts.fault(kind, count=2)
    result = step("assume", "--role-arn", ROLE, "--output", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert strict_sts.calls() == 3


def test_retries_stop_after_five_attempts_with_an_explanation(step, strict_sts):
    strict_sts.fault("throttle", count=10)
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert "failed after 5 attempts" in result.stderr
    assert "kept throttling after 5 attempts" in result.stderr
    assert strict_sts.calls() == 5


def test_a_server_that_does_not_answer_ends_within_the_time_limit(step, strict_sts):
    strict_sts.fault("slow", count=10, delay=20)
    result = step("assume", "--role-arn", ROLE, "--timeout", "3")
    assert result.returncode == 1
    assert result.elapsed < 6, f"took {result.elapsed:.1f}s with --timeout 3"
    assert "in time" in result.stderr and "--timeout" in result.stderr


def test_verification_key_outage_that_persists_says_to_retry_later(step, strict_sts):
    strict_sts.fault("jwks", count=10)
    result = step("assume", "--role-arn", ROLE)
    assert result.returncode == 1
    assert "signing keys" in result.stderr and "after 5 attempts" in result.stderr


# --- the fault matrix: hostile STS answers --------------------------------------------
#
# Each hostile kind (see strict_sts/README.md) once, then a good answer, or
# always: an answer that cannot be read passes like any transient failure
# and is retried; one that is wrong (credentials that cannot be written or
# have expired, a redirect) fails at once with the reason.  Nothing is
# written, nothing panics, nothing secret is printed.

@pytest.mark.parametrize("kind", ["garbage", "bad_expiration", "malformed", "newline_credentials"])
def test_an_unreadable_answer_is_retried_until_a_good_one(step, strict_sts, kind):
    strict_sts.fault(kind, count=2)
    result = step("assume", "--role-arn", ROLE, "--output", "json")
    assert result.returncode == 0, result.stderr
    assert strict_sts.calls() == 3


@pytest.mark.parametrize("kind, needle", [
    ("garbage", "not STS's XML"),
    ("bad_expiration", "not STS's XML"),
    ("newline_credentials", "line breaks"),
])
def test_an_answer_that_stays_unreadable_is_explained_not_unknown(step, strict_sts, job_env, kind, needle):
    strict_sts.fault(kind, count=10)
    result = step("assume", "--role-arn", ROLE, "--output", "json", "--profile", "p")
    assert result.returncode == 1 and result.stdout == ""
    assert "unknown error" not in result.stderr and "(no message)" not in result.stderr, result.stderr
    assert needle in result.stderr and "after 5 attempts" in result.stderr, result.stderr
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert strict_sts.calls() == 5
    assert not (Path(job_env["HOME"]) / ".aws/credentials").exists()


@pytest.mark.parametrize("kind, needle", [
    ("redirect", "redirect (HTTP 307)"),
    ("expired_credentials", "before they arrived"),
])
def test_a_wrong_answer_fails_at_once_and_writes_nothing(step, strict_sts, job_env, kind, needle):
    strict_sts.fault(kind, count=10)
    result = step("assume", "--role-arn", ROLE, "--profile", "p", "--bash-env")
    assert result.returncode == 1, result.stderr
    assert needle in result.stderr, result.stderr
    assert strict_sts.calls() == 1
    assert Path(job_env["BASH_ENV"]).read_text() == ""
    assert not (Path(job_env["HOME"]) / ".aws/credentials").exists()


def test_a_200_mb_answer_is_cut_off_without_buffering_it(aws_oidc_bin, step, strict_sts):
    from support.steps import measured

    strict_sts.fault("huge", count=10, size=200_000_000)
    result = measured(aws_oidc_bin, ["assume", "--role-arn", ROLE, "--output", "json"], step.env, timeout=60)
    assert result.returncode == 1 and "larger than 256 KiB" in result.stderr, result.stderr
    assert result.max_rss_kb < 32 * 1024, f"peak RSS {result.max_rss_kb} KiB"


def test_a_long_error_message_is_cut_when_printed(step, strict_sts):
    strict_sts.fault("huge_error", count=1, size=200_000)
    result = step("assume", "--role-arn", ROLE, "--output", "json")
    assert result.returncode == 1 and "more characters not shown" in result.stderr, result.stderr[:2000]
    assert len(result.stderr) < 20_000, len(result.stderr)
    assert strict_sts.calls() == 1


def test_a_5_mb_error_answer_is_cut_off_as_too_large(step, strict_sts):
    strict_sts.fault("huge_error", count=10, size=5_000_000)
    result = step("assume", "--role-arn", ROLE, "--output", "json")
    assert result.returncode == 1 and "larger than 256 KiB" in result.stderr, result.stderr[:2000]
    assert len(result.stderr) < 20_000, len(result.stderr)


def test_a_server_that_echoes_the_token_does_not_get_it_printed(step, strict_sts):
    strict_sts.fault("echo_token", count=1)
    result = step("assume", "--role-arn", ROLE, "--output", "json")  # `step` fails the test on a leak
    assert result.returncode == 1 and "Invalid token: ***" in result.stderr, result.stderr
