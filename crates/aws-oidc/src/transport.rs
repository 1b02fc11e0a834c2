//! The HTTP/1.1 connector every AWS call goes through.
//!
//! Every endpoint aws-oidc calls (STS, ECR, EKS, Secrets Manager, SSM,
//! CodeArtifact, and custom endpoints such as a plain-HTTP test server)
//! speaks HTTP/1.1, but the SDK's own connector (aws-smithy-http-client)
//! always links hyper's HTTP/2 client and `h2`: about 100 KB of the x86_64
//! binary (docs/size.md, lever (d)).  This is the glue that replaces it:
//! hyper's HTTP/1.1 connection does HTTP, rustls (ring) does TLS, and
//! hyper-util connects (DNS, Happy Eyeballs, `TCP_NODELAY`), picks proxies
//! and opens `CONNECT` tunnels.  It mirrors what that connector did for us:
//!
//! - trust: the CA bundle alone when there is one (`AWS_CA_BUNDLE`, the
//!   profile's `ca_bundle`), else the system's CAs when TLS can be needed,
//!   else none: loading the system store is most of a run's CPU, wasted on
//!   a plain-HTTP endpoint.  TLS 1.2 and 1.3, its cipher suites, SNI; ALPN
//!   offers `http/1.1` only;
//! - proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (either
//!   case, hyper-util's rules, read from the injected environment once, with
//!   the other settings: [`Proxies`]): a `CONNECT` tunnel for an `https://` target,
//!   the absolute-form request for an `http://` one, Basic auth from the
//!   proxy URL's user and password, and TLS to an `https://` proxy;
//! - the connect timeout around connecting (DNS, TCP, tunnel, TLS), the
//!   read timeout until the answer's head, and errors as the SDK's retry
//!   classifier reads them: `timeout`, `io` (could not connect, connection
//!   closed), `user`, `other`.
//!
//! One connection per request, closed when its answer has been read: a run
//! makes one to three calls, and no pool task outlives them.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_async::future::timeout::{TimedOutError, Timeout};
use aws_smithy_async::rt::sleep::{default_async_sleep, AsyncSleep, SharedAsyncSleep};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use http::header::{HeaderValue, HOST, PROXY_AUTHORIZATION};
use http::uri::{Scheme, Uri};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tower_service::Service;

use crate::ca_bundle::CaBundle;
use crate::env::Env;

/// An HTTP client for the SDK's clients: a [`Connector`] per attempt, all
/// sharing one [`Transport`].
pub(crate) fn http_client(transport: Transport) -> SharedHttpClient {
    http_client_fn(move |settings, components| {
        SharedHttpConnector::new(transport.connector(settings, components.sleep_impl()))
    })
}

/// Which CAs a TLS connection trusts.
#[derive(Clone)]
enum Trust {
    /// None: nothing here can be HTTPS.
    Nothing,
    /// The system's (honouring `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    System,
    /// A CA bundle's, and only those.
    Bundle(Arc<Vec<CertificateDer<'static>>>),
}

/// What every connection for one endpoint shares: trust, proxies, the
/// TCP connector, and the TLS settings once built.
#[derive(Clone)]
pub(crate) struct Transport(Arc<Shared>);

struct Shared {
    trust: Trust,
    /// Built at the first TLS handshake, not before.
    tls: OnceLock<Arc<rustls::ClientConfig>>,
    proxies: Matcher,
    tcp: TcpConnector,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trust = match &self.0.trust {
            Trust::Nothing => "none",
            Trust::System => "system",
            Trust::Bundle(_) => "CA bundle",
        };
        f.debug_struct("Transport").field("trust", &trust).finish()
    }
}

impl Transport {
    /// The transport for calls to `endpoint_url` (None: the AWS endpoint,
    /// HTTPS) through `proxies`, trusting `ca_bundle` alone when given.
    pub(crate) fn new(
        endpoint_url: Option<&str>,
        ca_bundle: Option<&CaBundle>,
        proxies: &Proxies,
    ) -> Self {
        let trust = match ca_bundle {
            Some(bundle) => Trust::Bundle(Arc::new(bundle.certificates())),
            None if needs_tls(endpoint_url, proxies) => Trust::System,
            None => Trust::Nothing,
        };
        let mut tcp = TcpConnector::new();
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        Transport(Arc::new(Shared {
            trust,
            tls: OnceLock::new(),
            proxies: proxies.matcher(),
            tcp,
        }))
    }

