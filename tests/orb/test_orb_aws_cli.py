"""Configs written for circleci/aws-cli v3, v4 and v5, run with only the
orbs line pointed at aws-oidc: the official orb's own examples at v3.1.4,
v4.2.3 and v5.4.1, CircleCI's OIDC tutorial (the seed's config), and each
way a real config used the official orb. Each runs as a CircleCI job would
(the runner, the packed orb, the real binary, moto, then the real AWS CLI),
on an image with the AWS CLI and, where the official orb installs it, on
one without (a loopback stand-in for AWS's download site). What later
steps see must be what the official orb leaves: the same identity, region,
profile files and exports.

The official behaviour per version is tabled in orb/README.md; the tests
below are named in that table.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from support.orb_configs import ACCOUNT, REGION, SETUP, assert_ok, assumed, config, role, run
from support.orb_runner import ConfigError, Runner
from support.orb_schema import assert_valid, check_jsonschema
from support.steps import run_aws

OUR_ORB = "aws-oidc/aws-oidc@0.1"

#: An image's PATH with what installing aws-oidc needs, and no AWS CLI.
NO_AWS_CLI = ("curl", "tar", "zstd", "sha256sum", "awk", "mktemp", "mkdir", "chmod", "mv", "rm", "ln", "env", "uname")

#: Clearly fake stored keys, in variables a project's settings would hold.
STATIC_KEY_ID = "AKIAORBSTATICTEST001"
STATIC_SECRET = "orbStaticTest/Secret+Key0000000000000001"


def valid_config(text: str, tmp_path) -> dict:
    """The config parsed, after CircleCI's schema has accepted it."""
    config = yaml.safe_load(text)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert_valid(check_jsonschema(path), 1)
    return config


def ours(text: str) -> str:
    """A config for circleci/aws-cli with only its orbs line changed."""
    for version in ("3.1", "4.0", "5.1", "5.4"):
        text = text.replace(f"circleci/aws-cli@{version}", OUR_ORB)
    assert OUR_ORB in text
    return text


def example(orb: str, steps: str, job: str = "aws-cli-example", context: str | None = "aws") -> str:
    """A config in the shape of circleci/aws-cli's examples: `job` on the
    orb's default executor, with `steps` (as indented in a job), and
    workflow `aws-cli` running it (in `context`)."""
    run_it = f"      - {job}:\n          context: {context}\n" if context else f"      - {job}\n"
    return f"""
version: 2.1
orbs:
  aws-cli: {orb}
jobs:
  {job}:
    executor: aws-cli/default
    steps:
{steps}workflows:
  aws-cli:
    jobs:
{run_it}"""


def give_stored_keys(ci, key_var="AWS_ACCESS_KEY_ID", secret_var="AWS_SECRET_ACCESS_KEY") -> None:
    """Stored keys in the job's environment, as a context gives them."""
    ci.env.update({key_var: STATIC_KEY_ID, secret_var: STATIC_SECRET})
    ci.secrets += [STATIC_KEY_ID, STATIC_SECRET]  # no step may print either


@pytest.fixture(params=["with-aws-cli", "without-aws-cli"])
def image(request, ci, aws_cli_site, signing_key, tmp_path):
    """The job's image: with the AWS CLI on PATH (cimg/aws), or without it
    (cimg/base, the official default executor), where setup installs it
    from the stand-in site into the test's own directories."""
    if request.param == "without-aws-cli":
        ci.orb_defaults.update(
            aws_cli_download_url=aws_cli_site.url, aws_cli_signing_key=signing_key.public_key,
            install_dir=str(tmp_path / "aws-cli"), binary_dir=str(tmp_path / "aws-bin"),
        )
        venv_free = ":".join(p for p in ci.env["PATH"].split(":") if not (p.endswith("/bin") and ".venv" in p))
        ci.env["PATH"] = f"{tmp_path / 'aws-bin'}:{venv_free}"
    ci.image = request.param
    ci.aws_cli_site = aws_cli_site
    return request.param


def assert_cli_install(ci, result) -> None:
    """Where the image had no AWS CLI, setup installed it; else it downloaded nothing."""
    step = result.step(SETUP)
    if ci.image == "without-aws-cli":
        assert any(p.endswith(".zip") for p in ci.aws_cli_site.downloads()), step.output
        assert "Installed the AWS CLI" in step.output or "installed" in step.output.lower()
    else:
        assert ci.aws_cli_site.downloads() == []


