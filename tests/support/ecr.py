"""The ECR the `ecr-login` tests log in to (fixtures `ecr_env` and
`ecr_public` in conftest.py): moto's private registries, the account's host
there and the password moto's token decodes to; the ECR Public stand-in
(`ecr_public.py`) and its password; the job's stored keys."""

from __future__ import annotations

from .accounts import ACCOUNT_ID

REGION = "us-east-1"
HOST = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com"
#: What moto's token decodes to: user AWS, this password.
MOTO_PASSWORD = f"{ACCOUNT_ID}-auth-token"
KEY_ID, SECRET = "AKIAECRTESTKEY000001", "ecr-test-secret-key/0000000000000000000"
PUBLIC_PASSWORD = "public-ecr-password-for-tests"
