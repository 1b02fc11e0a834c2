"""`aws-oidc thumbprint` against loopback issuers with generated certificate chains.

Each issuer is an HTTPS server on 127.0.0.1 that serves a chain
leaf -> intermediate (signed by a root that only SSL_CERT_FILE knows), an
OpenID discovery document and a JWKS.  The binary must print the SHA-1
thumbprint of the top intermediate, exactly as `openssl x509 -fingerprint
-sha1` computes it for the same certificate, and refuse chains it cannot
verify.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ORG_ID
from loopback import LoopbackServer
from steps import run_aws_oidc


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool, path_length=None, san=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    )
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    if san:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Chain:
    root: Path
    intermediate: Path
    server_chain: Path  # leaf + intermediate, as servers send it
    server_key: Path


def make_chain(directory: Path, label: str, root_key=None, root=None) -> Chain:
    """root -> intermediate -> leaf for 127.0.0.1; reuses `root` when given."""
    directory.mkdir(parents=True, exist_ok=True)
    if root is None:
        root_key = ec.generate_private_key(ec.SECP256R1())
        root = _cert("aws-oidc test root", root_key, "aws-oidc test root", root_key, ca=True)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = _cert(f"{label} intermediate", inter_key, "aws-oidc test root", root_key, ca=True, path_length=0)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert("localhost", leaf_key, f"{label} intermediate", inter_key, ca=False, san=True)
    paths = Chain(directory / "root.pem", directory / f"{label}-intermediate.pem",
                  directory / f"{label}-chain.pem", directory / f"{label}-leaf.key")
    paths.root.write_bytes(_pem(root))
    paths.intermediate.write_bytes(_pem(inter))
    paths.server_chain.write_bytes(_pem(leaf) + _pem(inter))
    paths.server_key.write_bytes(
        leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    make_chain.root = (root_key, root)
    return paths


class Issuer(LoopbackServer):
    """An HTTPS issuer on 127.0.0.1: discovery document (with `jwks_uri`) and JWKS."""

    def __init__(self, chain: Chain, jwks_base: str | None = None) -> None:
        self.jwks_base = jwks_base
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path == f"/org/{ORG_ID}/.well-known/openid-configuration":
                    base = issuer.jwks_base or issuer.url
                    body = json.dumps({
                        "issuer": f"{issuer.url}/org/{ORG_ID}",
                        "jwks_uri": f"{base}/org/{ORG_ID}/.well-known/jwks-pub.json",
                    }).encode()
                elif self.path == f"/org/{ORG_ID}/.well-known/jwks-pub.json":
                    body = b'{"keys": []}'
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler, tls=(chain.server_chain, chain.server_key))


def openssl_sha1(cert: Path) -> str:
    """What `openssl x509 -fingerprint -sha1` says, as IAM writes thumbprints."""
    assert shutil.which("openssl"), "openssl is needed for this test"
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-fingerprint", "-sha1", "-noout"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "").lower()


@pytest.fixture
def issuers(tmp_path):
    started = []

    def start(chain: Chain, jwks_base: str | None = None) -> Issuer:
        issuer = Issuer(chain, jwks_base)
        started.append(issuer)
        return issuer

    yield start
    for i in started:
        i.stop()


def thumbprint(binary, url: str, root: Path | None, tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if root is not None:
        env["SSL_CERT_FILE"] = str(root)
    else:
        empty = tmp_path / "no-such-ca.pem"
        empty.write_text("")
        env["SSL_CERT_FILE"] = str(empty)
    return run_aws_oidc(binary, ["thumbprint", url, "--timeout", "5"], env)


def test_thumbprint_is_the_top_intermediate_as_openssl_computes_it(aws_oidc_bin, issuers, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", chain.root, tmp_path)
    assert result.returncode == 0, result.stderr
    expected = openssl_sha1(chain.intermediate)
    assert result.stdout == expected + "\n"
    assert len(expected) == 40
    assert "certificate 2 of 2" in result.stderr
    assert f"{issuer.url}/org/{ORG_ID}/.well-known/jwks-pub.json" in result.stderr


def test_a_jwks_host_apart_from_the_issuer_gets_both_thumbprints(aws_oidc_bin, issuers, tmp_path):
    issuer_chain = make_chain(tmp_path / "certs", "issuer")
    root_key, root = make_chain.root
    jwks_chain = make_chain(tmp_path / "certs", "jwks", root_key, root)
    jwks = issuers(jwks_chain)
    issuer = issuers(issuer_chain, jwks_base=jwks.url.replace("127.0.0.1", "localhost"))
    result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", issuer_chain.root, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [openssl_sha1(jwks_chain.intermediate), openssl_sha1(issuer_chain.intermediate)]
    assert "JWKS host localhost" in result.stderr and "issuer host 127.0.0.1" in result.stderr


def test_a_chain_this_machine_cannot_verify_gets_no_thumbprint(aws_oidc_bin, issuers, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    other = make_chain(tmp_path / "other", "other")  # a different root
    for root in (other.root, None):
        result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", root, tmp_path)
        assert result.returncode == 1
        assert result.stdout == ""
        assert ("not trusted" in result.stderr) or ("no CA certificates" in result.stderr), result.stderr


def test_not_an_issuer_and_not_https(aws_oidc_bin, issuers, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    missing = thumbprint(aws_oidc_bin, f"{issuer.url}/nothing-here/x", chain.root, tmp_path)
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr
    plain = thumbprint(aws_oidc_bin, "http://127.0.0.1:1/org/x", chain.root, tmp_path)
    assert plain.returncode == 1 and "not an https:// URL" in plain.stderr


def test_help_says_when_aws_no_longer_needs_it(aws_oidc_bin, tmp_path):
    result = run_aws_oidc(aws_oidc_bin, ["thumbprint", "--help"], {"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "When AWS no longer needs it" in text
    assert "trusted root CAs" in text and "optional in CreateOpenIDConnectProvider" in text
