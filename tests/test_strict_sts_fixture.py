"""Self-tests of the strict STS fixture (tests/strict_sts).

A real `python -m strict_sts serve` subprocess on a free loopback port is driven with
botocore (the AWS SDK for Python: unsigned AssumeRoleWithWebIdentity, SigV4-signed
AssumeRole / GetCallerIdentity) and with raw HTTP, so both the wire shapes and the
checks are exercised.  The trust-policy evaluator is tested as a pure function on a
table of cases.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from strict_sts import PolicyError, evaluate, explain, generate_key, mint  # noqa: E402
from strict_sts import sigv4  # noqa: E402

ORG = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER_ORG = "0badc0de-0000-4000-8000-000000000000"
PROJECT = "0a1b2c3d-1111-4222-8333-444455556666"
OTHER_PROJECT = "0a1b2c3d-9999-4222-8333-444455556666"
ACCOUNT = "123456789012"
PURL = f"oidc.circleci.com/org/{ORG}"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{PURL}"
DEPLOY = f"arn:aws:iam::{ACCOUNT}:role/deploy"
LONG = f"arn:aws:iam::{ACCOUNT}:role/long"
CHAINED = f"arn:aws:iam::{ACCOUNT}:role/chained"
DENIED = f"arn:aws:iam::{ACCOUNT}:role/denied"
BYCONTEXT = f"arn:aws:iam::{ACCOUNT}:role/by-context"
BYPROJECT = f"arn:aws:iam::{ACCOUNT}:role/by-project"
NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
ENV = dict(os.environ, PYTHONPATH=str(TESTS_DIR))


def web_identity_trust(condition: dict | None = None, effect: str = "Allow") -> dict:
    st = {
        "Effect": effect,
        "Principal": {"Federated": PROVIDER_ARN},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def base_config() -> dict:
    project_only = {
        "StringEquals": {f"{PURL}:aud": ORG},
        "StringLike": {f"{PURL}:sub": f"org/{ORG}/project/{PROJECT}/user/*"},
    }
    return {
        "account_id": ACCOUNT,
        "signing_keys": {"strict-sts": "key.pem"},
        "providers": [{"url": PURL, "client_ids": [ORG]}],
        "roles": {
            DEPLOY: {"trust_policy": web_identity_trust(project_only), "max_session_duration": 3600},
            LONG: {"trust_policy": web_identity_trust(project_only), "max_session_duration": 43200},
            CHAINED: {
                "trust_policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": DEPLOY},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}},
                        }
                    ],
                },
                "max_session_duration": 7200,
            },
            DENIED: {
                "trust_policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        web_identity_trust()["Statement"][0],
                        {
                            "Effect": "Deny",
                            "Principal": {"Federated": PROVIDER_ARN},
                            "Action": "sts:*",
                            "Condition": {"StringLike": {f"{PURL}:sub": "*/vcs-ref/refs/heads/main"}},
                        },
                    ],
                }
            },
            BYCONTEXT: {
                "trust_policy": web_identity_trust(
                    {"ForAnyValue:StringEquals": {f"{PURL}:oidc.circleci.com/context-ids": ["ctx-prod"]}}
                )
            },
            BYPROJECT: {
                "trust_policy": web_identity_trust({"StringEquals": {f"{PURL}:oidc.circleci.com/project-id": PROJECT}})
            },
        },
    }


# ---------------------------------------------------------------------------
# the server and its helpers


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def error(self) -> dict:
        root = ET.fromstring(self.body)
        assert root.tag == f"{NS}ErrorResponse", self.body
        err = root.find(f"{NS}Error")
        return {
            "type": err.findtext(f"{NS}Type"),
            "code": err.findtext(f"{NS}Code"),
            "message": err.findtext(f"{NS}Message"),
            "request_id": root.findtext(f"{NS}RequestId"),
        }

    def result(self, action: str) -> ET.Element:
        root = ET.fromstring(self.body)
        assert root.tag == f"{NS}{action}Response", self.body
        return root.find(f"{NS}{action}Result")


class Sts:
    def __init__(self, port: int, directory: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.dir = directory
        self.key = directory / "key.pem"
        self.other_key = directory / "other.pem"

    def token(self, **kw) -> str:
        kw.setdefault("project_id", PROJECT)
        kw.setdefault("vcs_origin", "github.com/acme/app")
        kw.setdefault("vcs_ref", "refs/heads/feature")
        key = kw.pop("key", self.key)
        org = kw.pop("org_id", ORG)
        return mint(key, org, **kw)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def control(self, method: str, path: str, payload=None):
        body = json.dumps(payload).encode() if payload is not None else b""
        r = self.request(method, "/_fixture/" + path, body, {"Content-Type": "application/json"})
        return r.status, json.loads(r.body)

    def call(self, params: dict, headers: dict | None = None) -> Response:
        h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        h.update(headers or {})
        return self.request("POST", "/", urlencode({"Version": "2011-06-15", **params}).encode(), h)

    def awrwi(self, token: str | None = None, headers: dict | None = None, **params) -> Response:
        p = {
            "Action": "AssumeRoleWithWebIdentity",
            "RoleArn": DEPLOY,
            "RoleSessionName": "ci-session",
            "WebIdentityToken": self.token() if token is None else token,
        }
        p.update(params)
        return self.call({k: v for k, v in p.items() if v is not None}, headers)

    def config(self, **changes) -> None:
        cfg = base_config()
        cfg.update(changes)
        status, body = self.control("PUT", "config", cfg)
        assert status == 200, body

    def client(self, creds: dict | None = None, attempts: int = 1):
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config

        options = {"retries": {"mode": "standard", "total_max_attempts": attempts}}
        kwargs = {}
        if creds is None:
            options["signature_version"] = UNSIGNED
        else:
            kwargs = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        session = botocore.session.Session()
        return session.create_client(
            "sts", region_name="us-east-1", endpoint_url=self.url, config=Config(**options), **kwargs
        )

    def credentials(self, role: str = DEPLOY, **kw) -> dict:
        out = self.client().assume_role_with_web_identity(
            RoleArn=role, RoleSessionName=kw.pop("session", "ci-session"), WebIdentityToken=self.token(**kw)
        )
        return out["Credentials"]


def _start(args: list[str], directory: Path) -> tuple[subprocess.Popen, int, str]:
    port_file = directory / "port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "strict_sts", "serve", *args, "--port", "0", "--port-file", str(port_file)],
        cwd=str(directory),
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"strict_sts exited early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("strict_sts wrote no port file in 20 s")
        time.sleep(0.05)
    port = int(port_file.read_text())
    line = proc.stdout.readline().strip()
    return proc, port, line


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("strict_sts")
    subprocess.run(
        [sys.executable, "-m", "strict_sts", "keygen", "--out", str(d / "key.pem")], env=ENV, cwd=d, check=True
    )
    generate_key(d / "other.pem")
    (d / "config.json").write_text(json.dumps(base_config()))
    proc, port, _ = _start(["--config", str(d / "config.json")], d)
    yield Sts(port, d)
    _stop(proc)


@pytest.fixture
def sts(server, monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    server.config()
    assert server.control("DELETE", "faults")[0] == 200
    assert server.control("DELETE", "calls")[0] == 200
    return server


# ---------------------------------------------------------------------------
# CLI and process behaviour


def test_keygen_and_mint_cli(tmp_path):
    key = tmp_path / "k.pem"
    subprocess.run([sys.executable, "-m", "strict_sts", "keygen", "--out", str(key)], env=ENV, check=True)
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    out = subprocess.run(
        [
            sys.executable, "-m", "strict_sts", "mint", "--key", str(key), "--org-id", ORG,
            "--project-id", PROJECT, "--user-id", "u-1", "--vcs-origin", "github.com/acme/app",
            "--vcs-ref", "refs/heads/main", "--context-id", "c1", "--context-id", "c2", "--ssh-rerun",
            "--kid", "k1", "--exp-in", "-10", "--claim", "extra=42", "--drop-claim", "jti",
        ],
        env=ENV, check=True, capture_output=True, text=True,
    ).stdout
    token = out.strip()
    assert out.endswith("\n") and token.count(".") == 2
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_pem_private_key(key.read_bytes(), None).public_key()
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "k1"}
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=ORG, options={"verify_exp": False})
    assert claims["iss"] == f"https://oidc.circleci.com/org/{ORG}"
    assert claims["aud"] == ORG
    assert claims["sub"] == f"org/{ORG}/project/{PROJECT}/user/u-1/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main"
    assert claims["exp"] - claims["iat"] == -10 and claims["nbf"] == claims["iat"]
    assert claims["oidc.circleci.com/project-id"] == PROJECT
    assert claims["oidc.circleci.com/context-ids"] == ["c1", "c2"]
    assert claims["oidc.circleci.com/ssh-rerun"] is True
    assert claims["oidc.circleci.com/vcs-origin"] == "github.com/acme/app"
    assert claims["oidc.circleci.com/vcs-ref"] == "refs/heads/main"
    assert claims["extra"] == 42 and "jti" not in claims


def test_mint_python_defaults(tmp_path):
    key = generate_key()
    token = mint(key, ORG, aud="custom-aud")
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], audience="custom-aud")
    assert claims["sub"].startswith(f"org/{ORG}/project/") and "/vcs-origin/" not in claims["sub"]
    assert claims["oidc.circleci.com/context-ids"] == [] and claims["oidc.circleci.com/ssh-rerun"] is False
    assert "oidc.circleci.com/vcs-ref" not in claims
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(token)["kid"] == "strict-sts"


def test_serve_port_file_listening_line_and_sigterm(tmp_path):
    proc, port, line = _start([], tmp_path)
    try:
        assert line == f"listening on http://127.0.0.1:{port}"
        r = Sts(port, tmp_path).request("GET", "/_fixture/health")
        assert r.status == 200 and json.loads(r.body) == {"ok": True}
    finally:
        assert _stop(proc) == 0


def test_serve_refuses_bad_config(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"roles": {"not-an-arn": {"trust_policy": {}}}}))
    r = subprocess.run(
        [sys.executable, "-m", "strict_sts", "serve", "--config", str(bad), "--port", "0"],
        env=ENV, capture_output=True, text=True, timeout=20,
    )
    assert r.returncode == 2 and "not a role ARN" in r.stderr


# ---------------------------------------------------------------------------
# AssumeRoleWithWebIdentity: success


def test_success_with_botocore(sts):
    token = sts.token()
    before = time.time()
    out = sts.client().assume_role_with_web_identity(
        RoleArn=DEPLOY, RoleSessionName="ci-session", WebIdentityToken=token
    )
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40
    assert len(creds["SessionToken"]) > 300
    assert abs(creds["Expiration"].timestamp() - (before + 3600)) < 5
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci-session"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":ci-session")
    assert out["Provider"] == PROVIDER_ARN
    assert out["Audience"] == ORG
    assert out["SubjectFromWebIdentityToken"].startswith(f"org/{ORG}/project/{PROJECT}/user/")
    assert "SourceIdentity" not in out
    assert out["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
    assert out["ResponseMetadata"]["RequestId"] == out["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]

    calls = sts.control("GET", "calls")[1]
    assert calls["AssumeRoleWithWebIdentity"] == 1 and calls["AssumeRole"] == 0 and calls["GetCallerIdentity"] == 0
    (entry,) = calls["log"]
    assert entry["action"] == "AssumeRoleWithWebIdentity" and entry["status"] == 200 and entry["code"] is None
    assert entry["role_arn"] == DEPLOY and entry["session_name"] == "ci-session" and entry["duration"] == 3600
    dumped = json.dumps(calls)
    for secret in (token, token.split(".")[2], creds["SecretAccessKey"], creds["SessionToken"]):
        assert secret not in dumped
    listed = sts.control("GET", "credentials")[1]["credentials"]
    assert [c["access_key_id"] for c in listed] == [creds["AccessKeyId"]]
    assert creds["SecretAccessKey"] not in json.dumps(listed)


def test_raw_success_xml_shape_and_duration(sts):
    r = sts.awrwi(RoleArn=LONG, DurationSeconds="43200")
    assert r.status == 200 and r.headers["content-type"] == "text/xml"
    result = r.result("AssumeRoleWithWebIdentity")
    expiration = result.findtext(f"{NS}Credentials/{NS}Expiration")
    assert len(expiration) == 20 and expiration.endswith("Z")
    parsed = datetime.strptime(expiration, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    assert abs(parsed - (time.time() + 43200)) < 5
    assert result.findtext(f"{NS}Provider") == PROVIDER_ARN
    root = ET.fromstring(r.body)
    assert root.findtext(f"{NS}ResponseMetadata/{NS}RequestId") == r.headers["x-amzn-requestid"]


def test_credential_lifetime_caps_expiration(sts):
    sts.config(credential_lifetime=900)
    creds = sts.credentials()
    assert abs(creds["Expiration"].timestamp() - (time.time() + 900)) < 5


def test_session_policy_reports_packed_size(sts):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    r = sts.awrwi(Policy=policy)
    assert r.status == 200
    assert int(r.result("AssumeRoleWithWebIdentity").findtext(f"{NS}PackedPolicySize")) > 0


def test_token_within_clock_skew_is_accepted(sts):
    assert sts.awrwi(sts.token(exp_in=-60)).status == 200


# ---------------------------------------------------------------------------
# AssumeRoleWithWebIdentity: every error, from the right input


def _long_policy(n: int) -> str:
    head = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'
    tail = '"}]}'
    return head + "b" * (n - len(head) - len(tail)) + tail


def _arns(n: int) -> dict:
    return {f"PolicyArns.member.{i}.arn": f"arn:aws:iam::{ACCOUNT}:policy/session-policy-{i:02d}" for i in range(1, n + 1)}


ERROR_CASES = {
    # name: (params or callable(sts)->params, status, code, message fragment)
    "session name bad char": ({"RoleSessionName": "bad name!"}, 400, "ValidationError",
                              "Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
    "session name too long": ({"RoleSessionName": "s" * 65}, 400, "ValidationError",
                              "Member must have length less than or equal to 64"),
    "session name too short": ({"RoleSessionName": "s"}, 400, "ValidationError",
                               "Member must have length greater than or equal to 2"),
    "session name missing": ({"RoleSessionName": None}, 400, "ValidationError",
                             "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"),
    "role arn too short": ({"RoleArn": "arn:aws:iam::1:r"}, 400, "ValidationError",
                           "at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"),
    "role arn malformed": ({"RoleArn": "arn:aws:iam::123456789012:user/someone"}, 400, "ValidationError",
                           "Request ARN is invalid"),
    "token too short": (lambda s: {"WebIdentityToken": "abc"}, 400, "ValidationError",
                        "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"),
    "token too long": (lambda s: {"WebIdentityToken": "a" * 20001}, 400, "ValidationError",
                       "Member must have length less than or equal to 20000"),
    "duration too short": ({"DurationSeconds": "899"}, 400, "ValidationError",
                           "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
    "duration too long": ({"DurationSeconds": "43201"}, 400, "ValidationError",
                          "Member must have value less than or equal to 43200"),
    "two validation errors": ({"DurationSeconds": "1", "RoleSessionName": "x"}, 400, "ValidationError",
                              "2 validation errors detected: "),
    "policy too long": ({"Policy": _long_policy(2049)}, 400, "ValidationError",
                        "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048"),
    "policy not json": ({"Policy": "{not json"}, 400, "MalformedPolicyDocument", "Syntax errors in policy."),
    "too many policy arns": (_arns(11), 400, "ValidationError",
                             "at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"),
    "packed policy too large": ({"Policy": _long_policy(2000), **_arns(10)}, 400, "PackedPolicyTooLarge",
                                "Packed policy consumes"),
    "not a jwt": (lambda s: {"WebIdentityToken": "not-a-jwt-at-all"}, 400, "InvalidIdentityToken",
                  "The ID Token provided is not a valid JWT."),
    "bad base64": (lambda s: {"WebIdentityToken": "e30.!!!!.abcd"}, 400, "InvalidIdentityToken", "not a valid JWT"),
    "payload not json": (lambda s: {"WebIdentityToken": "e30.bm90IGpzb24.abcd"}, 400, "InvalidIdentityToken",
                         "not a valid JWT"),
    "unknown issuer": (lambda s: {"WebIdentityToken": s.token(org_id=OTHER_ORG)}, 400, "InvalidIdentityToken",
                       f"No OpenIDConnect provider found in your account for https://oidc.circleci.com/org/{OTHER_ORG}"),
    "wrong signing key": (lambda s: {"WebIdentityToken": s.token(key=s.other_key)}, 400, "InvalidIdentityToken",
                          "Couldn't verify the token signature."),
    "unknown kid": (lambda s: {"WebIdentityToken": s.token(kid="rotated-away")}, 400, "InvalidIdentityToken",
                    "Couldn't verify the token signature."),
    "alg none": (lambda s: {"WebIdentityToken": s.token(alg="none")}, 400, "InvalidIdentityToken",
                 "Couldn't verify the token signature."),
    "tampered payload": (lambda s: {"WebIdentityToken": _tamper(s.token())}, 400, "InvalidIdentityToken",
                         "Couldn't verify the token signature."),
    "wrong audience": (lambda s: {"WebIdentityToken": s.token(aud="sts.amazonaws.com")}, 400, "InvalidIdentityToken",
                       "Incorrect token audience"),
    "no exp": (lambda s: {"WebIdentityToken": s.token(drop_claims=["exp"])}, 400, "InvalidIdentityToken",
               "expiration"),
    "expired": (lambda s: {"WebIdentityToken": s.token(exp_in=-3600)}, 400, "ExpiredTokenException",
                "Token expired: current date/time "),
    "unknown role": ({"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/nope"}, 403, "AccessDenied",
                     "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "trust sub mismatch": (lambda s: {"WebIdentityToken": s.token(project_id=OTHER_PROJECT)}, 403, "AccessDenied",
                           "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "explicit deny": (lambda s: {"RoleArn": DENIED, "WebIdentityToken": s.token(vcs_ref="refs/heads/main")}, 403,
                      "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "over role max duration": ({"DurationSeconds": "7200"}, 400, "ValidationError",
                               "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
}


def _tamper(token: str) -> str:
    import base64

    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = claims["sub"].replace(PROJECT, OTHER_PROJECT)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


@pytest.mark.parametrize("name", list(ERROR_CASES))
def test_assume_role_with_web_identity_errors(sts, name):
    params, status, code, fragment = ERROR_CASES[name]
    params = params(sts) if callable(params) else params
    r = sts.awrwi(**params)
    err = r.error()
    assert (r.status, err["code"]) == (status, code), err
    assert fragment in err["message"]
    assert err["type"] == "Sender"
    assert err["request_id"] == r.headers["x-amzn-requestid"]
    assert r.headers["content-type"] == "text/xml"
    token = params.get("WebIdentityToken")
    if token and len(token) > 8:
        assert token not in err["message"]
    entry = sts.control("GET", "calls")[1]["log"][-1]
    assert (entry["status"], entry["code"]) == (status, code)


def test_expired_message_carries_epoch_times(sts):
    now = int(time.time())
    err = sts.awrwi(sts.token(exp_in=-3600, now=now)).error()
    current, expiry = [int(x) for x in err["message"].split() if x.isdigit()]
    assert expiry == now - 3600 and abs(current - now) < 5


def test_access_denied_reason_is_logged_without_values(sts):
    sts.awrwi(sts.token(project_id=OTHER_PROJECT))
    entry = sts.control("GET", "calls")[1]["log"][-1]
    assert f"{PURL}:sub" in entry["reason"] and OTHER_PROJECT not in entry["reason"]


@pytest.mark.parametrize(
    "params, expected",
    [
        # validation comes before any token check
        (lambda s: {"RoleSessionName": "bad name", "WebIdentityToken": s.token(exp_in=-3600)}, "ValidationError"),
        # issuer before signature
        (lambda s: {"WebIdentityToken": s.token(org_id=OTHER_ORG, key=s.other_key)}, "InvalidIdentityToken:No OpenIDConnect"),
        # signature before audience
        (lambda s: {"WebIdentityToken": s.token(key=s.other_key, aud="x")}, "InvalidIdentityToken:Couldn't verify"),
        # audience before expiry
        (lambda s: {"WebIdentityToken": s.token(aud="x", exp_in=-3600)}, "InvalidIdentityToken:Incorrect token audience"),
        # token before role
        (lambda s: {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/nope", "WebIdentityToken": s.token(exp_in=-3600)}, "ExpiredTokenException"),
        # trust before duration
        (lambda s: {"WebIdentityToken": s.token(project_id=OTHER_PROJECT), "DurationSeconds": "7200"}, "AccessDenied"),
    ],
)
def test_checks_run_in_aws_order(sts, params, expected):
    err = sts.awrwi(**params(sts)).error()
    code, _, fragment = expected.partition(":")
    assert err["code"] == code and fragment in err["message"]


def test_region_disabled_from_config_and_host_header(sts):
    sts.config(disabled_regions=["us-east-1"])
    r = sts.awrwi()
    assert r.status == 403 and r.error()["code"] == "RegionDisabledException"
    assert r.error()["message"] == (
        f"STS is not activated in this region for account:{ACCOUNT}. Your account administrator can activate STS "
        "in this region using the IAM Console."
    )
    # duration is checked before the region
    assert sts.awrwi(DurationSeconds="7200").error()["code"] == "ValidationError"
    sts.config(disabled_regions=["eu-south-2"])
    assert sts.awrwi().status == 200
    r = sts.awrwi(headers={"Host": "sts.eu-south-2.amazonaws.com"})
    assert r.status == 403 and r.error()["code"] == "RegionDisabledException"


def test_project_id_condition_key_is_supported(sts):
    assert sts.awrwi(RoleArn=BYPROJECT).status == 200
    assert sts.awrwi(sts.token(project_id=OTHER_PROJECT), RoleArn=BYPROJECT).error()["code"] == "AccessDenied"


def test_context_ids_condition_key_needs_opt_in(sts):
    token = sts.token(context_ids=["ctx-dev", "ctx-prod"])
    # IAM does not document this key: a positive condition on it sees a missing key
    assert sts.awrwi(token, RoleArn=BYCONTEXT).error()["code"] == "AccessDenied"
    sts.config(claim_condition_keys=["oidc.circleci.com/context-ids"])
    assert sts.awrwi(token, RoleArn=BYCONTEXT).status == 200
    other = sts.token(context_ids=["ctx-dev"])
    assert sts.awrwi(other, RoleArn=BYCONTEXT).error()["code"] == "AccessDenied"


def test_botocore_parses_errors(sts):
    from botocore.exceptions import ClientError

    client = sts.client()
    with pytest.raises(client.exceptions.ExpiredTokenException) as e:
        client.assume_role_with_web_identity(
            RoleArn=DEPLOY, RoleSessionName="ci-session", WebIdentityToken=sts.token(exp_in=-3600)
        )
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        client.assume_role_with_web_identity(RoleArn=DENIED, RoleSessionName="ci-session",
                                             WebIdentityToken=sts.token(vcs_ref="refs/heads/main"))
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(client.exceptions.InvalidIdentityTokenException):
        client.assume_role_with_web_identity(RoleArn=DEPLOY, RoleSessionName="ci-session",
                                             WebIdentityToken=sts.token(aud="nope"))


def test_missing_and_unknown_action(sts):
    r = sts.call({"RoleArn": DEPLOY})
    assert (r.status, r.error()["code"]) == (400, "MissingAction")
    r = sts.call({"Action": "GetSessionToken"})
    assert (r.status, r.error()["code"]) == (400, "InvalidAction")


# ---------------------------------------------------------------------------
# signed calls: GetCallerIdentity, AssumeRole (role chaining)


def test_get_caller_identity_and_role_chaining_with_botocore(sts):
    creds = sts.credentials(session="first")
    me = sts.client(creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/first"
    assert me["Account"] == ACCOUNT and me["UserId"].startswith("AROA") and me["UserId"].endswith(":first")

    chained = sts.client(creds).assume_role(RoleArn=CHAINED, RoleSessionName="second", ExternalId="ext-123")
    assert chained["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/chained/second"
    assert chained["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert abs(chained["Credentials"]["Expiration"].timestamp() - (time.time() + 3600)) < 5
    again = sts.client(chained["Credentials"]).get_caller_identity()
    assert again["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/chained/second"

    calls = sts.control("GET", "calls")[1]
    assert (calls["AssumeRoleWithWebIdentity"], calls["AssumeRole"], calls["GetCallerIdentity"]) == (1, 1, 2)
    assert calls["log"][1]["caller"] == me["Arn"]


def test_assume_role_refusals(sts):
    from botocore.exceptions import ClientError

    creds = sts.credentials(session="first")
    client = sts.client(creds)
    with pytest.raises(ClientError) as e:
        client.assume_role(RoleArn=CHAINED, RoleSessionName="second")
    err = e.value.response
    assert err["Error"]["Code"] == "AccessDenied" and err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/deploy/first is not authorized to perform: "
        f"sts:AssumeRole on resource: {CHAINED}"
    )
    with pytest.raises(ClientError) as e:
        client.assume_role(RoleArn=CHAINED, RoleSessionName="second", ExternalId="wrong-id")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        client.assume_role(RoleArn=CHAINED, RoleSessionName="second", ExternalId="ext-123", DurationSeconds=7200)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    with pytest.raises(ClientError) as e:
        client.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/nope", RoleSessionName="second")
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_signed_call_failures(sts):
    from botocore.exceptions import ClientError

    creds = sts.credentials()

    def code_of(c: dict) -> tuple[str, int]:
        with pytest.raises(ClientError) as e:
            sts.client(c).get_caller_identity()
        return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]

    wrong_secret = dict(creds, SecretAccessKey=creds["SecretAccessKey"][::-1])
    assert code_of(wrong_secret) == ("SignatureDoesNotMatch", 403)
    unknown_key = dict(creds, AccessKeyId="ASIAAAAAAAAAAAAAAAAA")
    assert code_of(unknown_key) == ("InvalidClientTokenId", 403)
    wrong_token = dict(creds, SessionToken=creds["SessionToken"][:-8] + "AAAAAAA=")
    assert code_of(wrong_token) == ("InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as e:
        sts.client(wrong_secret).assume_role(RoleArn=CHAINED, RoleSessionName="x2", ExternalId="ext-123")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    assert sts.control("DELETE", "credentials")[0] == 200
    assert code_of(creds) == ("InvalidClientTokenId", 403)


def test_expired_credentials(sts):
    from botocore.exceptions import ClientError

    sts.config(credential_lifetime=-10)
    creds = sts.credentials()
    assert creds["Expiration"].timestamp() < time.time()
    with pytest.raises(ClientError) as e:
        sts.client(creds).get_caller_identity()
    assert e.value.response["Error"]["Code"] == "ExpiredToken"
    assert e.value.response["Error"]["Message"] == "The security token included in the request is expired"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unsigned_signed_action_is_refused(sts):
    r = sts.call({"Action": "GetCallerIdentity"})
    assert (r.status, r.error()["code"]) == (403, "MissingAuthenticationToken")


def test_raw_sigv4_and_tampered_body(sts):
    creds = sts.credentials()
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    amz_date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = sigv4.sign_headers(
        access_key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"], session_token=creds["SessionToken"],
        method="POST", host=f"127.0.0.1:{sts.port}", path="/", query="", body=body, region="eu-west-3",
        amz_date=amz_date, extra_headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    ok = sts.request("POST", "/", body, headers)
    assert ok.status == 200, ok.body
    assert ok.result("GetCallerIdentity").findtext(f"{NS}Account") == ACCOUNT
    tampered = sts.request("POST", "/", body.replace(b"2011", b"2012"), headers)
    assert (tampered.status, tampered.error()["code"]) == (403, "SignatureDoesNotMatch")
    stale_date = "20200101T000000Z"
    stale = sigv4.sign_headers(
        access_key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"], session_token=creds["SessionToken"],
        method="POST", host=f"127.0.0.1:{sts.port}", path="/", query="", body=body, region="us-east-1",
        amz_date=stale_date,
    )
    r = sts.request("POST", "/", body, stale)
    assert r.status == 403 and "Signature expired" in r.error()["message"]


def test_sigv4_matches_botocore_signer():
    """Our canonical request / signature equals botocore's for the same request."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=a%20b&Version=2011-06-15"
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:8080/?b=2&a=1%2F",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "X-Extra": "  two   spaces "},
    )
    SigV4Auth(Credentials("ASIAEXAMPLEEXAMPLE00", "secret/with+chars", "tok=en"), "sts", "ap-south-1").add_auth(request)
    auth = sigv4.parse_authorization(request.headers["Authorization"])
    assert auth["service"] == "sts" and auth["region"] == "ap-south-1"
    expected = sigv4.expected_signature(
        secret="secret/with+chars", method="POST", raw_path="/", raw_query="b=2&a=1%2F",
        get_header=lambda n: [v for k, v in request.headers.items() if k.lower() == n] or (["127.0.0.1:8080"] if n == "host" else []),
        body=body.encode(), auth=auth, amz_date=request.headers["X-Amz-Date"],
    )
    assert expected == auth["signature"]
    wrong = sigv4.expected_signature(
        secret="secret/with+chars!", method="POST", raw_path="/", raw_query="b=2&a=1%2F",
        get_header=lambda n: [v for k, v in request.headers.items() if k.lower() == n] or (["127.0.0.1:8080"] if n == "host" else []),
        body=body.encode(), auth=auth, amz_date=request.headers["X-Amz-Date"],
    )
    assert wrong != auth["signature"]


