"""`install` as configs written for circleci/aws-cli call it: the AWS CLI v2
installed from a loopback stand-in for AWS's download site (the official
archive layout and installer options, signed with a throwaway PGP key), then
used by a later step against moto. Nothing is installed outside the test's
own directories: install_dir and binary_dir always point there.
"""

from __future__ import annotations

import pytest
import yaml

from support.aws_cli_mirror import LATEST, PINNED, archive_name
from support.orb_configs import SHELLS, assert_ok, config, run
from support.orb_schema import assert_valid, check_jsonschema

STEP = "Install AWS CLI"

#: What the Linux install needs on PATH (AWS's installer uses mkdir, cp
#: and ln), with curl or wget; gpg where a test checks the signature; env
#: for the harness, which reads what $BASH_ENV exports.
TOOLS = ("uname", "curl", "unzip", "mktemp", "rm", "mkdir", "cp", "ln", "date", "id", "cat", "env")
GPG = ("gpg", "gpgconf")


@pytest.fixture
def job(ci, aws_cli_site, signing_key, tmp_path):
    """The CI job, with the stand-in site and its key as the orb's defaults,
    and credentials for moto in the environment (no OIDC needed here)."""
    ci.orb_defaults.update(aws_cli_download_url=aws_cli_site.url, aws_cli_signing_key=signing_key.public_key)
    ci.env.update(AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY="test-secret-not-real")
    ci.aws_dir = tmp_path / "aws-cli"
    ci.bin_dir = tmp_path / "aws-bin"
    return ci


def dirs(ci) -> dict:
    """install_dir and binary_dir under the test's directory."""
    return {"install_dir": str(ci.aws_dir), "binary_dir": str(ci.bin_dir)}


def install(**params) -> dict:
    return {"aws-cli/install": params}


def cli_config(*steps) -> dict:
    return config(*steps, orb_alias="aws-cli")


def aws_version(**extra) -> dict:
    return run("aws version", "aws --version", **extra)


def whoami() -> dict:
    return run("whoami", "aws sts get-caller-identity --query Account --output text")


def no_aws_on_path(ci, *tools: str) -> None:
    """The image has no AWS CLI: PATH holds only these tools."""
    ci.tools_only(*tools)


@pytest.mark.parametrize("how", SHELLS.values(), ids=SHELLS.keys())
def test_install_without_parameters_puts_the_aws_cli_on_an_image_without_one(job, aws_cli_site, how):
    # binary_dir is on PATH, as the default /usr/local/bin is on every image:
    # later steps find aws whether or not their shell reads $BASH_ENV.
    no_aws_on_path(job, *TOOLS, *GPG)
    job.env["PATH"] += f":{job.bin_dir}"
    result = job.run(cli_config(install(), aws_version(), whoami()), orb_defaults=dirs(job), **how)
    assert_ok(result)
    step = result.step(STEP).output
    assert "signature of awscli-exe-linux" in step and "verifies" in step
    assert "Installing the AWS CLI took" in step and "disable_aws_install: true" in step
    assert aws_cli_site.downloads() == [archive_name(), archive_name() + ".sig"]
    # AWS's layout, and nothing added to PATH: binary_dir is on it.
    assert (job.aws_dir / "v2" / "current").resolve().name == LATEST
    assert (job.bin_dir / "aws").resolve() == (job.aws_dir / "v2" / LATEST / "dist" / "aws")
    assert "PATH" not in (job.bash_env.read_text() if job.bash_env.exists() else "")
    assert result.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")
    assert result.step("whoami").stdout.strip() == "123456789012"


def test_a_binary_dir_off_path_is_added_to_path_for_later_steps(job, aws_cli_site):
    no_aws_on_path(job, *TOOLS, *GPG)
    result = job.run(cli_config(install(**dirs(job)), whoami()))
    assert_ok(result)
    assert job.bash_env.read_text().splitlines()[0] == f'export PATH="{job.bin_dir}:${{PATH}}"'
    assert result.step("whoami").stdout.strip() == "123456789012"


def test_a_version_asked_for_fetches_that_versions_archive(job, aws_cli_site):
    no_aws_on_path(job, *TOOLS, *GPG)
    result = job.run(cli_config(install(version=PINNED, **dirs(job)), aws_version()))
    assert_ok(result)
    assert aws_cli_site.downloads() == [archive_name(PINNED), archive_name(PINNED) + ".sig"]
    assert result.step("aws version").stdout.startswith(f"aws-cli/{PINNED} ")


