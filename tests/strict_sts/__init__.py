"""strict_sts: an STS look-alike for end-to-end tests of aws-oidc, strict where moto is lenient.

It verifies CircleCI-shaped OIDC tokens (issuer, RS256 signature, audience,
expiry), evaluates role trust policies the way IAM documents it, checks SigV4
signatures of AssumeRole / GetCallerIdentity calls made with the credentials it
issued, and can inject faults (throttling, 5xx, IdP errors, slow answers,
connection resets, garbage XML).  It is written independently of the product
code.  Run it with ``python -m strict_sts serve --config CONFIG.json`` (with
``tests/`` on ``PYTHONPATH``); see README.md beside this file.

Python API:
  mint(key, org_id=..., **options) -> str   a signed CircleCI-shaped token
  generate_key(path=None)                   a new RSA-2048 key (written as PEM)
  evaluate(policy, context, provider_arn, action) -> bool   IAM trust-policy decision
  explain(...) -> (bool, reason)
"""

from .policy import PolicyError, evaluate, explain
from .tokens import DEFAULT_KID, DEFAULT_PROJECT_ID, DEFAULT_USER_ID, claims_for, generate_key, mint, public_jwk

__all__ = [
    "DEFAULT_KID",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_USER_ID",
    "PolicyError",
    "claims_for",
    "evaluate",
    "explain",
    "generate_key",
    "mint",
    "public_jwk",
]
