"""`cleanup` trusts its ledger only as the credential cache trusts its
entries (a regular file, 0600, the user's own, not a symlink), and takes
back only what it can show aws-oidc wrote: a file it would delete must
still hold the bytes it wrote, a `$BASH_ENV` must hold its export lines, a
profile its key.  A ledger naming any other file leaves it byte for byte.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.steps import run_aws_oidc

KEY_ID, SECRET = "AKIALEDGERTESTKEY001", "ledger-test-secret-key/000000000000000000"
CIRCLECI_CONFIG = b"version: 2.1\n# aws_access_key_id\njobs:\n  deploy:\n    docker: [{image: cimg/base:current}]\n"


@pytest.fixture
def env(job_env, tmp_path) -> dict[str, str]:
    return {**job_env, "AWS_OIDC_CACHE_DIR": str(tmp_path / "cache"), "CIRCLE_WORKFLOW_JOB_ID": "job-ledger",
            "DEPLOY_KEY_ID": KEY_ID, "DEPLOY_SECRET": SECRET}  # fmt: skip


def static_keys(binary, env):
    got = run_aws_oidc(binary, ["static-keys", "--access-key-id-var", "DEPLOY_KEY_ID",
                                "--secret-access-key-var", "DEPLOY_SECRET", "--profile", "ci", "--bash-env"],
                       env)  # fmt: skip
    assert got.returncode == 0, got.stderr


def ledger_of(env) -> Path:
    return Path(env["AWS_OIDC_CACHE_DIR"]) / "job-ledger.ledger"


def hostile(target: Path) -> bytes:
    return json.dumps({"version": 1, "written": [
        {"kind": "file", "path": str(target), "sha256": None},
        {"kind": "bash_env", "path": str(target), "vars": ["AWS_ACCESS_KEY_ID"], "grant": None},
        {"kind": "profile", "credentials": str(target), "config": str(target), "name": "jobs", "region": True,
         "profile_region": True, "default_region": True, "grant": None, "process_role": None},
        {"kind": "docker_logins", "config": str(target), "hosts": ["version"], "helper": False},
        {"kind": "kubeconfig", "path": str(target), "added_clusters": ["jobs"], "added_users": [],
         "added_contexts": [], "current_context": "x", "previous_context": None},
    ]}).encode()  # fmt: skip


def test_a_symlinked_ledger_is_refused_and_what_it_names_left_byte_for_byte(aws_oidc_bin, env, tmp_path):
    static_keys(aws_oidc_bin, env)
    target = tmp_path / ".circleci" / "config.yml"
    target.parent.mkdir()
    target.write_bytes(CIRCLECI_CONFIG)
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_bytes(hostile(target))
    os.chmod(elsewhere, 0o600)
    ledger_of(env).unlink()
    ledger_of(env).symlink_to(elsewhere)
    got = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert got.returncode == 1, got.stderr
    assert "is a symlink, so nothing it names was touched" in got.stderr
    assert target.read_bytes() == CIRCLECI_CONFIG


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o644])
def test_a_ledger_open_to_others_is_refused(aws_oidc_bin, env, tmp_path, mode):
    static_keys(aws_oidc_bin, env)
    target = tmp_path / "config.yml"
    target.write_bytes(CIRCLECI_CONFIG)
    ledger_of(env).write_bytes(hostile(target))
    os.chmod(ledger_of(env), mode)
    got = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert got.returncode == 1, got.stderr
    assert "open to other users" in got.stderr
    assert target.read_bytes() == CIRCLECI_CONFIG


def test_a_private_ledger_naming_the_circleci_config_leaves_it_byte_for_byte(aws_oidc_bin, env, tmp_path):
    target = tmp_path / ".circleci" / "config.yml"
    target.parent.mkdir()
    target.write_bytes(CIRCLECI_CONFIG)
    Path(env["AWS_OIDC_CACHE_DIR"]).mkdir(mode=0o700)
    ledger_of(env).write_bytes(hostile(target))
    os.chmod(ledger_of(env), 0o600)
    got = run_aws_oidc(aws_oidc_bin, ["cleanup"], env)
    assert got.returncode > 0, got.stderr
    assert "left as it is" in got.stderr
    assert target.read_bytes() == CIRCLECI_CONFIG
    assert target.exists()

