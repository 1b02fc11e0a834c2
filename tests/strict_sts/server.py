"""A strict STS look-alike on loopback: AssumeRoleWithWebIdentity, AssumeRole, GetCallerIdentity.

Unlike moto, it checks what real STS checks, in this order, and answers with
AWS's XML shapes and error codes:

AssumeRoleWithWebIdentity (unsigned)
  1. parameters (ValidationError 400, MalformedPolicyDocument 400, PackedPolicyTooLarge 400)
  2. the token: not a JWT -> InvalidIdentityToken; issuer not a configured
     provider -> InvalidIdentityToken "No OpenIDConnect provider found ...";
     signature (RS256 against the configured signing keys) -> InvalidIdentityToken;
     audience not a client id of the provider -> InvalidIdentityToken
     "Incorrect token audience"; expired (more than `exp_leeway`, default 300 s,
     past `exp`, as IAM allows 5 minutes of clock skew) -> ExpiredTokenException 400
  3. the role: unknown, or its trust policy (see policy.py) does not allow ->
     AccessDenied 403 "Not authorized to perform sts:AssumeRoleWithWebIdentity"
  4. DurationSeconds above the role's max_session_duration -> ValidationError
  5. region disabled -> RegionDisabledException 403
  6. credentials (ASIA..., recorded in memory for the signed calls)

AssumeRole and GetCallerIdentity (SigV4-signed with credentials issued here)
  missing Authorization -> MissingAuthenticationToken 403; unknown access key or
  wrong X-Amz-Security-Token -> InvalidClientTokenId 403; expired credentials ->
  ExpiredToken 400; signature mismatch (recomputed, see sigv4.py) ->
  SignatureDoesNotMatch 403.  AssumeRole then validates parameters, evaluates the
  target role's trust policy for principal type AWS and action sts:AssumeRole
  (AccessDenied 403), refuses DurationSeconds over 3600 for role chaining and over
  the role's maximum (ValidationError), and checks the region.

The region of a request is taken from a Host header of the form
``sts[-fips].<region>.amazonaws.com[.cn]`` when present, else from the config's
``region`` (default us-east-1); a region listed in ``disabled_regions`` answers
RegionDisabledException.

Control API under ``/_fixture/`` (JSON): faults (queued, consumed by the next N
matching requests), the call log, the running config, issued credentials.  The
issuer side serves ``/org/<org>/.well-known/openid-configuration`` and
``/org/<org>/.well-known/jwks-pub.json``.  Tokens and secrets are never logged.
See README.md for the exact wire formats.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from . import jwt_verify, sigv4
from .policy import PolicyError, explain, validate_policy
from .tokens import load_public_key, public_jwk

__all__ = ["ConfigError", "FixtureServer", "State", "parse_config", "serve"]

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
STS_ACTIONS = ("AssumeRoleWithWebIdentity", "AssumeRole", "GetCallerIdentity")

MSG_NOT_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
MSG_NO_PROVIDER = "No OpenIDConnect provider found in your account for {iss}"
MSG_SIGNATURE = "Couldn't verify the token signature."
MSG_AUDIENCE = "Incorrect token audience"
MSG_NO_EXP = "The token has no expiration claim (exp)."
MSG_EXPIRED = "Token expired: current date/time {now} must be before the expiration date/time {exp}"
MSG_WI_DENIED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
MSG_AR_DENIED = "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
MSG_MAX_DURATION = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
MSG_CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
MSG_REGION = (
    "STS is not activated in this region for account:{account}. Your account administrator can activate STS "
    "in this region using the IAM Console."
)
MSG_JWKS = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
MSG_IDP_COMMUNICATION = (
    "Couldn't reach the identity provider: the request could not be fulfilled because the identity provider "
    "(IDP) that was asked to verify the incoming identity token could not be reached."
)
MSG_IDP_REJECTED = "The identity provider rejected the claim."
MSG_BAD_ARN = "Request ARN is invalid"
MSG_POLICY_SYNTAX = "Syntax errors in policy."
MSG_PACKED = "Packed policy consumes {pct}% of allotted space, please use smaller policy."
MSG_TOKEN_INVALID = "The security token included in the request is invalid."
MSG_TOKEN_EXPIRED = "The security token included in the request is expired"
MSG_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)

ROLE_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]*$", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]*$", re.ASCII)
POLICY_CHARS_RE = re.compile(r"^[\t\n\r\x20-\xff]+$")
HOST_REGION_RE = re.compile(r"^sts(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$", re.IGNORECASE)
ISSUER_PATH_RE = re.compile(r"^/org/([^/]+)/\.well-known/(openid-configuration|jwks-pub\.json)$")

FAULT_KINDS = {
    # kind: (HTTP status, code, message); None for the kinds that do not answer an error
    "throttle": (400, "Throttling", "Rate exceeded"),
    "500": (500, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."),
    "503": (503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."),
    "idp_communication": (400, "IDPCommunicationError", MSG_IDP_COMMUNICATION),
    "jwks": (400, "InvalidIdentityToken", MSG_JWKS),
    "idp_rejected_claim": (403, "IDPRejectedClaim", MSG_IDP_REJECTED),
    "error": None,
    "slow": None,
    "reset": None,
    "malformed": None,
    # Hostile answers (see README.md): each misbehaves in one way.
    "huge": None,
    "huge_error": None,
    "echo_token": None,
    "garbage": None,
    "bad_expiration": None,
    "redirect": None,
    "newline_credentials": None,
    "expired_credentials": None,
}

HOSTILE = {
    "huge", "huge_error", "echo_token", "garbage", "bad_expiration",
    "redirect", "newline_credentials", "expired_credentials",
}

CONFIG_KEYS = {
    "account_id",
    "region",
    "signing_keys",
    "providers",
    "roles",
    "credential_lifetime",
    "disabled_regions",
    "exp_leeway",
    "claim_condition_keys",
    "packed_policy_limit",
}


class ConfigError(ValueError):
    """The fixture config is malformed."""


class StsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _validation(messages: list[str]) -> StsError:
    n = len(messages)
    head = f"{n} validation error{'s' if n > 1 else ''} detected: "
    return StsError("ValidationError", head + "; ".join(messages), 400)


def _now_iso(ts: float | None = None) -> str:
    ts = time.time() if ts is None else ts
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# config


@dataclass
class Role:
    arn: str
    account: str
    name: str
    trust_policy: dict
    max_session_duration: int
    role_id: str


@dataclass
class Config:
    account_id: str
    region: str
    jwks: dict  # kid -> RSAPublicKey
    jwk_set: list
    providers: dict  # url (no scheme) -> [client ids]
    roles: dict  # arn -> Role
    credential_lifetime: int | None
    disabled_regions: list
    exp_leeway: int
    claim_condition_keys: list
    packed_policy_limit: int


def _role_id(arn: str) -> str:
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()
    return "AROA" + digest.replace("=", "")[:17]


def _int_field(data: dict, name: str, default: Any, *, lo: int | None = None, hi: int | None = None, nullable=False):
    value = data.get(name, default)
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{name} must be between {lo} and {hi}")
    return value


def parse_config(data: Any, base_dir: Path) -> Config:
    """Validates the fixture config (see README.md) and loads its keys."""
    if not isinstance(data, dict):
        raise ConfigError("config must be a JSON object")
    unknown = [k for k in data if k not in CONFIG_KEYS and not k.startswith("_")]
    if unknown:
        raise ConfigError(f"unknown config keys: {', '.join(sorted(unknown))}")
    account_id = str(data.get("account_id", "123456789012"))
    if not re.fullmatch(r"\d{12}", account_id):
        raise ConfigError("account_id must be 12 digits")
    region = data.get("region", "us-east-1")
    if not isinstance(region, str) or not region:
        raise ConfigError("region must be a string")

    jwks: dict = {}
    jwk_set: list = []
    signing_keys = data.get("signing_keys", {})
    if not isinstance(signing_keys, dict):
        raise ConfigError("signing_keys must map kid -> key path (or PEM text)")
    for kid, ref in signing_keys.items():
        if not isinstance(ref, str):
            raise ConfigError(f"signing_keys[{kid!r}] must be a path or PEM text")
        source = ref if ref.lstrip().startswith("-----BEGIN") else (base_dir / ref)
        try:
            public = load_public_key(source)
        except (OSError, ValueError, TypeError) as e:
            raise ConfigError(f"signing_keys[{kid!r}]: cannot load key: {e}") from None
        jwks[kid] = public
        jwk_set.append(public_jwk(public, kid))

    providers: dict = {}
    for p in data.get("providers", []) or []:
        if not isinstance(p, dict) or not isinstance(p.get("url"), str):
            raise ConfigError("each provider needs a url")
        url = p["url"]
        if url.startswith("https://"):
            url = url[len("https://") :]
        url = url.rstrip("/")
        client_ids = p.get("client_ids", [])
        if not isinstance(client_ids, list) or not all(isinstance(c, str) for c in client_ids):
            raise ConfigError(f"provider {url}: client_ids must be a list of strings")
        providers[url] = list(client_ids)

    roles: dict = {}
    raw_roles = data.get("roles", {}) or {}
    if not isinstance(raw_roles, dict):
        raise ConfigError("roles must map role ARN -> role")
    for arn, spec in raw_roles.items():
        m = ROLE_ARN_RE.match(arn)
        if not m:
            raise ConfigError(f"not a role ARN: {arn!r}")
        if not isinstance(spec, dict) or "trust_policy" not in spec:
            raise ConfigError(f"role {arn} needs a trust_policy")
        trust = spec["trust_policy"]
        if isinstance(trust, str):
            try:
                trust = json.loads(trust)
            except ValueError as e:
                raise ConfigError(f"role {arn}: trust_policy is not JSON: {e}") from None
        try:
            validate_policy(trust)
        except PolicyError as e:
            raise ConfigError(f"role {arn}: {e}") from None
        max_duration = _int_field(spec, "max_session_duration", 3600, lo=3600, hi=43200)
        roles[arn] = Role(arn, m.group(2), m.group(4), trust, max_duration, _role_id(arn))

    disabled = data.get("disabled_regions", []) or []
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise ConfigError("disabled_regions must be a list of region names")
    claim_keys = data.get("claim_condition_keys", []) or []
    if not isinstance(claim_keys, list) or not all(isinstance(c, str) for c in claim_keys):
        raise ConfigError("claim_condition_keys must be a list of claim names")

    return Config(
        account_id=account_id,
        region=region,
        jwks=jwks,
        jwk_set=jwk_set,
        providers=providers,
        roles=roles,
        credential_lifetime=_int_field(data, "credential_lifetime", None, nullable=True),
        disabled_regions=list(disabled),
        exp_leeway=_int_field(data, "exp_leeway", 300, lo=0),
        claim_condition_keys=list(claim_keys),
        packed_policy_limit=_int_field(data, "packed_policy_limit", 2048, lo=1),
    )


# ---------------------------------------------------------------------------
# state


@dataclass
class Credential:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiry: float
    role_arn: str
    account: str
    session_name: str
    assumed_role_arn: str
    assumed_role_id: str
    source: str

    def public(self) -> dict:
        return {
            "access_key_id": self.access_key_id,
            "role_arn": self.role_arn,
            "session_name": self.session_name,
            "arn": self.assumed_role_arn,
            "expiration": _now_iso(self.expiry),
            "source": self.source,
        }


@dataclass
class Fault:
    id: int
    action: str
    kind: str
    remaining: int
    delay: float
    status: int | None = None
    code: str | None = None
    message: str | None = None
    size: int = 0

    def public(self) -> dict:
        d = {"id": self.id, "action": self.action, "kind": self.kind, "remaining": self.remaining, "delay": self.delay}
        if self.size:
            d["size"] = self.size
        if self.kind == "error":
            d.update(status=self.status, code=self.code, message=self.message)
        return d


@dataclass
class State:
    config: Config
    raw_config: Any
    base_dir: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    credentials: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    next_fault_id: int = 1

    @classmethod
    def from_file(cls, path: str | None) -> "State":
        if path is None:
            raw: Any = {}
            base = Path.cwd()
        else:
            p = Path(path)
            raw = json.loads(p.read_text())
            base = p.resolve().parent
        return cls(config=parse_config(raw, base), raw_config=raw, base_dir=base)

    def replace_config(self, raw: Any) -> None:
        cfg = parse_config(raw, self.base_dir)
        with self.lock:
            self.config = cfg
            self.raw_config = raw

    def count(self, action: str) -> None:
        with self.lock:
            self.counts[action] = self.counts.get(action, 0) + 1

    def record(self, entry: dict) -> None:
        with self.lock:
            self.log.append(entry)

    def calls(self) -> dict:
        with self.lock:
            out = {a: self.counts.get(a, 0) for a in STS_ACTIONS}
            out.update({a: n for a, n in self.counts.items() if a not in out})
            out["log"] = [dict(e) for e in self.log]
            return out

    def reset_calls(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()

    def add_fault(self, spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        kind = str(spec.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; kinds: {', '.join(sorted(FAULT_KINDS))}")
        action = spec.get("action") or "*"
        if not isinstance(action, str):
            raise ValueError("action must be a string")
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        delay = spec.get("delay", 1.0 if kind == "slow" else 0.0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ValueError("delay must be a non-negative number of seconds")
        size = spec.get("size", 200_000_000 if kind == "huge" else 5_000_000 if kind == "huge_error" else 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError("size must be a non-negative number of bytes")
        status = code = message = None
        if kind == "error":
            status, code, message = spec.get("status"), spec.get("code"), spec.get("message", "")
            if not isinstance(status, int) or not 400 <= status <= 599 or not isinstance(code, str) or not code:
                raise ValueError("kind 'error' needs an integer status (400-599) and a code")
            if not isinstance(message, str):
                raise ValueError("message must be a string")
        with self.lock:
            fault = Fault(self.next_fault_id, action, kind, count, float(delay), status, code, message, size)
            self.next_fault_id += 1
            self.faults.append(fault)
            return fault

    def take_fault(self, action: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.action in ("*", action):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
            return None

    def issue(self, role: Role, session: str, duration: int, source: str) -> Credential:
        lifetime = duration
        if self.config.credential_lifetime is not None:
            lifetime = min(duration, self.config.credential_lifetime)
        expiry = math.ceil(time.time()) + lifetime
        cred = Credential(
            access_key_id="ASIA" + base64.b32encode(secrets.token_bytes(10)).decode()[:16],
            secret_access_key=base64.b64encode(secrets.token_bytes(30)).decode(),
            session_token=base64.b64encode(b"strict-sts/" + secrets.token_bytes(300)).decode(),
            expiry=float(expiry),
            role_arn=role.arn,
            account=role.account,
            session_name=session,
            assumed_role_arn=f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{session}",
            assumed_role_id=f"{role.role_id}:{session}",
            source=source,
        )
        with self.lock:
            self.credentials[cred.access_key_id] = cred
        return cred


# ---------------------------------------------------------------------------
# request validation shared by the two AssumeRole* actions


def _check_length(errors: list, wire: str, value: str, lo: int, hi: int | None, *, show: bool = True) -> None:
    shown = f"Value '{value}' at '{wire}'" if show else f"Value at '{wire}'"
    if len(value) < lo:
        errors.append(f"{shown} failed to satisfy constraint: Member must have length greater than or equal to {lo}")
    if hi is not None and len(value) > hi:
        errors.append(f"{shown} failed to satisfy constraint: Member must have length less than or equal to {hi}")


def _policy_arns(params: dict) -> list[str]:
    arns = []
    for key, value in params.items():
        m = re.fullmatch(r"PolicyArns\.member\.(\d+)\.arn", key)
        if m:
            arns.append((int(m.group(1)), value))
    return [v for _, v in sorted(arns)]


def _validate_assume(params: dict, *, web_identity: bool, packed_limit: int) -> tuple[int, int | None]:
    """Checks the request parameters; returns (duration, packed policy percent or None)."""
    errors: list[str] = []
    role_arn = params.get("RoleArn")
    session = params.get("RoleSessionName")
    if role_arn is None:
        errors.append("Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
    else:
        _check_length(errors, "roleArn", role_arn, 20, 2048)
    if session is None:
        errors.append("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
    else:
        _check_length(errors, "roleSessionName", session, 2, 64)
        if not SESSION_NAME_RE.match(session):
            errors.append(
                f"Value '{session}' at 'roleSessionName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
    if web_identity:
        token = params.get("WebIdentityToken")
        if token is None:
            errors.append("Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null")
        else:
            _check_length(errors, "webIdentityToken", token, 4, 20000, show=False)
    else:
        external_id = params.get("ExternalId")
        if external_id is not None:
            _check_length(errors, "externalId", external_id, 2, 1224)
            if not EXTERNAL_ID_RE.match(external_id):
                errors.append(
                    f"Value '{external_id}' at 'externalId' failed to satisfy constraint: "
                    "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*"
                )
    duration = 3600
    raw_duration = params.get("DurationSeconds")
    if raw_duration is not None:
        try:
            duration = int(raw_duration)
        except ValueError:
            errors.append(f"Value '{raw_duration}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer")
        else:
            if duration < 900:
                errors.append(
                    f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
                    "Member must have value greater than or equal to 900"
                )
            if duration > 43200:
                errors.append(
                    f"Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
                    "Member must have value less than or equal to 43200"
                )
    policy = params.get("Policy")
    if policy is not None:
        _check_length(errors, "policy", policy, 1, 2048 if web_identity else None)
        if policy and not POLICY_CHARS_RE.match(policy):
            errors.append(
                f"Value '{policy}' at 'policy' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
            )
    arns = _policy_arns(params)
    if len(arns) > 10:
        errors.append(
            f"Value '{arns}' at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"
        )
    for i, arn in enumerate(arns, 1):
        _check_length(errors, f"policyArns.{i}.member.arn", arn, 20, 2048)
    if errors:
        raise _validation(errors)

    if not ROLE_ARN_RE.match(role_arn):
        raise StsError("ValidationError", MSG_BAD_ARN)

    packed = None
    if policy is not None or arns:
        size = 0
        if policy is not None:
            try:
                doc = json.loads(policy)
            except ValueError:
                raise StsError("MalformedPolicyDocument", MSG_POLICY_SYNTAX) from None
            if not isinstance(doc, dict) or "Statement" not in doc:
                raise StsError("MalformedPolicyDocument", MSG_POLICY_SYNTAX)
            size += len(json.dumps(doc, separators=(",", ":")))
        size += sum(len(a) for a in arns)
        packed = math.ceil(100 * size / packed_limit)
        if size > packed_limit:
            raise StsError("PackedPolicyTooLarge", MSG_PACKED.format(pct=packed))
    return duration, packed


def _session_tags(params: dict) -> dict[str, str]:
    """AssumeRole's `Tags.member.N.Key` / `.Value` parameters, in order."""
    tags = {}
    n = 1
    while f"Tags.member.{n}.Key" in params:
        tags[params[f"Tags.member.{n}.Key"]] = params.get(f"Tags.member.{n}.Value", "")
        n += 1
    return tags


