"""`aws-oidc secrets`: Secrets Manager secrets and SSM parameters into the
job, against moto's server.  What a later step sees is read the way the
step reads it: bash sourcing $BASH_ENV.  No assertion message holds a value.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import uuid

import boto3
import pytest

from support.servers import running_moto
from support.steps import assert_no_secrets, run_aws_oidc, with_stored_keys

REGION = "eu-west-1"
KEY_ID = "AKIASECRETSTEST00001"
SECRET_KEY = "secrets/test+key/000000000000000000000000"


def client(service: str, url: str, **keys):
    return boto3.client(service, region_name=REGION, endpoint_url=url,
                        aws_access_key_id=keys.get("id", KEY_ID),
                        aws_secret_access_key=keys.get("secret", SECRET_KEY))  # fmt: skip


@pytest.fixture
def names():
    """Names of this test's own (moto's state lives for the session)."""
    run = uuid.uuid4().hex[:8]
    return lambda name: f"t{run}/{name}"


@pytest.fixture
def env(job_env, moto_server, tmp_path):
    return with_stored_keys(job_env, tmp_path, KEY_ID, SECRET_KEY, REGION,
                            endpoints={"SECRETS_MANAGER": moto_server, "SSM": moto_server, "STS": moto_server})


def exported(env: dict[str, str]) -> dict[str, str]:
    """What a later step sees: bash sources $BASH_ENV (as CircleCI runs steps), then env -0."""
    script = '. "$BASH_ENV"; env -0'
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


def test_strings_json_binary_and_parameters_reach_a_later_step(aws_oidc_bin, env, moto_server, names):
    sm, ssm = client("secretsmanager", moto_server), client("ssm", moto_server)
    sm.create_secret(Name=names("plain"), SecretString="plain-value-1")
    sm.create_secret(Name=names("db"), SecretString=json.dumps(
        {"username": "app", "password": "pw-2", "port": 5432, "db-host": "db.internal"}))  # fmt: skip
    blob = bytes(range(256))
    sm.create_secret(Name=names("blob"), SecretBinary=blob)
    ssm.put_parameter(Name=f"/{names('token')}", Value="secure-3", Type="SecureString")
    ssm.put_parameter(Name=f"/{names('plain-param')}", Value="param-4", Type="String")
    got = run_aws_oidc(aws_oidc_bin, [
        "secrets", f"PLAIN={names('plain')}", f"DB_*={names('db')}", f"PW={names('db')}#password",
        f"BLOB={names('blob')}", f"TOKEN=ssm:/{names('token')}\nPARAM=ssm:/{names('plain-param')}",
    ], env)  # fmt: skip
    assert got.returncode == 0, got.stderr
    seen = exported(env)
    assert seen["PLAIN"] == "plain-value-1"
    assert (seen["DB_USERNAME"], seen["DB_PASSWORD"], seen["DB_PORT"]) == ("app", "pw-2", "5432")
    assert seen["DB_DB_HOST"] == "db.internal"
    assert seen["PW"] == "pw-2"
    assert (base64.b64decode(seen["BLOB"]) == blob) is True
    assert seen["TOKEN"] == "secure-3" and seen["PARAM"] == "param-4"
    assert "not values fetched at run time" in got.stderr
    assert "DB_USERNAME" in got.stderr and "PLAIN" in got.stderr
    assert_no_secrets([got.stdout, got.stderr], ["plain-value-1", "pw-2", "secure-3", "param-4", "db.internal"])


def test_values_that_would_inject_into_a_shell_round_trip_through_bash_env(aws_oidc_bin, env, moto_server, names):
    sm = client("secretsmanager", moto_server)
    nasty = {
        "Q": "it's \"quoted\"",
        "D": "$HOME ${PATH} $(touch /tmp/pwned-aws-oidc) `id`",
        "N": "line1\nexport INJECTED=1\nline3\n",
        "B": "back\\slash; rm -rf / & echo | cat > x",
        "U": "ünïcödé ✓ \t tab",
    }
    for name, value in nasty.items():
        sm.create_secret(Name=names(name), SecretString=value)
    specs = [f"{name}={names(name)}" for name in nasty]
    got = run_aws_oidc(aws_oidc_bin, ["secrets", *specs], env)
    assert got.returncode == 0, got.stderr
    seen = exported(env)
    for name, value in nasty.items():
        assert (seen.get(name) == value) is True, f"{name} did not round-trip"
    assert "INJECTED" not in seen
    assert not os.path.exists("/tmp/pwned-aws-oidc")
    # sh (dash) reads it the same.
    out = subprocess.run(["sh", "-c", '. "$BASH_ENV"; printf %s "$N"'], env=env, capture_output=True).stdout
    assert (out.decode() == nasty["N"]) is True
    assert_no_secrets([got.stdout, got.stderr], [v.strip() for v in nasty.values()])


def test_a_path_of_25_parameters_is_read_page_by_page(aws_oidc_bin, env, moto_server, names):
    ssm = client("ssm", moto_server)
    base = f"/{names('app')}"
    for i in range(25):
        ssm.put_parameter(Name=f"{base}/svc-{i:02d}/url", Value=f"value-{i}", Type="SecureString")
    got = run_aws_oidc(aws_oidc_bin, ["secrets", f"APP_*=ssm:{base}/"], env)
    assert got.returncode == 0, got.stderr
    seen = exported(env)
    found = {k: v for k, v in seen.items() if k.startswith("APP_SVC_")}
    assert len(found) == 25
    assert all(found[f"APP_SVC_{i:02d}_URL"] == f"value-{i}" for i in range(25))
    empty = run_aws_oidc(aws_oidc_bin, ["secrets", f"X_*=ssm:{base}-nothing/"], env)
    assert empty.returncode == 1 and f"no parameters under {base}-nothing/" in empty.stderr


def test_a_missing_secret_or_parameter_is_named(aws_oidc_bin, env, moto_server, names):
    sm = client("secretsmanager", moto_server)
    sm.create_secret(Name=names("there"), SecretString="there-value")
    before = (env_file := open(env["BASH_ENV"]).read())
    one = run_aws_oidc(aws_oidc_bin, ["secrets", f"A={names('missing')}"], env)
    assert one.returncode == 1 and names("missing") in one.stderr and "ResourceNotFoundException" in one.stderr
    # Several at once go through BatchGetSecretValue; the missing one is still named.
    batch = run_aws_oidc(aws_oidc_bin, ["secrets", f"A={names('there')}", f"B={names('missing')}"], env)
    assert batch.returncode == 1 and names("missing") in batch.stderr, batch.stderr
    param = run_aws_oidc(aws_oidc_bin, ["secrets", f"A=ssm:/{names('nope')}"], env)
    assert param.returncode == 1 and f"/{names('nope')}" in param.stderr
    key = run_aws_oidc(aws_oidc_bin, ["secrets", f"A={names('there')}#nokey"], env)
    assert key.returncode == 1 and "not a JSON object" in key.stderr
    # Nothing was written by any of them.
    assert open(env["BASH_ENV"]).read() == before == env_file
    assert_no_secrets([one.stderr, batch.stderr, param.stderr, key.stderr], ["there-value"])


def test_a_64_kib_secret_is_taken_and_a_larger_one_is_not(aws_oidc_bin, env, moto_server, names):
    sm = client("secretsmanager", moto_server)
    big = "x" * (64 * 1024 - 10) + "'$`\n\"end"
    sm.create_secret(Name=names("big"), SecretString=big)
    sm.create_secret(Name=names("big2"), SecretString=big[::-1])
    got = run_aws_oidc(aws_oidc_bin, ["secrets", f"BIG={names('big')}", f"BIG2={names('big2')}"], env)
    assert got.returncode == 0, got.stderr
    seen = exported(env)
    assert (seen["BIG"] == big and seen["BIG2"] == big[::-1]) is True
    # moto, unlike AWS, stores a larger one: aws-oidc refuses it by size.
    sm.create_secret(Name=names("huge"), SecretString="y" * (64 * 1024 + 1))
    huge = run_aws_oidc(aws_oidc_bin, ["secrets", f"HUGE={names('huge')}"], env)
    assert huge.returncode == 1 and "more than the 64 KiB" in huge.stderr
    assert "yyyy" not in huge.stderr


def test_bad_names_are_refused_with_the_fix_before_any_call(aws_oidc_bin, env):
    bad = run_aws_oidc(aws_oidc_bin, ["secrets", "db-password=prod/db"], {**env, "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9"})  # fmt: skip
    assert bad.returncode == 1 and "DB_PASSWORD=prod/db" in bad.stderr
    assert run_aws_oidc(aws_oidc_bin, ["secrets", "PATH=prod/db"], env).returncode == 1
    none = run_aws_oidc(aws_oidc_bin, ["secrets", "X=prod/db"], {**env, "BASH_ENV": ""})
    assert none.returncode == 1 and "--dotenv FILE" in none.stderr
    region = {k: v for k, v in env.items() if k != "AWS_REGION"}
    assert "no region is set" in run_aws_oidc(aws_oidc_bin, ["secrets", "X=prod/db"], region).stderr


def test_json_keys_that_collide_are_refused(aws_oidc_bin, env, moto_server, names):
    sm = client("secretsmanager", moto_server)
    sm.create_secret(Name=names("dup"), SecretString=json.dumps({"a-b": "1-value", "a_b": "2-value"}))
    got = run_aws_oidc(aws_oidc_bin, ["secrets", f"X_*={names('dup')}"], env)
    assert got.returncode == 1 and "X_A_B would be set twice" in got.stderr
    assert_no_secrets([got.stderr], ["1-value", "2-value"])


def test_dotenv_and_exec_and_cleanup(aws_oidc_bin, env, moto_server, names, tmp_path):
    sm = client("secretsmanager", moto_server)
    sm.create_secret(Name=names("s"), SecretString="dot value 'q'")
    dotenv = tmp_path / "out" / ".env"
    dotenv.parent.mkdir()
    got = run_aws_oidc(aws_oidc_bin, ["secrets", "--dotenv", str(dotenv), f"S={names('s')}"], env)
    assert got.returncode == 0, got.stderr
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    read = subprocess.run(["bash", "-c", f'. "{dotenv}"; printf %s "$S"'], capture_output=True).stdout
    assert (read.decode() == "dot value 'q'") is True
    assert open(env["BASH_ENV"]).read() == "", "--dotenv alone writes no $BASH_ENV"

    # --exec: the command sees the value; nothing is written.
    ran = run_aws_oidc(aws_oidc_bin, ["secrets", f"S={names('s')}", "--exec", "--", "sh", "-c",
                                      'test "$S" = "dot value '"'"'q'"'"'" && echo same'], env)  # fmt: skip
    assert ran.returncode == 0 and ran.stdout == "same\n", ran.stderr
    assert open(env["BASH_ENV"]).read() == ""

    exported_now = run_aws_oidc(aws_oidc_bin, ["secrets", f"S={names('s')}"], env)
    assert exported_now.returncode == 0 and exported(env)["S"] == "dot value 'q'"
    clean = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert clean.returncode == 0, clean.stderr
    assert "S" not in exported(env)
    assert not dotenv.exists()


def test_access_denied_is_explained_and_a_role_without_batch_reads_one_by_one(aws_oidc_bin, job_env, tmp_path):
    # A moto of its own that authorizes every call after the five set-up calls.
    with running_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "5"}) as url:
        iam = boto3.client("iam", region_name=REGION, endpoint_url=url,
                           aws_access_key_id="AKIAADMIN00000000000", aws_secret_access_key="admin")  # fmt: skip
        iam.create_user(UserName="ci")
        # The common policy: GetSecretValue, not BatchGetSecretValue; no GetParametersByPath.
        iam.put_user_policy(UserName="ci", PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
                           "Resource": "*"}]}))  # fmt: skip
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        sm = client("secretsmanager", url)
        sm.create_secret(Name="one", SecretString="one-value")
        sm.create_secret(Name="two", SecretString="two-value")
        env = with_stored_keys(job_env, tmp_path, key["AccessKeyId"], key["SecretAccessKey"], REGION,
                               endpoints={"SECRETS_MANAGER": url, "SSM": url})
        both = run_aws_oidc(aws_oidc_bin, ["secrets", "ONE=one", "TWO=two"], env)
        assert both.returncode == 0, both.stderr
        seen = exported(env)
        assert (seen["ONE"], seen["TWO"]) == ("one-value", "two-value")
        denied = run_aws_oidc(aws_oidc_bin, ["secrets", "APP_*=ssm:/app/"], env)
        assert denied.returncode == 1
        assert "AccessDenied" in denied.stderr and "ssm:GetParametersByPath" in denied.stderr, denied.stderr
        assert_no_secrets([both.stderr, denied.stderr], [key["SecretAccessKey"], "one-value", "two-value"])