    /// A connector with these timeouts, measured with `sleep` (the
    /// runtime's, else tokio's).
    pub(crate) fn connector(
        &self,
        settings: &HttpConnectorSettings,
        sleep: Option<SharedAsyncSleep>,
    ) -> Connector {
        let sleep = sleep.or_else(default_async_sleep);
        let limit = |d: Option<Duration>| Some((d?, sleep.clone()?));
        Connector {
            transport: self.clone(),
            connect_timeout: limit(settings.connect_timeout()),
            read_timeout: limit(settings.read_timeout()),
        }
    }

    /// The TLS settings: ring, the cipher suites and protocol versions the
    /// SDK's connector offers, this transport's CAs, `http/1.1` by ALPN.
    fn tls(&self) -> Arc<rustls::ClientConfig> {
        // The system's CAs are read once per process, however many clients.
        static SYSTEM: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
        let cell = match self.0.trust {
            Trust::System => &SYSTEM,
            _ => &self.0.tls,
        };
        cell.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            match &self.0.trust {
                Trust::Nothing => {}
                Trust::System => {
                    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
                }
                Trust::Bundle(certs) => {
                    roots.add_parsable_certificates(certs.iter().cloned());
                }
            }
            let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider()))
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3")
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
    }

    /// A connection to `uri`'s host and port: TCP, then TLS for `https`.
    async fn stream(&self, uri: Uri) -> Result<Stream, BoxError> {
        let https = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            Some(s) => return Err(format!("unsupported scheme {s}").into()),
            None => return Err("missing scheme".into()),
        };
        let tcp = self.0.tcp.clone().call(uri.clone()).await?;
        if https {
            self.tls_over(&uri, Box::new(tcp)).await
        } else {
            Ok(Box::new(tcp))
        }
    }

    /// TLS to `uri`'s host over `io`, with SNI (none for an IP address).
    async fn tls_over(&self, uri: &Uri, io: Stream) -> Result<Stream, BoxError> {
        let host = uri.host().ok_or("missing host in URI for TLS handshake")?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("invalid server name for TLS handshake: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls())
            .connect(name, TokioIo::new(io))
            .await?;
        Ok(Box::new(TokioIo::new(tls)))
    }

    /// A connection for a request to `target`: direct, tunnelled through
    /// its proxy (`https`), or to its proxy (`http`, with the proxy's
    /// credentials for the request's `Proxy-Authorization`).
    async fn open(&self, target: &Uri) -> Result<(Stream, Route), BoxError> {
        let Some(proxy) = self.0.proxies.intercept(target) else {
            return Ok((self.stream(target.clone()).await?, Route::Direct));
        };
        if target.scheme() == Some(&Scheme::HTTPS) {
            let mut tunnel = Tunnel::new(proxy.uri().clone(), ToProxy(self.clone()));
            if let Some(auth) = proxy.basic_auth() {
                tunnel = tunnel.with_auth(auth.clone());
            }
            let tunnelled = tunnel.call(target.clone()).await?;
            Ok((self.tls_over(target, tunnelled).await?, Route::Direct))
        } else {
            let auth = proxy.basic_auth().cloned();
            let stream = self.stream(proxy.uri().clone()).await?;
            Ok((stream, Route::Forward(auth)))
        }
    }
}

/// The proxies the environment names, read once with the other settings
/// from the injected environment, by hyper-util's rules
/// (`Matcher::from_env`): `HTTP_PROXY` for `http://` targets, `HTTPS_PROXY`
/// for `https://` ones, `ALL_PROXY` for either where those are not set,
/// `NO_PROXY` for the exceptions; each upper case first, then lower case;
/// none at all in a CGI request (`REQUEST_METHOD` set), whose `Proxy`
/// header would arrive as `HTTP_PROXY`.  `Debug` shows no URL: a proxy's
/// may hold a password.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Proxies {
    cgi: bool,
    http: String,
    https: String,
    all: String,
    no: String,
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: &String| if v.is_empty() { "unset" } else { "set" };
        f.debug_struct("Proxies")
            .field("cgi", &self.cgi)
            .field("http", &set(&self.http))
            .field("https", &set(&self.https))
            .field("all", &set(&self.all))
            .field("no", &set(&self.no))
            .finish()
    }
}

