//! The STS calls: AssumeRoleWithWebIdentity, chained AssumeRole, GetCallerIdentity.
//!
//! One client per run, over [`crate::transport`]'s HTTP/1.1 connector:
//! rustls on ring (aws-lc-rs costs ~40 ms of entropy seeding per process
//! and 0.8 MB), the system CA store (honouring `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`; not loaded at all for a plain-HTTP endpoint), proxies
//! from `HTTPS_PROXY`/`NO_PROXY`; the endpoint the SDK's own resolver picks
//! (regional, FIPS, dual-stack, every partition) unless overridden, and the
//! SDK's standard retry with [`crate::retry`]'s classifier, every call
//! bounded by the time left of the whole exchange.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sdk_sts::config::{BehaviorVersion, Intercept, Region, RuntimeComponents};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::types::{PolicyDescriptorType, Tag};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::timeout::TimeoutConfig;

use crate::answer::{assumed, StrictAnswer};
use crate::credentials::Credentials;
use crate::redact::untrusted;
use crate::request::{AssumeRequest, ChainRequest};
use crate::retry::{RetryPolicy, UnreadableAnswer, VerificationKeyOutage};
use crate::token::OidcToken;
use crate::transport::{self, Proxies, Transport};

/// What a call gives back, defined below the client so the answer checks
/// and the retry rules need not reach up into it.
pub(crate) use crate::answer::Assumed;
pub(crate) use crate::failure::{CallFailure, FailureKind};

/// The CAs [`StsSettings::ca_bundle`] names, read by a leaf the transport shares.
pub(crate) use crate::ca_bundle::CaBundle;

/// Where and how to reach STS.
#[derive(Debug, Clone)]
pub(crate) struct StsSettings {
    /// The region (also picks the endpoint and signs the calls).
    pub region: String,
    /// An explicit endpoint (`--endpoint-url`, `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// FIPS endpoints (`AWS_USE_FIPS_ENDPOINT=true`).
    pub use_fips: bool,
    /// Dual-stack endpoints (`AWS_USE_DUALSTACK_ENDPOINT=true`).
    pub use_dual_stack: bool,
    /// How the SDK retries (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`).
    pub retry: RetryPolicy,
    /// Product tokens added to the user agent (the CircleCI build), so
    /// CloudTrail ties each call to its build.
    pub user_agent: Option<String>,
    /// The CAs to trust instead of the system's (`AWS_CA_BUNDLE`).
    pub ca_bundle: Option<CaBundle>,
    /// The proxies the environment names (`HTTPS_PROXY`, `NO_PROXY`, ...).
    pub(crate) proxies: Proxies,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Limit for one attempt.
    pub attempt_timeout: Duration,
}

crate::error_debug::debug_by_display!(EndpointError);
/// The endpoint could not be resolved for these settings (e.g. FIPS in a
/// partition that has none).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("no STS endpoint for region {region}{}: {why}", if *.use_fips { " with FIPS (AWS_USE_FIPS_ENDPOINT)" } else { "" })]
pub struct EndpointError {
    /// The region.
    pub region: String,
    /// Whether FIPS was asked for.
    pub use_fips: bool,
    /// The resolver's reason.
    pub why: String,
}

impl StsSettings {
    /// The endpoint the SDK will call, as its own resolver picks it: for
    /// messages and the cache key, and to refuse impossible settings before
    /// any network call.
    pub(crate) fn resolve_endpoint(&self) -> Result<String, EndpointError> {
        let fail = |why: String| EndpointError {
            region: self.region.clone(),
            use_fips: self.use_fips,
            why,
        };
        let params = Params::builder()
            .region(self.region.clone())
            .use_fips(self.use_fips)
            .use_dual_stack(self.use_dual_stack)
            .set_endpoint(self.endpoint_url.clone())
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let resolver = DefaultResolver::new();
        let mut future = pin!(resolver.resolve_endpoint(&params));
        // The default resolver answers at once; it never waits on I/O.
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(endpoint)) => Ok(endpoint.url().to_string()),
            Poll::Ready(Err(e)) => Err(fail(e.to_string())),
            Poll::Pending => Err(fail("the endpoint resolver did not answer".into())),
        }
    }

    /// The SDK's timeouts; with a deadline, the whole call (retries
    /// included) must end by then.
    fn timeouts(&self, deadline: Option<Instant>) -> TimeoutConfig {
        let mut b = TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.attempt_timeout)
            .operation_attempt_timeout(self.attempt_timeout);
        if let Some(deadline) = deadline {
            b = b.operation_timeout(deadline.saturating_duration_since(Instant::now()));
        }
        b.build()
    }

    /// What the endpoint will be, for messages.
    pub(crate) fn endpoint_description(&self) -> String {
        self.resolve_endpoint().unwrap_or_else(|e| e.to_string())
    }
}

