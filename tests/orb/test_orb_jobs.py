"""The packed orb's steps, run the way CircleCI's runner runs them: the real
release archive from a loopback mirror, the real binary against moto's STS,
then the real AWS CLI in a later step, as a user's job would.

Every run also checks that no step printed the token or an issued key.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest

from support.orb_configs import REGION, SETUP, SHELLS, assert_ok, assumed, caller_arn, config, role, run

#: What an Alpine image has on PATH, as busybox applets: wget, no curl, no zstd.
ALPINE = ("sh", "wget", "tar", "gzip", "sha256sum", "awk", "uname", "mktemp",
          "mkdir", "chmod", "cp", "mv", "rm", "ln", "cat", "env", "sort")


def without(*tools: str) -> tuple[str, ...]:
    """ALPINE's applets but these."""
    return tuple(a for a in ALPINE if a not in tools)


def setup_step(**params) -> dict:
    return {"aws-oidc/setup": params}


def profile_only(role_name: str, profile: str, **params) -> dict:
    """A setup step that writes `profile` with role `role_name`'s keys and exports none."""
    return setup_step(role_arn=role(role_name), profile_name=profile, set_aws_env_vars=False, **params)


@pytest.mark.parametrize("shell", SHELLS.values(), ids=SHELLS.keys())
def test_setup_exports_keys_for_later_steps_and_writes_the_default_profile(ci, shell):
    ci.give_token()
    result = ci.run(
        config(setup_step(role_arn=role("env-export")), caller_arn(), caller_arn("default")),
        **shell,
    )
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("env-export", "deploy")
    assert result.step("whoami --profile default").stdout.strip() == assumed("env-export", "deploy")

    exported = ci.exported()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert exported.get(key), f"{key} is not exported through $BASH_ENV"
    assert ci.credentials()["default"]["aws_access_key_id"] == exported["AWS_ACCESS_KEY_ID"]
    assert ci.aws_config()["default"]["region"] == REGION
    # The binary went where the default install_dir says, and onto PATH.
    assert (ci.install_dir / "aws-oidc").is_file()
    assert str(ci.install_dir) in exported["PATH"].split(":")


def test_where_the_image_has_zstd_the_smaller_tar_zst_is_installed(ci, dist):
    assert shutil.which("zstd"), "zstd is not installed (every cimg image has it): `make tools` installs it"
    ci.install_dir.mkdir(parents=True)  # as cimg images have ~/.local/bin
    ci.give_token()
    result = ci.run(config(setup_step(role_arn=role("zstd")), caller_arn()))
    assert_ok(result)
    assert [Path(p).name for p in ci.mirror.downloads()] == [dist.archives["tar.zst"].name]
    assert result.step("whoami").stdout.strip() == assumed("zstd", "deploy")
    # The binary unpacked from the .tar.zst is the one in the .tar.gz, byte for byte.
    with tarfile.open(dist.archives["tar.gz"]) as tar:
        assert (ci.install_dir / "aws-oidc").read_bytes() == tar.extractfile("aws-oidc").read()


def test_set_aws_env_vars_false_writes_only_the_profile(ci):
    ci.give_token()
    result = ci.run(
        config(
            profile_only("profile-only", "ci"),
            caller_arn("ci"),
            run("no keys in the environment", "aws sts get-caller-identity", when="always"),
        )
    )
    assert result.step("whoami --profile ci").stdout.strip() == assumed("profile-only", "deploy")
    # Nothing was exported, so without --profile the AWS CLI has no credentials.
    assert result.step("no keys in the environment").status == "failed"
    assert "AWS_ACCESS_KEY_ID" not in ci.exported()
    assert "AWS_SECRET_ACCESS_KEY" not in ci.bash_env.read_text()
    assert "default" not in ci.credentials()
    assert ci.aws_config()["profile ci"]["region"] == REGION