def test_an_image_with_the_aws_cli_downloads_nothing_and_says_so(job, aws_cli_site):
    # The job's PATH has the test venv's AWS CLI, as cimg/aws has one.
    result = job.run(cli_config(install(version=PINNED, **dirs(job)), whoami()))
    assert_ok(result)
    step = result.step(STEP).output
    assert "installed already" in step and "Skipping its install" in step
    # Another version than the one asked for is named, with the way to get it.
    assert f"version asks for {PINNED}" in step and "override_installed: true" in step
    assert aws_cli_site.requests == []
    assert not job.bin_dir.exists() and not job.aws_dir.exists()
    assert result.step("whoami").stdout.strip() == "123456789012"


def test_override_installed_installs_over_the_images_aws_and_updates_its_own_install(job, aws_cli_site):
    steps = (install(override_installed=True, **dirs(job)), aws_version())
    first = job.run(cli_config(*steps))
    assert_ok(first)
    assert "as override_installed asks" in first.step(STEP).output
    # binary_dir goes in front of PATH, before the image's aws.
    assert first.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")
    assert f'export PATH="{job.bin_dir}:${{PATH}}"' in job.bash_env.read_text()

    # Again, onto the install just made: AWS's installer needs --update for that.
    again = job.run(cli_config(*steps))
    assert_ok(again)
    assert f"{job.aws_dir} holds an AWS CLI already: updating it in place" in again.step(STEP).output
    assert aws_cli_site.downloads().count(archive_name()) == 2


def test_the_same_version_asked_for_by_number_is_kept_even_with_override(job, aws_cli_site):
    no_aws_on_path(job, *TOOLS, *GPG)
    assert_ok(job.run(cli_config(install(version=PINNED, **dirs(job)))))
    result = job.run(cli_config(install(version=PINNED, override_installed=True, **dirs(job))))
    assert_ok(result)
    assert f"AWS CLI {PINNED} is installed already" in result.step(STEP).output
    assert aws_cli_site.downloads().count(archive_name(PINNED)) == 1


def test_the_v3_kebab_case_spellings_work(job, aws_cli_site):
    steps = (
        install(**{"install-dir": str(job.aws_dir), "binary-dir": str(job.bin_dir),
                   "override-installed": True, "disable-aws-pager": False}),
        aws_version(),
    )
    job.env.pop("AWS_PAGER")
    result = job.run(cli_config(*steps))
    assert_ok(result)
    assert (job.bin_dir / "aws").exists() and (job.aws_dir / "v2" / "current").exists()
    assert result.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")
    assert "AWS_PAGER" not in job.bash_env.read_text()


def test_both_spellings_set_to_different_values_fail_naming_both(job, aws_cli_site, tmp_path):
    result = job.run(cli_config(install(**{"install_dir": str(tmp_path / "a"), "install-dir": str(tmp_path / "b"),
                                           "binary_dir": str(job.bin_dir)})))
    assert result.step(STEP).status == "failed"
    assert "install_dir and install-dir" in result.step(STEP).output
    assert aws_cli_site.requests == []


@pytest.mark.parametrize("what", ["archive", "signature"])
def test_a_download_that_fails_its_signature_fails_the_step_and_installs_nothing(job, aws_cli_site, what):
    no_aws_on_path(job, *TOOLS, *GPG)
    aws_cli_site.tamper(what)
    result = job.run(cli_config(install(**dirs(job)), aws_version(when="always")))
    step = result.step(STEP)
    assert step.status == "failed"
    assert "does not verify" in step.output and "Nothing was installed" in step.output
    assert not job.bin_dir.exists() and not job.aws_dir.exists()
    assert result.step("aws version").status == "failed"


def test_by_default_the_aws_cli_teams_key_checks_the_signature(job, aws_cli_site):
    """The built-in key imports (gpg reads it) and is the only one trusted:
    an archive signed with any other key is refused."""
    no_aws_on_path(job, *TOOLS, *GPG)
    result = job.run(cli_config(install(**dirs(job))), orb_defaults={"aws_cli_signing_key": ""})
    step = result.step(STEP)
    assert step.status == "failed"
    assert "does not verify with the AWS CLI team's key (FB5DB77FD5C118B80511ADA8A6310ACC4672475C)" in step.output
    assert not job.bin_dir.exists()


def test_without_gpg_it_installs_and_says_only_https_vouches_for_the_download(job, aws_cli_site):
    no_aws_on_path(job, *TOOLS)
    result = job.run(cli_config(install(**dirs(job)), aws_version()))
    assert_ok(result)
    assert "only HTTPS vouches for it" in result.step(STEP).output
    assert aws_cli_site.downloads() == [archive_name()]
    assert result.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")