def _xml(action: str, result_fields: str, request_id: str) -> bytes:
    return (
        f'<{action}Response xmlns="{NS}">\n'
        f"  <{action}Result>\n{result_fields}  </{action}Result>\n"
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</{action}Response>\n"
    ).encode("utf-8")


def _credentials_xml(cred: Credential) -> str:
    return (
        "    <AssumedRoleUser>\n"
        f"      <AssumedRoleId>{escape(cred.assumed_role_id)}</AssumedRoleId>\n"
        f"      <Arn>{escape(cred.assumed_role_arn)}</Arn>\n"
        "    </AssumedRoleUser>\n"
        "    <Credentials>\n"
        f"      <AccessKeyId>{cred.access_key_id}</AccessKeyId>\n"
        f"      <SecretAccessKey>{escape(cred.secret_access_key)}</SecretAccessKey>\n"
        f"      <SessionToken>{escape(cred.session_token)}</SessionToken>\n"
        f"      <Expiration>{_now_iso(cred.expiry)}</Expiration>\n"
        "    </Credentials>\n"
    )


def error_xml(code: str, message: str, status: int, request_id: str) -> bytes:
    kind = "Receiver" if status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{NS}">\n'
        f"  <Error>\n    <Type>{kind}</Type>\n    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        "</ErrorResponse>\n"
    ).encode("utf-8")