# ---------------------------------------------------------------------------
# faults


FAULT_ERRORS = {
    "throttle": (400, "Throttling", "Sender", "Rate exceeded"),
    "500": (500, "InternalFailure", "Receiver", ""),
    "503": (503, "ServiceUnavailable", "Receiver", ""),
    "idp_communication": (400, "IDPCommunicationError", "Sender", "Couldn't reach the identity provider"),
    "jwks": (400, "InvalidIdentityToken", "Sender",
             "Couldn't retrieve verification key from your identity provider,  please reference "
             "AssumeRoleWithWebIdentity documentation for requirements"),
    "idp_rejected_claim": (403, "IDPRejectedClaim", "Sender", ""),
}


@pytest.mark.parametrize("kind", list(FAULT_ERRORS))
def test_error_faults_are_consumed_after_count(sts, kind):
    status, code, kind_type, fragment = FAULT_ERRORS[kind]
    assert sts.control("POST", "faults", {"action": "AssumeRoleWithWebIdentity", "kind": kind, "count": 2})[0] == 200
    for _ in range(2):
        r = sts.awrwi()
        err = r.error()
        assert (r.status, err["code"], err["type"]) == (status, code, kind_type)
        assert fragment in err["message"]
    assert sts.awrwi().status == 200
    assert sts.control("GET", "faults")[1] == {"faults": []}
    log = sts.control("GET", "calls")[1]["log"]
    assert [e.get("fault") for e in log] == [kind, kind, None]