def run_official_example(ci, text: str, tmp_path):
    """Runs an official example with only its orbs line changed: it passes,
    and setup installed the AWS CLI only where the image had none."""
    result = ci.run(valid_config(ours(text), tmp_path))
    assert_ok(result)
    assert_cli_install(ci, result)
    return result


# -- the official orb's own examples -------------------------------------------------
# Each example of circleci/aws-cli's src/examples at the version named, its
# jobs and parameters as there (written out here, not copied), with only
# the orbs line changed.

WEB_IDENTITY = {
    "v3.1.4": example("circleci/aws-cli@3.1", """\
      - checkout
      - aws-cli/setup:
          profile-name: WEB IDENTITY PROFILE
          role-arn: arn:aws:iam::123456789012:role/WEB-IDENTITY-ROLE
          role-session-name: example-session
      - run: echo "Run your code here"
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile "WEB IDENTITY PROFILE" --query Arn --output text
"""),
}
WEB_IDENTITY["v4.2.3"] = (WEB_IDENTITY["v3.1.4"].replace("@3.1", "@4.0").replace("profile-name", "profile_name")
                          .replace("role-arn", "role_arn").replace("role-session-name", "role_session_name"))
WEB_IDENTITY["v5.4.1"] = WEB_IDENTITY["v4.2.3"].replace("@4.0", "@5.1")