# ---------------------------------------------------------------------------
# HTTP


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, state: State, verbose: bool = False):
        self.state = state
        self.verbose = verbose
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "strict-sts"
    sys_version = ""
    timeout = 60
    server: FixtureServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            sys.stderr.write("strict-sts: %s - %s\n" % (self.address_string(), format % args))

    # -- plumbing ----------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, value: Any) -> None:
        self._send(status, (json.dumps(value, indent=2) + "\n").encode(), "application/json")

    def _reset_connection(self) -> None:
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        try:
            if url.path == "/_fixture" or url.path.startswith("/_fixture/"):
                self._control(url.path, body)
            elif self.command == "GET" and ISSUER_PATH_RE.match(url.path):
                self._issuer(url.path)
            else:
                self._sts(url, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- control API -------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        state = self.server.state
        method = self.command
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError as e:
            return self._send_json(400, {"error": f"body is not JSON: {e}"})
        if path == "/_fixture/calls":
            if method == "GET":
                return self._send_json(200, state.calls())
            if method == "DELETE":
                state.reset_calls()
                return self._send_json(200, {"ok": True})
        elif path == "/_fixture/faults":
            if method == "GET":
                with state.lock:
                    faults = [f.public() for f in state.faults]
                return self._send_json(200, {"faults": faults})
            if method == "POST":
                specs = payload if isinstance(payload, list) else [payload]
                try:
                    added = [state.add_fault(s).public() for s in specs]
                except ValueError as e:
                    return self._send_json(400, {"error": str(e)})
                return self._send_json(200, {"added": added})
            if method == "DELETE":
                with state.lock:
                    state.faults.clear()
                return self._send_json(200, {"ok": True})
        elif path == "/_fixture/config":
            if method == "GET":
                with state.lock:
                    raw = state.raw_config
                return self._send_json(200, raw)
            if method == "PUT":
                try:
                    state.replace_config(payload)
                except ConfigError as e:
                    return self._send_json(400, {"error": str(e)})
                return self._send_json(200, {"ok": True})
        elif path == "/_fixture/credentials":
            if method == "GET":
                with state.lock:
                    creds = [c.public() for c in state.credentials.values()]
                return self._send_json(200, {"credentials": creds})
            if method == "DELETE":
                with state.lock:
                    state.credentials.clear()
                return self._send_json(200, {"ok": True})
        elif path == "/_fixture/health":
            return self._send_json(200, {"ok": True})
        else:
            return self._send_json(404, {"error": f"no such control endpoint {path}"})
        return self._send_json(405, {"error": f"{method} not allowed on {path}"})

    # -- issuer side -------------------------------------------------------

    def _issuer(self, path: str) -> None:
        m = ISSUER_PATH_RE.match(path)
        org, what = m.group(1), m.group(2)
        cfg = self.server.state.config
        if what == "jwks-pub.json":
            return self._send_json(200, {"keys": cfg.jwk_set})
        host = self.headers.get("Host") or "%s:%d" % self.server.server_address[:2]
        return self._send_json(
            200,
            {
                "issuer": f"https://oidc.circleci.com/org/{org}",
                "jwks_uri": f"http://{host}/org/{org}/.well-known/jwks-pub.json",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": [
                    "aud", "exp", "iat", "iss", "nbf", "sub", "jti",
                    "oidc.circleci.com/project-id", "oidc.circleci.com/context-ids",
                    "oidc.circleci.com/vcs-origin", "oidc.circleci.com/vcs-ref", "oidc.circleci.com/ssh-rerun",
                ],
            },
        )

    # -- STS -----------------------------------------------------------------

    def _sts(self, url, body: bytes) -> None:
        state = self.server.state
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        content_type = (self.headers.get("Content-Type") or "").lower()
        if body and (not content_type or "x-www-form-urlencoded" in content_type):
            try:
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                pass
        action = params.get("Action", "")
        request_id = str(uuid.uuid4())
        try:
            duration = int(params["DurationSeconds"]) if "DurationSeconds" in params else None
        except ValueError:
            duration = None
        entry: dict[str, Any] = {
            "action": action or None,
            "status": None,
            "code": None,
            "role_arn": params.get("RoleArn"),
            "session_name": params.get("RoleSessionName"),
            "duration": duration,
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id,
            # CloudTrail records the caller's User-Agent: tests read it here.
            "user_agent": self.headers.get("User-Agent"),
        }
        state.count(action)

        fault = state.take_fault(action) if action else None
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.delay:
                time.sleep(fault.delay)
            if fault.kind == "reset":
                entry["code"] = "connection-reset"
                state.record(entry)
                return self._reset_connection()
            if fault.kind == "malformed":
                entry["status"] = 200
                state.record(entry)
                garbage = (
                    f'<{action}Response xmlns="{NS}">\n  <{action}Result>\n    <Credentials>\n'
                    "      <AccessKeyId>ASIA<<\x01 truncated"
                ).encode("utf-8", "replace")
                return self._send(200, garbage, "text/xml", {"x-amzn-RequestId": request_id})
            if fault.kind in HOSTILE:
                entry["status"] = 200
                state.record(entry)
                return self._hostile(fault, action, params, request_id)
            if fault.kind != "slow":
                status, code, message = (
                    (fault.status, fault.code, fault.message) if fault.kind == "error" else FAULT_KINDS[fault.kind]
                )
                return self._answer_error(StsError(code, message, status), request_id, entry)

        try:
            if not action:
                raise StsError("MissingAction", "Missing Action")
            if action == "AssumeRoleWithWebIdentity":
                response = self._assume_role_with_web_identity(params, request_id, entry)
            elif action == "AssumeRole":
                caller = self._authenticate(url, body, entry)
                response = self._assume_role(params, caller, request_id, entry)
            elif action == "GetCallerIdentity":
                caller = self._authenticate(url, body, entry)
                response = _xml(
                    "GetCallerIdentity",
                    f"    <Arn>{escape(caller.assumed_role_arn)}</Arn>\n"
                    f"    <UserId>{escape(caller.assumed_role_id)}</UserId>\n"
                    f"    <Account>{caller.account}</Account>\n",
                    request_id,
                )
            else:
                raise StsError("InvalidAction", f"Could not find operation {action} for version 2011-06-15")
        except StsError as e:
            return self._answer_error(e, request_id, entry)
        except Exception:  # a fixture bug: say so loudly, answer like AWS would
            traceback.print_exc(file=sys.stderr)
            return self._answer_error(StsError("InternalFailure", "internal error in the strict STS fixture", 500), request_id, entry)
        entry["status"] = 200
        state.record(entry)
        self._send(200, response, "text/xml", {"x-amzn-RequestId": request_id})

    def _hostile(self, fault: Fault, action: str, params: dict, request_id: str) -> None:
        """Answers as a hostile or broken endpoint would (the kinds in HOSTILE)."""
        headers = {"x-amzn-RequestId": request_id}
        if fault.kind == "huge":
            # A 200 whose body never seems to end: streamed, never held in memory.
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(fault.size))
            self.end_headers()
            chunk = b" " * 65536
            sent = 0
            try:
                while sent < fault.size:
                    n = min(len(chunk), fault.size - sent)
                    self.wfile.write(chunk[:n])
                    sent += n
            except OSError:
                self.close_connection = True  # the client stopped reading, as it should
            return None
        if fault.kind == "huge_error":
            body = error_xml("AccessDenied", "Not authorized. " + "x" * fault.size, 403, request_id)
            return self._send(403, body, "text/xml", headers)
        if fault.kind == "echo_token":
            message = f"Invalid token: {params.get('WebIdentityToken', '')}"
            return self._send(400, error_xml("InvalidIdentityToken", message, 400, request_id), "text/xml", headers)
        if fault.kind == "garbage":
            return self._send(200, b"\x00\xffnot xml at all \x1b[31m" * 10, "text/xml", headers)
        if fault.kind == "redirect":
            headers["Location"] = "https://sts.example.invalid/"
            return self._send(307, b"", "text/plain", headers)
        expiry = time.time() + 3600
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        if fault.kind == "expired_credentials":
            expiry = time.time() - 3600
        if fault.kind == "newline_credentials":
            secret = secret[:20] + "&#10;[evil]&#10;" + secret[20:]
        expiration = "not-a-date" if fault.kind == "bad_expiration" else _now_iso(expiry)
        result = (
            "    <AssumedRoleUser>\n      <AssumedRoleId>AROAHOSTILE:s</AssumedRoleId>\n"
            "      <Arn>arn:aws:sts::123456789012:assumed-role/deploy/s</Arn>\n    </AssumedRoleUser>\n"
            "    <Credentials>\n      <AccessKeyId>ASIAHOSTILE0000000</AccessKeyId>\n"
            f"      <SecretAccessKey>{secret}</SecretAccessKey>\n"
            f"      <SessionToken>{base64.b64encode(secrets.token_bytes(60)).decode()}</SessionToken>\n"
            f"      <Expiration>{expiration}</Expiration>\n    </Credentials>\n"
        )
        return self._send(200, _xml(action or "AssumeRoleWithWebIdentity", result, request_id), "text/xml", headers)

    def _answer_error(self, err: StsError, request_id: str, entry: dict) -> None:
        entry["status"] = err.status
        entry["code"] = err.code
        self.server.state.record(entry)
        self._send(err.status, error_xml(err.code, err.message, err.status, request_id), "text/xml", {"x-amzn-RequestId": request_id})

    def _region(self, cfg: Config) -> str:
        m = HOST_REGION_RE.match(self.headers.get("Host") or "")
        return m.group(1).lower() if m else cfg.region

    def _check_region(self, cfg: Config, account: str) -> None:
        if self._region(cfg) in cfg.disabled_regions:
            raise StsError("RegionDisabledException", MSG_REGION.format(account=account), 403)

    def _assume_role_with_web_identity(self, params: dict, request_id: str, entry: dict) -> bytes:
        state = self.server.state
        cfg = state.config
        duration, packed = _validate_assume(params, web_identity=True, packed_limit=cfg.packed_policy_limit)
        entry["duration"] = duration
        role_arn = params["RoleArn"]
        session = params["RoleSessionName"]

        try:
            header, claims, signing_input, signature = jwt_verify.decode(params["WebIdentityToken"])
        except jwt_verify.TokenFormatError:
            raise StsError("InvalidIdentityToken", MSG_NOT_JWT) from None
        iss = claims.get("iss")
        iss_text = iss if isinstance(iss, str) else ""
        provider_url = iss_text[len("https://") :].rstrip("/") if iss_text.startswith("https://") else None
        if provider_url is None or provider_url not in cfg.providers:
            raise StsError("InvalidIdentityToken", MSG_NO_PROVIDER.format(iss=iss_text))
        if not jwt_verify.verify_signature(header, signing_input, signature, cfg.jwks):
            raise StsError("InvalidIdentityToken", MSG_SIGNATURE)
        audiences = [a for a in (claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]) if isinstance(a, str)]
        matched_aud = next((a for a in audiences if a in cfg.providers[provider_url]), None)
        if matched_aud is None:
            raise StsError("InvalidIdentityToken", MSG_AUDIENCE)
        exp = claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            raise StsError("InvalidIdentityToken", MSG_NO_EXP)
        now = int(time.time())
        if now > exp + cfg.exp_leeway:
            raise StsError("ExpiredTokenException", MSG_EXPIRED.format(now=now, exp=int(exp)))

        role = cfg.roles.get(role_arn)
        if role is None:
            entry["reason"] = "no such role"
            raise StsError("AccessDenied", MSG_WI_DENIED, 403)
        provider_arn = f"arn:aws:iam::{role.account}:oidc-provider/{provider_url}"
        context = self._web_identity_context(cfg, provider_url, claims, session)
        try:
            allowed, reason = explain(role.trust_policy, context, provider_arn, "sts:AssumeRoleWithWebIdentity")
        except PolicyError as e:
            allowed, reason = False, f"trust policy error: {e}"
        if not allowed:
            entry["reason"] = reason
            raise StsError("AccessDenied", MSG_WI_DENIED, 403)
        if duration > role.max_session_duration:
            raise StsError("ValidationError", MSG_MAX_DURATION)
        self._check_region(cfg, role.account)

        cred = state.issue(role, session, duration, "AssumeRoleWithWebIdentity")
        subject = claims.get("sub")
        fields = (
            f"    <Audience>{escape(matched_aud)}</Audience>\n"
            + _credentials_xml(cred)
            + f"    <Provider>{escape(provider_arn)}</Provider>\n"
            + (f"    <SubjectFromWebIdentityToken>{escape(subject)}</SubjectFromWebIdentityToken>\n" if isinstance(subject, str) else "")
            + (f"    <PackedPolicySize>{packed}</PackedPolicySize>\n" if packed is not None else "")
        )
        return _xml("AssumeRoleWithWebIdentity", fields, request_id)

    @staticmethod
    def _web_identity_context(cfg: Config, provider_url: str, claims: dict, session: str) -> dict:
        """The request context IAM builds for an OIDC token (see README: condition keys)."""
        ctx: dict[str, Any] = {"sts:RoleSessionName": session}
        if "azp" in claims:
            ctx[f"{provider_url}:aud"] = claims["azp"]
            ctx[f"{provider_url}:oaud"] = claims.get("aud")
        else:
            ctx[f"{provider_url}:aud"] = claims.get("aud")
        ctx[f"{provider_url}:sub"] = claims.get("sub")
        if provider_url.startswith("oidc.circleci.com/") and "oidc.circleci.com/project-id" in claims:
            ctx[f"{provider_url}:oidc.circleci.com/project-id"] = claims["oidc.circleci.com/project-id"]
        for name in cfg.claim_condition_keys:
            if name in claims:
                ctx[f"{provider_url}:{name}"] = claims[name]
        return ctx

    def _authenticate(self, url, body: bytes, entry: dict) -> Credential:
        state = self.server.state
        header = self.headers.get("Authorization")
        if not header:
            raise StsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        try:
            auth = sigv4.parse_authorization(header)
        except sigv4.SigV4FormatError as e:
            raise StsError("IncompleteSignature", str(e)) from None
        if auth["service"] != "sts":
            raise StsError("SignatureDoesNotMatch", "Credential should be scoped to correct service: 'sts'. ", 403)
        with state.lock:
            cred = state.credentials.get(auth["access_key_id"])
        if cred is None:
            raise StsError("InvalidClientTokenId", MSG_TOKEN_INVALID, 403)
        token = self.headers.get("X-Amz-Security-Token")
        if token is None or not hmac.compare_digest(token.encode(), cred.session_token.encode()):
            raise StsError("InvalidClientTokenId", MSG_TOKEN_INVALID, 403)
        entry["caller"] = cred.assumed_role_arn
        now = time.time()
        if now >= cred.expiry:
            raise StsError("ExpiredToken", MSG_TOKEN_EXPIRED)
        amz_date = self.headers.get("X-Amz-Date")
        if not amz_date:
            raise StsError(
                "IncompleteSignature",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise StsError("IncompleteSignature", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from None
        if amz_date[:8] != auth["date"]:
            raise StsError(
                "SignatureDoesNotMatch",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{auth['date']}' != '{amz_date[:8]}', from '{amz_date}'.",
                403,
            )
        if abs(now - signed_at) > 900:
            raise StsError(
                "SignatureDoesNotMatch",
                f"Signature expired: {amz_date} is now earlier than {_now_iso(now - 900)} ({_now_iso(now)} - 15 min.)",
                403,
            )
        expected = sigv4.expected_signature(
            secret=cred.secret_access_key,
            method=self.command,
            raw_path=url.path,
            raw_query=url.query,
            get_header=lambda name: self.headers.get_all(name) or [],
            body=body,
            auth=auth,
            amz_date=amz_date,
        )
        if not hmac.compare_digest(expected, auth["signature"]):
            raise StsError("SignatureDoesNotMatch", MSG_SIGNATURE_MISMATCH, 403)
        return cred

    def _assume_role(self, params: dict, caller: Credential, request_id: str, entry: dict) -> bytes:
        state = self.server.state
        cfg = state.config
        duration, packed = _validate_assume(params, web_identity=False, packed_limit=cfg.packed_policy_limit)
        entry["duration"] = duration
        role_arn = params["RoleArn"]
        session = params["RoleSessionName"]
        denied = StsError("AccessDenied", MSG_AR_DENIED.format(caller=caller.assumed_role_arn, role=role_arn), 403)
        role = cfg.roles.get(role_arn)
        if role is None:
            entry["reason"] = "no such role"
            raise denied
        context: dict[str, Any] = {
            "aws:PrincipalArn": caller.role_arn,
            "aws:PrincipalAccount": caller.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": caller.assumed_role_id,
            "sts:RoleSessionName": session,
        }
        if "ExternalId" in params:
            context["sts:ExternalId"] = params["ExternalId"]
        try:
            allowed, reason = explain(
                role.trust_policy, context, [caller.role_arn, caller.assumed_role_arn], "sts:AssumeRole", principal_type="AWS"
            )
        except PolicyError as e:
            allowed, reason = False, f"trust policy error: {e}"
        if not allowed:
            entry["reason"] = reason
            raise denied
        tags = _session_tags(params)
        if tags:
            entry["tags"] = tags
            # As IAM: session tags also need sts:TagSession in the role's trust policy.
            tag_context = {**context, **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}
            try:
                allowed, reason = explain(
                    role.trust_policy, tag_context, [caller.role_arn, caller.assumed_role_arn], "sts:TagSession",
                    principal_type="AWS",
                )
            except PolicyError as e:
                allowed, reason = False, f"trust policy error: {e}"
            if not allowed:
                entry["reason"] = f"sts:TagSession: {reason}"
                raise StsError(
                    "AccessDenied", MSG_AR_DENIED.format(caller=caller.assumed_role_arn, role=role_arn)
                    .replace("sts:AssumeRole", "sts:TagSession"), 403)
        if duration > 3600:
            raise StsError("ValidationError", MSG_CHAINING)
        if duration > role.max_session_duration:
            raise StsError("ValidationError", MSG_MAX_DURATION)
        self._check_region(cfg, role.account)
        cred = state.issue(role, session, duration, "AssumeRole")
        fields = _credentials_xml(cred) + (f"    <PackedPolicySize>{packed}</PackedPolicySize>\n" if packed is not None else "")
        return _xml("AssumeRole", fields, request_id)


# ---------------------------------------------------------------------------
# entry point


def _write_port_file(path: str, port: int) -> None:
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp{threading.get_ident()}")
    tmp.write_text(f"{port}\n")
    tmp.replace(target)


def serve(config: str | None, host: str = "127.0.0.1", port: int = 0, port_file: str | None = None, verbose: bool = False) -> int:
    """Runs the fixture until SIGTERM/SIGINT; returns the process exit status."""
    try:
        state = State.from_file(config)
    except (OSError, ValueError) as e:
        print(f"strict-sts: cannot load config: {e}", file=sys.stderr)
        return 2
    httpd = FixtureServer((host, port), state, verbose)
    actual_port = httpd.server_address[1]
    if port_file:
        _write_port_file(port_file, actual_port)
    print(f"listening on http://{host}:{actual_port}", flush=True)

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0