def test_custom_error_fault(sts):
    sts.control("POST", "faults", {"kind": "error", "status": 502, "code": "BadGateway", "message": "nope"})
    r = sts.awrwi()
    assert (r.status, r.error()["code"], r.error()["type"], r.error()["message"]) == (502, "BadGateway", "Receiver", "nope")
    assert sts.awrwi().status == 200


def test_slow_fault(sts):
    sts.control("POST", "faults", {"action": "AssumeRoleWithWebIdentity", "kind": "slow", "delay": 0.6})
    start = time.monotonic()
    assert sts.awrwi().status == 200
    assert time.monotonic() - start >= 0.6
    start = time.monotonic()
    assert sts.awrwi().status == 200
    assert time.monotonic() - start < 0.5


def test_reset_fault(sts):
    sts.control("POST", "faults", {"action": "AssumeRoleWithWebIdentity", "kind": "reset"})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        sts.awrwi()
    assert sts.awrwi().status == 200
    assert sts.control("GET", "calls")[1]["log"][0]["code"] == "connection-reset"


def test_malformed_fault(sts):
    sts.control("POST", "faults", {"action": "AssumeRoleWithWebIdentity", "kind": "malformed", "count": 1})
    r = sts.awrwi()
    assert r.status == 200 and r.headers["content-type"] == "text/xml"
    with pytest.raises(ET.ParseError):
        ET.fromstring(r.body)
    assert sts.awrwi().status == 200