def test_two_profiles_in_one_job(ci):
    ci.give_token()
    result = ci.run(
        config(
            profile_only("staging-read", "staging"),
            profile_only("prod-deploy", "production"),
            caller_arn("staging"),
            caller_arn("production"),
        )
    )
    assert_ok(result)
    assert result.step("whoami --profile staging").stdout.strip() == assumed("staging-read", "deploy")
    assert result.step("whoami --profile production").stdout.strip() == assumed("prod-deploy", "deploy")
    assert set(ci.credentials()) == {"staging", "production"}


# A job written for circleci/aws-cli v5 (its `setup` OIDC parameters, as in
# REFERENCE.md), left as it is but for the orb line.
AWS_CLI_JOB = """
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@5.1
jobs:
  aws-cli-example:
    docker:
      - image: cimg/aws:2024.03
    steps:
      - checkout
      - aws-cli/setup:
          profile_name: OIDC-PROFILE
          role_arn: ${ROLE_ARN}
          role_session_name: example-session
          session_duration: "1800"
          region: ${AWS_REGION}
      - run:
          name: Check the role
          command: aws sts get-caller-identity --profile OIDC-PROFILE --query Arn --output text
workflows:
  aws-cli:
    jobs:
      - aws-cli-example:
          context: aws
"""


def test_an_aws_cli_setup_job_runs_unchanged_but_for_the_orb_line(ci):
    ci.give_token()
    ci.env["ROLE_ARN"] = role("oidc-example")
    ci.env["AWS_REGION"] = "eu-west-1"
    job = AWS_CLI_JOB.replace("circleci/aws-cli@5.1", "aws-oidc/aws-oidc@0.1")
    result = ci.run(job)
    assert_ok(result)
    assert result.step("Check the role").stdout.strip() == assumed("oidc-example", "example-session")
    assert ci.aws_config()["profile OIDC-PROFILE"]["region"] == "eu-west-1"
    assert ci.aws_config()["default"]["region"] == "eu-west-1"  # configure_default_region


def test_a_second_setup_uses_the_installed_binary(ci):
    ci.give_token()
    result = ci.run(
        config(
            profile_only("first", "first"),
            profile_only("second", "second"),
            caller_arn("second"),
        )
    )
    assert_ok(result)
    assert len(ci.mirror.downloads()) == 1, ci.mirror.requests
    installs = [s for s in result.steps if s.name.startswith(SETUP)]
    assert "already installed" in installs[1].stdout
    assert result.step("whoami --profile second").stdout.strip() == assumed("second", "deploy")


def test_a_tampered_archive_is_refused_and_nothing_is_installed(ci, dist):
    ci.give_token()
    tampered = ci.mirror.tamper()
    result = ci.run(config(setup_step(role_arn=role("never")), caller_arn()))

    install = result.step(SETUP)
    assert install.status == "failed"
    assert "SHA-256 mismatch" in install.stderr
    [fetched] = ci.mirror.downloads()
    assert dist.sha256s[dist.format_of(fetched)] in install.stderr and tampered in install.stderr
    assert "assumed" not in result.step(SETUP).output
    assert ci.installed() == [], "no binary, not even a staged one, may be left"
    assert list(ci.tmpdir.iterdir()) == [], "the download was left behind"


def test_no_token_and_no_circleci_cli_says_so(ci):
    # No CIRCLE_OIDC_TOKEN(_V2), and PATH has no `circleci`.
    result = ci.run(config(setup_step(role_arn=role("no-token"))))
    assume = result.step(SETUP)
    assert assume.status == "failed"
    assert "no CircleCI OIDC token" in assume.stderr


@pytest.mark.parametrize("with_zstd", [False, True], ids=["alpine", "alpine-with-zstd"])
def test_busybox_sh_with_wget_only(ci, dist, with_zstd):
    ci.give_token()
    ci.tools_only("aws", *(["zstd"] if with_zstd else []), busybox=ALPINE)
    result = ci.run(config(setup_step(role_arn=role("busybox")), caller_arn()), **SHELLS["alpine"])
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("busybox", "deploy")
    # `apk add zstd` on Alpine: busybox tar unpacks what zstd decompresses.
    fmt = "tar.zst" if with_zstd else "tar.gz"
    assert [Path(p).name for p in ci.mirror.downloads()] == [dist.archives[fmt].name]
    assert ci.mirror.user_agents == ["Wget"], "the download did not go through busybox wget"


