"""`aws-oidc thumbprint` against loopback issuers with generated certificate chains.

Each issuer is an HTTPS server on 127.0.0.1 that serves a chain
leaf -> intermediate (signed by a root that only SSL_CERT_FILE knows), an OpenID discovery document and a JWKS.  The binary
must print the SHA-1 thumbprint of the top intermediate, exactly as `openssl
x509 -fingerprint -sha1` computes it for the same certificate, and refuse
chains it cannot verify.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.accounts import ORG_ID
from support.certs import Chain, make_chain, openssl_sha1
from support.loopback import Issuer
from support.steps import run_aws_oidc


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
    """`aws-oidc thumbprint URL` trusting only `root` (None: no CA at all)."""
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
    jwks_chain = make_chain(tmp_path / "certs", "jwks", under=issuer_chain.authority)
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