@pytest.mark.parametrize("kind, status, check", [
    ("huge", 200, lambda body: len(body) == 100_000 and not body.strip()),
    ("huge_error", 403, lambda body: len(body) > 100_000 and b"<Code>AccessDenied</Code>" in body),
    ("echo_token", 400, lambda body: b"Invalid token: eyJ" in body),
    ("garbage", 200, lambda body: b"\x1b" in body),
    ("bad_expiration", 200, lambda body: b"<Expiration>not-a-date</Expiration>" in body),
    ("redirect", 307, lambda body: body == b""),
    ("newline_credentials", 200, lambda body: b"&#10;[evil]&#10;" in body),
    ("expired_credentials", 200, lambda body: b"<Expiration>" in body),
])
def test_hostile_faults_answer_as_documented(sts, kind, status, check):
    sts.control("POST", "faults", {"kind": kind, "size": 100_000} if kind.startswith("huge") else {"kind": kind})
    r = sts.awrwi()
    assert r.status == status and check(r.body), r.body[:200]
    if kind == "redirect":
        assert r.headers["location"] == "https://sts.example.invalid/"
    assert sts.awrwi().status == 200


def test_fault_matches_only_its_action_and_can_be_cleared(sts):
    sts.control("POST", "faults", {"action": "AssumeRole", "kind": "throttle", "count": 5})
    assert sts.awrwi().status == 200
    assert sts.control("GET", "faults")[1]["faults"][0]["remaining"] == 5
    assert sts.control("DELETE", "faults")[0] == 200
    assert sts.control("GET", "faults")[1] == {"faults": []}
    sts.control("POST", "faults", [{"kind": "503"}, {"kind": "throttle"}])  # "*" matches any action, FIFO
    assert sts.awrwi().status == 503
    assert sts.awrwi().status == 400
    assert sts.awrwi().status == 200


