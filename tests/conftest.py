"""Shared fixtures for the end-to-end tests (the helpers behind them are in
`support/`).

The tests drive the real release binary (`make build`), real servers on
127.0.0.1 (moto's STS, the strict STS fixture) and the real AWS CLI from the
test venv.  Nothing here talks to the internet.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.accounts import (ACCOUNT_ID, ORG_ID, PROVIDER, REPO, ROLE, SECOND_ROLE, VENV_BIN, TokenFactory,
                              chain_trust, private_pem, trust)
from support import ecr
from support.ecr_public import EcrPublic
from support.servers import running_moto, running_strict_sts
from support.steps import with_stored_keys


@pytest.fixture(scope="session")
def aws_oidc_bin() -> Path:
    """The release binary built by `make build` (AWS_OIDC_BIN overrides)."""
    path = Path(
        os.environ.get(
            "AWS_OIDC_BIN", REPO / "target/x86_64-unknown-linux-musl/release/aws-oidc"
        )
    )
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make build` first (or `make test`)")
    return path


@pytest.fixture(scope="session")
def moto_server():
    """moto's server for the whole session."""
    with running_moto() as url:
        yield url


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def job_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a CircleCI job step, with a private HOME and $BASH_ENV.

    Nothing from the developer's own AWS set-up leaks in: only PATH, LANG and
    the variables CircleCI sets are kept.
    """
    home = tmp_path / "home"
    home.mkdir()
    bash_env = tmp_path / "bash_env"
    bash_env.touch()
    return {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "BASH_ENV": str(bash_env),
        "CIRCLECI": "true",
        "CIRCLE_JOB": "deploy",
        "CIRCLE_BUILD_NUM": "42",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="session")
def strict_sts(tmp_path_factory):
    """The strict STS fixture on a free loopback port."""
    with running_strict_sts(tmp_path_factory.mktemp("strict-sts")) as sts:
        yield sts


@pytest.fixture
def aws(strict_sts, tokens):
    """Configures the strict fixture's AWS account; returns a function to change it."""
    def configure(trust_policy: dict | None = None, *, client_ids=(ORG_ID,), providers=True,
                  max_session_duration=3600, **extra) -> None:
        config = {
            "account_id": ACCOUNT_ID,
            "region": "us-east-1",
            "signing_keys": {"test": private_pem(tokens.key)},
            "providers": [{"url": PROVIDER, "client_ids": list(client_ids)}] if providers else [],
            "roles": {
                ROLE: {"trust_policy": trust_policy or trust(), "max_session_duration": max_session_duration},
                SECOND_ROLE: {"trust_policy": extra.pop("second_trust", chain_trust()), "max_session_duration": 3600},
            },
            **extra,
        }
        strict_sts.configure(config)

    configure()
    return configure


@pytest.fixture
def ecr_env(job_env, moto_server, tmp_path) -> dict[str, str]:
    """A job after setup: keys in the environment, ECR at moto, a private Docker config and cache."""
    env = with_stored_keys(job_env, tmp_path, ecr.KEY_ID, ecr.SECRET, ecr.REGION, endpoints={"ECR": moto_server})
    return {**env, "DOCKER_CONFIG": str(tmp_path / "docker")}


@pytest.fixture
def ecr_public():
    """The ECR Public stand-in, which knows the job's stored keys."""
    with EcrPublic({ecr.KEY_ID: (ecr.SECRET, None)}, ecr.PUBLIC_PASSWORD) as fixture:
        yield fixture
