//! The STS calls: AssumeRoleWithWebIdentity, chained AssumeRole, GetCallerIdentity.
//!
//! One client per process, with rustls on ring (aws-lc-rs costs ~40 ms of
//! entropy seeding per process and 0.8 MB), the system CA store (honouring
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`; not loaded at all for a plain-HTTP
//! endpoint), proxies from `HTTPS_PROXY`/`NO_PROXY`, the regional
//! endpoint unless overridden, and the SDK's own retries off: [`crate::retry`]
//! decides, because only we know which failures a fresh token can fix.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::PolicyDescriptorType;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider, TlsContext, TrustStore};
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::{http_client_fn, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::credentials::{Credentials, Secret};
use crate::request::{AssumeRequest, ChainRequest};
use crate::token::OidcToken;

/// Where and how to reach STS.
#[derive(Debug, Clone)]
pub struct StsSettings {
    /// The region (also picks the regional endpoint).
    pub region: String,
    /// An explicit endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// FIPS endpoints (`AWS_USE_FIPS_ENDPOINT=true`).
    pub use_fips: bool,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Limit for one attempt.
    pub attempt_timeout: Duration,
}

impl StsSettings {
    /// What the endpoint will be, for messages.
    pub fn endpoint_description(&self) -> String {
        match &self.endpoint_url {
            Some(url) => url.clone(),
            None => {
                let host = if self.use_fips { "sts-fips" } else { "sts" };
                let suffix = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{host}.{}.{suffix}", self.region)
            }
        }
    }
}

/// How an STS call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// STS answered with an error (`code`, `message`, `status` are set).
    Service,
    /// No answer in time.
    Timeout,
    /// Could not connect (DNS, refused, reset, TLS).
    Connect(String),
    /// An answer that could not be read (truncated, not XML).
    Response(String),
    /// The request could not even be built.
    Other(String),
}

/// A failed STS call.  Never holds the token or any key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsFailure {
    /// `AssumeRoleWithWebIdentity`, `AssumeRole` or `GetCallerIdentity`.
    pub operation: &'static str,
    /// How it failed.
    pub kind: FailureKind,
    /// STS's error code, e.g. `AccessDenied`.
    pub code: Option<String>,
    /// STS's message.
    pub message: Option<String>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// How many attempts were made in all.
    pub attempts: u32,
}

impl fmt::Display for StsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        match &self.kind {
            FailureKind::Service => write!(
                f,
                ": {} (HTTP {}): {}",
                self.code.as_deref().unwrap_or("unknown error"),
                self.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "?".into()),
                self.message.as_deref().unwrap_or("(no message)")
            ),
            FailureKind::Timeout => f.write_str(": no answer in time"),
            FailureKind::Connect(why) => write!(f, ": cannot connect: {why}"),
            FailureKind::Response(why) => write!(f, ": unreadable answer: {why}"),
            FailureKind::Other(why) => write!(f, ": {why}"),
        }
    }
}

impl StsFailure {
    fn from_sdk<E: ProvideErrorMetadata + std::error::Error + 'static>(
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
    ) -> Self {
        let mut f = StsFailure {
            operation,
            kind: FailureKind::Service,
            code: None,
            message: None,
            status: None,
            attempts: 1,
        };
        match &err {
            SdkError::ServiceError(ctx) => {
                f.code = ctx.err().code().map(String::from);
                f.message = ctx.err().message().map(String::from);
                f.status = Some(ctx.raw().status().as_u16());
            }
            SdkError::TimeoutError(_) => f.kind = FailureKind::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => f.kind = FailureKind::Timeout,
            SdkError::DispatchFailure(_) => f.kind = FailureKind::Connect(root_cause(&err)),
            SdkError::ResponseError(r) => {
                f.status = Some(r.raw().status().as_u16());
                f.kind = FailureKind::Response(root_cause(&err));
            }
            _ => f.kind = FailureKind::Other(root_cause(&err)),
        }
        f
    }
}

/// The innermost cause, which says what actually went wrong ("connection refused").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let full = DisplayErrorContext(err).to_string();
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    let root = e.to_string();
    if root.is_empty() {
        full
    } else {
        root
    }
}

/// Builds the HTTP client: rustls + ring, proxies from the environment, and
/// the system's CA certificates when TLS can be needed: an `https://` (or
/// default) endpoint, or a proxy reached over HTTPS.  Loading them is most of
/// the CPU time of a whole run (22 M of 28 M instructions with Debian's store,
/// callgrind), wasted on a plain-HTTP endpoint.
pub fn http_client(endpoint_url: Option<&str>) -> SharedHttpClient {
    let trust = if needs_tls(endpoint_url, |name| std::env::var(name).ok()) {
        TrustStore::default()
    } else {
        TrustStore::empty()
    };
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context with a trust store always builds");
    http_client_fn(move |settings, components| {
        let mut builder = Connector::builder().connector_settings(settings.clone());
        builder.set_sleep_impl(components.sleep_impl());
        let connector = builder
            .proxy_config(ProxyConfig::from_env())
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .tls_context(tls.clone())
            .build();
        SharedHttpConnector::new(connector)
    })
}