impl CallFailure {
    fn from_sdk<E: ProvideErrorMetadata + std::error::Error + 'static>(
        operation: &'static str,
        err: SdkError<E, HttpResponse>,
        attempts: u32,
    ) -> Self {
        let mut f = CallFailure {
            operation,
            kind: FailureKind::Service,
            code: None,
            message: None,
            status: None,
            attempts: attempts.max(1),
        };
        match &err {
            // No error answer is a 2xx or 3xx: the SDK could not read it.
            SdkError::ServiceError(ctx) if ctx.raw().status().as_u16() < 400 => {
                let status = ctx.raw().status().as_u16();
                f.status = Some(status);
                f.kind = FailureKind::Response(if status >= 300 {
                    format!(
                        "a redirect (HTTP {status}) to {}; STS never redirects, so the endpoint URL \
                         or a proxy is wrong (aws-oidc does not follow redirects)",
                        untrusted(ctx.raw().headers().get("location").unwrap_or("(no Location)"))
                    )
                } else if crate::answer::is_too_large(&err) {
                    crate::answer::too_large()
                } else {
                    format!(
                        "HTTP {status} with an answer that is not STS's XML, or not whole ({})",
                        ctx.err()
                            .message()
                            .map(untrusted)
                            .unwrap_or_else(|| root_cause(&err))
                    )
                });
            }
            SdkError::ServiceError(ctx) => {
                f.code = ctx.err().code().map(untrusted);
                f.message = ctx.err().message().map(untrusted);
                f.status = Some(ctx.raw().status().as_u16());
            }
            SdkError::TimeoutError(_) => f.kind = FailureKind::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => f.kind = FailureKind::Timeout,
            SdkError::DispatchFailure(_) => f.kind = FailureKind::Connect(root_cause(&err)),
            SdkError::ResponseError(r) => {
                f.status = Some(r.raw().status().as_u16());
                f.kind = FailureKind::Response(if crate::answer::is_too_large(&err) {
                    crate::answer::too_large()
                } else {
                    root_cause(&err)
                });
            }
            _ => f.kind = FailureKind::Other(root_cause(&err)),
        }
        f
    }
}

/// The innermost cause, which says what actually went wrong ("connection
/// refused"), made safe to print: it may quote what the server sent.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let full = DisplayErrorContext(err).to_string();
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    let root = e.to_string();
    untrusted(if root.is_empty() { &full } else { &root })
}

/// Builds the HTTP client: HTTP/1.1 over rustls + ring, proxies from the
/// environment, and the system's CA certificates when TLS can be needed: an
/// `https://` (or default) endpoint, or a proxy reached over HTTPS.  Loading
/// them is most of the CPU time of a whole run (22 M of 28 M instructions
/// with Debian's store, callgrind), wasted on a plain-HTTP endpoint.
pub(crate) fn http_client(
    endpoint_url: Option<&str>,
    ca_bundle: Option<&CaBundle>,
    proxies: &Proxies,
) -> SharedHttpClient {
    transport::http_client(Transport::new(endpoint_url, ca_bundle, proxies))
}

/// A connector like [`http_client`]'s, for calls made without an SDK
/// client (ECR's and EKS's): the same TLS, CA store and proxies, these timeouts.
#[cfg(any(
    feature = "ecr",
    feature = "eks",
    feature = "secrets",
    feature = "codeartifact"
))]
pub(crate) fn direct_connector(
    endpoint_url: Option<&str>,
    ca_bundle: Option<&CaBundle>,
    proxies: &Proxies,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> transport::Connector {
    let settings = aws_smithy_runtime_api::client::http::HttpConnectorSettings::builder()
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .build();
    Transport::new(endpoint_url, ca_bundle, proxies).connector(&settings, None)
}

/// The STS client for one run: one region and endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Sts {
    settings: StsSettings,
    client: aws_sdk_sts::Client,
}

/// Counts the attempts the SDK makes for one call, for messages.
#[derive(Debug, Clone, Default)]
struct AttemptCounter(Arc<AtomicU32>);

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "aws-oidc attempt counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Appends product tokens (the CircleCI build) to the user agent the SDK sends.
#[derive(Debug, Clone)]
struct BuildUserAgent(String);

impl Intercept for BuildUserAgent {
    fn name(&self) -> &'static str {
        "aws-oidc: the CircleCI build in the user agent"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        let agent = match headers.get("user-agent") {
            Some(existing) => format!("{existing} {}", self.0),
            None => self.0.clone(),
        };
        headers.insert("user-agent", agent);
        Ok(())
    }
}