# A tool the install needs, taken off an Alpine PATH: what the step says, and
# the package it tells the user to add; setup's parameters beside role_arn.
# zstd is not among them: without it the .tar.gz is taken
# (test_busybox_sh_with_wget_only[alpine]).
MISSING_TOOLS = {
    "downloader": (("wget",), "neither curl nor wget is installed", "apk add curl", {}),
    "sha256": (("sha256sum",), "no sha256sum, shasum or openssl to check the download with", "apk add coreutils",
               {}),
    "tar": (("tar",), "tar is not installed", "apk add tar", {}),
    "mktemp": (("mktemp",), "mktemp is not installed", "apk add coreutils", {}),
    # busybox sh does not name its platform as bash does.
    "uname": (("uname",), "uname is not installed", "apk add coreutils", {}),
    # Any value with a `$` but a leading $HOME: install_dir's default needs
    # no awk (test_the_default_install_dir_needs_no_awk).
    "awk": (("awk",), "awk is needed to expand '${HOME}/${BIN_DIR:-bin}'", "apk add gawk",
            {"aws_oidc_install_dir": "${HOME}/${BIN_DIR:-bin}"}),
}


@pytest.mark.parametrize("missing, message, fix, params", MISSING_TOOLS.values(), ids=MISSING_TOOLS.keys())
def test_a_missing_tool_is_named_with_its_package_before_anything_is_downloaded(ci, missing, message, fix, params):
    ci.give_token()
    ci.tools_only("aws", busybox=without(*missing))
    result = ci.run(config(setup_step(role_arn=role("never"), **params), caller_arn()), **SHELLS["alpine"])
    install = result.step(SETUP)
    assert install.status == "failed"
    assert f"aws-oidc/setup: {message}" in install.stderr and fix in install.stderr, install.stderr
    assert ci.mirror.requests == [], "the mirror was asked before every tool was checked"
    assert "Downloading" not in install.stdout
    assert "assumed" not in result.step(SETUP).output
    assert ci.installed() == []
    assert list(ci.tmpdir.iterdir()) == [], "a download directory was made"


def test_under_bash_the_platform_is_bashs_own_and_needs_no_uname(ci):
    """bash names the OS and machine it runs on ($OSTYPE, $HOSTTYPE): an
    image with bash runs no uname process for the install, and needs none."""
    ci.give_token()
    ci.tools_only("aws", busybox=without("uname"))
    result = ci.run(config(setup_step(role_arn=role("no-uname")), caller_arn()))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("no-uname", "deploy")
    assert "(x86_64-unknown-linux-musl)" in result.step(SETUP).stdout


def test_the_default_install_dir_needs_no_awk(ci):
    """$HOME/.local/bin, install_dir's default, is expanded by the shell
    itself: an image without awk installs, and no awk process runs for it."""
    ci.give_token()
    ci.tools_only("aws", busybox=without("awk"))
    result = ci.run(config(setup_step(role_arn=role("no-awk")), caller_arn()), **SHELLS["alpine"])
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("no-awk", "deploy")
    assert (ci.install_dir / "aws-oidc").is_file()


def test_a_credential_helper_link_that_cannot_be_made_fails_the_step_by_name(ci):
    """Docker's link and the removal of the download run beside the assume
    (nothing there needs them); a failure among them still fails the step,
    naming what failed, and the download is gone all the same."""
    ci.give_token()
    failing = ci.tmp / "failing-ln"
    failing.mkdir()
    (failing / "ln").write_text("#!/bin/sh\necho 'ln: read-only file system' >&2\nexit 1\n")
    (failing / "ln").chmod(0o755)
    ci.env["PATH"] = f"{failing}:{ci.env['PATH']}"
    result = ci.run(config(setup_step(role_arn=role("no-link")), caller_arn()))
    install = result.step(SETUP)
    assert install.status == "failed"
    assert "aws-oidc/setup: could not link docker-credential-aws-oidc to aws-oidc in" in install.stderr
    assert "read-only file system" in install.stderr
    assert list(ci.tmpdir.iterdir()) == [], "the download was left behind"


