"""An ECR Public look-alike on loopback: GetAuthorizationToken, SigV4-verified.

moto has no ECR Public, so this answers the one call aws-oidc makes
(`SpencerFrontendService.GetAuthorizationToken`, JSON 1.1) the way the
service does, after checking its SigV4 signature with the strict STS
fixture's verifier (`strict_sts/sigv4.py`): the scope must name service
`ecr-public` in us-east-1, the key must be one the test gave it (with the
same session token), and the signature must match the request as received.
Keys listed in `denied` get the AccessDeniedException a role without
`ecr-public:GetAuthorizationToken` gets.  Calls are counted; nothing secret
is logged.
"""

from __future__ import annotations

import base64
import hmac
import http.server
import json
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from support.loopback import LoopbackServer
from strict_sts import sigv4

TARGET = "SpencerFrontendService.GetAuthorizationToken"


class EcrPublic(LoopbackServer):
    """`keys`: access key id -> (secret, session token or None)."""

    def __init__(self, keys: dict[str, tuple[str, str | None]], password: str, lifetime: int = 12 * 3600) -> None:
        self.keys = keys
        self.password = password
        self.lifetime = lifetime
        self.denied: set[str] = set()
        self.calls = 0
        self.refused: list[str] = []
        fixture = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fixture.answer(self, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    def error(self, code: str, message: str, status: int = 400) -> tuple[int, dict]:
        self.refused.append(code)
        return status, {"__type": code, "message": message}

    def answer(self, handler, body: bytes) -> tuple[int, dict]:
        if handler.headers.get("X-Amz-Target") != TARGET:
            return self.error("UnknownOperationException", "only GetAuthorizationToken is here")
        try:
            auth = sigv4.parse_authorization(handler.headers.get("Authorization", ""))
        except sigv4.SigV4FormatError as e:
            return self.error("IncompleteSignatureException", str(e))
        if (auth["service"], auth["region"]) != ("ecr-public", "us-east-1"):
            return self.error("InvalidSignatureException", f"scope {auth['scope']} is not ecr-public in us-east-1", 403)
        known = self.keys.get(auth["access_key_id"])
        token = handler.headers.get("X-Amz-Security-Token")
        if known is None or known[1] != token:
            return self.error("UnrecognizedClientException", "The security token included in the request is invalid.")
        amz_date = handler.headers.get("X-Amz-Date", "")
        try:
            sent = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            return self.error("IncompleteSignatureException", "X-Amz-Date is missing or malformed")
        if abs(sent - time.time()) > 900 or amz_date[:8] != auth["date"]:
            return self.error("InvalidSignatureException", "Signature expired or not for today", 403)
        url = urlsplit(handler.path)
        expected = sigv4.expected_signature(
            secret=known[0],
            method=handler.command,
            raw_path=url.path,
            raw_query=url.query,
            get_header=lambda name: handler.headers.get_all(name) or [],
            body=body,
            auth=auth,
            amz_date=amz_date,
        )
        if not hmac.compare_digest(expected, auth["signature"]):
            return self.error("InvalidSignatureException", "The request signature we calculated does not match.", 403)
        if auth["access_key_id"] in self.denied:
            return self.error(
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/no-ecr/test is not authorized to perform: "
                "ecr-public:GetAuthorizationToken on resource: * because no identity-based policy allows "
                "the ecr-public:GetAuthorizationToken action",
            )
        self.calls += 1
        token = base64.b64encode(f"AWS:{self.password}".encode()).decode()
        return 200, {"authorizationData": {"authorizationToken": token, "expiresAt": time.time() + self.lifetime}}
