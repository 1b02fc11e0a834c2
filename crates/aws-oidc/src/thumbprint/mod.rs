//! The thumbprint an IAM OIDC provider may list for its issuer's TLS certificate.
//!
//! AWS's procedure: fetch `<issuer>/.well-known/openid-configuration`, take
//! the host of its `jwks_uri`, open TLS to it, and hash (SHA-1, hex) the last
//! certificate the server sends: the top intermediate CA of its chain.  The
//! chain is still verified against this machine's CA store (and
//! `SSL_CERT_FILE`), or the CAs in `AWS_CA_BUNDLE` (or the profile's
//! `ca_bundle`) as the AWS CLI takes them, so that no one in the middle can
//! hand us a chain of their own to pin.  Connections go through the proxy
//! `HTTPS_PROXY` (or `ALL_PROXY`) names, unless `NO_PROXY` exempts the host,
//! by the rules the SDK's connector applies (hyper-util's), as an HTTP
//! `CONNECT` tunnel.
//!
//! IAM only uses thumbprints when the JWKS host's certificate does not chain
//! to a CA that AWS trusts (a self-hosted issuer with a private CA, say), or
//! when it falls back to them; for `oidc.circleci.com` none is needed.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper_util::client::proxy::matcher::Matcher;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
};

use crate::ca_bundle::CaBundle;
use crate::env::Env;
use crate::settings;

mod error;
pub use error::{Peer, ThumbprintError, UrlKind};
pub(crate) use error::{MAX_DISCOVERY_ANSWER, MAX_PROXY_ANSWER};

/// The certificates a TLS server sent, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChain {
    /// The host connected to.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// DER certificates in the order sent.
    pub certificates: Vec<Vec<u8>>,
}

impl CertificateChain {
    /// SHA-1 of the last certificate sent (the top intermediate CA), lowercase hex.
    pub fn thumbprint(&self) -> String {
        self.certificates
            .last()
            .map(|c| sha1_hex(c))
            .unwrap_or_default()
    }
}

/// SHA-1 of `der`, as 40 lowercase hex digits (IAM's thumbprint format).
pub(crate) fn sha1_hex(der: &[u8]) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        der,
    ))
}

/// What `thumbprint` found for an issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerCertificates {
    /// The discovery document's `jwks_uri`.
    pub jwks_uri: String,
    /// The chain of the `jwks_uri` host.
    pub jwks: CertificateChain,
    /// The chain of the issuer host (the same host for most issuers).
    pub issuer: CertificateChain,
    /// The CA bundle the chains were verified against, if not this machine's CAs.
    pub ca_bundle: Option<PathBuf>,
    /// The proxy the connections went through (no credentials), if any.
    pub proxy: Option<String>,
}

/// An `https://` URL split into host, port and path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HttpsUrl {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str, which: UrlKind) -> Result<HttpsUrl, ThumbprintError> {
    let Some(rest) = url.trim().strip_prefix("https://") else {
        return Err(ThumbprintError::NotHttps {
            which,
            url: url.to_string(),
        });
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => {
            let port = p.parse().map_err(|_| ThumbprintError::BadPort {
                which,
                url: url.to_string(),
            })?;
            (h, port)
        }
        _ => (authority, 443),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || authority.contains('@') {
        return Err(ThumbprintError::NoHost {
            which,
            url: url.to_string(),
        });
    }
    Ok(HttpsUrl {
        host: host.to_string(),
        port,
        path: if path.is_empty() {
            "/".into()
        } else {
            path.to_string()
        },
    })
}

/// Records the chain the server sends, then verifies it as usual.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<Vec<u8>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.to_vec())
                .collect();
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A socket whose every read and write ends by one deadline: a server that
/// sends a byte every half second cannot keep us reading past it.
struct Deadlined {
    sock: TcpStream,
    deadline: Instant,
}

impl Deadlined {
    fn left(&self) -> std::io::Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "gave up: the time limit (--timeout) ran out",
            ));
        }
        Ok(left)
    }

    /// A socket timeout (EAGAIN on Linux) at the deadline is the time limit.
    fn timed(&self, e: std::io::Error) -> std::io::Error {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                self.left().err().unwrap_or(e)
            }
            _ => e,
        }
    }
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left()?;
        self.sock.set_read_timeout(Some(left))?;
        self.sock.read(buf).map_err(|e| self.timed(e))
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let left = self.left()?;
        self.sock.set_write_timeout(Some(left))?;
        self.sock.write(buf).map_err(|e| self.timed(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sock.flush()
    }
}

