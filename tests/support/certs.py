"""The one maker of test CAs and certificates.

Every TLS server in the tests gets its chain from `make_chain`: a root CA
(new, or one passed in to share it), an intermediate it signs, and a leaf for
`localhost` and 127.0.0.1 that the intermediate signs.  Servers send leaf and
intermediate, as public ones do; clients trust the root alone (through
`SSL_CERT_FILE`, `AWS_CA_BUNDLE`, a CA directory...).  Nothing here is
trusted anywhere but in the test that made it.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Authority:
    """A CA that can sign more certificates: its name, key and certificate."""

    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class Chain:
    """The files of one chain, and its root to make more chains under."""

    root: Path  # the root CA, PEM: what clients trust
    intermediate: Path  # the intermediate CA, PEM (what IAM thumbprints)
    server_chain: Path  # leaf + intermediate, PEM, as the server sends them
    server_key: Path  # the leaf's private key, PEM (PKCS#8)
    authority: Authority  # the root, to sign another chain under it


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _sign(subject: str, key, issuer: Authority | None, *, ca: bool, path_length: int | None = None) -> x509.Certificate:
    """A certificate for `subject`'s `key`, signed by `issuer` (self-signed when None)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer_name, issuer_key = (issuer.name, issuer.key) if issuer else (subject, key)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    )
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_chain(directory: Path, label: str, under: Authority | None = None) -> Chain:
    """root -> `label` intermediate -> leaf for localhost/127.0.0.1, written
    under `directory`; the root is `under` when given, else a new one whose
    name is unique (CA directories file roots by subject hash)."""
    directory.mkdir(parents=True, exist_ok=True)
    if under is None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = f"aws-oidc test root {label} {secrets.token_hex(4)}"
        under = Authority(name, key, _sign(name, key, None, ca=True))
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter_name = f"aws-oidc test {label} intermediate"
    inter = Authority(inter_name, inter_key, _sign(inter_name, inter_key, under, ca=True, path_length=0))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _sign("localhost", leaf_key, inter, ca=False)
    chain = Chain(directory / f"{label}-root.pem", directory / f"{label}-intermediate.pem",
                  directory / f"{label}-chain.pem", directory / f"{label}-leaf.key", under)
    chain.root.write_bytes(_pem(under.cert))
    chain.intermediate.write_bytes(_pem(inter.cert))
    chain.server_chain.write_bytes(_pem(leaf) + _pem(inter.cert))
    chain.server_key.write_bytes(
        leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain


def add_to_ca_dir(directory: Path, ca: Path) -> Path:
    """Copies `ca` into a CA directory under its subject hash (`<hash>.0`), as
    `openssl rehash` and update-ca-certificates name it; returns the directory."""
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(ca)],
                                  capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ca, directory / f"{subject_hash}.0")
    return directory


def openssl_sha1(cert: Path) -> str:
    """What `openssl x509 -fingerprint -sha1` says, as IAM writes thumbprints."""
    assert shutil.which("openssl"), "openssl is needed for this test"
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-fingerprint", "-sha1", "-noout"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1].replace(":", "").lower()