/// Whether a call to `endpoint_url` (None: the AWS endpoint, HTTPS) can need
/// TLS: to the endpoint itself, or to an `https://` proxy.
fn needs_tls(endpoint_url: Option<&str>, env: impl Fn(&str) -> Option<String>) -> bool {
    // Schemes are case-insensitive; a URL without one is taken as HTTPS.
    let scheme_is = |url: &str, scheme: &str| {
        url.trim()
            .get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    endpoint_url.is_none_or(|url| !scheme_is(url, "http://"))
        || [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ]
        .iter()
        .filter_map(|name| env(name))
        .any(|proxy| scheme_is(&proxy, "https://"))
}

/// Credentials and who they belong to.
#[derive(Debug, Clone)]
pub struct Assumed {
    /// The credentials.
    pub credentials: Credentials,
    /// `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
}

/// An STS client for one region and endpoint.
#[derive(Debug, Clone)]
pub struct Sts {
    settings: StsSettings,
    http: SharedHttpClient,
}

fn to_credentials(
    c: Option<&aws_sdk_sts::types::Credentials>,
    operation: &'static str,
) -> Result<Credentials, StsFailure> {
    let missing = || StsFailure {
        operation,
        kind: FailureKind::Response("the answer holds no credentials".into()),
        code: None,
        message: None,
        status: None,
        attempts: 1,
    };
    let c = c.ok_or_else(missing)?;
    let expiration = SystemTime::try_from(*c.expiration()).map_err(|_| missing())?;
    if c.access_key_id().is_empty()
        || c.secret_access_key().is_empty()
        || c.session_token().is_empty()
    {
        return Err(missing());
    }
    Ok(Credentials {
        access_key_id: Secret::new(c.access_key_id()),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token()),
        expiration,
    })
}

fn assumed(
    credentials: Option<&aws_sdk_sts::types::Credentials>,
    user: Option<&aws_sdk_sts::types::AssumedRoleUser>,
    operation: &'static str,
) -> Result<Assumed, StsFailure> {
    Ok(Assumed {
        credentials: to_credentials(credentials, operation)?,
        assumed_role_arn: user.map(|u| u.arn().to_string()).unwrap_or_default(),
    })
}

impl Sts {
    /// A client for `settings`.
    pub fn new(settings: StsSettings) -> Self {
        Sts {
            http: http_client(settings.endpoint_url.as_deref()),
            settings,
        }
    }

    fn client(&self, creds: Option<&Credentials>) -> aws_sdk_sts::Client {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.settings.region.clone()))
            .http_client(self.http.clone())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(self.settings.connect_timeout)
                    .read_timeout(self.settings.attempt_timeout)
                    .operation_attempt_timeout(self.settings.attempt_timeout)
                    .build(),
            )
            .use_fips(self.settings.use_fips);
        if let Some(url) = &self.settings.endpoint_url {
            b = b.endpoint_url(url);
        }
        if let Some(c) = creds {
            b = b.credentials_provider(aws_sdk_sts::config::Credentials::new(
                c.access_key_id.expose(),
                c.secret_access_key.expose(),
                Some(c.session_token.expose().to_string()),
                Some(c.expiration),
                "aws-oidc",
            ));
        }
        aws_sdk_sts::Client::from_conf(b.build())
    }

    /// One AssumeRoleWithWebIdentity attempt (an unsigned call).
    pub async fn assume_with_web_identity(
        &self,
        req: &AssumeRequest,
        token: &OidcToken,
    ) -> Result<Assumed, StsFailure> {
        const OP: &str = "AssumeRoleWithWebIdentity";
        let policy_arns = (!req.policy_arns.is_empty()).then(|| {
            req.policy_arns
                .iter()
                .map(|a| PolicyDescriptorType::builder().arn(a.as_str()).build())
                .collect::<Vec<_>>()
        });
        let out = self
            .client(None)
            .assume_role_with_web_identity()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .web_identity_token(token.expose())
            .duration_seconds(req.duration.secs() as i32)
            .set_policy(req.policy.as_ref().map(|p| p.as_str().to_string()))
            .set_policy_arns(policy_arns)
            .send()
            .await
            .map_err(|e| StsFailure::from_sdk(OP, e))?;
        assumed(out.credentials(), out.assumed_role_user(), OP)
    }

    /// One AssumeRole attempt with `creds` (role chaining).
    pub async fn assume_role(
        &self,
        creds: &Credentials,
        req: &ChainRequest,
    ) -> Result<Assumed, StsFailure> {
        const OP: &str = "AssumeRole";
        let out = self
            .client(Some(creds))
            .assume_role()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .duration_seconds(req.duration.secs() as i32)
            .set_external_id(req.external_id.clone())
            .send()
            .await
            .map_err(|e| StsFailure::from_sdk(OP, e))?;
        assumed(out.credentials(), out.assumed_role_user(), OP)
    }

    /// One GetCallerIdentity attempt: the ARN these credentials act as.
    pub async fn caller_identity(&self, creds: &Credentials) -> Result<String, StsFailure> {
        const OP: &str = "GetCallerIdentity";
        let out = self
            .client(Some(creds))
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| StsFailure::from_sdk(OP, e))?;
        Ok(out.arn().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::needs_tls;

    #[test]
    fn tls_roots_are_loaded_unless_nothing_can_be_https() {
        let none = |_: &str| None;
        assert!(needs_tls(None, none), "the AWS endpoint is HTTPS");
        assert!(needs_tls(Some("https://sts.example"), none));
        assert!(
            needs_tls(Some("sts.example:443"), none),
            "no scheme is taken as HTTPS"
        );
        assert!(!needs_tls(Some("http://127.0.0.1:5000"), none));
        assert!(!needs_tls(Some(" HTTP://127.0.0.1:5000"), none));
        let https_proxy =
            |name: &str| (name == "http_proxy").then(|| "HTTPS://proxy:3128".to_string());
        assert!(
            needs_tls(Some("http://127.0.0.1:5000"), https_proxy),
            "TLS to the proxy"
        );
        let http_proxy =
            |name: &str| (name == "HTTPS_PROXY").then(|| "http://proxy:3128".to_string());
        assert!(!needs_tls(Some("http://127.0.0.1:5000"), http_proxy));
    }
}
