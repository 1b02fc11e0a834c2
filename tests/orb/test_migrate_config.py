"""`aws-oidc migrate-config`, the real binary on config files: what it
rewrites must mean, to a YAML parser, exactly the aws-cli config with the
orb, command and parameter names moved, and nothing else may change; what
it cannot take leaves the file as it was. aws-oidc's orb takes every
command and parameter of aws-cli v3, v4 and v5, so a v4 or v5 config only
has its orbs line changed. (The orb runs of migrated configs are in
test_orb_aws_cli.py.)"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

#: setup's v3 names -> v5 names (the aws-cli orb's history).
V3_TO_V5 = {
    "role-arn": "role_arn", "role-session-name": "role_session_name", "session-duration": "session_duration",
    "profile-name": "profile_name", "aws-region": "region", "aws-access-key-id": "aws_access_key_id",
    "aws-secret-access-key": "aws_secret_access_key", "configure-default-region": "configure_default_region",
    "configure-profile-region": "configure_profile_region", "disable-aws-pager": "disable_aws_pager",
    "override-installed": "override_installed", "install-dir": "install_dir", "binary-dir": "binary_dir",
    "source-profile": "source_profile",
}

#: aws-cli v3's command names -> v4/v5 names.
V3_COMMANDS = {"role-arn-setup": "role_arn_setup", "assume-role-with-web-identity": "assume_role_with_web_identity"}

#: The commands of circleci/aws-cli, in any version and spelling.
AWS_CLI_COMMANDS = {"setup", "install", *V3_COMMANDS, *V3_COMMANDS.values()}


@pytest.fixture
def migrate_config(aws_oidc_bin):
    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(aws_oidc_bin), "migrate-config", *args], capture_output=True, text=True,
                              cwd=cwd, timeout=30)
    return run


def version(aws_oidc_bin) -> str:
    out = subprocess.run([str(aws_oidc_bin), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[-1]


def expected_meaning(config: dict, orb_version: str) -> dict:
    """What the migrated config must parse to, worked out on the parsed
    aws-cli config independently of the binary."""
    config = copy.deepcopy(config)
    aliases = {a for a, ref in (config.get("orbs") or {}).items() if str(ref).startswith("circleci/aws-cli@")}
    for alias in aliases:
        config["orbs"][alias] = f"aws-oidc/aws-oidc@{orb_version}"

    def step(name: str) -> str:
        alias, _, command = name.partition("/")
        return f"{alias}/{V3_COMMANDS.get(command, command)}"

    def is_step(key) -> bool:
        return isinstance(key, str) and key.split("/")[0] in aliases and key.split("/", 1)[-1] in AWS_CLI_COMMANDS

    def walk(node):
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if is_step(key):
                    renamed = None if value is None else {}
                    for p, v in (value or {}).items():
                        if p == "aws-region" and key.endswith("/setup") and re.fullmatch(r"[A-Za-z_]\w*", str(v)):
                            v = f"${{{v}}}"
                        renamed[V3_TO_V5.get(p, p)] = v
                    # Keys keep their order: the step's name changes in place.
                    items = list(node.items())
                    node.clear()
                    node.update((step(k) if k == key else k, renamed if k == key else v) for k, v in items)
                else:
                    walk(value)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if is_step(item):
                    node[i] = step(item)
                else:
                    walk(item)

    walk(config)
    return config


# An aws-cli@3 config with what real ones have around the steps: comments,
# anchors, quoting, block scalars mentioning the orb, a config command.
V3_CONFIG = """\
version: 2.1

orbs:
  aws-cli: circleci/aws-cli@3.1.4   # OIDC support came in 3.1
  node: circleci/node@5.1

defaults: &aws-defaults
  role-session-name: "ci-${CIRCLE_BUILD_NUM}"
  session-duration: '1800'

commands:
  deploy:
    parameters:
      role-arn:
        type: string
    steps:
      - aws-cli/setup:
          role-arn: << parameters.role-arn >>
          aws-region: AWS_REGION
          profile-name: deploy
      - run: aws s3 sync site s3://bucket --profile deploy