impl Proxies {
    /// The proxies `env` names.
    pub(crate) fn from_env(env: Env) -> Self {
        let first = |names: [&str; 2]| names.iter().find_map(|n| env(n)).unwrap_or_default();
        Proxies {
            cgi: env("REQUEST_METHOD").is_some(),
            http: first(["HTTP_PROXY", "http_proxy"]),
            https: first(["HTTPS_PROXY", "https_proxy"]),
            all: first(["ALL_PROXY", "all_proxy"]),
            no: first(["NO_PROXY", "no_proxy"]),
        }
    }

    /// hyper-util's matcher for them.
    pub(crate) fn matcher(&self) -> Matcher {
        if self.cgi {
            return Matcher::builder().build();
        }
        Matcher::builder()
            .http(self.http.clone())
            .https(self.https.clone())
            .all(self.all.clone())
            .no(self.no.clone())
            .build()
    }

    /// Whether one of them is reached over TLS.
    fn any_https(&self) -> bool {
        !self.cgi
            && [&self.http, &self.https, &self.all]
                .iter()
                .any(|proxy| scheme_is(proxy, "https://"))
    }
}

/// Whether `url` starts with `scheme`; schemes are case-insensitive.
fn scheme_is(url: &str, scheme: &str) -> bool {
    url.trim()
        .get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

/// Whether a call to `endpoint_url` (None: the AWS endpoint, HTTPS) can need
/// TLS: to the endpoint itself, or to an `https://` proxy.  A URL without a
/// scheme is taken as HTTPS.
fn needs_tls(endpoint_url: Option<&str>, proxies: &Proxies) -> bool {
    endpoint_url.is_none_or(|url| !scheme_is(url, "http://")) || proxies.any_https()
}

/// ring's provider with the cipher suites the SDK's connector offers, in
/// its order: AES-GCM for TLS 1.3; ECDHE with AES-GCM, and ChaCha20 with
/// RSA, for TLS 1.2.
fn provider() -> rustls::crypto::CryptoProvider {
    use rustls::CipherSuite as S;
    const SUITES: [S; 7] = [
        S::TLS13_AES_256_GCM_SHA384,
        S::TLS13_AES_128_GCM_SHA256,
        S::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        S::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let ring = rustls::crypto::ring::default_provider();
    let cipher_suites = SUITES
        .iter()
        .filter_map(|s| ring.cipher_suites.iter().find(|c| c.suite() == *s).copied())
        .collect();
    rustls::crypto::CryptoProvider {
        cipher_suites,
        ..ring
    }
}

/// Bytes both ways, plain or TLS, direct or tunnelled.
trait Io: hyper::rt::Read + hyper::rt::Write + Send + Unpin {}
impl<T: hyper::rt::Read + hyper::rt::Write + Send + Unpin> Io for T {}
type Stream = Box<dyn Io>;

/// How a request reaches its target.
enum Route {
    /// On a connection to the target (or a tunnel to it): origin-form.
    Direct,
    /// To a proxy that forwards it: absolute-form, with these credentials.
    Forward(Option<HeaderValue>),
}

/// Connections to proxies, for hyper-util's `CONNECT` tunnel.
struct ToProxy(Transport);

impl Service<Uri> for ToProxy {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, proxy: Uri) -> Self::Future {
        let transport = self.0.clone();
        Box::pin(async move { transport.stream(proxy).await })
    }
}

/// Sends one request on a new HTTP/1.1 connection.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    transport: Transport,
    connect_timeout: Option<(Duration, SharedAsyncSleep)>,
    read_timeout: Option<(Duration, SharedAsyncSleep)>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let this = self.clone();
        HttpConnectorFuture::new(async move {
            let response = within(this.send(request), &this.read_timeout, "HTTP read")
                .await
                .map_err(|e| match e {
                    Within::TimedOut(e) => ConnectorError::timeout(e.into()),
                    Within::Failed(e) => e,
                })?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

impl Connector {
    /// Connects, sends `request`, and answers once the response's head has come.
    async fn send(
        &self,
        mut request: http::Request<SdkBody>,
    ) -> Result<http::Response<hyper::body::Incoming>, ConnectorError> {
        let target = request.uri().clone();
        let (stream, route) = within(
            self.transport.open(&target),
            &self.connect_timeout,
            "HTTP connect",
        )
        .await
        .map_err(|e| match e {
            Within::TimedOut(e) => ConnectorError::timeout(e.into()),
            Within::Failed(e) => ConnectorError::io(e),
        })?;
        if let Some(host) = host_header(&target) {
            request.headers_mut().entry(HOST).or_insert(host);
        }
        match route {
            Route::Forward(auth) => {
                if let Some(auth) = auth {
                    request
                        .headers_mut()
                        .entry(PROXY_AUTHORIZATION)
                        .or_insert(auth);
                }
            }
            Route::Direct => *request.uri_mut() = origin_form(&target),
        }
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream)
            .await
            .map_err(classify)?;
        // Drives the connection until the answer's body has been read; it
        // ends then, as the sender is gone.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        sender.send_request(request).await.map_err(classify)
    }
}

/// The `Host` header: the target's host, and its port unless the scheme's default.
fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let host = uri.host()?;
    let default = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    match uri.port_u16() {
        Some(port) if port != default => HeaderValue::try_from(format!("{host}:{port}")).ok(),
        _ => HeaderValue::try_from(host).ok(),
    }
}

/// The request line's target for a direct connection: the path and query.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => Uri::from(path.clone()),
        _ => Uri::from_static("/"),
    }
}

