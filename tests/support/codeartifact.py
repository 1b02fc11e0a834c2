"""A CodeArtifact look-alike on loopback: GetAuthorizationToken and
GetRepositoryEndpoint (REST-JSON), SigV4-verified.

moto has no CodeArtifact, so this answers the two calls aws-oidc makes the
way the service does, after checking each call's SigV4 signature with the
strict STS fixture's verifier (`strict_sts/sigv4.py`): the scope must name
service `codeartifact` in the region asked, the key must be one the test
gave it (with the same session token), and the signature must match the
request as received.  The token it hands out is the password a real
registry (verdaccio, pypiserver) accepts for user `aws`; the endpoint of
each format is the URL of that registry the test registered.  Keys in
`denied` get the AccessDeniedException a role without
`codeartifact:GetAuthorizationToken` gets.  Nothing secret is logged.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from support.loopback import LoopbackServer, StandInHandler
from support.signed_requests import Refused, check_signed


class CodeArtifact(LoopbackServer):
    """`keys`: access key id -> (secret, session token or None); `token`:
    what GetAuthorizationToken hands out; `endpoints`: (domain, repository,
    format) -> repositoryEndpoint."""

    def __init__(self, keys: dict[str, tuple[str, str | None]], token: str, region: str,
                 endpoints: dict[tuple[str, str, str], str]) -> None:  # fmt: skip
        self.keys = keys
        self.token = token
        self.region = region
        self.endpoints = endpoints
        self.denied: set[str] = set()
        self.calls: list[tuple[str, dict]] = []
        self.refused: list[str] = []
        fixture = self

        class Handler(StandInHandler):
            def answer(self):
                status, answer = fixture.answer(self, self.request_body())
                # An error names its type in a header too, as REST-JSON services do.
                error_type = {"x-amzn-ErrorType": answer["__type"]} if status >= 400 else None
                self.send_json(status, answer, headers=error_type)

            do_GET = do_POST = answer  # noqa: N815

        super().__init__(Handler)

    def error(self, code: str, message: str, status: int = 400) -> tuple[int, dict]:
        self.refused.append(code)
        return status, {"__type": code, "message": message}

    def answer(self, handler, body: bytes) -> tuple[int, dict]:
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            auth = check_signed(handler, body, service="codeartifact", region=self.region, keys=self.keys)
        except Refused as e:
            return self.error(e.code, e.message, e.status)
        if auth["access_key_id"] in self.denied:
            return self.error("AccessDeniedException", "User is not authorized to perform: "
                              "codeartifact:GetAuthorizationToken", 403)  # fmt: skip
        self.calls.append((f"{handler.command} {url.path}", query))
        if (handler.command, url.path) == ("POST", "/v1/authorization-token"):
            duration = int(query.get("duration", "43200")) or 3600
            return 200, {"authorizationToken": self.token, "expiration": time.time() + duration}
        if (handler.command, url.path) == ("GET", "/v1/repository/endpoint"):
            key = (query.get("domain"), query.get("repository"), query.get("format"))
            if key not in self.endpoints:
                return self.error("ResourceNotFoundException", f"Repository not found: {key[1]}", 404)
            return 200, {"repositoryEndpoint": self.endpoints[key]}
        return self.error("UnknownOperationException", f"{handler.command} {url.path} is not here", 404)
