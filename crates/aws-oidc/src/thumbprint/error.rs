//! Why no thumbprint could be had: one variant per step of the procedure
//! that can fail, holding the URL, host, proxy or CA bundle involved.

use std::path::PathBuf;

/// The most a proxy's answer to `CONNECT` may hold (its head; the tunnel follows).
pub(crate) const MAX_PROXY_ANSWER: usize = 16 * 1024;

/// The most an issuer's answer (the discovery document) may hold.
pub(crate) const MAX_DISCOVERY_ANSWER: usize = 1 << 20;

/// Which URL of the procedure is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlKind {
    /// The issuer URL given.
    Issuer,
    /// The `jwks_uri` of the issuer's discovery document.
    JwksUri,
}

impl std::fmt::Display for UrlKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlKind::Issuer => "the issuer URL",
            UrlKind::JwksUri => "the discovery document's jwks_uri",
        })
    }
}

/// What a connection was being opened to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// The issuer's or the JWKS host, directly.
    Server {
        /// The host.
        host: String,
        /// Its port.
        port: u16,
    },
    /// The proxy the connection goes through.
    Proxy {
        /// `scheme://host:port` of the proxy, without its credentials.
        url: String,
    },
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Server { host, port } => write!(f, "{host}:{port}"),
            Peer::Proxy { url } => write!(f, "the proxy {url}"),
        }
    }
}

