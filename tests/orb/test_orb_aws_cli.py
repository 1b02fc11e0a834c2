"""Configs written for circleci/aws-cli, run with the orbs line pointed at
aws-oidc: every parameter of its v5 `setup`, its `default` executor, its
stored-key path, and the job of CircleCI's own OIDC tutorial. Each runs as a
CircleCI job would (the runner, the packed orb, the real binary, moto, then
the real AWS CLI), and must also pass CircleCI's schema."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from support.orb_configs import ACCOUNT, SHELLS, assert_ok, assumed, role
from support.orb_runner import ConfigError, Runner
from support.orb_schema import assert_valid, check_jsonschema

OUR_ORB = "aws-oidc/aws-oidc@0.1"


def valid_config(text: str, tmp_path) -> dict:
    """The config parsed, after CircleCI's schema has accepted it."""
    config = yaml.safe_load(text)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert_valid(check_jsonschema(path), 1)
    return config


# A v5 job that passes every parameter of aws-cli/setup, each set away from
# its default where that means something (REFERENCE: aws-cli@5 `setup`).
EVERY_PARAMETER = f"""
version: 2.1
orbs:
  aws-cli: {OUR_ORB}  # was: circleci/aws-cli@5.1
jobs:
  deploy:
    executor: aws-cli/default
    steps:
      - aws-cli/setup:
          version: "2.15.30"
          override_installed: true
          disable_aws_pager: true
          install_dir: /opt/aws-cli
          binary_dir: /opt/aws-bin
          profile_name: every-parameter
          aws_access_key_id: AWS_ACCESS_KEY_ID
          aws_secret_access_key: AWS_SECRET_ACCESS_KEY
          region: eu-west-1
          configure_default_region: false
          configure_profile_region: true
          role_arn: ${{ROLE_ARN}}
          role_session_name: every-parameter
          session_duration: "1800"
          set_aws_env_vars: true
          use_brew: false
          disable_aws_install: true
          when: always
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile every-parameter --query Arn --output text
workflows:
  deploy:
    jobs: [deploy]
"""


def test_a_config_with_every_aws_cli_setup_parameter_compiles_and_runs(ci, tmp_path):
    config = valid_config(EVERY_PARAMETER, tmp_path)
    ci.give_token()
    ci.env["ROLE_ARN"] = role("every-parameter")
    result = ci.run(config)
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("every-parameter", "every-parameter")

    assume = result.step("Assume the AWS role")
    # One line for aws-cli's install parameters that ask for something.
    [line] = [x for x in assume.stdout.splitlines() if "not applicable" in x]
    assert "version override_installed install_dir binary_dir disable_aws_install (" in line
    assert "use_brew" not in line
    # disable_aws_pager, the profile's region (and none in [default]), and
    # aws-oidc in its own directory, not in aws-cli's install_dir.
    assert 'export AWS_PAGER=""' in ci.bash_env.read_text().splitlines()
    assert ci.aws_config()["profile every-parameter"]["region"] == "eu-west-1"
    assert "region" not in ci.aws_config().get("default", {})
    assert (ci.install_dir / "aws-oidc").is_file()


def test_without_aws_clis_install_parameters_nothing_is_reported(ci):
    ci.give_token()
    result = ci.run(f"""
version: 2.1
orbs:
  aws-cli: {OUR_ORB}
jobs:
  deploy:
    executor: aws-cli/default
    steps:
      - aws-cli/setup:
          role_arn: {role("quiet")}
          disable_aws_pager: false
""")
    assert_ok(result)
    assert "not applicable" not in result.output
    assert "AWS_PAGER" not in ci.bash_env.read_text()


@pytest.mark.parametrize("when, fails_first, runs", [
    ("on_fail", True, True), ("on_fail", False, False),
    ("always", True, True), ("on_success", True, False),
])
def test_when_selects_every_step_of_setup_as_in_aws_cli(ci, when, fails_first, runs):
    ci.give_token()
    first = {"run": {"name": "before", "command": "exit 1" if fails_first else "true"}}
    result = ci.run({
        "version": 2.1,
        "orbs": {"aws-cli": OUR_ORB},
        "jobs": {"deploy": {"executor": "aws-cli/default",
                            "steps": [first, {"aws-cli/setup": {"role_arn": role("when"), "when": when}}]}},
    })
    statuses = {result.step("Install aws-oidc").status, result.step("Assume the AWS role").status}
    assert statuses == ({"success"} if runs else {"skipped"}), result.describe()


def test_the_default_executor_is_cimg_aws_under_the_users_alias(ci):
    runner = Runner(ci.dist.orb, ci.env, ci.tmp / "project")
    config = {
        "version": 2.1,
        "orbs": {"aws-cli": OUR_ORB},
        "jobs": {"deploy": {"executor": {"name": "aws-cli/default", "tag": "2025.01"}, "steps": ["checkout"]}},
    }
    assert runner.executor(config)["docker"] == [{"image": "cimg/aws:2025.01"}]
    config["jobs"]["deploy"]["executor"] = "aws-cli/default"
    assert runner.executor(config)["docker"] == [{"image": "cimg/aws:2024.03"}]


