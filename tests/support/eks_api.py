"""A Kubernetes API stand-in that authenticates EKS bearer tokens as EKS does.

`KubeApi` serves, over TLS on 127.0.0.1 (a fresh CA from loopback.py), what a
read with kubectl needs: `/version`, the discovery documents and the pods
of a namespace.  Every request must carry `Authorization: Bearer
k8s-aws-v1.<base64url of a presigned URL>`, which it checks the way EKS's
authenticator does:

1. the URL is a `GetCallerIdentity` GET (`Action`, `Version`) on the STS
   host it trusts, presigned with SigV4 for service `sts`, and its signed
   headers include `host` and `x-k8s-aws-id`;
2. the signature is right for `x-k8s-aws-id` = this cluster's name (a token
   minted for another cluster fails here), recomputed with the canonical
   request code of strict_sts/sigv4.py and the secret of the access key
   named in the URL (`secrets`: the test's keys, or moto's for credentials
   moto issued);
3. `X-Amz-Date` is at most 15 minutes old (and not in the future);
4. then STS is asked who the caller is: moto answers a presigned GET as if
   it were S3, so the stand-in makes the same `GetCallerIdentity` call with
   the same credentials (the session token from the URL) in the form moto
   serves, a header-signed POST, and maps the ARN it returns to a user
   (`users`, like EKS access entries; an assumed role's session ARN maps
   through its role ARN).  An unmapped ARN is refused like a bad token: 401.

`moto_cluster` runs moto's threaded server in this process with a cluster
whose endpoint and CA are the stand-in's (see its docstring).

Each authenticated request is recorded (`seen`: user, path, a digest of the
token, never the token); each refusal too (`refused`: why).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from strict_sts import sigv4

from .certs import make_chain
from .loopback import LoopbackServer, StandInHandler

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
#: How long EKS accepts a token after its X-Amz-Date.
TOKEN_VALIDITY = datetime.timedelta(minutes=15)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Refused(Exception):
    """The token is not accepted; the message says why (never the token)."""


@dataclass
class Presigned:
    """The parts of a token's presigned URL that authentication reads."""

    url: str
    host: str
    path: str
    raw_query: str
    params: dict[str, str]
    access_key_id: str
    scope: str
    date: str
    region: str
    signed_headers: list[str]
    amz_date: str
    signature: str


def decode_token(token: str) -> Presigned:
    """Decodes a bearer token into its presigned URL; raises Refused when it is not one."""
    if not token.startswith(TOKEN_PREFIX):
        raise Refused("not an EKS token (no k8s-aws-v1. prefix)")
    b64 = token[len(TOKEN_PREFIX) :]
    if "=" in b64:
        raise Refused("the token's base64 is padded")
    try:
        url = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise Refused("the token is not base64url of a URL") from None
    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    if params.get("Action") != "GetCallerIdentity" or params.get("Version") != "2011-06-15":
        raise Refused("the URL is not an STS GetCallerIdentity call")
    if params.get("X-Amz-Algorithm") != sigv4.ALGORITHM:
        raise Refused("the URL is not presigned with SigV4")
    scope = params.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5 or scope[3] != "sts" or scope[4] != "aws4_request":
        raise Refused("the URL is not signed for STS")
    signed = params.get("X-Amz-SignedHeaders", "").split(";")
    if "host" not in signed or CLUSTER_ID_HEADER not in signed:
        raise Refused(f"the signed headers are {signed}, without host and {CLUSTER_ID_HEADER}")
    signature = params.get("X-Amz-Signature", "")
    if not re.fullmatch(r"[0-9a-f]{64}", signature):
        raise Refused("no signature")
    return Presigned(
        url=url,
        host=parts.netloc,
        path=parts.path or "/",
        raw_query=parts.query,
        params=params,
        access_key_id=scope[0],
        scope="/".join(scope[1:]),
        date=scope[1],
        region=scope[2],
        signed_headers=signed,
        amz_date=params.get("X-Amz-Date", ""),
        signature=signature,
    )


def verify_signature(p: Presigned, secret: str, cluster_name: str) -> bool:
    """Whether the URL's signature holds for `x-k8s-aws-id: cluster_name` under `secret`."""
    headers = {"host": p.host, CLUSTER_ID_HEADER: cluster_name}
    canonical = sigv4.canonical_request(
        "GET", p.path, p.raw_query, lambda n: [headers[n]] if n in headers else [], p.signed_headers, EMPTY_SHA256
    )
    to_sign = sigv4.string_to_sign(p.amz_date, p.scope, canonical)
    key = sigv4.signing_key(secret, p.date, p.region, "sts")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, p.signature)