jobs:
  build:
    executor: aws-cli/default
    steps:
      - checkout
      - aws-cli/setup:
          <<: *aws-defaults
          role-arn: "arn:aws:iam::123456789012:role/build"
          aws-region: "AWS_DEFAULT_REGION"
          configure-default-region: false
      - run:
          name: Not a step
          command: |
            echo "aws-cli/setup:"
            echo "  role-arn: stays"
      - deploy:
          role-arn: arn:aws:iam::123456789012:role/deploy

workflows:
  main:
    jobs: [build]
"""


def test_a_v3_config_means_the_same_after_and_only_its_tokens_changed(migrate_config, aws_oidc_bin, tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(V3_CONFIG)
    result = migrate_config(str(path))
    assert result.returncode == 0, result.stderr
    after = path.read_text()
    expected = expected_meaning(yaml.safe_load(V3_CONFIG), version(aws_oidc_bin))
    # The anchor setup merges is renamed where it is written.
    expected["defaults"] = {V3_TO_V5[k]: v for k, v in expected["defaults"].items()}
    assert yaml.safe_load(after) == expected
    # Line for line: the changed ones are printed, every other byte is kept.
    printed = {int(m.group(1)) for m in re.finditer(rf"^{re.escape(str(path))}:(\d+): ", result.stdout, re.M)}
    before_lines, after_lines = V3_CONFIG.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    assert printed == {i + 1 for i, (b, a) in enumerate(zip(before_lines, after_lines)) if b != a}
    assert "aws-cli: aws-oidc/aws-oidc@" in after and "# OIDC support came in 3.1" in after
    assert 'echo "  role-arn: stays"' in after
    assert "rewrote" in result.stderr
    # Once is enough.
    again = migrate_config(str(path))
    assert again.returncode == 0 and again.stdout == "" and path.read_text() == after


@pytest.mark.parametrize("example", sorted(p.stem for p in (REPO / "orb/src/examples").glob("*.yml")))
def test_every_orb_example_written_for_aws_cli_3_comes_back(example, migrate_config, aws_oidc_bin, tmp_path):
    """Each example, as a user of aws-cli@3 would have written it (kebab-case,
    the region as a variable's name), migrates to the example itself."""
    usage = yaml.safe_load((REPO / "orb/src/examples" / f"{example}.yml").read_text())["usage"]
    aliases = "|".join(re.escape(alias) for alias in usage.get("orbs") or {})
    used = set(re.findall(rf"^\s*-?\s*(?:{aliases})/([\w-]+)", yaml.safe_dump(usage), re.M))
    if any("-" in command for command in used):
        pytest.skip("written in aws-cli v3's spelling already: test_orb_source compiles it as it is, and test_orb_aws_cli runs v3 configs of its shape")
    if used - AWS_CLI_COMMANDS:
        pytest.skip(f"uses {sorted(used - AWS_CLI_COMMANDS)}, which aws-cli never had")
    v5_to_v3 = {v5: v3 for v3, v5 in V3_TO_V5.items()}
    text = yaml.safe_dump(usage, sort_keys=False)
    text = re.sub(r"aws-oidc/aws-oidc@[\w.]+", "circleci/aws-cli@3.1.4", text)
    text = re.sub(r"^(\s+)(\w+):", lambda m: m.group(1) + v5_to_v3.get(m.group(2), m.group(2)) + ":", text, flags=re.M)
    text = re.sub(r"aws-region: \$\{(\w+)\}", r"aws-region: \1", text)
    path = tmp_path / "config.yml"
    path.write_text(text)
    result = migrate_config(str(path))
    assert result.returncode == 0, result.stderr
    ours = re.sub(r"aws-oidc/aws-oidc@[\w.]+", f"aws-oidc/aws-oidc@{version(aws_oidc_bin)}", yaml.safe_dump(usage))
    migrated = yaml.safe_load(path.read_text())
    # The examples' own parameters (audience, refresh, ...) have no v3 spelling.
    assert migrated == yaml.safe_load(ours)


@pytest.mark.parametrize("config, line, says", [
    ("orbs:\n  aws-cli: circleci/aws-cli@4\njobs:\n  j:\n    steps:\n      - aws-cli/configure:\n"
     "          role_arn: x\n", 6, "has a command configure"),
    ("orbs:\n  aws-cli: circleci/aws-cli@3\njobs:\n  j:\n    steps:\n      - aws-cli/install:\n"
     "          install-dir: /opt\n          aws-region: X\n", 8, "has a parameter aws-region"),
    ("orbs:\n  aws-cli: circleci/aws-cli@3\njobs:\n  j:\n    executor: aws-cli/python\n", 5, "only default"),
    ("orbs:\n  aws-cli: circleci/aws-cli@3\njobs:\n  j:\n\tsteps: []\n", 5, "tab in the indentation"),
    # Renaming role-arn inside a plain value over two lines could not be done safely.
    ("orbs:\n  aws-cli: circleci/aws-cli@3\njobs:\n  j:\n    steps: [checkout, {aws-cli/setup: {role-arn: an\n"
     "      arn, profile-name: p}}]\n", 6, "rewrite this step in block style"),
])
def test_what_it_cannot_take_leaves_the_file_untouched(config, line, says, migrate_config, tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(config)
    stamp = path.stat().st_mtime_ns
    result = migrate_config(str(path))
    assert result.returncode == 1
    assert f"{path}:{line}: " in result.stderr and says in result.stderr, result.stderr
    assert "left as it is" in result.stderr
    assert path.read_text() == config and path.stat().st_mtime_ns == stamp
    assert sorted(tmp_path.iterdir()) == [path], "a staged file was left behind"


# Every aws-cli@3 command, in block and flow style, with the v3 executor.
V3_EVERY_COMMAND = """\
version: 2.1
orbs: {aws-cli: circleci/aws-cli@3.1.4}
jobs:
  build:
    executor:
      name: aws-cli/default
      python-version: "3.10"
    steps:
      - aws-cli/install:
          override-installed: true
          install-dir: /opt/aws-cli
      - aws-cli/setup: {role-arn: "arn:aws:iam::123456789012:role/build", aws-region: AWS_REGION,
                        profile-name: build}
      - aws-cli/role-arn-setup:
          profile-name: deploy
          role-arn: arn:aws:iam::123456789012:role/deploy
          source-profile: build
      - {aws-cli/assume-role-with-web-identity: {role-arn: r, session-duration: '900'}}
  other:
    executor: {name: aws-cli/default, tag: '2025.01'}
    steps: [checkout, aws-cli/role-arn-setup, {aws-cli/setup: {role_arn: r}}]
workflows:
  main:
    jobs: [build, other]
"""


def test_every_v3_command_in_block_and_flow_style_means_the_same_after(migrate_config, aws_oidc_bin, tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(V3_EVERY_COMMAND)
    result = migrate_config(str(path))
    assert result.returncode == 0, result.stderr
    after = path.read_text()
    assert yaml.safe_load(after) == expected_meaning(yaml.safe_load(V3_EVERY_COMMAND), version(aws_oidc_bin))
    assert len(after.splitlines()) == len(V3_EVERY_COMMAND.splitlines())
    assert "aws-region" not in after and "-setup" not in after and "role-arn" not in after
    # python-version picks no image any more: said, not refused, and left.
    assert f"{path}:7: note: " in result.stderr and "cimg/python:<version>" in result.stderr
    assert 'python-version: "3.10"' in after
    again = migrate_config(str(path))
    assert again.returncode == 0 and again.stdout == "" and path.read_text() == after


def test_a_v4_config_with_every_command_changes_its_orbs_line_only(migrate_config, aws_oidc_bin, tmp_path):
    config = """\
version: 2.1
orbs:
  aws: circleci/aws-cli@4.2.3
jobs:
  j:
    executor: {name: aws/default, tag: current, resource_class: large}
    steps:
      - aws/install: {version: 2.15.0, override_installed: true}
      - aws/setup:
          role_arn: r
          region: eu-west-1
      - aws/role_arn_setup: {profile_name: p, role_arn: r2}
      - aws/assume_role_with_web_identity:
          role_arn: r
"""
    path = tmp_path / "config.yml"
    path.write_text(config)
    result = migrate_config(str(path))
    assert result.returncode == 0, result.stderr
    assert path.read_text() == config.replace("circleci/aws-cli@4.2.3", f"aws-oidc/aws-oidc@{version(aws_oidc_bin)}")
    assert "note:" not in result.stderr


def test_check_only_reports_and_the_default_file_is_circlecis(migrate_config, tmp_path):
    (tmp_path / ".circleci").mkdir()
    path = tmp_path / ".circleci" / "config.yml"
    path.write_text(V3_CONFIG)
    check = migrate_config("--check", cwd=tmp_path)
    assert check.returncode == 1 and "would change" in check.stderr
    assert ".circleci/config.yml:4: aws-cli: circleci/aws-cli@3.1.4" in check.stdout
    assert path.read_text() == V3_CONFIG
    assert migrate_config(cwd=tmp_path).returncode == 0
    clean = migrate_config("--check", cwd=tmp_path)
    assert clean.returncode == 0 and "needs no change" in clean.stderr


def test_the_file_keeps_its_mode_and_a_symlink_stays_a_symlink(migrate_config, tmp_path):
    real = tmp_path / "real.yml"
    real.write_text(V3_CONFIG)
    real.chmod(0o640)
    link = tmp_path / "config.yml"
    link.symlink_to(real)
    assert migrate_config(str(link)).returncode == 0
    assert link.is_symlink() and "aws-oidc/aws-oidc@" in real.read_text()
    assert oct(real.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yml", "real.yml"]


def test_our_own_pipeline_needs_no_change(migrate_config):
    for name in ("config.yml", "test-deploy.yml"):
        path = REPO / ".circleci" / name
        before = path.read_bytes()
        result = migrate_config("--check", str(path))
        assert result.returncode == 0, result.stderr
        assert path.read_bytes() == before


# v3 parameters in an anchor that the config's own command merges too: a
# step that is not aws-cli's, whose parameters keep their kebab-case names
# (another orb's step is the same case; the stand-in runs only this orb).
SHARED_ANCHOR = """\
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@3.1.4
aws_params: &aws_params
  role-arn: arn:aws:iam::123456789012:role/shared-anchor
  aws-region: DEPLOY_REGION
commands:
  deploy:
    parameters:
      role-arn: {type: string}
      aws-region: {type: string}
    steps:
      - run:
          name: deploy
          command: echo "deploying as << parameters.role-arn >> from ${<< parameters.aws-region >>}"
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps:
      - aws-cli/setup:
          <<: *aws_params
          profile-name: shared
          role-session-name: shared-session
      - deploy:
          <<: *aws_params
      - run:
          name: whoami
          command: aws sts get-caller-identity --profile shared --query Arn --output text
workflows:
  main:
    jobs: [build]
"""


def test_an_anchor_another_step_merges_keeps_its_v3_names_says_so_and_the_job_still_runs(
        migrate_config, aws_oidc_bin, ci, tmp_path):
    from support.orb_configs import assert_ok, assumed
    from support.orb_runner import ConfigError

    path = tmp_path / "config.yml"
    path.write_text(SHARED_ANCHOR)
    result = migrate_config(str(path))
    assert result.returncode == 0, result.stderr
    after = path.read_text()
    # Only the orbs line changed: renaming at the anchor would rename deploy's parameters too.
    assert after == SHARED_ANCHOR.replace("circleci/aws-cli@3.1.4", f"aws-oidc/aws-oidc@{version(aws_oidc_bin)}")
    assert f"{path}:20: note: aws-cli/setup: kept its v3 names" in result.stderr, result.stderr
    assert "&aws_params (line 4) is used on line 25 too" in result.stderr
    assert "write these parameters out under this step" in result.stderr
    # The migrated job runs: the orb takes setup's v3 names, deploy gets its own.
    ci.give_token()
    ci.env["DEPLOY_REGION"] = "eu-central-1"
    ran = ci.run(after)
    assert_ok(ran)
    assert ran.step("whoami").stdout.strip() == assumed("shared-anchor", "shared-session")
    assert ci.aws_config()["profile shared"]["region"] == "eu-central-1"
    assert "deploying as arn:aws:iam::123456789012:role/shared-anchor from eu-central-1" in ran.step("deploy").stdout
    # What renaming at the anchor would have done: deploy no longer compiles.
    renamed = after.replace("  role-arn: arn", "  role_arn: arn").replace("  aws-region: DEPLOY", "  region: DEPLOY")
    with pytest.raises(ConfigError, match="command deploy: unknown parameters"):
        ci.run(renamed)
    # Once is enough: the same note, nothing to write.
    again = migrate_config(str(path))
    assert again.returncode == 0 and again.stdout == "" and path.read_text() == after
