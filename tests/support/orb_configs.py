"""Building blocks for the configs the tests run: a one-job config that uses
the orb, `run` steps, the shells CircleCI runs steps with, and the ARNs moto
hands out."""

from __future__ import annotations

REGION = "us-east-1"
ACCOUNT = "123456789012"

#: The one step of aws-oidc/setup (install and assume in one run step).
SETUP = "Set up AWS credentials"

# How a test's job runs, as keyword arguments of CiJob.run: on an image with
# bash (CircleCI then runs `/bin/bash -eo pipefail`, which reads $BASH_ENV
# itself), with a job-level `shell:` (which replaces the flags too), or on
# Alpine (busybox's `/bin/sh -eo pipefail`, which reads no $BASH_ENV).
SHELLS = {
    "bash": {},
    # As the aws-cli orb tests it: unset variables are errors from the first line.
    "bash-nounset": {"shell": ["/bin/bash", "-eo", "pipefail", "-o", "nounset"]},
    "sh": {"shell": ["/bin/sh", "-e"]},
    "dash": {"shell": ["dash", "-e"]},
    "alpine": {"image": "alpine"},
}


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def assumed(name: str, session: str) -> str:
    """The ARN `aws sts get-caller-identity` shows for a role session."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}"


def config(*steps, orb_alias: str = "aws-oidc") -> dict:
    """A one-job config that uses the orb under `orb_alias`."""
    return {
        "version": 2.1,
        "orbs": {orb_alias: "aws-oidc/aws-oidc@0.1"},
        "jobs": {"deploy": {"docker": [{"image": "cimg/base:current"}], "steps": list(steps)}},
        "workflows": {"main": {"jobs": ["deploy"]}},
    }


def run(name: str, command: str, **extra) -> dict:
    return {"run": {"name": name, "command": command, **extra}}


def caller_arn(profile: str | None = None, **extra) -> dict:
    """A step printing the ARN the AWS CLI is signed in as."""
    flag = f" --profile {profile}" if profile else ""
    return run(f"whoami{flag}", f"aws sts get-caller-identity{flag} --query Arn --output text", **extra)


def assert_ok(result) -> None:
    """The job passed; else its steps' output says why."""
    assert result.ok, result.describe()