def test_with_wget_instead_of_curl_it_installs(job, aws_cli_site):
    no_aws_on_path(job, *(t for t in TOOLS if t != "curl"), "wget", "timeout", *GPG)
    result = job.run(cli_config(install(**dirs(job)), aws_version()))
    assert_ok(result)
    assert result.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")


def test_without_unzip_the_step_names_the_package_before_any_download(job, aws_cli_site):
    no_aws_on_path(job, *(t for t in TOOLS if t != "unzip"), *GPG)
    result = job.run(cli_config(install(**dirs(job))))
    step = result.step(STEP)
    assert step.status == "failed"
    assert "unzip is needed to install the AWS CLI" in step.output and "apt-get install unzip" in step.output
    assert aws_cli_site.requests == []


@pytest.mark.parametrize("version", ["v2.22.35", "2.22.35/../x", "two", "2..22", ""])
def test_a_version_that_is_not_one_is_refused_before_any_download(job, aws_cli_site, version):
    no_aws_on_path(job, *TOOLS, *GPG)
    result = job.run(cli_config(install(version=version, **dirs(job))))
    step = result.step(STEP)
    assert step.status == "failed"
    assert f"version must be latest or an AWS CLI version such as 2.22.35, got '{version}'" in step.output
    assert aws_cli_site.requests == []


@pytest.mark.parametrize("preset, pager, exported", [
    (None, True, True),        # the default: the pager goes off for later steps
    ("less", True, False),     # the job chose a pager: kept
    ("", True, False),         # set, even to nothing: kept
    (None, False, False),      # disable_aws_pager: false
])
def test_disable_aws_pager_exports_an_empty_pager_only_where_the_job_set_none(job, preset, pager, exported):
    job.env.pop("AWS_PAGER")
    if preset is not None:
        job.env["AWS_PAGER"] = preset
    # On an image that has the AWS CLI: the pager is set all the same.
    result = job.run(cli_config(install(disable_aws_pager=pager, **dirs(job))))
    assert_ok(result)
    lines = job.bash_env.read_text().splitlines() if job.bash_env.exists() else []
    assert ('export AWS_PAGER=""' in lines) == exported


def test_booleans_written_yes_and_on_compile_and_count(job, aws_cli_site, tmp_path):
    text = f"""
version: 2.1
orbs:
  aws-cli: aws-oidc/aws-oidc@0.1  # was: circleci/aws-cli@5
jobs:
  deploy:
    docker: [{{image: cimg/base:current}}]
    steps:
      - aws-cli/install:
          override_installed: yes
          disable_aws_pager: on
          use_brew: no
          install_dir: {job.aws_dir}
          binary_dir: {job.bin_dir}
      - run: {{name: aws version, command: aws --version}}
workflows:
  main: {{jobs: [deploy]}}
"""
    # YAML 1.1 reads yes, on and no as booleans, as CircleCI does; its schema accepts the config.
    path = tmp_path / "config.yml"
    path.write_text(text)
    assert_valid(check_jsonschema(path), 1)
    job.env.pop("AWS_PAGER")
    result = job.run(yaml.safe_load(text))
    assert_ok(result)
    assert result.step("aws version").stdout.startswith(f"aws-cli/{LATEST} ")
    assert 'export AWS_PAGER=""' in job.bash_env.read_text().splitlines()


def test_install_dir_and_binary_dir_expand_variables(job, aws_cli_site):
    # awk: expand_env needs it for values with a $ in them.
    no_aws_on_path(job, *TOOLS, *GPG, "awk")
    job.env["AWS_CLI_HOME"] = str(job.aws_dir.parent)
    result = job.run(cli_config(
        install(install_dir="${AWS_CLI_HOME}/aws-cli", binary_dir="$AWS_CLI_HOME/aws-bin"), aws_version(),
    ))
    assert_ok(result)
    assert (job.bin_dir / "aws").exists() and (job.aws_dir / "v2" / "current").exists()


@pytest.mark.parametrize("when, runs", [("on_fail", True), ("always", True), ("on_success", False)])
def test_when_decides_whether_install_runs_after_a_failed_step(job, aws_cli_site, when, runs):
    no_aws_on_path(job, *TOOLS, *GPG)
    result = job.run(cli_config(run("fails", "exit 1"), install(when=when, **dirs(job))))
    assert (result.step(STEP).status == "success") == runs
    assert (job.bin_dir / "aws").exists() == runs