def test_fault_spec_is_validated(sts):
    assert sts.control("POST", "faults", {"kind": "meteor"})[0] == 400
    assert sts.control("POST", "faults", {"kind": "throttle", "count": 0})[0] == 400
    assert sts.control("POST", "faults", {"kind": "error", "code": "X"})[0] == 400


def test_botocore_retries_through_throttling(sts):
    sts.control("POST", "faults", {"action": "AssumeRoleWithWebIdentity", "kind": "throttle", "count": 2})
    out = sts.client(attempts=3).assume_role_with_web_identity(
        RoleArn=DEPLOY, RoleSessionName="ci-session", WebIdentityToken=sts.token()
    )
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    calls = sts.control("GET", "calls")[1]
    assert calls["AssumeRoleWithWebIdentity"] == 3
    assert [e["code"] for e in calls["log"]] == ["Throttling", "Throttling", None]


# ---------------------------------------------------------------------------
# control API, issuer side


def test_calls_reset(sts):
    sts.awrwi()
    sts.call({"Action": "GetCallerIdentity"})
    calls = sts.control("GET", "calls")[1]
    assert calls["AssumeRoleWithWebIdentity"] == 1 and calls["GetCallerIdentity"] == 1 and len(calls["log"]) == 2
    assert sts.control("DELETE", "calls")[0] == 200
    calls = sts.control("GET", "calls")[1]
    assert calls == {"AssumeRoleWithWebIdentity": 0, "AssumeRole": 0, "GetCallerIdentity": 0, "log": []}