/// A proxy to tunnel through: where it is, and what to send it.
#[derive(Debug)]
struct Tunnel {
    /// `host:port` of the proxy, to connect to.
    host: String,
    port: u16,
    /// `http://host:port`, for messages (never the credentials).
    shown: String,
    /// The `Proxy-Authorization` header value, from the proxy URL's user and password.
    authorization: Option<String>,
}

/// The proxy for HTTPS connections to `host:port`, if the environment names
/// one and `NO_PROXY` does not exempt the host (hyper-util's rules, as the
/// SDK's connector applies them).
fn proxy_for(matcher: &Matcher, host: &str, port: u16) -> Result<Option<Tunnel>, ThumbprintError> {
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let Ok(target) = format!("https://{authority}/").parse::<http::Uri>() else {
        return Ok(None);
    };
    let Some(intercept) = matcher.intercept(&target) else {
        return Ok(None);
    };
    let uri = intercept.uri();
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    let shown = format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority()
            .map_or(host, |a| a.as_str().rsplit('@').next().unwrap_or_default())
    );
    if uri.scheme_str() != Some("http") || host.is_empty() {
        return Err(ThumbprintError::ProxyNotHttp { proxy: shown });
    }
    Ok(Some(Tunnel {
        host: host.to_string(),
        port: uri.port_u16().unwrap_or(80),
        shown,
        authorization: intercept
            .basic_auth()
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }))
}

/// The proxy rules from `env`, as every AWS call reads them.
fn proxy_matcher(env: Env) -> Matcher {
    crate::transport::Proxies::from_env(env).matcher()
}

/// A TLS client that trusts this machine's CAs (or a CA bundle), tunnels
/// through the environment's proxy, and remembers each server's chain.
struct Client {
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    /// The CA bundle trusted, or `None` for this machine's CAs.
    ca_bundle: Option<PathBuf>,
    proxy: Matcher,
    deadline: Instant,
}

