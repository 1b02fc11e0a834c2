"""Fixtures for the orb tests: the packed orb and release from `dist/`, a
loopback mirror of the release downloads, and a CircleCI job to run configs
in (the machinery is in support/orb_ci.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.aws_cli_mirror import AwsCliMirror, SigningKey
from support.orb_ci import DIST, CiJob, Dist, ReleaseMirror, load_orb


@pytest.fixture(scope="session")
def packed_orb_path() -> Path:
    """`dist/orb.yml`, written by `make orb`."""
    path = DIST / "orb.yml"
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make orb` first (or `make test`)")
    return path


@pytest.fixture(scope="session")
def packed_orb(packed_orb_path: Path) -> dict:
    return load_orb(packed_orb_path)


@pytest.fixture(scope="session")
def dist(packed_orb_path: Path) -> Dist:
    d = Dist(DIST, packed_orb_path)
    table = d.pinned()
    for f, archive in d.archives.items():
        pinned = table.get(archive.name)
        if pinned != d.sha256s[f]:
            pytest.fail(
                f"{d.orb_path} pins {pinned} for {archive.name} but the archive's SHA-256 is "
                f"{d.sha256s[f]}: the orb is stale, run `make orb`"
            )
    return d


@pytest.fixture
def mirror(tmp_path: Path, dist: Dist):
    m = ReleaseMirror(tmp_path / "releases", dist)
    try:
        yield m
    finally:
        m.close()


@pytest.fixture
def ci(tmp_path: Path, job_env: dict, moto_server: str, mirror: ReleaseMirror, dist: Dist, tokens) -> CiJob:
    return CiJob(tmp_path, job_env, moto_server, mirror, dist, tokens)


@pytest.fixture(scope="session")
def signing_key():
    """A throwaway PGP key, standing in for the AWS CLI team's."""
    key = SigningKey()
    try:
        yield key
    finally:
        key.close()


@pytest.fixture
def aws_cli_site(tmp_path, signing_key):
    """A loopback stand-in for AWS's AWS CLI download site."""
    with AwsCliMirror(tmp_path / "awscli.amazonaws.com", signing_key) as site:
        yield site