@pytest.mark.parametrize("version", WEB_IDENTITY, ids=WEB_IDENTITY.keys())
def test_official_example_install_aws_cli_with_web_identity(ci, image, version, tmp_path):
    ci.give_token()
    ci.env["CIRCLE_JOB"] = "aws-cli-example"
    del ci.env["AWS_PAGER"]  # the job sets none: the official orb exports AWS_PAGER=""
    result = run_official_example(ci, WEB_IDENTITY[version], tmp_path)
    arn = assumed("WEB-IDENTITY-ROLE", "example-session")
    assert result.step("whoami").stdout.strip() == arn
    # The files the official orb writes: keys and token in the credentials
    # file; the region in the profile (quoted, as `aws configure set` writes a
    # name with spaces) and in [default].
    creds = ci.credentials()["WEB IDENTITY PROFILE"]
    assert set(creds) == {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    assert ci.aws_config()["profile 'WEB IDENTITY PROFILE'"]["region"] == REGION
    assert ci.aws_config()["default"]["region"] == REGION
    # What later steps see: the keys and circleci/aws-cli's copies, no region.
    exported = ci.exported()
    assert exported["AWS_ACCESS_KEY_ID"] == creds["aws_access_key_id"]
    assert exported["AWS_CLI_STR_ACCESS_KEY_ID"] == creds["aws_access_key_id"]
    assert exported["AWS_CLI_STR_SESSION_TOKEN"] == creds["aws_session_token"]
    assert "AWS_REGION" not in exported and "AWS_DEFAULT_REGION" not in exported
    assert exported["AWS_PAGER"] == ""


INSTALL_AWS_CLI = {
    "v3.1.4": example("circleci/aws-cli@3.1", """\
      - checkout
      - aws-cli/setup:
          profile-name: example
      - run: echo "Run your code here"
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile example --query Account --output text
"""),
}
INSTALL_AWS_CLI["v4.2.3"] = INSTALL_AWS_CLI["v3.1.4"].replace("@3.1", "@4.0").replace("profile-name", "profile_name")
INSTALL_AWS_CLI["v5.4.1"] = INSTALL_AWS_CLI["v4.2.3"].replace("@4.0", "@5.1")


@pytest.mark.parametrize("version", INSTALL_AWS_CLI, ids=INSTALL_AWS_CLI.keys())
def test_official_example_install_aws_cli_with_a_contexts_stored_keys(ci, image, version, tmp_path):
    give_stored_keys(ci)
    result = run_official_example(ci, INSTALL_AWS_CLI[version], tmp_path)
    assert result.step("whoami").stdout.strip() == ACCOUNT
    assert ci.credentials()["example"] == {"aws_access_key_id": STATIC_KEY_ID,
                                           "aws_secret_access_key": STATIC_SECRET}
    assert ci.aws_config()["profile example"]["region"] == REGION
    # The stored-keys path exports nothing (the context has them already).
    exported = ci.exported()
    assert "AWS_ACCESS_KEY_ID" not in exported and "AWS_SESSION_TOKEN" not in ci.bash_env.read_text()


CONFIGURE_ROLE_ARN = {
    "v3.1.4": example("circleci/aws-cli@3.1", job="configure-role-arn", context=None, steps="""\
      - checkout
      - aws-cli/setup:
          profile-name: default
      - aws-cli/role-arn-setup:
          profile-name: new-profile
          role-arn: "arn:aws:iam::123456789012:role/example-role"
          source-profile: default
      - run: aws sts assume-role --role-arn "arn:aws:iam::123456789012:role/example-role" --role-session-name AWSCLI-Session
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile new-profile --query Arn --output text
"""),
}
CONFIGURE_ROLE_ARN["v4.2.3"] = (
    CONFIGURE_ROLE_ARN["v3.1.4"].replace("@3.1", "@4.0").replace("configure-role-arn", "configure_role_arn")
    .replace("role-arn-setup", "role_arn_setup").replace("profile-name", "profile_name")
    .replace("role-arn:", "role_arn:").replace("source-profile", "source_profile"))
CONFIGURE_ROLE_ARN["v5.4.1"] = CONFIGURE_ROLE_ARN["v4.2.3"].replace("@4.0", "@5.1")


@pytest.mark.parametrize("version", CONFIGURE_ROLE_ARN, ids=CONFIGURE_ROLE_ARN.keys())
def test_official_example_configure_role_arn(ci, image, version, tmp_path):
    give_stored_keys(ci)
    result = run_official_example(ci, CONFIGURE_ROLE_ARN[version], tmp_path)
    # The AWS CLI assumes the role itself, with the default profile's keys.
    assert result.step("whoami").stdout.strip().startswith(
        "arn:aws:sts::123456789012:assumed-role/example-role/")
    assert ci.aws_config()["profile new-profile"] == {
        "role_arn": "arn:aws:iam::123456789012:role/example-role", "source_profile": "default"}


def test_role_arn_setup_before_setup_says_to_run_setup_first(ci):
    result = ci.run(config({"aws-oidc/role_arn_setup": {"profile_name": "p", "role_arn": role("r")}}))
    assert not result.ok
    assert "run setup first" in result.output


@pytest.mark.parametrize("spelling", ["v3", "v4"])
def test_assume_role_with_web_identity_exports_the_keys_and_writes_no_profile(ci, spelling):
    ci.give_token()
    step = ({"aws-oidc/assume-role-with-web-identity": {"role-arn": role("low-level")}} if spelling == "v3"
            else {"aws-oidc/assume_role_with_web_identity": {"role_arn": role("low-level")}})
    result = ci.run(config(step, run("whoami", "aws sts get-caller-identity --query Arn --output text")))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("low-level", "deploy")
    exported = ci.exported()
    assert exported["AWS_CLI_STR_SECRET_ACCESS_KEY"] == exported["AWS_SECRET_ACCESS_KEY"]
    assert ci.credentials() == {}


def test_assume_role_with_web_identity_without_env_vars_writes_the_profiles_keys_file(ci):
    ci.give_token()
    keys = Path("/tmp") / f"aws-oidc-test-{ci.tmp.name}.keys"
    try:
        result = ci.run(config({"aws-oidc/assume_role_with_web_identity": {
            "role_arn": role("keys-file"), "set_aws_env_vars": False, "profile_name": keys.stem}}))
        assert_ok(result)
        text = keys.read_text()
        assert "export AWS_CLI_STR_ACCESS_KEY_ID=" in text and "AWS_ACCESS_KEY_ID" not in ci.exported()
        assert keys.stat().st_mode & 0o077 == 0
    finally:
        keys.unlink(missing_ok=True)


# The job of CircleCI's walkthrough of OIDC tokens with AWS, in aws-cli@4/@5
# spelling: setup with a role ARN only (no region anywhere), the region set
# for later steps through $BASH_ENV, then the AWS CLI.
TUTORIAL = example("circleci/aws-cli@5.1", f"""\
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
""")


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
    result = ci.run(valid_config(ours(TUTORIAL), tmp_path))
    assert_the_tutorial_ran(ci, result, tutorial_world)


# The tutorial as it is written: aws-cli@3.1.4, kebab-case parameters.
TUTORIAL_V3 = TUTORIAL.replace("circleci/aws-cli@5.1", "circleci/aws-cli@3.1").replace("role_arn:", "role-arn:")


def test_the_seeds_v3_config_runs_with_only_its_orbs_line_changed(ci, tutorial_world, tmp_path):
    result = ci.run(valid_config(ours(TUTORIAL_V3), tmp_path))
    assert_the_tutorial_ran(ci, result, tutorial_world)


def test_migrate_config_still_rewrites_v3_spellings_for_those_who_want_v5s(ci, tutorial_world, tmp_path,
                                                                          aws_oidc_bin):
    path = tmp_path / "config.yml"
    path.write_text(TUTORIAL_V3)
    migrated = subprocess.run([str(aws_oidc_bin), "migrate-config", str(path)], capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert 'role-arn: "arn:aws:iam::123456789012:role/OIDC-ROLE" -> role_arn: "arn' in migrated.stdout
    result = ci.run(valid_config(path.read_text(), tmp_path))
    assert_the_tutorial_ran(ci, result, tutorial_world)


# -- each way a real config used the official orb ---------------------------------------------

# A v5.4.1 job that passes every parameter of aws-cli/setup away from its
# default where that means something.
EVERY_PARAMETER = f"""
version: 2.1
orbs:
  aws-cli: {OUR_ORB}  # was: circleci/aws-cli@5.4
jobs:
  deploy:
    executor: aws-cli/default
    steps:
      - aws-cli/setup:
          version: "2.22.35"
          override_installed: true
          disable_aws_pager: true
          install_dir: INSTALL_DIR
          binary_dir: BINARY_DIR
          profile_name: every-parameter
          aws_access_key_id: $AWS_ACCESS_KEY_ID
          aws_secret_access_key: $AWS_SECRET_ACCESS_KEY
          region: eu-west-1
          configure_default_region: false
          configure_profile_region: true
          role_arn: ${{ROLE_ARN}}
          role_session_name: every-parameter
          session_duration: "1800"
          set_aws_env_vars: true
          use_brew: false
          disable_aws_install: false
          when: always
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile every-parameter --query Arn --output text
      - run:
          name: aws version
          command: aws --version
workflows:
  deploy:
    jobs: [deploy]
"""


def test_every_setup_parameter_of_v5_compiles_and_means_what_it_means_there(ci, aws_cli_site, signing_key,
                                                                              tmp_path):
    ci.orb_defaults.update(aws_cli_download_url=aws_cli_site.url, aws_cli_signing_key=signing_key.public_key)
    text = EVERY_PARAMETER.replace("INSTALL_DIR", str(tmp_path / "cli")).replace("BINARY_DIR", str(tmp_path / "bin"))
    ci.give_token()
    del ci.env["AWS_PAGER"]  # the job sets none
    ci.env["ROLE_ARN"] = role("every-parameter")
    result = ci.run(valid_config(text, tmp_path))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("every-parameter", "every-parameter")
    # override_installed with a version: that version, into install_dir and binary_dir.
    assert aws_cli_site.downloads() and all("2.22.35" in p for p in aws_cli_site.downloads())
    assert (tmp_path / "bin" / "aws").exists() and (tmp_path / "cli" / "v2" / "current").exists()
    assert ci.aws_config()["profile every-parameter"]["region"] == "eu-west-1"
    assert "region" not in ci.aws_config().get("default", {})  # configure_default_region: false
    pager = 'export AWS_PAGER=""' in ci.bash_env.read_text().splitlines()
    assert pager, "disable_aws_pager exported no AWS_PAGER"


V3_SETUP_PARAMETERS = f"""
version: 2.1
orbs:
  aws-cli: {OUR_ORB}  # was: circleci/aws-cli@3.1
jobs:
  deploy:
    executor:
      name: aws-cli/default
      python-version: "3.11"
    steps:
      - aws-cli/setup:
          profile-name: v3
          aws-region: DEPLOY_REGION
          role-arn: {role("v3-role")}
          role-session-name: v3-session
          session-duration: "900"
          configure-default-region: false
          configure-profile-region: true
          disable-aws-pager: false
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile v3 --query Arn --output text
workflows:
  deploy:
    jobs: [deploy]
"""


def test_v3_kebab_case_parameters_and_executor_compile_and_mean_what_they_meant(ci, tmp_path):
    ci.give_token()
    ci.env["DEPLOY_REGION"] = "ap-southeast-2"
    result = ci.run(valid_config(V3_SETUP_PARAMETERS, tmp_path))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("v3-role", "v3-session")
    # aws-region names the variable that holds the region (v3's env_var_name).
    assert ci.aws_config()["profile v3"]["region"] == "ap-southeast-2"
    assert "region" not in ci.aws_config().get("default", {})
    assert "AWS_PAGER" not in ci.bash_env.read_text()


def test_both_spellings_of_one_parameter_set_differently_fail_naming_both(ci):
    ci.give_token()
    result = ci.run(config({"aws-oidc/setup": {"role_arn": role("a"), "role-arn": role("b")}}))
    assert not result.ok
    assert "role_arn and role-arn are one parameter in two spellings" in result.output


@pytest.mark.parametrize("tag, image", [(None, "cimg/base:current"), ("2025.01", "cimg/base:2025.01"),
                                        ("edge", "cimg/base:edge")])
def test_the_default_executor_is_cimg_base_at_the_tag_as_in_v4_and_v5(ci, tag, image):
    runner = Runner(ci.dist.orb, ci.env, ci.tmp / "project")
    executor = "aws-cli/default" if tag is None else {"name": "aws-cli/default", "tag": tag}
    cfg = {"version": 2.1, "orbs": {"aws-cli": OUR_ORB},
           "jobs": {"deploy": {"executor": executor, "steps": ["checkout"]}}}
    assert runner.executor(cfg)["docker"] == [{"image": image}]


def test_two_setups_for_two_profiles_leave_each_profile_its_own_region(ci):
    ci.give_token()
    result = ci.run(config(
        {"aws-oidc/setup": {"role_arn": role("us"), "profile_name": "us", "region": "us-west-2"}},
        {"aws-oidc/setup": {"role_arn": role("eu"), "profile_name": "eu", "region": "eu-central-1"}},
        run("eu region", "aws configure get region --profile eu"),
        run("eu whoami", "AWS_PROFILE=eu aws sts get-caller-identity --query Arn --output text"),
    ))
    assert_ok(result)
    assert result.step("eu region").stdout.strip() == "eu-central-1"
    # No region is exported, so the last setup's cannot override a profile's own.
    assert "AWS_REGION" not in ci.exported() and "AWS_DEFAULT_REGION" not in ci.exported()


def test_a_pager_the_job_chose_is_kept(ci):
    ci.give_token()
    ci.env["AWS_PAGER"] = "less -R"
    result = ci.run(config({"aws-oidc/setup": {"role_arn": role("pager")}}))
    assert_ok(result)
    assert "AWS_PAGER" not in ci.bash_env.read_text()


def test_disable_aws_install_installs_no_aws_cli_and_exports_no_pager(ci, aws_cli_site, signing_key):
    ci.orb_defaults.update(aws_cli_download_url=aws_cli_site.url, aws_cli_signing_key=signing_key.public_key)
    ci.tools_only(*NO_AWS_CLI)
    ci.give_token()
    result = ci.run(config({"aws-oidc/setup": {"role_arn": role("no-cli"), "disable_aws_install": True}}))
    assert_ok(result)
    assert aws_cli_site.downloads() == []
    assert "the AWS CLI is not installed" in result.output
    assert "AWS_PAGER" not in ci.bash_env.read_text()


# -- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("key_param, secret_param", [
    ("DEPLOY_KEY_ID", "DEPLOY_SECRET"),            # v4: the variables' names
    ("$DEPLOY_KEY_ID", "${DEPLOY_SECRET}"),        # v5.2+: templates
    ("${DEPLOY_PREFIX}${DEPLOY_SUFFIX}", "$DEPLOY_SECRET"),  # v5.2+: a composite template
    (STATIC_KEY_ID, "$DEPLOY_SECRET"),             # v5.2+: a literal value
])
def test_stored_keys_in_every_form_circleci_aws_cli_took(ci, key_param, secret_param):
    give_stored_keys(ci, "DEPLOY_KEY_ID", "DEPLOY_SECRET")
    ci.env.update(DEPLOY_PREFIX=STATIC_KEY_ID[:10], DEPLOY_SUFFIX=STATIC_KEY_ID[10:])
    result = ci.run(config(
        {"aws-oidc/setup": {"aws_access_key_id": key_param, "aws_secret_access_key": secret_param,
                            "profile_name": "stored"}},
        run("STS takes them", "aws sts get-caller-identity --profile stored --query Account --output text"),
    ))  # ci.run: no step printed a key
    assert_ok(result)
    assert result.step("STS takes them").stdout.strip() == ACCOUNT
    assert ci.credentials()["stored"] == {"aws_access_key_id": STATIC_KEY_ID,
                                          "aws_secret_access_key": STATIC_SECRET}