/// A hyper error as the SDK's retry classifier reads it (as its own
/// connector classified them): closed or reset connections can pass, an
/// answer cut short is transient.
fn classify(e: hyper::Error) -> ConnectorError {
    if e.is_timeout() {
        ConnectorError::timeout(e.into())
    } else if e.is_user() {
        ConnectorError::user(e.into())
    } else if e.is_closed() || e.is_canceled() || has_io_source(&e) {
        ConnectorError::io(e.into())
    } else if e.is_incomplete_message() {
        ConnectorError::other(e.into(), Some(ErrorKind::TransientError))
    } else {
        ConnectorError::other(e.into(), None)
    }
}

fn has_io_source(e: &hyper::Error) -> bool {
    let mut next = e.source();
    while let Some(e) = next {
        if e.is::<std::io::Error>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A step that ran out of time: "HTTP connect timeout occurred after 5s".
#[derive(Debug)]
struct TimeLimit {
    what: &'static str,
    after: Duration,
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} timeout occurred after {:?}", self.what, self.after)
    }
}

impl Error for TimeLimit {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&TimedOutError)
    }
}

enum Within<E> {
    TimedOut(TimeLimit),
    Failed(E),
}

/// `step`, given up after `limit` when there is one.
async fn within<T, E>(
    step: impl Future<Output = Result<T, E>>,
    limit: &Option<(Duration, SharedAsyncSleep)>,
    what: &'static str,
) -> Result<T, Within<E>> {
    match limit {
        None => step.await.map_err(Within::Failed),
        Some((after, sleep)) => match Timeout::new(step, sleep.sleep(*after)).await {
            Ok(done) => done.map_err(Within::Failed),
            Err(TimedOutError) => Err(Within::TimedOut(TimeLimit {
                what,
                after: *after,
            })),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_roots_are_loaded_unless_nothing_can_be_https() {
        let none = &Proxies::default();
        assert!(needs_tls(None, none), "the AWS endpoint is HTTPS");
        assert!(needs_tls(Some("https://sts.example"), none));
        assert!(
            needs_tls(Some("sts.example:443"), none),
            "no scheme is taken as HTTPS"
        );
        assert!(!needs_tls(Some("http://127.0.0.1:5000"), none));
        assert!(!needs_tls(Some(" HTTP://127.0.0.1:5000"), none));
        let https_proxy = Proxies::from_env(&|name: &str| {
            (name == "http_proxy").then(|| "HTTPS://proxy:3128".to_string())
        });
        assert!(
            needs_tls(Some("http://127.0.0.1:5000"), &https_proxy),
            "TLS to the proxy"
        );
        let http_proxy = Proxies::from_env(&|name: &str| {
            (name == "HTTPS_PROXY").then(|| "http://proxy:3128".to_string())
        });
        assert!(!needs_tls(Some("http://127.0.0.1:5000"), &http_proxy));
    }

    #[test]
    fn proxies_come_from_the_injected_environment_by_hyper_utils_rules() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let env = crate::env::env_of(&[
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:2"),
            ("ALL_PROXY", "http://all:3"),
            ("NO_PROXY", "skip.example"),
        ]);
        let proxies = Proxies::from_env(&env);
        let m = proxies.matcher();
        let via = |target: &str| m.intercept(&uri(target)).map(|i| i.uri().to_string());
        assert_eq!(
            via("http://sts.example/").as_deref(),
            Some("http://upper:2/"),
            "upper case first"
        );
        assert_eq!(
            via("https://sts.example/").as_deref(),
            Some("http://all:3/"),
            "ALL_PROXY where HTTPS_PROXY is unset"
        );
        assert_eq!(via("https://skip.example/"), None, "NO_PROXY");
        // A CGI request's Proxy header arrives as HTTP_PROXY: no proxy at all.
        let cgi =
            crate::env::env_of(&[("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "https://evil:1")]);
        let cgi = Proxies::from_env(&cgi);
        assert!(cgi
            .matcher()
            .intercept(&uri("https://sts.example/"))
            .is_none());
        assert!(!needs_tls(Some("http://127.0.0.1:5000"), &cgi));
        // Debug names no proxy URL (it may hold a password).
        let secret = Proxies::from_env(&crate::env::env_of(&[(
            "HTTPS_PROXY",
            "https://u:hunter2@p:1",
        )]));
        assert!(!format!("{secret:?}").contains("hunter2"), "{secret:?}");
    }

    #[test]
    fn host_header_and_request_target_follow_hypers_client() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let host = |s: &str| host_header(&uri(s)).unwrap();
        assert_eq!(host("https://sts.amazonaws.com/"), "sts.amazonaws.com");
        assert_eq!(host("https://sts.amazonaws.com:443/"), "sts.amazonaws.com");
        assert_eq!(host("http://127.0.0.1:80/"), "127.0.0.1");
        assert_eq!(host("http://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(host("https://[::1]:8443/x"), "[::1]:8443");
        assert_eq!(origin_form(&uri("http://h:1")), "/");
        assert_eq!(origin_form(&uri("http://h:1/?Action=x")), "/?Action=x");
        assert_eq!(origin_form(&uri("https://h/v1/a?b=c")), "/v1/a?b=c");
    }

    #[test]
    fn offers_the_sdk_connectors_suites_and_http_1_1_only() {
        let t = Transport::new(Some("http://127.0.0.1:1"), None, &Proxies::default());
        let tls = t.tls();
        assert_eq!(tls.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert_eq!(tls.crypto_provider().cipher_suites.len(), 7);
    }

    #[test]
    fn a_connect_timeout_is_a_timeout_and_a_refusal_is_io() {
        let request = |url: String| {
            HttpRequest::try_from(
                http::Request::builder()
                    .uri(url)
                    .body(SdkBody::empty())
                    .unwrap(),
            )
            .unwrap()
        };
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_millis(100))
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // A server that accepts the connection but never answers TLS: the
        // handshake is part of connecting.
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://127.0.0.1:{}/", silent.local_addr().unwrap().port());
        let connector =
            Transport::new(Some(&url), None, &Proxies::default()).connector(&settings, None);
        let err = runtime.block_on(connector.call(request(url))).unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        // Nothing listens on a port just closed.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
        drop(closed);
        let connector =
            Transport::new(Some(&url), None, &Proxies::default()).connector(&settings, None);
        let err = runtime.block_on(connector.call(request(url))).unwrap_err();
        assert!(err.is_io(), "{err:?}");
    }
}