def test_an_installed_binary_needs_no_download_tools(ci):
    """A restored cache, or a second install in the job: nothing is fetched,
    so an image without curl, wget, tar or a SHA-256 tool keeps it."""
    ci.give_token()
    assert_ok(ci.run(config({"aws-oidc/install_aws_oidc": {}})))
    ci.tools_only("aws", busybox=without("wget", "tar", "sha256sum", "mktemp"))
    result = ci.run(config(setup_step(role_arn=role("cached")), caller_arn()), **SHELLS["alpine"])
    assert_ok(result)
    assert "already installed" in result.step(SETUP).stdout
    assert len(ci.mirror.downloads()) == 1, ci.mirror.requests
    assert result.step("whoami").stdout.strip() == assumed("cached", "deploy")


def test_when_always_runs_setup_after_a_failed_step(ci):
    ci.give_token()
    result = ci.run(
        config(
            run("tests fail", "exit 3"),
            setup_step(role_arn=role("cleanup"), when="always"),
            run("on success only", "echo never"),
            caller_arn(when="always"),
        )
    )
    assert not result.ok
    assert result.step("tests fail").status == "failed"
    assert result.step(SETUP).status == "success"
    assert result.step(SETUP).status == "success"
    assert result.step("on success only").status == "skipped"
    assert result.step("whoami").stdout.strip() == assumed("cleanup", "deploy")


@pytest.mark.parametrize("how", [SHELLS["bash"], SHELLS["alpine"]], ids=["bash", "alpine"])
def test_role_arn_exported_by_an_earlier_step_through_bash_env(ci, how):
    ci.give_token()
    result = ci.run(
        config(
            run("pick the role", f"echo 'export DEPLOY_ROLE=\"{role('from-bash-env')}\"' >> \"$BASH_ENV\""),
            setup_step(role_arn="${DEPLOY_ROLE}"),
            # On Alpine a user step reads $BASH_ENV itself, as CircleCI advises.
            run("whoami", ". \"$BASH_ENV\"; aws sts get-caller-identity --query Arn --output text"),
        ),
        **how,
    )
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("from-bash-env", "deploy")


# Lines earlier steps leave in $BASH_ENV that fail when read: the node orb's
# nvm initialisation without nvm, `nvm use` of a version that is not there,
# a venv that an earlier step activated and that is gone, a plain failure.
FAILING_BASH_ENV = (
    'export NVM_DIR="$HOME/.nvm"\n'
    '[ -s "$NVM_DIR/nvm.sh" ] && . "$NVM_DIR/nvm.sh"\n'
    "nvm use 18\n"
    "source venv/bin/activate\n"
    "false\n"
    'export BEFORE_SETUP="still read"\n'
)


@pytest.mark.parametrize("how", [SHELLS["bash"], SHELLS["bash-nounset"], SHELLS["dash"], SHELLS["alpine"]],
                         ids=["bash", "bash-nounset", "dash", "alpine"])
def test_a_bash_env_with_failing_lines_does_not_stop_any_aws_oidc_step(ci, how):
    """bash reads $BASH_ENV before -e applies and ignores its status; the
    orb's steps must not die where bash goes on (a silent exit 1 before)."""
    ci.give_token()
    ci.bash_env.write_text(FAILING_BASH_ENV)
    result = ci.run(
        config(
            setup_step(role_arn=role("failing-bash-env"), role_session_name="${BEFORE_SETUP:-unset}"),
            # The profile: busybox sh stops reading such a $BASH_ENV at its `source`.
            caller_arn("default"),
            {"aws-oidc/cleanup": {}},
        ),
        **how,
    )
    assert_ok(result)
    # The line after the failing ones was read: the session name came from it.
    assert result.step("whoami --profile default").stdout.strip() == assumed("failing-bash-env", "still-read")
    assert result.step("Remove the AWS credentials").status == "success"


