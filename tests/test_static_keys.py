"""`aws-oidc static-keys`: an aws-cli/setup config with stored keys keeps working.

The keys come from the environment variables named, as aws-cli/setup's
`aws_access_key_id` and `aws_secret_access_key` parameters name them; the
real AWS CLI reads them back from the profile and from `$BASH_ENV`, and they
never appear in what the step prints.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.steps import run_aws, run_aws_oidc, sourced_env

KEY_ID = "AKIAEXAMPLESTATIC001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSTATICKEY"


def keys_env(job_env: dict[str, str]) -> dict[str, str]:
    return {**job_env, "DEPLOY_KEY_ID": KEY_ID, "DEPLOY_SECRET": SECRET, "AWS_DEFAULT_REGION": "eu-west-1"}


def test_static_keys_reach_the_profile_and_bash_env_and_the_aws_cli_reads_them(aws_oidc_bin, job_env, moto_server):
    # An earlier OIDC step left a session token behind: with these keys it must go.
    Path(job_env["BASH_ENV"]).write_text("export AWS_SESSION_TOKEN=stale-token\n")
    env = keys_env(job_env)
    result = run_aws_oidc(aws_oidc_bin, ["static-keys", "--access-key-id-var", "DEPLOY_KEY_ID",
                                         "--secret-access-key-var", "DEPLOY_SECRET", "--profile", "legacy",
                                         "--bash-env"], env)
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    assert KEY_ID not in out and SECRET not in out
    assert 'profile "legacy"' in result.stderr and "$BASH_ENV" in result.stderr
    assert "OIDC needs no stored keys" in result.stderr

    aws_env = {k: v for k, v in job_env.items() if k != "BASH_ENV"}
    got = run_aws(aws_env, "configure", "get", "aws_access_key_id", "--profile", "legacy")
    assert got.stdout.strip() == KEY_ID, got.stderr
    got = run_aws(aws_env, "configure", "get", "region", "--profile", "legacy")
    assert got.stdout.strip() == "eu-west-1", got.stderr
    later = sourced_env(Path(job_env["BASH_ENV"]), job_env)
    assert later["AWS_ACCESS_KEY_ID"] == KEY_ID and later["AWS_SECRET_ACCESS_KEY"] == SECRET
    assert "AWS_SESSION_TOKEN" not in later, "the stale session token is unset"
    ident = run_aws(later, "sts", "get-caller-identity", endpoint=moto_server)
    assert ident.returncode == 0, ident.stderr
    assert json.loads(ident.stdout)["Account"]


def test_a_missing_key_variable_is_named_and_nothing_is_written(aws_oidc_bin, job_env):
    env = {**job_env, "DEPLOY_KEY_ID": KEY_ID}
    result = run_aws_oidc(aws_oidc_bin, ["static-keys", "--access-key-id-var", "DEPLOY_KEY_ID",
                                         "--secret-access-key-var", "DEPLOY_SECRET", "--profile", "legacy"], env)
    assert result.returncode == 1
    assert "$DEPLOY_SECRET is empty" in result.stderr and KEY_ID not in result.stderr
    assert not (Path(job_env["HOME"]) / ".aws").exists()
    assert Path(job_env["BASH_ENV"]).read_text() == ""


def test_a_key_pasted_where_a_variable_name_belongs_is_not_echoed(aws_oidc_bin, job_env):
    result = run_aws_oidc(aws_oidc_bin, ["static-keys", "--access-key-id-var", SECRET, "--bash-env"], keys_env(job_env))
    assert result.returncode == 1
    assert "takes the name of an environment variable" in result.stderr
    assert SECRET not in result.stderr


def test_assume_without_a_role_on_its_command_line_writes_the_stored_keys_as_aws_cli_setup(aws_oidc_bin, job_env):
    """The orb's setup calls `assume` once: an empty --role-arn (an
    $AWS_ROLE_ARN does not count) means the stored keys, in any of the forms
    aws-cli/setup's parameters took, written to the profile, not exported."""
    env = {**keys_env(job_env), "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/not-this-one"}
    for id_value, secret_value in [("$DEPLOY_KEY_ID", "${DEPLOY_SECRET}"), ("DEPLOY_KEY_ID", SECRET)]:
        result = run_aws_oidc(aws_oidc_bin, ["assume", "--expand-env", "--role-arn=",
                                             f"--stored-access-key-id={id_value}",
                                             f"--stored-secret-access-key={secret_value}",
                                             "--profile=legacy", "--bash-env"], env)
        assert result.returncode == 0, result.stderr
        assert KEY_ID not in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr
        assert 'profile "legacy"' in result.stderr and "$DEPLOY_KEY_ID" in result.stderr
        got = run_aws({**job_env, "AWS_PROFILE": "legacy"}, "configure", "get", "aws_secret_access_key")
        assert got.stdout.strip() == SECRET, got.stderr
    assert Path(job_env["BASH_ENV"]).read_text() == "", "stored keys are not exported"


def test_assume_with_a_bad_stored_key_names_the_parameter_and_never_the_value(aws_oidc_bin, job_env):
    pasted = "pasted secret with spaces"
    result = run_aws_oidc(aws_oidc_bin, ["assume", f"--stored-access-key-id={pasted}",
                                         "--stored-secret-access-key=$DEPLOY_SECRET", "--profile=p"],
                          keys_env(job_env))
    assert result.returncode == 1
    assert "aws_access_key_id" in result.stderr and pasted not in result.stderr, result.stderr
    assert not (Path(job_env["HOME"]) / ".aws").exists()


def test_assume_without_a_role_says_which_options_for_assumed_credentials_did_nothing(aws_oidc_bin, job_env):
    """The orb passes verify, refresh and skip_if_valid whatever role_arn
    holds: with no role, they cannot act, and the step says so instead of
    dropping them silently."""
    result = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn=", "--stored-access-key-id=$DEPLOY_KEY_ID",
                                         "--stored-secret-access-key=$DEPLOY_SECRET", "--profile=p",
                                         "--verify", "--skip-if-valid=10"], keys_env(job_env))
    assert result.returncode == 0, result.stderr
    assert "no role ARN was given, so --verify, --skip-if-valid (for assumed credentials) did nothing" \
        in result.stderr, result.stderr
    quiet = run_aws_oidc(aws_oidc_bin, ["assume", "--role-arn=", "--stored-access-key-id=$DEPLOY_KEY_ID",
                                        "--stored-secret-access-key=$DEPLOY_SECRET", "--profile=p"],
                         keys_env(job_env))
    assert quiet.returncode == 0 and "did nothing" not in quiet.stderr, quiet.stderr
