"""Loopback network helpers for the end-to-end tests.

- `TlsFront`: an HTTPS reverse proxy with a freshly generated CA and server
  certificate, in front of an HTTP server (moto), so the binary's TLS path,
  system CA store and `SSL_CERT_FILE` are exercised for real.
- `ForwardProxy`: a plain HTTP forward proxy that records what went through
  it, to show `HTTP_PROXY`/`HTTPS_PROXY` are honoured; HTTPS tunnels
  (CONNECT) are recorded, to see which endpoint was chosen, and refused.

Both bind 127.0.0.1 only and stop with the test.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import ipaddress
import shutil
import ssl
import subprocess
import threading
import urllib.parse
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_ca_and_server_cert(directory: Path, ca_cn: str = "aws-oidc test CA") -> tuple[Path, Path, Path]:
    """Writes ca.pem, server.pem and server.key for 127.0.0.1/localhost."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_cn)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


def add_to_ca_dir(directory: Path, ca: Path) -> Path:
    """Copies `ca` into a CA directory under its subject hash (`<hash>.0`), as
    `openssl rehash` and update-ca-certificates name it; returns the directory."""
    subject_hash = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", str(ca)],
                                  capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ca, directory / f"{subject_hash}.0")
    return directory


def _forward(handler: http.server.BaseHTTPRequestHandler, target: str, path: str) -> None:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else None
    parsed = urllib.parse.urlsplit(target)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "proxy-connection")}
    conn.request(handler.command, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    handler.send_response(resp.status)
    for k, v in resp.getheaders():
        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    conn.close()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1, over TLS when given a certificate
    and key; serves until `stop()`."""

    def __init__(self, handler, tls: tuple[Path, Path] | None = None) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TlsFront(LoopbackServer):
    """HTTPS on 127.0.0.1, forwarding every request to `backend` over HTTP."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.ca, cert, key = make_ca_and_server_cert(directory)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, the
            # second waits ~40 ms for the client's delayed ACK on every call.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                _forward(self, backend, self.path)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        super().__init__(Handler, tls=(cert, key))


class ForwardProxy(LoopbackServer):
    """An HTTP forward proxy (absolute-URI requests) that logs each target."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                seen.append(f"{self.command} {self.path}")
                parsed = urllib.parse.urlsplit(self.path)
                _forward(self, f"{parsed.scheme}://{parsed.netloc}", parsed.path or "/")

            do_GET = do_POST  # noqa: N815

            def do_CONNECT(self):  # noqa: N802
                # Records which host an HTTPS request was for, then refuses:
                # nothing leaves this machine.
                seen.append(f"CONNECT {self.path}")
                self.send_error(502, "no tunnels from the test proxy")

            def log_message(self, *args):
                pass

        super().__init__(Handler)
