"""Decoding and signature checking of web identity tokens, the way STS sees them.

`decode(token)` splits a compact JWS and returns its header, claims and signing
input, raising `TokenFormatError` for anything that is not a JWT (wrong number
of segments, bad base64url, JSON that is not an object).  `verify_signature`
checks an RS256/RS384/RS512 signature against a JWKS given as
``{kid: RSAPublicKey}``: the `kid` header selects the key (without a `kid`
every key is tried); any other `alg` (``none``, ``HS256``, ...) fails.

Written with `cryptography` only, so it shares no code with the token minting
or with PyJWT.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["TokenFormatError", "decode", "verify_signature"]

_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class TokenFormatError(ValueError):
    """The token is not a well-formed JWT."""


def _b64url_decode(segment: str) -> bytes:
    if not _B64URL.match(segment) or len(segment) % 4 == 1:
        raise TokenFormatError("segment is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenFormatError("segment is not base64url") from None


def _json_object(raw: bytes, what: str) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise TokenFormatError(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise TokenFormatError(f"{what} is not a JSON object")
    return value


def decode(token: str) -> tuple[dict, dict, bytes, bytes]:
    """(header, claims, signing_input, signature) of a compact JWS, unverified."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenFormatError("a JWT has three non-empty dot-separated segments")
    header = _json_object(_b64url_decode(parts[0]), "header")
    claims = _json_object(_b64url_decode(parts[1]), "payload")
    signature = _b64url_decode(parts[2])
    return header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def verify_signature(header: dict, signing_input: bytes, signature: bytes, jwks: Mapping[str, rsa.RSAPublicKey]) -> bool:
    """Whether the signature verifies with the key named by `kid` (or any key without a `kid`)."""
    alg = header.get("alg")
    if alg not in _HASHES:
        return False
    kid = header.get("kid")
    if kid is not None:
        candidates = [jwks[kid]] if isinstance(kid, str) and kid in jwks else []
    else:
        candidates = list(jwks.values())
    for key in candidates:
        try:
            key.verify(signature, signing_input, padding.PKCS1v15(), _HASHES[alg]())
            return True
        except InvalidSignature:
            continue
    return False
