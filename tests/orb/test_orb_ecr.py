"""The orb's `ecr_login`, run as CircleCI runs it: after `setup`, and on its
own with a role, against moto's STS and ECR; then a later step reads the
login Docker's config holds."""

from __future__ import annotations

import base64
import json
import os

from support.orb_configs import ACCOUNT, REGION, config, role, run

HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


def docker_login_of(ci, host: str) -> str:
    auths = json.loads((ci.home / ".docker" / "config.json").read_text())["auths"]
    return base64.b64decode(auths[host]["auth"]).decode()


def test_setup_then_ecr_login_writes_the_login_and_links_the_helper(ci):
    ci.give_token()
    ci.env["AWS_ENDPOINT_URL_ECR"] = ci.env["AWS_ENDPOINT_URL_STS"]
    result = ci.run(config(
        {"aws-oidc/setup": {"role_arn": role("push")}},
        {"aws-oidc/ecr_login": {"registries": f"{ACCOUNT}, 210987654321"}},
        run("what docker reads", "cat ~/.docker/config.json >/dev/null"),
    ))  # fmt: skip
    assert result.ok, result.describe()
    login = result.step("Log in to ECR")
    assert HOST in login.stderr and f"{ACCOUNT}-auth-token" not in login.output
    assert docker_login_of(ci, HOST) == f"AWS:{ACCOUNT}-auth-token"
    assert docker_login_of(ci, f"210987654321.dkr.ecr.{REGION}.amazonaws.com").startswith("AWS:")
    link = ci.install_dir / "docker-credential-aws-oidc"
    assert link.is_symlink() and os.readlink(link) == "aws-oidc"


def test_ecr_login_on_its_own_assumes_the_role(ci):
    ci.give_token()
    ci.env["AWS_ENDPOINT_URL_ECR"] = ci.env["AWS_ENDPOINT_URL_STS"]
    result = ci.run(config({"aws-oidc/ecr_login": {"role_arn": role("push-only"), "region": REGION}}))
    assert result.ok, result.describe()
    assert "assumed-role/push-only" in result.step("Log in to ECR").stderr
    assert docker_login_of(ci, HOST) == f"AWS:{ACCOUNT}-auth-token"
    assert ci.exported().get("AWS_ACCESS_KEY_ID") is None, "ecr_login exports no keys"