def check_fresh(p: Presigned, now: datetime.datetime) -> None:
    try:
        signed = datetime.datetime.strptime(p.amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refused("X-Amz-Date is not a SigV4 date") from None
    if signed > now + datetime.timedelta(minutes=5):
        raise Refused("X-Amz-Date is in the future")
    if now - signed > TOKEN_VALIDITY:
        raise Refused("the token is older than 15 minutes")


def caller_arn(sts_url: str, p: Presigned, secret: str) -> str:
    """STS's answer to GetCallerIdentity with the token's credentials (a header-signed POST)."""
    target = urllib.parse.urlsplit(sts_url)
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = sigv4.sign_headers(
        access_key_id=p.access_key_id,
        secret=secret,
        session_token=p.params.get("X-Amz-Security-Token"),
        method="POST",
        host=target.netloc,
        path="/",
        query="",
        body=body,
        region=p.region,
        amz_date=amz_date,
        extra_headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    req = urllib.request.Request(sts_url.rstrip("/") + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            xml = resp.read().decode()
    except urllib.error.HTTPError as e:
        raise Refused(f"STS refused GetCallerIdentity (HTTP {e.code})") from None
    match = re.search(r"<Arn>([^<]+)</Arn>", xml)
    if not match:
        raise Refused("STS answered without an ARN")
    return match.group(1)


def principal_of(arn: str) -> str:
    """An assumed role's session ARN as the role ARN it maps through (as EKS does)."""
    m = re.fullmatch(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}" if m else arn


@dataclass
class KubeApi:
    """The stand-in: see the module docstring."""

    cluster_name: str
    #: The STS endpoint tokens must be presigned for (its host), and where to ask who the caller is.
    sts_url: str
    directory: Path
    #: The secret of an access key id, or None when unknown.
    secrets: Callable[[str], str | None]
    #: Principal ARN -> Kubernetes user name.
    users: dict[str, str]
    seen: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        chain = make_chain(self.directory, "kube-api")
        self.ca = chain.root
        api = self

        class Handler(StandInHandler):
            def do_GET(self):  # noqa: N802
                auth = self.headers.get("Authorization", "")
                token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
                try:
                    user = api.authenticate(token)
                except Refused as why:
                    api.refused.append(str(why))
                    return self.send_json(401, _status(401, "Unauthorized"))
                digest = hashlib.sha256(token.encode()).hexdigest()[:16]
                api.seen.append({"user": user, "path": self.path, "token_digest": digest})
                doc = _document(self.path)
                if doc is None:
                    return self.send_json(404, _status(404, "NotFound"))
                return self.send_json(200, doc)

        self.server = LoopbackServer(Handler, tls=(chain.server_chain, chain.server_key))
        self.url = self.server.url

    def authenticate(self, token: str) -> str:
        """The user a token authenticates as; raises Refused."""
        p = decode_token(token)
        if p.host != urllib.parse.urlsplit(self.sts_url).netloc:
            raise Refused(f"the URL's host {p.host} is not the trusted STS endpoint")
        secret = self.secrets(p.access_key_id)
        if secret is None:
            raise Refused("unknown access key")
        if not verify_signature(p, secret, self.cluster_name):
            raise Refused(f"the signature does not hold for {CLUSTER_ID_HEADER}: {self.cluster_name}")
        check_fresh(p, datetime.datetime.now(datetime.timezone.utc))
        arn = caller_arn(self.sts_url, p, secret)
        user = self.users.get(principal_of(arn))
        if user is None:
            raise Refused(f"{arn} is mapped to no user")
        return user

    def stop(self) -> None:
        self.server.stop()


def _status(code: int, reason: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code}


def _document(path: str) -> dict | None:
    path = urllib.parse.urlsplit(path).path
    if path == "/version":
        return {"major": "1", "minor": "32", "gitVersion": "v1.32.0-eks-standin", "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}  # fmt: skip
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
    if path == "/api/v1":
        return {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
            {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
             "verbs": ["get", "list"], "shortNames": ["po"]}]}  # fmt: skip
    m = re.fullmatch(r"/api/v1/namespaces/([a-z0-9-]+)/pods", path)
    if m:
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web-0", "namespace": m.group(1), "creationTimestamp": "2026-01-01T00:00:00Z"},
               "status": {"phase": "Running"}}  # fmt: skip
        return {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": [pod]}
    return None


@contextmanager
def moto_cluster(directory: Path, *, name: str, region: str, account_id: str, keys: dict[str, str],
                 users: dict[str, str]) -> Iterator[tuple[str, KubeApi]]:  # fmt: skip
    """moto's server in this process, with EKS cluster `name` served by a
    `KubeApi`; yields (moto's URL, the stand-in).

    How the stand-in's CA reaches a kubeconfig: moto makes up a cluster's
    endpoint (a host that does not exist) and certificate data (random text,
    not a CA).  With moto in this process, the cluster's endpoint and
    certificate data in moto's EKS backend are set to the stand-in's URL and
    CA (base64 PEM, as EKS gives it); from there they take the real path:
    DescribeCluster's answer -> aws-oidc -> kubeconfig -> kubectl, which then
    trusts that CA alone for the API server.

    `keys` are the secrets of the test's own access keys; credentials moto
    issued (an assumed role) are looked up in moto's STS backend.
    """
    import boto3
    from moto.eks.models import eks_backends
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.sts.models import sts_backends

    def secret(access_key_id: str) -> str | None:
        if access_key_id in keys:
            return keys[access_key_id]
        role = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(access_key_id)
        return role.secret_access_key if role else None

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = "http://127.0.0.1:%d" % server.get_host_and_port()[1]
    api = KubeApi(cluster_name=name, sts_url=url, directory=directory, secrets=secret, users=users)
    try:
        key_id, key = next(iter(keys.items()))
        eks = boto3.client("eks", region_name=region, endpoint_url=url,
                           aws_access_key_id=key_id, aws_secret_access_key=key)  # fmt: skip
        eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{account_id}:role/eks", resourcesVpcConfig={})
        cluster = eks_backends[account_id][region].clusters[name]
        cluster.endpoint = api.url
        cluster.certificate_authority = {"data": base64.b64encode(api.ca.read_bytes()).decode()}
        yield url, api
    finally:
        api.stop()
        server.stop()