def test_a_job_whose_bash_env_does_not_exist_yet(ci):
    ci.give_token()
    assert not ci.bash_env.exists()
    result = ci.run(config(setup_step(role_arn=role("fresh")), caller_arn()))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("fresh", "deploy")
    assert ci.bash_env.stat().st_mode & 0o077 == 0, "the keys' file is readable by others"


def test_on_alpine_setup_says_later_steps_must_read_bash_env_and_the_profile_works(ci):
    ci.give_token()
    result = ci.run(
        config(
            setup_step(role_arn=role("alpine"), profile_name="ci"),
            caller_arn("ci"),
            run("no exports in sh", 'echo "${AWS_ACCESS_KEY_ID:-none}"'),
        ),
        **SHELLS["alpine"],
    )
    assert_ok(result)
    # The binary says it now (on stderr, as all its messages), not the script.
    assert "does not read $BASH_ENV" in result.step(SETUP).output
    assert result.step("whoami --profile ci").stdout.strip() == assumed("alpine", "deploy")
    assert result.step("no exports in sh").stdout.strip() == "none"


def test_alpine_with_bash_env_in_etc_profile_as_circleci_advises(ci):
    """CircleCI's advice for Alpine: BASH_ENV=/etc/profile and a login sh
    (`sh -leo pipefail`), so that every step reads what setup exported. A
    file of the system's configuration keeps its mode (every login shell of
    every user must read it); a job's own $BASH_ENV is made private."""
    ci.give_token()
    profile = Path("/etc") / f"aws-oidc-test-{uuid.uuid4().hex}.profile"
    try:
        profile.write_text("export FROM_PROFILE=1\n")
        profile.chmod(0o644)
        ci.env["BASH_ENV"] = str(profile)
        result = ci.run(
            config(
                setup_step(role_arn=role("etc-profile")),
                run("whoami", '. "$BASH_ENV"; aws sts get-caller-identity --query Arn --output text'),
            ),
            image="alpine",
        )
        assert_ok(result)
        assert result.step("whoami").stdout.strip() == assumed("etc-profile", "deploy")
        assert profile.stat().st_mode & 0o777 == 0o644, "the system's profile is no longer readable by all"
        assert profile.read_text().startswith("export FROM_PROFILE=1\n")
    finally:
        profile.unlink(missing_ok=True)


def test_an_install_dir_that_cannot_be_made_fails_before_downloading(ci):
    ci.give_token()
    blocker = ci.tmp / "a-file"
    blocker.write_text("not a directory\n")
    result = ci.run(config(setup_step(role_arn=role("never"), aws_oidc_install_dir=str(blocker / "bin"))))
    install = result.step(SETUP)
    assert install.status == "failed"
    assert f"cannot create install_dir {blocker / 'bin'}: {blocker} is not a directory" in install.stderr
    assert ci.mirror.downloads() == []
    assert blocker.read_text() == "not a directory\n"


def test_a_version_the_orb_does_not_pin_is_refused(ci):
    ci.give_token()
    result = ci.run(config(setup_step(role_arn=role("pinned"), aws_oidc_version="9.9.9")))
    install = result.step(SETUP)
    assert install.status == "failed"
    assert "pins no SHA-256 for aws-oidc 9.9.9" in install.stderr
    assert ci.mirror.downloads() == []


def test_a_custom_audience_mints_a_token_with_circleci_cli(ci):
    ci.give_token()  # the default-audience token must not be the one used
    calls = ci.circleci_cli(aud="sts.amazonaws.com")
    result = ci.run(config(setup_step(role_arn=role("audience"), audience="sts.amazonaws.com"), caller_arn()))
    assert_ok(result)
    assert '"aud":"sts.amazonaws.com"' in calls.read_text().replace(" ", "")
    assert result.step("whoami").stdout.strip() == assumed("audience", "deploy")