impl Client {
    fn new(
        deadline: Instant,
        ca_bundle: Option<&CaBundle>,
        proxy: Matcher,
    ) -> Result<Self, ThumbprintError> {
        let mut roots = RootCertStore::empty();
        match ca_bundle {
            Some(bundle) => {
                roots.add_parsable_certificates(bundle.certificates());
                if roots.is_empty() {
                    return Err(ThumbprintError::CaBundleEmpty {
                        path: bundle.path().to_path_buf(),
                    });
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    return Err(ThumbprintError::NoMachineCas);
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(ThumbprintError::Verifier)?;
        Ok(Client {
            provider,
            verifier,
            ca_bundle: ca_bundle.map(|b| b.path().to_path_buf()),
            proxy,
            deadline,
        })
    }

    /// A TCP connection to `host:port` (any of its addresses) within the
    /// deadline; `peer` is what it is, for errors.
    fn tcp(&self, host: &str, port: u16, peer: Peer) -> Result<Deadlined, ThumbprintError> {
        let addrs: Vec<_> = match (host, port).to_socket_addrs() {
            Ok(addrs) => addrs.collect(),
            Err(source) => return Err(ThumbprintError::Resolve { peer, source }),
        };
        // localhost may resolve to ::1 first while the server listens on 127.0.0.1.
        let mut last = None;
        for addr in addrs {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ThumbprintError::ConnectTimedOut { peer });
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(sock) => {
                    return Ok(Deadlined {
                        sock,
                        deadline: self.deadline,
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(match last {
            Some(source) => ThumbprintError::Connect { peer, source },
            None => ThumbprintError::NoAddress { peer },
        })
    }

    /// A connection to `url`'s host: direct, or a `CONNECT` tunnel through the proxy.
    fn open(&self, url: &HttpsUrl) -> Result<Deadlined, ThumbprintError> {
        let Some(proxy) = proxy_for(&self.proxy, &url.host, url.port)? else {
            let server = Peer::Server {
                host: url.host.clone(),
                port: url.port,
            };
            return self.tcp(&url.host, url.port, server);
        };
        let shown = || proxy.shown.clone();
        let mut sock = self.tcp(&proxy.host, proxy.port, Peer::Proxy { url: shown() })?;
        let authority = if url.host.contains(':') {
            format!("[{}]:{}", url.host, url.port)
        } else {
            format!("{}:{}", url.host, url.port)
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = &proxy.authorization {
            request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        request.push_str("\r\n");
        sock.write_all(request.as_bytes())
            .map_err(|source| ThumbprintError::ProxySend {
                proxy: shown(),
                source,
            })?;
        // The proxy's answer head, byte by byte so that nothing of the TLS
        // stream after it is read; at most MAX_PROXY_ANSWER.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() >= MAX_PROXY_ANSWER {
                return Err(ThumbprintError::ProxyAnswerTooLarge { proxy: shown() });
            }
            match sock.read(&mut byte) {
                Ok(0) => {
                    return Err(ThumbprintError::ProxyClosed {
                        proxy: shown(),
                        host: url.host.clone(),
                        port: url.port,
                    })
                }
                Ok(_) => head.push(byte[0]),
                Err(source) => {
                    return Err(ThumbprintError::ProxyRead {
                        proxy: shown(),
                        source,
                    })
                }
            }
        }
        let head = String::from_utf8_lossy(&head);
        let status_line = head.lines().next().unwrap_or_default();
        let status = status_line.split_whitespace().nth(1).unwrap_or("?");
        match status {
            "200" => Ok(sock),
            "407" => Err(ThumbprintError::ProxyAuth {
                proxy: shown(),
                host: url.host.clone(),
                port: url.port,
            }),
            _ => Err(ThumbprintError::ProxyRefused {
                proxy: shown(),
                host: url.host.clone(),
                port: url.port,
                status_line: crate::redact::untrusted(&crate::redact::cut(status_line, 200)),
            }),
        }
    }

    /// Connects, completes the TLS handshake, and returns the stream and the verified chain.
    fn connect(
        &self,
        url: &HttpsUrl,
    ) -> Result<(StreamOwned<ClientConnection, Deadlined>, CertificateChain), ThumbprintError> {
        let recorder = Arc::new(Recorder {
            inner: self.verifier.clone(),
            chain: Mutex::new(Vec::new()),
        });
        let config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(ThumbprintError::TlsConfig)?
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth();
        let name =
            ServerName::try_from(url.host.clone()).map_err(|_| ThumbprintError::ServerName {
                host: url.host.clone(),
            })?;
        let sock = self.open(url)?;
        let conn = ClientConnection::new(Arc::new(config), name).map_err(|source| {
            ThumbprintError::TlsStart {
                host: url.host.clone(),
                port: url.port,
                source,
            }
        })?;
        let mut tls = StreamOwned::new(conn, sock);
        while tls.conn.is_handshaking() {
            if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
                let (host, port) = (url.host.clone(), url.port);
                return Err(
                    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                        Some(rustls::Error::InvalidCertificate(c)) => ThumbprintError::Untrusted {
                            host,
                            port,
                            ca_bundle: self.ca_bundle.clone(),
                            error: c.clone(),
                        },
                        _ => ThumbprintError::Handshake {
                            host,
                            port,
                            source: e,
                        },
                    },
                );
            }
        }
        let certificates = recorder.chain.lock().map(|c| c.clone()).unwrap_or_default();
        let chain = CertificateChain {
            host: url.host.clone(),
            port: url.port,
            certificates,
        };
        Ok((tls, chain))
    }

    /// GETs `url` (up to 1 MiB) over HTTP/1.0, so the answer is neither chunked
    /// nor kept alive, and returns the body and the server's chain.
    fn get(&self, url: &HttpsUrl) -> Result<(Vec<u8>, CertificateChain), ThumbprintError> {
        let (mut tls, chain) = self.connect(url)?;
        let host = if url.port == 443 {
            url.host.clone()
        } else {
            format!("{}:{}", url.host, url.port)
        };
        let request = format!(
            "GET {} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n\
             User-Agent: aws-oidc/{}\r\nConnection: close\r\n\r\n",
            url.path,
            env!("CARGO_PKG_VERSION")
        );
        let place = format!("https://{host}{}", url.path);
        tls.write_all(request.as_bytes())
            .and_then(|_| tls.flush())
            .map_err(|source| ThumbprintError::Send {
                url: place.clone(),
                source,
            })?;
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match tls.read(&mut buf) {
                Ok(0) => break,
                Ok(n) if raw.len() + n <= MAX_DISCOVERY_ANSWER => raw.extend_from_slice(&buf[..n]),
                Ok(_) => return Err(ThumbprintError::AnswerTooLarge { url: place }),
                // Servers that close without TLS close_notify: the body is complete or is checked below.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(source) => return Err(ThumbprintError::Read { url: place, source }),
            }
        }
        let body = http_body(&raw, &place)?;
        Ok((body, chain))
    }
}

/// The body of a raw HTTP/1.0 response (never chunked) from `url`, if its status is 200.
fn http_body(raw: &[u8], url: &str) -> Result<Vec<u8>, ThumbprintError> {
    let url = || url.to_string();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| ThumbprintError::NotHttp { url: url() })?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap_or("?");
    if status != "200" {
        return Err(ThumbprintError::HttpStatus {
            url: url(),
            status: status.to_string(),
        });
    }
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        if body.len() < len {
            return Err(ThumbprintError::CutShort { url: url() });
        }
        body.truncate(len);
    }
    Ok(body)
}

/// Follows AWS's procedure for the issuer at `issuer_url` (e.g.
/// `https://oidc.circleci.com/org/<id>`), all of it (connections, TLS,
/// reads) within `timeout`.  `env` gives the CA bundle (`AWS_CA_BUNDLE`,
/// else the profile's `ca_bundle`) and the proxy (`HTTPS_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`).
pub fn for_issuer(
    issuer_url: &str,
    timeout: Duration,
    env: Env,
) -> Result<IssuerCertificates, ThumbprintError> {
    let deadline = Instant::now() + timeout;
    let issuer = parse_url(issuer_url, UrlKind::Issuer)?;
    let ca_bundle = settings::CA_BUNDLE
        .resolve(None, env)
        .map(|(path, _)| CaBundle::read(Path::new(&path)))
        .transpose()?;
    let matcher = proxy_matcher(env);
    let proxy = proxy_for(&matcher, &issuer.host, issuer.port)?.map(|t| t.shown);
    let client = Client::new(deadline, ca_bundle.as_ref(), matcher)?;
    let discovery = HttpsUrl {
        path: format!(
            "{}/.well-known/openid-configuration",
            issuer.path.trim_end_matches('/')
        ),
        ..issuer.clone()
    };
    let place = format!(
        "https://{}:{}{}",
        discovery.host, discovery.port, discovery.path
    );
    let (body, issuer_chain) = client.get(&discovery)?;
    // serde_json's error is not kept: what matters is that this is no
    // discovery document, not where its JSON breaks.
    let doc: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| ThumbprintError::DiscoveryNotJson {
            url: place.clone(),
            issuer: issuer_url.to_string(),
        })?;
    let Some(jwks_uri) = doc.get("jwks_uri").and_then(|v| v.as_str()) else {
        return Err(ThumbprintError::NoJwksUri { url: place });
    };
    let jwks = parse_url(jwks_uri, UrlKind::JwksUri)?;
    let jwks_chain = if (jwks.host.as_str(), jwks.port) == (issuer.host.as_str(), issuer.port) {
        issuer_chain.clone()
    } else {
        client.connect(&jwks)?.1
    };
    Ok(IssuerCertificates {
        jwks_uri: jwks_uri.to_string(),
        jwks: jwks_chain,
        issuer: issuer_chain,
        ca_bundle: ca_bundle.map(|b| b.path().to_path_buf()),
        proxy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    fn tunnel(env: &[(&str, &str)], host: &str) -> Result<Option<Tunnel>, ThumbprintError> {
        proxy_for(&proxy_matcher(&env_of(env)), host, 443)
    }

    #[test]
    fn https_proxy_or_all_proxy_is_the_tunnel_unless_no_proxy_lists_the_host() {
        let t = tunnel(
            &[("HTTPS_PROXY", "http://proxy.corp:3128")],
            "oidc.circleci.com",
        )
        .unwrap()
        .unwrap();
        assert_eq!((t.host.as_str(), t.port), ("proxy.corp", 3128));
        assert_eq!(t.shown, "http://proxy.corp:3128");
        assert!(t.authorization.is_none());
        let t = tunnel(&[("all_proxy", "http://fallback")], "oidc.circleci.com")
            .unwrap()
            .unwrap();
        assert_eq!((t.host.as_str(), t.port), ("fallback", 80));
        for no in ["oidc.circleci.com", ".circleci.com", "circleci.com", "*"] {
            let env = [("HTTPS_PROXY", "http://proxy.corp:3128"), ("NO_PROXY", no)];
            assert!(tunnel(&env, "oidc.circleci.com").unwrap().is_none(), "{no}");
        }
        let env = [("HTTPS_PROXY", "http://p:1"), ("no_proxy", "example.com")];
        assert!(tunnel(&env, "oidc.circleci.com").unwrap().is_some());
        assert!(tunnel(&[("HTTP_PROXY", "http://p:1")], "oidc.circleci.com")
            .unwrap()
            .is_none());
    }

    #[test]
    fn proxy_credentials_go_in_the_header_and_never_in_messages() {
        let env = [("HTTPS_PROXY", "http://me:s3cret@proxy.corp:3128")];
        let t = tunnel(&env, "oidc.circleci.com").unwrap().unwrap();
        assert_eq!(t.shown, "http://proxy.corp:3128");
        assert_eq!(t.authorization.as_deref(), Some("Basic bWU6czNjcmV0"));
        let env = [("HTTPS_PROXY", "https://me:s3cret@proxy.corp:3128")];
        let err = tunnel(&env, "oidc.circleci.com").unwrap_err().to_string();
        assert!(err.contains("not an http:// proxy"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn sha1_matches_a_known_vector() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn urls_split_into_host_port_path() {
        let u = parse_url("https://oidc.circleci.com/org/x", UrlKind::Issuer).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("oidc.circleci.com", 443, "/org/x")
        );
        let u = parse_url("https://127.0.0.1:8443", UrlKind::Issuer).unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8443, "/")
        );
        let u = parse_url("https://[::1]:9/a", UrlKind::Issuer).unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        for bad in ["http://x", "https://", "https://u@h/", "https://h:port/"] {
            assert!(parse_url(bad, UrlKind::Issuer).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refused_url_says_which_url_and_why() {
        let jwks = UrlKind::JwksUri;
        assert!(matches!(
            parse_url("http://x", jwks),
            Err(ThumbprintError::NotHttps { which: UrlKind::JwksUri, url }) if url == "http://x"
        ));
        assert!(matches!(
            parse_url("https://h:99999/", UrlKind::Issuer),
            Err(ThumbprintError::BadPort {
                which: UrlKind::Issuer,
                ..
            })
        ));
        assert!(matches!(
            parse_url("https://u@h/", UrlKind::Issuer),
            Err(ThumbprintError::NoHost { .. })
        ));
        assert_eq!(
            parse_url("http://x", jwks).unwrap_err().to_string(),
            "the discovery document's jwks_uri \"http://x\" is not an https:// URL (IAM only trusts HTTPS issuers)"
        );
    }

    #[test]
    fn proxy_and_tls_refusals_keep_their_parts_and_their_texts() {
        let env = [("HTTPS_PROXY", "https://me:s3cret@proxy.corp:3128")];
        assert!(matches!(
            tunnel(&env, "oidc.circleci.com"),
            Err(ThumbprintError::ProxyNotHttp { proxy }) if proxy == "https://proxy.corp:3128"
        ));
        let refused = ThumbprintError::ProxyRefused {
            proxy: "http://p:3128".into(),
            host: "oidc.circleci.com".into(),
            port: 443,
            status_line: "HTTP/1.1 502 Bad Gateway".into(),
        };
        assert_eq!(
            refused.to_string(),
            "the proxy http://p:3128 refused a tunnel to oidc.circleci.com:443: HTTP/1.1 502 Bad \
             Gateway; check HTTPS_PROXY and NO_PROXY"
        );
        let untrusted = |ca_bundle| ThumbprintError::Untrusted {
            host: "h".into(),
            port: 443,
            ca_bundle,
            error: rustls::CertificateError::UnknownIssuer,
        };
        assert!(untrusted(None)
            .to_string()
            .starts_with("TLS handshake with h:443 failed: its certificate is not trusted by this machine's CAs (UnknownIssuer). aws-oidc only reports"));
        assert!(untrusted(Some(PathBuf::from("ca.pem")))
            .to_string()
            .contains("not trusted by the CA bundle ca.pem (AWS_CA_BUNDLE) (UnknownIssuer)"));
        let peer = Peer::Proxy {
            url: "http://p:1".into(),
        };
        assert_eq!(
            ThumbprintError::ConnectTimedOut { peer }.to_string(),
            "cannot connect to the proxy http://p:1: gave up, the time limit (--timeout) ran out"
        );
        assert_eq!(
            ThumbprintError::ProxyAnswerTooLarge {
                proxy: "http://p:1".into()
            }
            .to_string(),
            "the proxy http://p:1 sent an answer to CONNECT of over 16 KiB"
        );
    }

    #[test]
    fn http_bodies_plain_and_sized() {
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}xx", "u").unwrap(),
            b"{}"
        );
        assert_eq!(http_body(b"HTTP/1.1 200 OK\r\n\r\n{}", "u").unwrap(), b"{}");
        assert!(matches!(
            http_body(b"HTTP/1.1 404 Not Found\r\n\r\n", "u"),
            Err(ThumbprintError::HttpStatus { status, .. }) if status == "404"
        ));
        assert_eq!(
            http_body(b"HTTP/1.1 404 Not Found\r\n\r\n", "https://h/x")
                .unwrap_err()
                .to_string(),
            "https://h/x: the server answered HTTP 404, not 200"
        );
        assert!(matches!(
            http_body(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}", "u"),
            Err(ThumbprintError::CutShort { .. })
        ));
        assert!(matches!(
            http_body(b"garbage", "u"),
            Err(ThumbprintError::NotHttp { .. })
        ));
    }
}