def test_config_get_put(sts):
    status, cfg = sts.control("GET", "config")
    assert status == 200 and cfg == base_config()
    status, body = sts.control("PUT", "config", {"roles": {"arn:aws:iam::1:role/x": {}}})
    assert status == 400 and "role" in body["error"]
    assert sts.control("PUT", "config", {"nonsense": 1})[0] == 400
    assert sts.control("PUT", "config", dict(base_config(), roles={}))[0] == 200
    assert sts.awrwi().error()["code"] == "AccessDenied"
    assert sts.control("PUT", "config", dict(base_config(), providers=[]))[0] == 200
    assert "No OpenIDConnect provider" in sts.awrwi().error()["message"]
    assert sts.control("GET", "nope")[0] == 404


def test_issuer_discovery_and_jwks(sts):
    r = sts.request("GET", f"/org/{ORG}/.well-known/openid-configuration")
    doc = json.loads(r.body)
    assert doc["issuer"] == f"https://oidc.circleci.com/org/{ORG}"
    assert doc["jwks_uri"] == f"{sts.url}/org/{ORG}/.well-known/jwks-pub.json"
    jwks = json.loads(sts.request("GET", f"/org/{ORG}/.well-known/jwks-pub.json").body)
    (key,) = jwks["keys"]
    assert key["kid"] == "strict-sts" and key["kty"] == "RSA"
    token = sts.token()
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=ORG)
    assert claims["iss"] == doc["issuer"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(sts.token(key=sts.other_key), jwt.PyJWK(key).key, algorithms=["RS256"], audience=ORG)


# ---------------------------------------------------------------------------
# the trust-policy evaluator, as a pure function

SUB = f"org/{ORG}/project/{PROJECT}/user/u1/vcs-origin/github.com/acme/app/vcs-ref/refs/heads/main"
CTX = {
    f"{PURL}:aud": ORG,
    f"{PURL}:sub": SUB,
    f"{PURL}:oidc.circleci.com/project-id": PROJECT,
    f"{PURL}:oidc.circleci.com/context-ids": ["ctx-a", "ctx-b"],
    f"{PURL}:oidc.circleci.com/ssh-rerun": False,
    f"{PURL}:oidc.circleci.com/vcs-ref": "refs/heads/main",
    "sts:RoleSessionName": "ci-session",
}
WI = "sts:AssumeRoleWithWebIdentity"


def stmt(condition=None, effect="Allow", principal=None, action=WI, **extra):
    st = {"Effect": effect, "Principal": principal or {"Federated": PROVIDER_ARN}, **extra}
    if action is not None:
        st["Action"] = action
    if condition is not None:
        st["Condition"] = condition
    return st


def pol(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


POLICY_CASES = [
    ("plain allow", pol(stmt()), CTX, True),
    ("no statement allows", pol(stmt(action="sts:AssumeRole")), CTX, False),
    ("other provider", pol(stmt(principal={"Federated": PROVIDER_ARN.replace(ORG, OTHER_ORG)})), CTX, False),
    ("principal list", pol(stmt(principal={"Federated": ["arn:aws:iam::1:oidc-provider/x", PROVIDER_ARN]})), CTX, True),
    ("principal star", pol(stmt(principal="*")), CTX, True),
    ("AWS principal is not Federated", pol(stmt(principal={"AWS": PROVIDER_ARN})), CTX, False),
    ("NotPrincipal excludes", pol({"Effect": "Allow", "NotPrincipal": {"Federated": PROVIDER_ARN}, "Action": WI}), CTX, False),
    ("action wildcard", pol(stmt(action="sts:*")), CTX, True),
    ("action ? wildcard", pol(stmt(action="sts:AssumeRoleWith?ebIdentity")), CTX, True),
    ("action case-insensitive", pol(stmt(action="STS:assumerolewithwebidentity")), CTX, True),
    ("action list", pol(stmt(action=["sts:TagSession", WI])), CTX, True),
    ("NotAction other", pol(stmt(action=None, NotAction="sts:AssumeRole")), CTX, True),
    ("NotAction all", pol(stmt(action=None, NotAction="sts:*")), CTX, False),
    ("single statement object", {"Version": "2012-10-17", "Statement": stmt()}, CTX, True),
    ("StringEquals aud", pol(stmt({"StringEquals": {f"{PURL}:aud": ORG}})), CTX, True),
    ("StringEquals aud mismatch", pol(stmt({"StringEquals": {f"{PURL}:aud": "sts.amazonaws.com"}})), CTX, False),
    ("StringEquals star is literal", pol(stmt({"StringEquals": {f"{PURL}:sub": f"org/{ORG}/project/*"}})), CTX, False),
    ("StringEquals star literal matches star", pol(stmt({"StringEquals": {"k": "*"}})), {"k": "*"}, True),
    ("StringEquals values are ORed", pol(stmt({"StringEquals": {f"{PURL}:aud": ["other", ORG]}})), CTX, True),
    ("keys are ANDed", pol(stmt({"StringEquals": {f"{PURL}:aud": ORG, f"{PURL}:sub": "nope"}})), CTX, False),
    ("operators are ANDed", pol(stmt({"StringEquals": {f"{PURL}:aud": ORG},
                                      "StringLike": {f"{PURL}:sub": "nope*"}})), CTX, False),
    ("key names case-insensitive", pol(stmt({"StringEquals": {f"{PURL.upper()}:AUD": ORG}})), CTX, True),
    ("StringLike project wildcard", pol(stmt({"StringLike": {f"{PURL}:sub": f"org/{ORG}/project/{PROJECT}/user/*"}})), CTX, True),
    ("StringLike other project", pol(stmt({"StringLike": {f"{PURL}:sub": f"org/{ORG}/project/{OTHER_PROJECT}/user/*"}})), CTX, False),
    ("StringLike star spans slashes", pol(stmt({"StringLike": {f"{PURL}:sub": "org/*/vcs-ref/refs/heads/main"}})), CTX, True),
    ("StringLike ? one char", pol(stmt({"StringLike": {f"{PURL}:oidc.circleci.com/vcs-ref": "refs/heads/ma?n"}})), CTX, True),
    ("StringLike ? not two chars", pol(stmt({"StringLike": {f"{PURL}:oidc.circleci.com/vcs-ref": "refs/heads/m?n"}})), CTX, False),
    ("StringLike is case-sensitive", pol(stmt({"StringLike": {f"{PURL}:sub": f"ORG/{ORG}/*"}})), CTX, False),
    ("StringLike ${*} is a literal star", pol(stmt({"StringLike": {"k": "a${*}b"}})), {"k": "a*b"}, True),
    ("StringLike ${*} not a wildcard", pol(stmt({"StringLike": {"k": "a${*}b"}})), {"k": "axb"}, False),
    ("StringEqualsIgnoreCase", pol(stmt({"StringEqualsIgnoreCase": {f"{PURL}:oidc.circleci.com/vcs-ref": "REFS/HEADS/MAIN"}})), CTX, True),
    ("StringNotEqualsIgnoreCase", pol(stmt({"StringNotEqualsIgnoreCase": {f"{PURL}:oidc.circleci.com/vcs-ref": "REFS/HEADS/MAIN"}})), CTX, False),
    ("StringNotEquals other", pol(stmt({"StringNotEquals": {f"{PURL}:oidc.circleci.com/vcs-ref": "refs/heads/dev"}})), CTX, True),
    ("StringNotEquals same", pol(stmt({"StringNotEquals": {f"{PURL}:oidc.circleci.com/vcs-ref": "refs/heads/main"}})), CTX, False),
    ("StringNotEquals values ANDed", pol(stmt({"StringNotEquals": {f"{PURL}:oidc.circleci.com/vcs-ref": ["refs/heads/dev", "refs/heads/main"]}})), CTX, False),
    ("StringNotLike", pol(stmt({"StringNotLike": {f"{PURL}:sub": "*/vcs-ref/refs/pull/*"}})), CTX, True),
    ("missing key: positive fails", pol(stmt({"StringEquals": {f"{PURL}:nope": "x"}})), CTX, False),
    ("missing key: negated holds", pol(stmt({"StringNotEquals": {f"{PURL}:nope": "x"}})), CTX, True),
    ("IfExists on missing key", pol(stmt({"StringEqualsIfExists": {f"{PURL}:nope": "x"}})), CTX, True),
    ("IfExists on present key", pol(stmt({"StringEqualsIfExists": {f"{PURL}:aud": "x"}})), CTX, False),
    ("StringLikeIfExists present match", pol(stmt({"StringLikeIfExists": {f"{PURL}:sub": "org/*"}})), CTX, True),
    ("Null true on missing", pol(stmt({"Null": {f"{PURL}:nope": "true"}})), CTX, True),
    ("Null true on present", pol(stmt({"Null": {f"{PURL}:aud": "true"}})), CTX, False),
    ("Null false on present", pol(stmt({"Null": {f"{PURL}:aud": "false"}})), CTX, True),
    ("Null empty list is missing", pol(stmt({"Null": {"k": True}})), {"k": []}, True),
    ("Bool false matches", pol(stmt({"Bool": {f"{PURL}:oidc.circleci.com/ssh-rerun": "false"}})), CTX, True),
    ("Bool true mismatch", pol(stmt({"Bool": {f"{PURL}:oidc.circleci.com/ssh-rerun": True}})), CTX, False),
    ("BoolIfExists missing", pol(stmt({"BoolIfExists": {f"{PURL}:nope": "true"}})), CTX, True),
    ("ForAnyValue hit", pol(stmt({"ForAnyValue:StringEquals": {f"{PURL}:oidc.circleci.com/context-ids": "ctx-b"}})), CTX, True),
    ("ForAnyValue miss", pol(stmt({"ForAnyValue:StringEquals": {f"{PURL}:oidc.circleci.com/context-ids": "ctx-z"}})), CTX, False),
    ("ForAnyValue StringLike", pol(stmt({"ForAnyValue:StringLike": {f"{PURL}:oidc.circleci.com/context-ids": "ctx-?"}})), CTX, True),
    ("ForAnyValue empty list", pol(stmt({"ForAnyValue:StringEquals": {"k": "a"}})), {"k": []}, False),
    ("ForAnyValue missing", pol(stmt({"ForAnyValue:StringEquals": {"k": "a"}})), {}, False),
    ("ForAllValues subset", pol(stmt({"ForAllValues:StringEquals": {f"{PURL}:oidc.circleci.com/context-ids": ["ctx-a", "ctx-b", "ctx-c"]}})), CTX, True),
    ("ForAllValues not subset", pol(stmt({"ForAllValues:StringEquals": {f"{PURL}:oidc.circleci.com/context-ids": ["ctx-a"]}})), CTX, False),
    ("ForAllValues missing key", pol(stmt({"ForAllValues:StringEquals": {"k": "a"}})), {}, True),
    ("ForAnyValue StringNotEquals", pol(stmt({"ForAnyValue:StringNotEquals": {"k": "a"}})), {"k": ["a", "b"]}, True),
    ("ForAllValues StringNotEquals", pol(stmt({"ForAllValues:StringNotEquals": {"k": "a"}})), {"k": ["a", "b"]}, False),
    ("unqualified list acts as any", pol(stmt({"StringEquals": {"k": "b"}})), {"k": ["a", "b"]}, True),
    ("unqualified negated list: none", pol(stmt({"StringNotEquals": {"k": "b"}})), {"k": ["a", "b"]}, False),
    ("Deny wins", pol(stmt(), stmt({"StringLike": {f"{PURL}:sub": "*/refs/heads/main"}}, effect="Deny")), CTX, False),
    ("Deny wins whatever the order", pol(stmt(effect="Deny", action="sts:*"), stmt()), CTX, False),
    ("Deny not applying", pol(stmt(), stmt({"StringLike": {f"{PURL}:sub": "*/refs/pull/*"}}, effect="Deny")), CTX, True),
    ("Deny alone", pol(stmt(effect="Deny")), CTX, False),
    ("Numeric", pol(stmt({"NumericLessThan": {"n": "10"}})), {"n": 3}, True),
    ("Numeric false", pol(stmt({"NumericGreaterThan": {"n": "10"}})), {"n": 3}, False),
    ("Date", pol(stmt({"DateLessThan": {"t": "2030-01-01T00:00:00Z"}})), {"t": "2026-01-01T00:00:00Z"}, True),
    ("ArnLike", pol(stmt({"ArnLike": {"a": "arn:aws:iam::*:role/deploy-*"}})), {"a": "arn:aws:iam::123456789012:role/deploy-x"}, True),
]


@pytest.mark.parametrize("name, policy, context, expected", POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_policy_evaluator(name, policy, context, expected):
    assert evaluate(policy, context, PROVIDER_ARN, WI) is expected


@pytest.mark.parametrize(
    "principal, ids, expected",
    [
        ({"AWS": DEPLOY}, [DEPLOY], True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, [DEPLOY], True),
        ({"AWS": ACCOUNT}, [DEPLOY], True),
        ({"AWS": "arn:aws:iam::999999999999:root"}, [DEPLOY], False),
        ({"AWS": [LONG, "arn:aws:sts::123456789012:assumed-role/deploy/s"]}, [DEPLOY, "arn:aws:sts::123456789012:assumed-role/deploy/s"], True),
        ({"AWS": LONG}, [DEPLOY], False),
        ({"Federated": PROVIDER_ARN}, [DEPLOY], False),
    ],
)
def test_policy_evaluator_aws_principals(principal, ids, expected):
    policy = pol({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    assert evaluate(policy, {}, ids, "sts:AssumeRole", principal_type="AWS") is expected


def test_policy_explain_and_errors():
    allowed, reason = explain(pol(stmt(), stmt(effect="Deny", Sid="NoMain")), CTX, PROVIDER_ARN, WI)
    assert not allowed and "explicit deny" in reason and "NoMain" in reason
    allowed, reason = explain(pol(stmt({"StringEquals": {f"{PURL}:aud": "x"}})), CTX, PROVIDER_ARN, WI)
    assert not allowed and f"{PURL}:aud" in reason
    with pytest.raises(PolicyError):
        evaluate(pol(stmt({"StringEqualz": {"k": "v"}})), CTX, PROVIDER_ARN, WI)
    with pytest.raises(PolicyError):
        evaluate(pol({"Principal": "*", "Action": WI}), CTX, PROVIDER_ARN, WI)
    with pytest.raises(PolicyError):
        evaluate({"Version": "2012-10-17"}, CTX, PROVIDER_ARN, WI)
    assert evaluate(json.dumps(pol(stmt())), CTX, PROVIDER_ARN, WI) is True