def test_role_chaining_writes_the_chained_role(ci):
    ci.give_token()
    result = ci.run(
        config(
            setup_step(role_arn=role("hub"), chain_role_arn=role("target"), external_id="ext-123",
                  role_session_name="chain"),
            caller_arn(),
        )
    )
    assert_ok(result)
    assert result.step("whoami").stdout.strip().startswith(assumed("target", ""))


def test_session_policies_and_verify_are_passed_on(ci):
    ci.give_token()
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::bucket/$${aws:username}/*"}]}'
    )
    result = ci.run(
        config(
            setup_step(
                role_arn=role("narrowed"),
                session_policy=policy,
                policy_arns="arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                verify=True,
                session_duration="900",
            ),
            caller_arn(),
        )
    )
    assert_ok(result)
    assert "verified" in result.step(SETUP).stderr
    assert result.step("whoami").stdout.strip() == assumed("narrowed", "deploy")


def test_refresh_writes_a_profile_that_refreshes_itself(ci):
    ci.give_token()
    result = ci.run(
        config(
            profile_only("long-job", "deploy", refresh=True),
            caller_arn("deploy"),
        )
    )
    assert_ok(result)
    assert "refreshes itself" in result.step(SETUP).stderr
    assert result.step("whoami --profile deploy").stdout.strip() == assumed("long-job", "deploy")
    process = ci.aws_config()["profile deploy"]["credential_process"]
    assert process.startswith(f"{ci.install_dir / 'aws-oidc'} credential-process --role-arn {role('long-job')}")
    assert "deploy" not in ci.credentials()
    assert "AWS_ACCESS_KEY_ID" not in ci.exported()


def test_refresh_with_exported_keys_is_refused_with_the_fix(ci):
    ci.give_token()
    result = ci.run(config(setup_step(role_arn=role("long-job"), refresh=True)))
    assert not result.ok
    assert "set_aws_env_vars: false" in result.step(SETUP).stderr


@pytest.mark.parametrize("fault, needle", [("404", "download failed"), ("truncate", "download failed"),
                                           ("stall", "download failed")])
def test_a_broken_mirror_fails_the_install_clearly_and_installs_nothing(ci, fault, needle):
    ci.give_token()
    ci.mirror.fault = fault
    ci.env["AWS_OIDC_DOWNLOAD_TIMEOUT"] = "2"
    started = time.monotonic()
    result = ci.run(config(setup_step(role_arn=role("never")), caller_arn()))
    elapsed = time.monotonic() - started
    install = result.step(SETUP)
    assert install.status == "failed"
    assert needle in install.stderr
    assert "assumed" not in result.step(SETUP).output
    assert not (ci.install_dir / "aws-oidc").exists()
    assert ci.installed() == [], "a staged binary was left behind"
    assert elapsed < 30, f"the install took {elapsed:.0f}s against a {fault} mirror"


def test_a_stalled_mirror_is_bounded_with_busybox_wget_too(ci):
    ci.give_token()
    ci.tools_only("aws", busybox=(*ALPINE, "timeout"))
    ci.mirror.fault = "stall"
    ci.env["AWS_OIDC_DOWNLOAD_TIMEOUT"] = "2"
    started = time.monotonic()
    result = ci.run(config(setup_step(role_arn=role("never")), caller_arn()), **SHELLS["alpine"])
    assert result.step(SETUP).status == "failed"
    assert "download failed" in result.step(SETUP).stderr
    assert ci.mirror.user_agents == ["Wget"]
    assert time.monotonic() - started < 15


def test_cleanup_runs_after_a_failure_and_later_steps_have_no_credentials(ci):
    ci.give_token()
    result = ci.run(
        config(
            setup_step(role_arn=role("deploy")),
            run("tests fail", "exit 3"),
            {"aws-oidc/cleanup": {}},
            caller_arn(when="always"),
        )
    )
    assert not result.ok
    assert result.step("Remove the AWS credentials").status == "success"
    assert "unset the exported variables" in result.step("Remove the AWS credentials").stderr
    assert result.step("whoami").status == "failed", "no credentials are left for later steps"
    assert ci.credentials() == {}, "the default profile setup wrote is gone"


def test_guard_rail_parameters_reach_the_binary(ci):
    ci.give_token()
    refused = ci.run(config(setup_step(role_arn=role("deploy"), allowed_account_ids="210987654321")))
    assert not refused.ok
    assert "not in an allowed account" in refused.step(SETUP).output
    ci.give_token()
    twice = ci.run(
        config(
            setup_step(role_arn=role("deploy"), allowed_account_ids=f"210987654321,{role('x').split(':')[4]}"),
            setup_step(role_arn=role("deploy"), skip_if_valid="10"),
            caller_arn(),
        )
    )
    assert_ok(twice)
    assumes = [st for st in twice.steps if st.name.startswith(SETUP)]
    assert "nothing to do" not in assumes[0].output
    assert "nothing to do" in assumes[1].output
    assert twice.step("whoami").stdout.strip() == assumed("deploy", "deploy")


# The forms circleci env subst (a8m/envsubst) knows, with X unset, E empty, V set.
# A leading $HOME or ${HOME} (install_dir's default) is the shell's to expand,
# the others awk's: both must say what circleci env subst says.
ENVSUBST_FORMS = ["$V", "${V}", "${X-d}", "${E-d}", "${E:-d}", "${X:-d}", "${X=d}", "${E:=d}", "${V+a}",
                  "${X+a}", "${E+a}", "${E:+a}", "$$V", "a$", "${X:-$V/x}", "p${V}q$V-r",
                  "$HOME/.local/bin", "${HOME}/bin", "$HOME", "${HOME}", "$HOMEX/b", "${HOME}x", "$HOME/$V",
                  "${HOME}/${X:-d}", "a/$HOME"]


@pytest.mark.parametrize("home", ["/home/circleci", None], ids=["home", "no-home"])
@pytest.mark.parametrize("shell", ["dash", "busybox sh", "bash"])
def test_the_preludes_expansion_is_circleci_env_substs(packed_orb, shell, home, tmp_path):
    """The prelude's expand_env (every step's `$VAR` parameters) against the
    runner's circleci env subst, which follows circleci-cli's a8m/envsubst."""
    from support.circleci_cli import subst

    script = packed_orb["commands"]["cleanup"]["steps"][0]["run"]["command"]
    prelude = script[:script.index("step=cleanup")].replace("\\<<", "<<")
    probe = tmp_path / "probe.sh"
    probe.write_text(prelude + 'step=probe\nfor v in "$@"; do expand_env "$v"; printf "%s\\n" "$expanded"; done\n')
    env = {"PATH": "/usr/bin:/bin", "V": "v", "E": "", **({"HOME": home} if home else {})}
    out = subprocess.run([*shell.split(), str(probe), *ENVSUBST_FORMS], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [subst(form, env) for form in ENVSUBST_FORMS]


def test_install_dir_takes_every_form_circleci_env_subst_knows(ci):
    ci.give_token()
    ci.env["OPT_BIN"] = str(ci.tmp / "opt-bin")
    result = ci.run(config({"aws-oidc/install_aws_oidc": {"install_dir": "${UNSET_DIR:-$OPT_BIN}/aws-oidc"}}))
    assert_ok(result)
    assert (ci.tmp / "opt-bin" / "aws-oidc" / "aws-oidc").is_file()


def test_a_parameter_value_that_looks_like_an_option_stays_a_value(ci):
    """Values reach the binary as --flag=VALUE: a session name such as
    `--profile=evil` is the session's name, not a second --profile."""
    ci.give_token()
    result = ci.run(config(setup_step(role_arn=role("option-like"), role_session_name="--profile=evil"),
                           caller_arn()))
    assert_ok(result)
    assert result.step("whoami").stdout.strip() == assumed("option-like", "--profile=evil")
    assert "evil" not in ci.credentials() and "profile evil" not in ci.aws_config()
