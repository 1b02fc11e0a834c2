"""What a loopback stand-in for an AWS service checks of each request, as
AWS does: the SigV4 Authorization header, its scope (service and region),
that the key and session token are ones the test handed out, that the
request is fresh (15 minutes, the date of its scope), and the signature
itself (strict_sts.sigv4 computes it). The stand-ins for ECR Public and
CodeArtifact share it.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from strict_sts import sigv4


class Refused(Exception):
    """Why AWS would refuse the request: its error code, message and status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def check_signed(handler, body: bytes, *, service: str, region: str,
                 keys: dict[str, tuple[str, str]]) -> dict:
    """The parsed Authorization of `handler`'s request, or Refused. `keys`:
    access key id -> (secret, session token)."""
    try:
        auth = sigv4.parse_authorization(handler.headers.get("Authorization", ""))
    except sigv4.SigV4FormatError as e:
        raise Refused("IncompleteSignatureException", str(e)) from None
    if (auth["service"], auth["region"]) != (service, region):
        raise Refused("InvalidSignatureException", f"scope {auth['scope']} is not {service} in {region}", 403)
    known = keys.get(auth["access_key_id"])
    if known is None or known[1] != handler.headers.get("X-Amz-Security-Token"):
        raise Refused("UnrecognizedClientException", "The security token included in the request is invalid.")
    amz_date = handler.headers.get("X-Amz-Date", "")
    try:
        sent = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise Refused("IncompleteSignatureException", "X-Amz-Date is missing or malformed") from None
    if abs(sent - time.time()) > 900 or amz_date[:8] != auth["date"]:
        raise Refused("InvalidSignatureException", "Signature expired or not for today", 403)
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
        raise Refused("InvalidSignatureException", "The request signature we calculated does not match.", 403)
    return auth