impl AttemptCounter {
    fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Sts {
    /// The client for `settings`.
    pub(crate) fn new(settings: StsSettings) -> Self {
        let client = http_client(
            settings.endpoint_url.as_deref(),
            settings.ca_bundle.as_ref(),
            &settings.proxies,
        );
        Self::with_http_client(settings, client)
    }

    /// The client for `settings`, sending through `http_client`.
    pub(crate) fn with_http_client(settings: StsSettings, http_client: SharedHttpClient) -> Self {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .http_client(http_client)
            .retry_config(settings.retry.sdk_config())
            .retry_classifier(VerificationKeyOutage)
            .retry_classifier(UnreadableAnswer)
            .interceptor(StrictAnswer)
            .timeout_config(settings.timeouts(None))
            .use_fips(settings.use_fips)
            .use_dual_stack(settings.use_dual_stack);
        if let Some(url) = &settings.endpoint_url {
            b = b.endpoint_url(url);
        }
        if let Some(agent) = &settings.user_agent {
            b = b.interceptor(BuildUserAgent(agent.clone()));
        }
        Sts {
            client: aws_sdk_sts::Client::from_conf(b.build()),
            settings,
        }
    }

    /// What one call may add to the client: its credentials, the time left
    /// of the whole exchange, and an attempt counter.
    fn call_config(
        &self,
        creds: Option<&Credentials>,
        deadline: Instant,
        attempts: &AttemptCounter,
    ) -> aws_sdk_sts::config::Builder {
        let mut b = aws_sdk_sts::Config::builder()
            .timeout_config(self.settings.timeouts(Some(deadline)))
            .interceptor(attempts.clone());
        if let Some(c) = creds {
            b = b.credentials_provider(aws_sdk_sts::config::Credentials::new(
                c.access_key_id.expose(),
                c.secret_access_key.expose(),
                c.session_token.as_ref().map(|t| t.expose().to_string()),
                c.expiration,
                "aws-oidc",
            ));
        }
        b
    }

    /// AssumeRoleWithWebIdentity (an unsigned call), retried as the SDK
    /// does, given up at `deadline`.
    pub(crate) async fn assume_with_web_identity(
        &self,
        req: &AssumeRequest,
        token: &OidcToken,
        deadline: Instant,
    ) -> Result<Assumed, CallFailure> {
        const OP: &str = "AssumeRoleWithWebIdentity";
        check_time_left(OP, deadline)?;
        let attempts = AttemptCounter::default();
        let policy_arns = (!req.policy_arns.is_empty()).then(|| {
            req.policy_arns
                .iter()
                .map(|a| PolicyDescriptorType::builder().arn(a.as_str()).build())
                .collect::<Vec<_>>()
        });
        let out = self
            .client
            .assume_role_with_web_identity()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .web_identity_token(token.expose())
            .duration_seconds(req.duration.secs() as i32)
            .set_policy(req.policy.as_ref().map(|p| p.as_str().to_string()))
            .set_policy_arns(policy_arns)
            .customize()
            .config_override(self.call_config(None, deadline, &attempts))
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk(OP, e, attempts.get()))?;
        assumed(out.credentials(), out.assumed_role_user(), OP)
    }

    /// AssumeRole with `creds` (role chaining), given up at `deadline`.
    pub(crate) async fn assume_role(
        &self,
        creds: &Credentials,
        req: &ChainRequest,
        deadline: Instant,
    ) -> Result<Assumed, CallFailure> {
        const OP: &str = "AssumeRole";
        check_time_left(OP, deadline)?;
        let tags = (!req.tags.is_empty())
            .then(|| {
                req.tags
                    .iter()
                    .map(|t| Tag::builder().key(t.key()).value(t.value()).build())
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|e| CallFailure::without_answer(OP, FailureKind::Other(e.to_string()), 0))?;
        let attempts = AttemptCounter::default();
        let out = self
            .client
            .assume_role()
            .role_arn(req.role_arn.as_str())
            .role_session_name(req.session_name.as_str())
            .duration_seconds(req.duration.secs() as i32)
            .set_external_id(req.external_id.clone())
            .set_tags(tags)
            .customize()
            .config_override(self.call_config(Some(creds), deadline, &attempts))
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk(OP, e, attempts.get()))?;
        assumed(out.credentials(), out.assumed_role_user(), OP)
    }

    /// GetCallerIdentity: the ARN these credentials act as.
    pub(crate) async fn caller_identity(
        &self,
        creds: &Credentials,
        deadline: Instant,
    ) -> Result<String, CallFailure> {
        const OP: &str = "GetCallerIdentity";
        check_time_left(OP, deadline)?;
        let attempts = AttemptCounter::default();
        let out = self
            .client
            .get_caller_identity()
            .customize()
            .config_override(self.call_config(Some(creds), deadline, &attempts))
            .send()
            .await
            .map_err(|e| CallFailure::from_sdk(OP, e, attempts.get()))?;
        Ok(out.arn().unwrap_or_default().to_string())
    }
}

/// Fails at once when the whole exchange's time is up.
fn check_time_left(operation: &'static str, deadline: Instant) -> Result<(), CallFailure> {
    if deadline.saturating_duration_since(Instant::now()).is_zero() {
        return Err(CallFailure {
            operation,
            kind: FailureKind::Timeout,
            code: None,
            message: Some("gave up: the time limit (--timeout) ran out".into()),
            status: None,
            attempts: 0,
        });
    }
    Ok(())
}
