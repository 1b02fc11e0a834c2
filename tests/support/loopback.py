"""Loopback network helpers for the end-to-end tests.

- `TlsFront`: an HTTPS reverse proxy with a freshly generated CA and server
  certificate, in front of an HTTP server (moto), so the binary's TLS path,
  system CA store and `SSL_CERT_FILE` are exercised for real.
- `ForwardProxy`: a plain HTTP forward proxy that records what went through
  it, to show `HTTP_PROXY`/`HTTPS_PROXY` are honoured; HTTPS tunnels
  (CONNECT) are recorded, to see which endpoint was chosen, and refused
  unless the proxy was made with `tunnels=True` (to loopback hosts only);
- `Issuer`: an OIDC issuer over HTTPS (discovery document and JWKS);
- `LoopbackServer`, `StandInHandler`: what every stand-in is built on (the
  server, and a handler that reads a request's body and answers a status,
  headers and a body or JSON document).

All bind 127.0.0.1 only and stop with the test (or at the end of a `with`).
"""

from __future__ import annotations

import http.client
import http.server
import json
import select
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path

from .accounts import ORG_ID
from .certs import Chain, make_chain


class StandInHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in's request handler: HTTP/1.1 (connections kept open, as
    AWS's endpoints keep them), no log lines, and the reading and answering
    every stand-in does."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def request_body(self) -> bytes:
        """The request's body: its Content-Length's worth (none without one)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_body(self, status: int, body: bytes,
                  headers: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:  # fmt: skip
        """Answers `status` with `headers` (in order), Content-Length, and `body`."""
        self.send_response(status)
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, doc, content_type: str = "application/json",
                  headers: Mapping[str, str] | None = None) -> None:  # fmt: skip
        """Answers `status` with `doc` as JSON, under `content_type` and then `headers`."""
        self.send_body(status, json.dumps(doc).encode(), {"Content-Type": content_type, **(headers or {})})


def _forward(handler: StandInHandler, target: str, path: str) -> None:
    body = handler.request_body() or None
    parsed = urllib.parse.urlsplit(target)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "proxy-connection")}
    conn.request(handler.command, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    hop = ("transfer-encoding", "connection", "content-length")
    handler.send_body(resp.status, data, [(k, v) for k, v in resp.getheaders() if k.lower() not in hop])
    conn.close()


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1, over TLS when given a certificate
    and key; serves until `stop()` (or the end of a `with` block)."""

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

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class TlsFront(LoopbackServer):
    """HTTPS on 127.0.0.1, forwarding every request to `backend` over HTTP."""

    def __init__(self, backend: str, directory: Path) -> None:
        self.chain = chain = make_chain(directory, "front")
        self.ca = chain.root

        class Handler(StandInHandler):
            # Headers and body go out in separate writes; with Nagle on, the
            # second waits ~40 ms for the client's delayed ACK on every call.
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802
                _forward(self, backend, self.path)

            do_GET = do_POST  # noqa: N815

        super().__init__(Handler, tls=(chain.server_chain, chain.server_key))


class ForwardProxy(LoopbackServer):
    """An HTTP forward proxy (absolute-URI requests) that logs each target and
    the `Proxy-Authorization` each request brought (None when none).

    With `tunnels=True`, CONNECT to 127.0.0.1 or localhost opens a tunnel
    that relays bytes both ways; any other CONNECT is refused.  With `tls`,
    the proxy itself is reached over HTTPS (an `https://` proxy URL)."""

    def __init__(self, tunnels: bool = False, tls: Chain | None = None) -> None:
        self.seen: list[str] = []
        self.authorizations: list[str | None] = []
        seen, authorizations = self.seen, self.authorizations

        class Handler(StandInHandler):
            def do_POST(self):  # noqa: N802
                seen.append(f"{self.command} {self.path}")
                authorizations.append(self.headers.get("Proxy-Authorization"))
                parsed = urllib.parse.urlsplit(self.path)
                _forward(self, f"{parsed.scheme}://{parsed.netloc}", parsed.path or "/")

            do_GET = do_POST  # noqa: N815

            def do_CONNECT(self):  # noqa: N802
                # Records which host an HTTPS request was for; nothing leaves this machine.
                seen.append(f"CONNECT {self.path}")
                authorizations.append(self.headers.get("Proxy-Authorization"))
                host, _, port = self.path.rpartition(":")
                if not tunnels or host not in ("127.0.0.1", "localhost") or not port.isdigit():
                    self.send_error(502, "no tunnels from the test proxy")
                    return
                try:
                    upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
                except OSError:
                    self.send_error(502, "cannot reach the tunnel's target")
                    return
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                _relay(self.connection, upstream)
                self.close_connection = True

        super().__init__(Handler, tls=(tls.server_chain, tls.server_key) if tls else None)


def _relay(client: socket.socket, upstream: socket.socket, idle: float = 10.0) -> None:
    """Copies bytes both ways until either side closes or `idle` seconds pass."""
    with upstream:
        pair = {client: upstream, upstream: client}
        while True:
            ready, _, _ = select.select(list(pair), [], [], idle)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)


class Issuer(LoopbackServer):
    """An HTTPS OIDC issuer on 127.0.0.1 for the org ORG_ID: its discovery
    document (whose `jwks_uri` is on `jwks_base`, else on itself) and JWKS."""

    def __init__(self, chain: Chain, jwks_base: str | None = None) -> None:
        self.jwks_base = jwks_base
        issuer = self

        class Handler(StandInHandler):
            # One request a connection, as this issuer has always answered.
            protocol_version = "HTTP/1.0"

            def do_GET(self):  # noqa: N802
                if self.path == f"/org/{ORG_ID}/.well-known/openid-configuration":
                    base = issuer.jwks_base or issuer.url
                    self.send_json(200, {
                        "issuer": f"{issuer.url}/org/{ORG_ID}",
                        "jwks_uri": f"{base}/org/{ORG_ID}/.well-known/jwks-pub.json",
                    })
                elif self.path == f"/org/{ORG_ID}/.well-known/jwks-pub.json":
                    self.send_json(200, {"keys": []})
                else:
                    self.send_error(404)

        super().__init__(Handler, tls=(chain.server_chain, chain.server_key))
