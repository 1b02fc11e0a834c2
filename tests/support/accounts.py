"""The fake CircleCI org and AWS account the tests run in: ids, OIDC tokens
signed with a throwaway key, and the trust policies of its roles."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# Clearly fake values: recognisable in a leak scan, useless anywhere else.
ORG_ID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PROJECT_ID = "0a1b2c3d-1111-4222-8333-444455556666"
USER_ID = "9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff"
ACCOUNT_ID = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/deploy"
SECOND_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/second"


class TokenFactory:
    """Mints CircleCI-shaped OIDC tokens signed with a throwaway RSA key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def claims(
        self,
        *,
        org_id: str = ORG_ID,
        project_id: str = PROJECT_ID,
        aud: str | None = None,
        exp_in: int = 3600,
        vcs_origin: str | None = "github.com/acme/app",
        vcs_ref: str | None = "refs/heads/main",
        context_ids: list[str] | None = None,
        ssh_rerun: bool = False,
        **extra,
    ) -> dict:
        now = int(time.time())
        sub = f"org/{org_id}/project/{project_id}/user/{USER_ID}"
        if vcs_origin is not None and vcs_ref is not None:
            sub += f"/vcs-origin/{vcs_origin}/vcs-ref/{vcs_ref}"
        claims = {
            "iss": f"https://oidc.circleci.com/org/{org_id}",
            "aud": aud if aud is not None else org_id,
            "sub": sub,
            "iat": now - 5,
            "nbf": now - 5,
            "exp": now + exp_in,
            "oidc.circleci.com/project-id": project_id,
            "oidc.circleci.com/context-ids": context_ids or [],
            "oidc.circleci.com/ssh-rerun": ssh_rerun,
            "jti": str(uuid.uuid4()),
        }
        if vcs_origin is not None:
            claims["oidc.circleci.com/vcs-origin"] = vcs_origin
        if vcs_ref is not None:
            claims["oidc.circleci.com/vcs-ref"] = vcs_ref
        claims.update(extra)
        return claims

    def mint(self, **kwargs) -> str:
        return jwt.encode(self.claims(**kwargs), self.key, algorithm="RS256", headers={"kid": "test"})


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()



PROVIDER = f"oidc.circleci.com/org/{ORG_ID}"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER}"


def trust(sub_pattern: str = f"org/{ORG_ID}/project/{PROJECT_ID}/user/*", operator: str = "StringLike",
          aud: str = ORG_ID) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{PROVIDER}:aud": aud},
                operator: {f"{PROVIDER}:sub": sub_pattern},
            },
        }],
    }


def chain_trust(external_id: str | None = None) -> dict:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}
