"""The orb's `secrets`, run as CircleCI runs it: after `setup`, against
moto's Secrets Manager and SSM; a later step uses the values, `cleanup`
takes them back.  Values never appear in any step's output."""

from __future__ import annotations

import json
import uuid

import boto3

from support.orb_configs import REGION, config, role, run

# Values a careless script would break on, or run.
DB = {"username": "app", "password": "p'w\"$(id)`x`\n2"}
TOKEN = "tok-$HOME-'q'"


def seed(url: str) -> str:
    run_id = uuid.uuid4().hex[:8]
    keys = {"aws_access_key_id": "AKIAORBSECRETS000001", "aws_secret_access_key": "orb-secrets-seed"}
    sm = boto3.client("secretsmanager", region_name=REGION, endpoint_url=url, **keys)
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=url, **keys)
    sm.create_secret(Name=f"{run_id}/db", SecretString=json.dumps(DB))
    ssm.put_parameter(Name=f"/{run_id}/ci/token", Value=TOKEN, Type="SecureString")
    return run_id


def test_setup_then_secrets_exports_for_later_steps_and_cleanup_unsets(ci):
    ci.give_token()
    url = ci.env["AWS_ENDPOINT_URL_STS"]
    ci.env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = url
    ci.env["AWS_ENDPOINT_URL_SSM"] = url
    run_id = seed(url)
    ci.secrets += [DB["password"], TOKEN]
    result = ci.run(config(
        {"aws-oidc/setup": {"role_arn": role("deploy")}},
        {"aws-oidc/secrets": {"secrets": f"DB_*={run_id}/db\nCI_TOKEN=ssm:/{run_id}/ci/token"}},
        # What a later step's bash sees; the values themselves are never printed.
        run("use them", 'test "$DB_USERNAME" = app && test "$CI_TOKEN" = "tok-\\$HOME-'"'q'"'" '
                        '&& test -n "$DB_PASSWORD" && echo used'),
        {"aws-oidc/cleanup": {}},
        run("after cleanup", 'test -z "${DB_PASSWORD+set}${DB_USERNAME+set}${CI_TOKEN+set}" && echo gone'),
    ))  # fmt: skip
    assert result.ok, result.describe()
    fetched = result.step("Fetch secrets")
    # JSON keys come sorted.
    assert "wrote DB_PASSWORD, DB_USERNAME, CI_TOKEN" in fetched.stderr
    assert "not values fetched at run time" in fetched.stderr
    assert "used" in result.step("use them").output
    assert "gone" in result.step("after cleanup").output
    assert not {"DB_USERNAME", "DB_PASSWORD", "CI_TOKEN"} & ci.exported().keys()


def test_secrets_on_its_own_assumes_the_role_and_writes_only_a_dotenv_file(ci):
    ci.give_token()
    url = ci.env["AWS_ENDPOINT_URL_STS"]
    ci.env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = url
    run_id = seed(url)
    ci.secrets += [DB["password"]]
    result = ci.run(config(
        {"aws-oidc/secrets": {"secrets": f"PW={run_id}/db#password", "role_arn": role("reader"),
                              "region": REGION, "export": False, "dotenv": "$HOME/app.env"}},
        run("read the file", '. "$HOME/app.env" && test -n "$PW" && echo read'),
    ))  # fmt: skip
    assert result.ok, result.describe()
    assert "assumed-role/reader" in result.step("Fetch secrets").stderr
    assert (ci.home / "app.env").stat().st_mode & 0o777 == 0o600
    assert "PW" not in ci.exported() and ci.exported().get("AWS_ACCESS_KEY_ID") is None


def test_a_name_that_is_no_variable_name_stops_the_step_with_the_fix(ci):
    result = ci.run(config({"aws-oidc/secrets": {"secrets": "db-password=prod/db"}}))
    assert not result.ok
    assert "DB_PASSWORD=prod/db" in result.step("Fetch secrets").output
