"""Keys and CircleCI-shaped OIDC tokens for the strict STS fixture.

* `generate_key(path)` writes a new RSA-2048 private key (PKCS#8 PEM, mode 0600).
* `mint(key, org_id=..., ...)` returns an RS256 JWT shaped like a CircleCI v2
  OIDC token: `iss` ``https://oidc.circleci.com/org/<org>``, `aud` the org id
  unless given, `sub` ``org/<org>/project/<p>/user/<u>`` plus
  ``/vcs-origin/<o>/vcs-ref/<r>`` when both are given, `iat`, `nbf`, `exp`,
  `jti` and the ``oidc.circleci.com/...`` claims.
* `public_jwk(key, kid)` is the RSA JWK (RFC 7517) of a key, as a JWKS lists it.

The JWT is assembled and signed here with `cryptography` (no JWT library), so
tokens can also be made deliberately odd (wrong `alg`, dropped claims).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = [
    "DEFAULT_KID",
    "DEFAULT_PROJECT_ID",
    "DEFAULT_USER_ID",
    "b64url",
    "claims_for",
    "generate_key",
    "load_private_key",
    "load_public_key",
    "mint",
    "public_jwk",
]

DEFAULT_KID = "strict-sts"
# Clearly fake identifiers, used when a test does not care.
DEFAULT_PROJECT_ID = "11111111-2222-4333-8444-555555555555"
DEFAULT_USER_ID = "99999999-8888-4777-8666-555555555555"

_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key(path: str | os.PathLike | None = None) -> rsa.RSAPrivateKey:
    """A new RSA-2048 key; written as PKCS#8 PEM (mode 0600) when `path` is given."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if path is not None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = Path(path)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)
    return key


def _pem_bytes(key: Any) -> bytes | None:
    if isinstance(key, bytes):
        return key
    if isinstance(key, str) and key.lstrip().startswith("-----BEGIN"):
        return key.encode()
    return None


def load_private_key(key: Any) -> rsa.RSAPrivateKey:
    """An RSA private key from a key object, PEM text/bytes, or a path to a PEM file."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    pem = _pem_bytes(key)
    if pem is None:
        pem = Path(key).read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys are supported")
    return loaded


def load_public_key(key: Any) -> rsa.RSAPublicKey:
    """An RSA public key from a private/public key object, PEM (private or public), or a path."""
    if isinstance(key, rsa.RSAPublicKey):
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        return key.public_key()
    pem = _pem_bytes(key)
    if pem is None:
        pem = Path(key).read_bytes()
    if b"PRIVATE KEY" in pem:
        return load_private_key(pem).public_key()
    loaded = serialization.load_pem_public_key(pem)
    if not isinstance(loaded, rsa.RSAPublicKey):
        raise ValueError("only RSA keys are supported")
    return loaded


def _int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def public_jwk(key: Any, kid: str) -> dict:
    numbers = load_public_key(key).public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": b64url(_int_bytes(numbers.n)),
        "e": b64url(_int_bytes(numbers.e)),
    }


def claims_for(
    org_id: str,
    *,
    project_id: str = DEFAULT_PROJECT_ID,
    user_id: str = DEFAULT_USER_ID,
    aud: str | list | None = None,
    exp_in: int = 3600,
    vcs_origin: str | None = None,
    vcs_ref: str | None = None,
    context_ids: Iterable[str] | None = None,
    ssh_rerun: bool = False,
    now: int | None = None,
    claims: dict | None = None,
    drop_claims: Iterable[str] = (),
) -> dict:
    """The claim set of a CircleCI v2 token (before signing)."""
    now = int(time.time()) if now is None else int(now)
    sub = f"org/{org_id}/project/{project_id}/user/{user_id}"
    if vcs_origin is not None and vcs_ref is not None:
        sub += f"/vcs-origin/{vcs_origin}/vcs-ref/{vcs_ref}"
    body: dict[str, Any] = {
        "iss": f"https://oidc.circleci.com/org/{org_id}",
        "sub": sub,
        "aud": org_id if aud is None else aud,
        "iat": now,
        "nbf": now,
        "exp": now + int(exp_in),
        "jti": str(uuid.uuid4()),
        "oidc.circleci.com/project-id": project_id,
        "oidc.circleci.com/context-ids": list(context_ids or []),
        "oidc.circleci.com/ssh-rerun": bool(ssh_rerun),
    }
    if vcs_origin is not None:
        body["oidc.circleci.com/vcs-origin"] = vcs_origin
    if vcs_ref is not None:
        body["oidc.circleci.com/vcs-ref"] = vcs_ref
    body.update(claims or {})
    for name in drop_claims:
        body.pop(name, None)
    return body


def mint(
    key: Any,
    org_id: str,
    *,
    kid: str | None = DEFAULT_KID,
    alg: str = "RS256",
    headers: dict | None = None,
    **claim_options: Any,
) -> str:
    """An RS256-signed CircleCI-shaped token (see `claims_for` for the claim options).

    `key` is a path to a PEM private key, PEM text/bytes, or an RSA private key.
    `kid=None` leaves the `kid` header out; `alg` other than RS256/384/512 is
    written into the header as given but the token is still signed with RS256
    (to make tokens a verifier must reject).  `claims={...}` adds or overrides
    claims (e.g. ``{"iss": ...}``); `drop_claims=[...]` removes some.
    """
    private_key = load_private_key(key)
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(headers or {})
    payload = claims_for(org_id, **claim_options)
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    digest = _HASHES.get(alg, hashes.SHA256)()
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), digest)
    return signing_input + "." + b64url(signature)