crate::error_debug::debug_by_display!(ThumbprintError);
/// Why no thumbprint could be had.
#[derive(thiserror::Error)]
pub enum ThumbprintError {
    /// A URL that is not `https://`: IAM only trusts HTTPS issuers.
    #[error("{which} {url:?} is not an https:// URL (IAM only trusts HTTPS issuers)")]
    NotHttps {
        /// Which URL.
        which: UrlKind,
        /// The URL.
        url: String,
    },
    /// A URL whose port is not a number from 0 to 65535.
    #[error("{which} {url:?} has a bad port")]
    BadPort {
        /// Which URL.
        which: UrlKind,
        /// The URL.
        url: String,
    },
    /// A URL with no host, or with a user name in it.
    #[error("{which} {url:?} has no usable host")]
    NoHost {
        /// Which URL.
        which: UrlKind,
        /// The URL.
        url: String,
    },
    /// The CA bundle could not be read.
    #[error(transparent)]
    CaBundle(#[from] crate::ca_bundle::CaBundleError),
    /// The CA bundle holds no certificate rustls can use as a CA.
    #[error(
        "the CA bundle {} (AWS_CA_BUNDLE) holds no CA certificate rustls can \
         use: point AWS_CA_BUNDLE at a PEM file of CA certificates",
        path.display()
    )]
    CaBundleEmpty {
        /// The bundle.
        path: PathBuf,
    },
    /// This machine has no CA certificates to verify with.
    #[error(
        "no CA certificates found on this machine: install the ca-certificates \
         package, or point SSL_CERT_FILE (or AWS_CA_BUNDLE) at a PEM bundle"
    )]
    NoMachineCas,
    /// The TLS verifier could not be built from the CAs.
    #[error("cannot set up TLS verification: {0}")]
    Verifier(#[source] rustls::client::VerifierBuilderError),
    /// The proxy is not an `http://` proxy, the only kind this tunnels through.
    #[error(
        "the proxy {proxy} (HTTPS_PROXY or ALL_PROXY) is not an http:// proxy: thumbprint \
         tunnels through http:// proxies only; give the proxy as http://host:port, or \
         list the issuer's host in NO_PROXY"
    )]
    ProxyNotHttp {
        /// The proxy, without its credentials.
        proxy: String,
    },
    /// A host name that does not resolve.
    #[error("cannot resolve {peer}: {source}")]
    Resolve {
        /// What was being connected to.
        peer: Peer,
        /// The resolver's error.
        source: std::io::Error,
    },
    /// A host name that resolves to no address.
    #[error("cannot resolve {peer}: check the URL and DNS")]
    NoAddress {
        /// What was being connected to.
        peer: Peer,
    },
    /// The time limit ran out before a connection was made.
    #[error("cannot connect to {peer}: gave up, the time limit (--timeout) ran out")]
    ConnectTimedOut {
        /// What was being connected to.
        peer: Peer,
    },
    /// No connection could be made (the last address's error).
    #[error("cannot connect to {peer}: {source}")]
    Connect {
        /// What was being connected to.
        peer: Peer,
        /// The error.
        source: std::io::Error,
    },
    /// `CONNECT` could not be sent to the proxy.
    #[error("cannot send CONNECT to the proxy {proxy}: {source}")]
    ProxySend {
        /// The proxy, without its credentials.
        proxy: String,
        /// The error.
        source: std::io::Error,
    },
    /// The proxy's answer to `CONNECT` could not be read.
    #[error("cannot read the proxy {proxy}'s answer to CONNECT: {source}")]
    ProxyRead {
        /// The proxy, without its credentials.
        proxy: String,
        /// The error.
        source: std::io::Error,
    },
    /// The proxy's answer to `CONNECT` is longer than `MAX_PROXY_ANSWER`.
    #[error(
        "the proxy {proxy} sent an answer to CONNECT of over {} KiB",
        MAX_PROXY_ANSWER / 1024
    )]
    ProxyAnswerTooLarge {
        /// The proxy, without its credentials.
        proxy: String,
    },
    /// The proxy closed the connection without an answer.
    #[error(
        "the proxy {proxy} closed the connection instead of opening a tunnel to {host}:{port}"
    )]
    ProxyClosed {
        /// The proxy, without its credentials.
        proxy: String,
        /// The host of the tunnel asked for.
        host: String,
        /// Its port.
        port: u16,
    },
    /// The proxy wants credentials (HTTP 407).
    #[error(
        "the proxy {proxy} wants credentials (HTTP 407) for a tunnel to {host}:{port}: give them in the \
         proxy URL, HTTPS_PROXY=http://USER:PASSWORD@host:port, or list {host} in NO_PROXY"
    )]
    ProxyAuth {
        /// The proxy, without its credentials.
        proxy: String,
        /// The host of the tunnel asked for.
        host: String,
        /// Its port.
        port: u16,
    },
    /// The proxy answered `CONNECT` with another status than 200.
    #[error(
        "the proxy {proxy} refused a tunnel to {host}:{port}: {status_line}; check HTTPS_PROXY \
         and NO_PROXY"
    )]
    ProxyRefused {
        /// The proxy, without its credentials.
        proxy: String,
        /// The host of the tunnel asked for.
        host: String,
        /// Its port.
        port: u16,
        /// The first line of the proxy's answer, at most 200 characters,
        /// made printable and with anything token-shaped hidden.
        status_line: String,
    },
    /// The TLS client could not be configured.
    #[error("cannot set up TLS: {0}")]
    TlsConfig(#[source] rustls::Error),
    /// A host that cannot be a TLS server name.
    #[error("{host:?} is not a valid host name")]
    ServerName {
        /// The host.
        host: String,
    },
    /// The TLS connection could not be started.
    #[error("cannot start TLS with {host}:{port}: {source}")]
    TlsStart {
        /// The host.
        host: String,
        /// Its port.
        port: u16,
        /// The error.
        source: rustls::Error,
    },
    /// The server's certificate chain does not verify against the CAs
    /// trusted: no thumbprint is reported for a chain that does not.
    #[error(
        "TLS handshake with {host}:{port} failed: its certificate is not trusted by {} ({error:?}). \
         aws-oidc only reports the thumbprint of a chain it can verify, so that no one in the \
         middle can substitute theirs: if the issuer uses a private CA, put that CA's \
         certificate in AWS_CA_BUNDLE (or SSL_CERT_FILE)",
        trusted_cas(.ca_bundle)
    )]
    Untrusted {
        /// The host.
        host: String,
        /// Its port.
        port: u16,
        /// The CA bundle verified against, or `None` for this machine's CAs.
        ca_bundle: Option<PathBuf>,
        /// Why the verifier refused the chain.
        error: rustls::CertificateError,
    },
    /// The TLS handshake failed otherwise (or the time limit ran out).
    #[error("TLS handshake with {host}:{port} failed: {source}")]
    Handshake {
        /// The host.
        host: String,
        /// Its port.
        port: u16,
        /// The error.
        source: std::io::Error,
    },
    /// The request could not be sent.
    #[error("cannot send a request to {url}: {source}")]
    Send {
        /// The URL asked for.
        url: String,
        /// The error.
        source: std::io::Error,
    },
    /// The answer could not be read.
    #[error("cannot read the answer from {url}: {source}")]
    Read {
        /// The URL asked for.
        url: String,
        /// The error.
        source: std::io::Error,
    },
    /// The answer is longer than `MAX_DISCOVERY_ANSWER`.
    #[error("the answer from {url} is larger than {} MiB", MAX_DISCOVERY_ANSWER >> 20)]
    AnswerTooLarge {
        /// The URL asked for.
        url: String,
    },
    /// The answer is not an HTTP response.
    #[error("{url}: the answer is not HTTP")]
    NotHttp {
        /// The URL asked for.
        url: String,
    },
    /// The server answered with another status than 200.
    #[error("{url}: the server answered HTTP {status}, not 200")]
    HttpStatus {
        /// The URL asked for.
        url: String,
        /// The status the server gave (`?` if none).
        status: String,
    },
    /// The answer ended before the length its `Content-Length` gave.
    #[error("{url}: the answer was cut short")]
    CutShort {
        /// The URL asked for.
        url: String,
    },
    /// The discovery document is not JSON: the URL is likely not an issuer's.
    #[error("the discovery document {url} is not JSON: is {issuer} an OIDC issuer URL?")]
    DiscoveryNotJson {
        /// The discovery document's URL.
        url: String,
        /// The issuer URL given.
        issuer: String,
    },
    /// The discovery document names no `jwks_uri`.
    #[error("the discovery document {url} has no jwks_uri")]
    NoJwksUri {
        /// The discovery document's URL.
        url: String,
    },
}

/// The CAs a chain was verified against, for messages.
fn trusted_cas(ca_bundle: &Option<PathBuf>) -> String {
    match ca_bundle {
        Some(path) => format!("the CA bundle {} (AWS_CA_BUNDLE)", path.display()),
        None => "this machine's CAs".into(),
    }
}
