"""AWS Signature Version 4 verification (Authorization-header form), from the SigV4 docs.

`parse_authorization(value)` reads
``AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
SignedHeaders=a;b;c, Signature=hex``.  `expected_signature(...)` rebuilds the
canonical request from the request as received (method, raw path, raw query,
the signed headers, SHA-256 of the body as sent), the string to sign and the
derived signing key, and returns the hex signature the sender should have
computed; the server compares it with `hmac.compare_digest`.

Canonical request, per the SigV4 documentation:

    METHOD \n
    canonical URI   (dot segments removed, each segment URI-encoded again: non-S3 services)\n
    canonical query (names and values URI-encoded, sorted)\n
    canonical headers (lower-case name ':' trimmed value with inner whitespace collapsed,
                       repeated headers joined by ',', one per line, sorted)\n
    \n
    signed headers  (';'-joined lower-case names)\n
    hex(SHA-256(payload))

String to sign: ``AWS4-HMAC-SHA256\\n<X-Amz-Date>\\n<date>/<region>/<service>/aws4_request\\n
hex(SHA-256(canonical request))``; signing key: HMAC chain
``"AWS4"+secret -> date -> region -> service -> "aws4_request"``.

`sign_headers(...)` produces an Authorization header with the same code, for
raw tests; the self-tests check the verifier against botocore's signer, which
is independent of this module.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from typing import Callable, Iterable
from urllib.parse import quote, unquote

__all__ = [
    "ALGORITHM",
    "SigV4FormatError",
    "canonical_request",
    "expected_signature",
    "parse_authorization",
    "sign_headers",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "-_.~"


class SigV4FormatError(ValueError):
    """The Authorization header is not a well-formed SigV4 header."""


def parse_authorization(value: str) -> dict:
    """The parts of a SigV4 Authorization header; raises SigV4FormatError."""
    value = (value or "").strip()
    if not value.startswith(ALGORITHM + " "):
        raise SigV4FormatError(f"Authorization header must start with {ALGORITHM}")
    fields = {}
    for part in value[len(ALGORITHM) :].split(","):
        name, sep, val = part.strip().partition("=")
        if not sep:
            raise SigV4FormatError(f"malformed Authorization component {part.strip()!r}")
        fields[name] = val
    try:
        credential = fields["Credential"]
        signed_headers = fields["SignedHeaders"]
        signature = fields["Signature"]
    except KeyError as missing:
        raise SigV4FormatError(f"Authorization header is missing {missing.args[0]}") from None
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise SigV4FormatError("Credential must be AKID/date/region/service/aws4_request")
    if not re.fullmatch(r"[0-9a-f]{64}", signature):
        raise SigV4FormatError("Signature must be 64 hex digits")
    return {
        "access_key_id": scope[0],
        "date": scope[1],
        "region": scope[2],
        "service": scope[3],
        "scope": "/".join(scope[1:]),
        "signed_headers": signed_headers.split(";") if signed_headers else [],
        "signature": signature,
    }


def _canonical_uri(raw_path: str) -> str:
    path = raw_path or "/"
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    if normalized == ".":
        normalized = "/"
    # The path as received is already URI-encoded once; encoding it again gives the
    # "double-encoded" form SigV4 uses for every service but S3.
    return quote(normalized, safe="/~")


def _canonical_query(raw_query: str) -> str:
    pairs = []
    for part in (raw_query or "").split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if unquote(name) == "X-Amz-Signature":
            continue
        pairs.append((quote(unquote(name), safe=_UNRESERVED), quote(unquote(value), safe=_UNRESERVED)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_header_value(values: Iterable[str]) -> str:
    return ",".join(" ".join(v.strip().split()) for v in values)


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    get_header: Callable[[str], list[str]],
    signed_headers: list[str],
    payload_hash: str,
) -> str:
    names = [h.lower() for h in signed_headers]
    headers = "".join(f"{name}:{_canonical_header_value(get_header(name))}\n" for name in names)
    return "\n".join(
        [
            method.upper(),
            _canonical_uri(raw_path),
            _canonical_query(raw_query),
            headers,
            ";".join(names),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def expected_signature(
    *,
    secret: str,
    method: str,
    raw_path: str,
    raw_query: str,
    get_header: Callable[[str], list[str]],
    body: bytes,
    auth: dict,
    amz_date: str,
) -> str:
    """The hex signature of this request under `secret` and the scope in `auth`."""
    canonical = canonical_request(
        method, raw_path, raw_query, get_header, auth["signed_headers"], hashlib.sha256(body).hexdigest()
    )
    to_sign = string_to_sign(amz_date, auth["scope"], canonical)
    key = signing_key(secret, auth["date"], auth["region"], auth["service"])
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_headers(
    *,
    access_key_id: str,
    secret: str,
    session_token: str | None,
    method: str,
    host: str,
    path: str,
    query: str,
    body: bytes,
    region: str,
    amz_date: str,
    service: str = "sts",
    extra_headers: dict | None = None,
) -> dict:
    """Headers (Host, X-Amz-Date, [X-Amz-Security-Token], Authorization, extras) for a signed request."""
    headers = {"Host": host, "X-Amz-Date": amz_date}
    if session_token is not None:
        headers["X-Amz-Security-Token"] = session_token
    headers.update(extra_headers or {})
    lower = {k.lower(): v for k, v in headers.items()}
    names = sorted(lower)
    auth = {
        "scope": f"{amz_date[:8]}/{region}/{service}/aws4_request",
        "date": amz_date[:8],
        "region": region,
        "service": service,
        "signed_headers": names,
    }
    sig = expected_signature(
        secret=secret,
        method=method,
        raw_path=path,
        raw_query=query,
        get_header=lambda n: [lower[n]] if n in lower else [],
        body=body,
        auth=auth,
        amz_date=amz_date,
    )
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={access_key_id}/{auth['scope']}, SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return headers
