"""`aws-oidc thumbprint` against loopback issuers with generated certificate chains.

Each issuer is an HTTPS server on 127.0.0.1 that serves a chain
leaf -> intermediate (signed by a root that only SSL_CERT_FILE, or
AWS_CA_BUNDLE, knows), an OpenID discovery document and a JWKS.  The binary
must print the SHA-1 thumbprint of the top intermediate, exactly as `openssl
x509 -fingerprint -sha1` computes it for the same certificate, and refuse
chains it cannot verify: directly, or through a loopback HTTP proxy's
CONNECT tunnel when HTTPS_PROXY names one.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from support.accounts import ORG_ID
from support.certs import Chain, make_chain, openssl_sha1
from support.loopback import ForwardProxy, Issuer
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


def thumbprint(binary, url: str, root: Path | None, tmp_path: Path, **extra_env: str):
    """`aws-oidc thumbprint URL` trusting only `root` (None: no CA at all)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **extra_env}
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


# --- AWS_CA_BUNDLE and proxies, as the AWS CLI takes them ---


def test_aws_ca_bundle_is_the_only_trust_when_set(aws_oidc_bin, issuers, tmp_path):
    """A self-hosted issuer's private CA in AWS_CA_BUNDLE verifies it, while
    SSL_CERT_FILE holds another CA; and a bundle without that CA refuses it
    even though SSL_CERT_FILE has it: the bundle replaces the machine's CAs."""
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    other = make_chain(tmp_path / "other", "other")
    url = f"{issuer.url}/org/{ORG_ID}"
    trusted = thumbprint(aws_oidc_bin, url, other.root, tmp_path, AWS_CA_BUNDLE=str(chain.root))
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout == openssl_sha1(chain.intermediate) + "\n"
    assert f"verified against the CA bundle {chain.root}" in trusted.stderr
    refused = thumbprint(aws_oidc_bin, url, chain.root, tmp_path, AWS_CA_BUNDLE=str(other.root))
    assert refused.returncode == 1 and refused.stdout == ""
    assert f"not trusted by the CA bundle {other.root} (AWS_CA_BUNDLE)" in refused.stderr, refused.stderr


def test_the_profiles_ca_bundle_and_a_bad_bundle(aws_oidc_bin, issuers, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    url = f"{issuer.url}/org/{ORG_ID}"
    config = tmp_path / "config"
    config.write_text(f"[profile ci]\nca_bundle = {chain.root}\n")
    from_profile = thumbprint(aws_oidc_bin, url, None, tmp_path, AWS_CONFIG_FILE=str(config), AWS_PROFILE="ci")
    assert from_profile.returncode == 0, from_profile.stderr
    assert from_profile.stdout == openssl_sha1(chain.intermediate) + "\n"
    not_pem = tmp_path / "not-pem.pem"
    not_pem.write_text("not a certificate\n")
    bad = thumbprint(aws_oidc_bin, url, chain.root, tmp_path, AWS_CA_BUNDLE=str(not_pem))
    assert bad.returncode == 1 and bad.stdout == ""
    assert f"cannot use the CA bundle {not_pem} (AWS_CA_BUNDLE)" in bad.stderr and "PEM" in bad.stderr


@pytest.fixture
def tunnelling_proxy():
    proxy = ForwardProxy(tunnels=True)
    yield proxy
    proxy.stop()


def test_thumbprint_goes_through_https_proxy_with_its_credentials(aws_oidc_bin, issuers, tunnelling_proxy, tmp_path):
    """Through an HTTP proxy as a CONNECT tunnel: the proxy gets the user and
    password from HTTPS_PROXY as Basic auth; the output names the proxy but
    never the password; the chain is still the issuer's, verified end to end."""
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    proxy_port = tunnelling_proxy.port
    result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", chain.root, tmp_path,
                        HTTPS_PROXY=f"http://ci-user:s3cret-proxy-pw@127.0.0.1:{proxy_port}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == openssl_sha1(chain.intermediate) + "\n"
    assert tunnelling_proxy.seen == [f"CONNECT 127.0.0.1:{issuer.port}"]
    assert tunnelling_proxy.authorizations == ["Basic " + base64.b64encode(b"ci-user:s3cret-proxy-pw").decode()]
    assert f"through the proxy http://127.0.0.1:{proxy_port}" in result.stderr
    assert "s3cret-proxy-pw" not in result.stderr + result.stdout


def test_no_proxy_exempts_the_issuer(aws_oidc_bin, issuers, tunnelling_proxy, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    for no_proxy in ("NO_PROXY", "no_proxy"):
        result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", chain.root, tmp_path,
                            HTTPS_PROXY=tunnelling_proxy.url, **{no_proxy: "example.com,127.0.0.1"})
        assert result.returncode == 0, result.stderr
        assert "through the proxy" not in result.stderr
    assert tunnelling_proxy.seen == []


def test_a_proxy_that_refuses_the_tunnel_or_is_not_http(aws_oidc_bin, issuers, tmp_path):
    chain = make_chain(tmp_path / "certs", "issuer")
    issuer = issuers(chain)
    refusing = ForwardProxy(tunnels=False)
    try:
        result = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", chain.root, tmp_path,
                            HTTPS_PROXY=f"http://user:pw-not-shown@127.0.0.1:{refusing.port}")
    finally:
        refusing.stop()
    assert result.returncode == 1 and result.stdout == ""
    assert f"the proxy http://127.0.0.1:{refusing.port} refused a tunnel to 127.0.0.1:{issuer.port}" in result.stderr
    assert "502" in result.stderr and "pw-not-shown" not in result.stderr
    tls_proxy = thumbprint(aws_oidc_bin, f"{issuer.url}/org/{ORG_ID}", chain.root, tmp_path,
                           HTTPS_PROXY="https://127.0.0.1:1")
    assert tls_proxy.returncode == 1 and "not an http:// proxy" in tls_proxy.stderr
