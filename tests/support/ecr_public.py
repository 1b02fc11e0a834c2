"""An ECR Public look-alike on loopback: GetAuthorizationToken, SigV4-verified.

moto has no ECR Public, so this answers the one call aws-oidc makes
(`SpencerFrontendService.GetAuthorizationToken`, JSON 1.1) the way the
service does, after checking its SigV4 signature with the strict STS
fixture's verifier (through `support/signed_requests.py`): the scope must name service
`ecr-public` in us-east-1, the key must be one the test gave it (with the
same session token), and the signature must match the request as received.
Keys listed in `denied` get the AccessDeniedException a role without
`ecr-public:GetAuthorizationToken` gets.  Calls are counted; nothing secret
is logged.
"""

from __future__ import annotations

import base64
import time

from support.loopback import LoopbackServer, StandInHandler
from support.signed_requests import Refused, check_signed

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

        class Handler(StandInHandler):
            def do_POST(self):  # noqa: N802
                status, answer = fixture.answer(self, self.request_body())
                self.send_json(status, answer, "application/x-amz-json-1.1",
                               {"x-amzn-RequestId": "00000000-0000-4000-8000-000000000000"})  # fmt: skip

        super().__init__(Handler)

    def error(self, code: str, message: str, status: int = 400) -> tuple[int, dict]:
        self.refused.append(code)
        return status, {"__type": code, "message": message}

    def answer(self, handler, body: bytes) -> tuple[int, dict]:
        if handler.headers.get("X-Amz-Target") != TARGET:
            return self.error("UnknownOperationException", "only GetAuthorizationToken is here")
        try:
            auth = check_signed(handler, body, service="ecr-public", region="us-east-1", keys=self.keys)
        except Refused as e:
            return self.error(e.code, e.message, e.status)
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