# The job of CircleCI's walkthrough of OIDC tokens with AWS, in aws-cli@4/@5
# spelling: setup with a role ARN only (no region anywhere), the region set
# for later steps through $BASH_ENV, then the AWS CLI.
TUTORIAL = f"""
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@5.1
jobs:
  aws-cli-example:
    executor: aws-cli/default
    steps:
      - checkout
      - aws-cli/setup:
          role_arn: "arn:aws:iam::{ACCOUNT}:role/OIDC-ROLE"
      - run:
          name: Set the region for later steps
          command: echo 'export AWS_REGION="us-west-2"' >> "$BASH_ENV"
      - run:
          name: List the buckets
          command: aws s3 ls
      - run:
          name: Who am I
          command: aws sts get-caller-identity
workflows:
  aws-cli:
    jobs:
      - aws-cli-example:
          context: aws
"""


@pytest.fixture
def tutorial_world(ci, moto_server):
    """The tutorial's job world: no region anywhere, the AWS CLI pointed at
    moto for S3 too, a bucket to list, and the job's token."""
    from uuid import uuid4

    from support.steps import run_aws

    bucket = f"tutorial-{uuid4().hex[:12]}"
    made = run_aws({**ci.env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"},
                   "s3api", "create-bucket", "--bucket", bucket, endpoint=moto_server)
    assert made.returncode == 0, made.stderr
    del ci.env["AWS_DEFAULT_REGION"]
    ci.env["AWS_ENDPOINT_URL"] = moto_server
    aws_cli_v2_reads_aws_region(ci)
    ci.env["CIRCLE_JOB"] = "aws-cli-example"
    ci.give_token()
    return bucket


def aws_cli_v2_reads_aws_region(ci) -> None:
    """cimg/aws has the AWS CLI v2, which takes the region from AWS_REGION
    (the tutorial's later step sets it); the test venv's v1 reads only
    AWS_DEFAULT_REGION. An `aws` first on PATH gives v1 that one habit of v2."""
    import shutil

    real = shutil.which("aws", path=ci.env["PATH"])
    assert real, "the AWS CLI is not installed in the test venv"
    bin_dir = ci.tmp / "aws-cli-v2"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(
        "#!/bin/sh\n"
        'if [ -n "${AWS_REGION:-}" ] && [ -z "${AWS_DEFAULT_REGION:-}" ]; then\n'
        '  AWS_DEFAULT_REGION=$AWS_REGION; export AWS_DEFAULT_REGION\n'
        "fi\n"
        f"exec '{real}' \"$@\"\n"
    )
    (bin_dir / "aws").chmod(0o755)
    ci.env["PATH"] = f"{bin_dir}:{ci.env['PATH']}"


def assert_the_tutorial_ran(ci, result, bucket: str) -> None:
    assert_ok(result)
    assert bucket in result.step("List the buckets").stdout
    who = json.loads(result.step("Who am I").stdout)
    assert who["Arn"] == assumed("OIDC-ROLE", "aws-cli-example")
    # No region was given, so none was written: STS's global endpoint, as the AWS CLI does.
    assert "region" not in json.dumps(ci.aws_config())
    assert "AWS_DEFAULT_REGION" not in ci.bash_env.read_text()


def test_the_tutorials_job_runs_once_the_orbs_line_points_at_aws_oidc(ci, tutorial_world, tmp_path):
    job = TUTORIAL.replace("circleci/aws-cli@5.1", OUR_ORB)
    result = ci.run(valid_config(job, tmp_path), shell=SHELLS["bash"], source_bash_env=False)
    assert_the_tutorial_ran(ci, result, tutorial_world)


# The tutorial as it is written: aws-cli@3.1.4, kebab-case parameters.
TUTORIAL_V3 = TUTORIAL.replace("circleci/aws-cli@5.1", "circleci/aws-cli@3.1.4").replace("role_arn:", "role-arn:")


def test_the_tutorials_own_v3_config_runs_after_migrate_config(ci, tutorial_world, tmp_path, aws_oidc_bin):
    # Its orbs line swapped alone, it does not compile: orbs may not declare
    # kebab-case parameters any more (orb-tools' RC010).
    with pytest.raises(ConfigError, match="unknown parameters.*role-arn"):
        ci.run(TUTORIAL_V3.replace("circleci/aws-cli@3.1.4", OUR_ORB))
    path = tmp_path / "config.yml"
    path.write_text(TUTORIAL_V3)
    migrated = subprocess.run([str(aws_oidc_bin), "migrate-config", str(path)], capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert 'role-arn: "arn:aws:iam::123456789012:role/OIDC-ROLE" -> role_arn: "arn' in migrated.stdout
    result = ci.run(valid_config(path.read_text(), tmp_path), shell=SHELLS["bash"], source_bash_env=False)
    assert_the_tutorial_ran(ci, result, tutorial_world)


# Clearly fake stored keys, in variables a project's settings would hold.
STATIC_KEY_ID = "AKIAORBSTATICTEST001"
STATIC_SECRET = "orbStaticTest/Secret+Key0000000000000001"

STORED_KEYS = f"""
version: 2.1
orbs:
  aws-cli: {OUR_ORB}  # was: circleci/aws-cli@5.1
jobs:
  deploy:
    executor: aws-cli/default
    steps:
      - aws-cli/setup:
          aws_access_key_id: DEPLOY_KEY_ID
          aws_secret_access_key: ${{DEPLOY_SECRET}}
          profile_name: stored
          region: eu-west-1
      - run:
          name: The AWS CLI reads the profile back
          command: |
            test "$(aws configure get aws_access_key_id --profile stored)" = "$DEPLOY_KEY_ID"
            test "$(aws configure get aws_secret_access_key --profile stored)" = "$DEPLOY_SECRET"
            test -z "$(aws configure get aws_session_token --profile stored)"
            test "$(aws configure get region --profile stored)" = eu-west-1
      - run:
          name: Later steps have the keys
          command: test "$AWS_ACCESS_KEY_ID" = "$DEPLOY_KEY_ID" && test "$AWS_SECRET_ACCESS_KEY" = "$DEPLOY_SECRET"
      - run:
          name: STS takes them
          command: aws sts get-caller-identity --profile stored --query Account --output text
workflows:
  deploy:
    jobs: [deploy]
"""


def give_stored_keys(ci) -> None:
    ci.env.update(DEPLOY_KEY_ID=STATIC_KEY_ID, DEPLOY_SECRET=STATIC_SECRET)
    ci.secrets += [STATIC_KEY_ID, STATIC_SECRET]  # no step may print either


def test_stored_keys_without_a_role_are_written_as_aws_cli_writes_them_and_never_printed(ci, tmp_path):
    give_stored_keys(ci)
    result = ci.run(valid_config(STORED_KEYS, tmp_path))  # ci.run: no step printed a key
    assert_ok(result)
    assert result.step("STS takes them").stdout.strip() == ACCOUNT
    written = result.step("Assume the AWS role")
    assert "static keys from $DEPLOY_KEY_ID and $DEPLOY_SECRET" in written.stderr
    assert "OIDC needs no stored keys" in written.stderr
    assert ci.credentials()["stored"] == {
        "aws_access_key_id": STATIC_KEY_ID, "aws_secret_access_key": STATIC_SECRET,
    }
    assert ci.aws_config()["default"]["region"] == "eu-west-1"  # configure_default_region


def test_setup_with_no_parameters_takes_a_contexts_stored_keys(ci):
    """aws-cli/setup's defaults: no AWS_ROLE_ARN, keys in AWS_ACCESS_KEY_ID
    and AWS_SECRET_ACCESS_KEY (a context)."""
    ci.env.update(AWS_ACCESS_KEY_ID=STATIC_KEY_ID, AWS_SECRET_ACCESS_KEY=STATIC_SECRET)
    ci.secrets += [STATIC_KEY_ID, STATIC_SECRET]
    result = ci.run({
        "version": 2.1,
        "orbs": {"aws-cli": OUR_ORB},
        "jobs": {"deploy": {"executor": "aws-cli/default", "steps": [
            "aws-cli/setup",
            {"run": {"name": "whoami", "command": "aws sts get-caller-identity --query Account --output text"}},
        ]}},
    })
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == ACCOUNT
    assert ci.credentials()["default"]["aws_secret_access_key"] == STATIC_SECRET


def test_a_role_arn_wins_over_stored_keys(ci):
    give_stored_keys(ci)
    ci.give_token()
    result = ci.run({
        "version": 2.1,
        "orbs": {"aws-cli": OUR_ORB},
        "jobs": {"deploy": {"steps": [
            {"aws-cli/setup": {"role_arn": role("wins"), "aws_access_key_id": "DEPLOY_KEY_ID",
                               "aws_secret_access_key": "DEPLOY_SECRET"}},
            {"run": {"name": "whoami", "command": "aws sts get-caller-identity --query Arn --output text"}},
        ]}},
    })
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("wins", "deploy")


@pytest.mark.parametrize("given, says", [
    # No role and no keys: the role is what is missing.
    ({}, "role"),
    # A key pasted where its variable's name belongs: refused, not shown.
    ({"aws_secret_access_key": STATIC_SECRET}, "must be the name of an environment variable"),
])
def test_without_a_role_or_usable_keys_setup_fails_and_says_why(ci, given, says):
    ci.env.pop("AWS_ACCESS_KEY_ID", None)
    if given:
        give_stored_keys(ci)
        given = {"aws_access_key_id": "DEPLOY_KEY_ID", **given}
    result = ci.run({
        "version": 2.1,
        "orbs": {"aws-cli": OUR_ORB},
        "jobs": {"deploy": {"steps": [{"aws-cli/setup": given}]}},
    })
    step = result.step("Assume the AWS role")
    assert step.status == "failed"
    assert says in step.stderr, step.stderr
    assert "aws_secret_access_key" not in ci.credentials().get("default", {})