def test_a_contexts_aws_role_arn_does_not_turn_stored_keys_into_oidc(ci):
    """role_arn defaults to "" as in every official version: an AWS_ROLE_ARN
    a context happens to set is not assumed."""
    give_stored_keys(ci)
    ci.env["AWS_ROLE_ARN"] = role("not-this-one")
    ci.give_token()
    result = ci.run(config("aws-oidc/setup", run("whoami", "aws sts get-caller-identity --query Arn --output text")))
    assert_ok(result)
    assert "not-this-one" not in result.step("whoami").stdout
    assert ci.credentials()["default"]["aws_access_key_id"] == STATIC_KEY_ID


def test_with_neither_role_nor_keys_setup_goes_on_as_v5_does_writing_only_the_region(ci):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        ci.env.pop(name, None)
    result = ci.run(config("aws-oidc/setup", run("region", "aws configure get region")))
    assert_ok(result)
    # The binary says it now (on stderr, as all its messages), not the script.
    assert "no credentials written" in result.step(SETUP).output
    assert result.step("region").stdout.strip() == REGION
    assert ci.credentials() == {}


@pytest.mark.parametrize("profile_region", [True, False])
def test_with_neither_role_nor_keys_the_region_is_written_without_any_aws_cli(ci, profile_region):
    """No AWS CLI on PATH and none installed: the binary writes the region
    as `aws configure set` would, where the real AWS CLI reads it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        ci.env.pop(name, None)
    ci.env["AWS_ROLE_ARN"] = role("a-contexts-not-a-parameter")  # never assumed: role_arn is ""
    ci.give_token()
    ci.tools_only(*NO_AWS_CLI)
    result = ci.run(config({"aws-oidc/setup": {
        "disable_aws_install": True, "profile_name": "region only", "region": "ap-south-1",
        "configure_profile_region": profile_region}}))
    assert_ok(result)
    setup = result.step(SETUP).output
    assert "no credentials written" in setup and "no AWS CLI" not in setup, setup
    assert ci.credentials() == {}
    env = {"HOME": str(ci.home), "PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"}
    read = run_aws(env, "configure", "get", "region", "--profile", "region only")
    assert read.stdout.strip() == ("ap-south-1" if profile_region else ""), read.stderr
    assert run_aws(env, "configure", "get", "region").stdout.strip() == "ap-south-1"


def test_a_role_arn_wins_over_stored_keys(ci):
    give_stored_keys(ci)
    ci.give_token()
    result = ci.run(config({"aws-oidc/setup": {"role_arn": role("wins")}},
                           run("whoami", "aws sts get-caller-identity --query Arn --output text")))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("wins", "deploy")


@pytest.mark.parametrize("when, fails_first, runs", [
    ("on_fail", True, True), ("on_fail", False, False),
    ("always", True, True), ("on_success", True, False),
])
def test_when_selects_setup_as_in_aws_cli(ci, when, fails_first, runs):
    ci.give_token()
    first = run("before", "exit 1" if fails_first else "true")
    result = ci.run(config(first, {"aws-oidc/setup": {"role_arn": role("when"), "when": when}}))
    assert result.step(SETUP).status == ("success" if runs else "skipped"), result.describe()
