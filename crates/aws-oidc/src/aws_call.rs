//! One SigV4-signed call to an AWS JSON API, without an SDK client.
//!
//! ECR's `GetAuthorizationToken` is one small JSON call; the SDK's ECR and
//! ECR Public clients cost about twice the binary size the whole ECR
//! feature may take (see README.md).  EKS's `DescribeCluster` is one GET:
//! the SDK's EKS client cost 246 KB of the x86_64 binary (measured on the
//! first EKS build, against the same build with the call stubbed out),
//! which is all the 250 KB the EKS feature may take.  This makes both calls
//! on the parts the STS client already links: the same connector (rustls
//! on ring, proxies, the CA store or `AWS_CA_BUNDLE`), the SDK's own SigV4
//! signer, the same timeouts, and the standard retry's rules (throttling,
//! 5xx, connection errors and timeouts pass; full-jitter backoff from 0.25
//! s doubling to at most 4 s; `AWS_MAX_ATTEMPTS` attempts) within one
//! deadline.  Two shapes of request ([`Request`]): awsJson 1.1 (`POST /`
//! with `X-Amz-Target`: ECR) and REST-JSON (a `GET` of a resource path:
//! EKS).  Failures come back as the same [`CallFailure`] the STS calls give,
//! so they are explained the same way; the error code is read from either
//! place the two protocols put it.  The answer body is bounded.

use std::time::{Duration, Instant, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use aws_smithy_runtime_api::client::http::HttpConnector as _;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::ca_bundle::CaBundle;
use crate::credentials::Credentials;
use crate::failure::{CallFailure, FailureKind};
use crate::retry::RetryPolicy;
use crate::sts::direct_connector;
use crate::transport::Proxies;

/// The largest answer read unless a call says otherwise (a token answer is
/// about 3 KB, a cluster's a few KB).
#[cfg_attr(
    not(any(feature = "ecr", feature = "eks", feature = "codeartifact")),
    allow(dead_code)
)]
pub(crate) const ANSWER_LIMIT: usize = 1024 * 1024;

/// Codes the standard retry takes as throttling.
const THROTTLING: [&str; 6] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottledException",
];

/// How calls are made: the connection, the retries, the time allowed.
#[derive(Debug, Clone)]
pub(crate) struct CallSettings {
    /// The CAs to trust instead of the system's.
    pub ca_bundle: Option<CaBundle>,
    /// The proxies the environment names.
    pub proxies: Proxies,
    /// Attempts and backoff.
    pub retry: RetryPolicy,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// Limit for one attempt.
    pub attempt_timeout: Duration,
    /// The largest answer read: a batch of secrets needs more than a token.
    pub answer_limit: usize,
}

/// What the signed calls of one command share, read once from the
/// environment: retries, the CA bundle, and the time they may take in all
/// (`timeout_secs`, 1 to 3600). ECR, EKS, Secrets Manager, SSM and
/// CodeArtifact each hold one.
#[derive(Debug, Clone)]
pub(crate) struct CallBudget {
    /// Attempts and backoff.
    pub retry: RetryPolicy,
    /// The CAs to trust instead of the system's.
    pub ca_bundle: Option<CaBundle>,
    /// The proxies the environment names.
    pub proxies: Proxies,
    /// The time all calls may take, retries and waits included.
    pub total: Duration,
}

impl CallBudget {
    /// Reads retries and the CA bundle from `env`; `timeout_secs` outside
    /// 1..=3600 is refused.
    pub(crate) fn from_env<E>(env: crate::env::Env, timeout_secs: u64) -> Result<Self, E>
    where
        E: From<crate::settings::SettingsError> + From<crate::ca_bundle::CaBundleError>,
    {
        use crate::settings::{self, SettingsError};
        if timeout_secs == 0 || timeout_secs > 3600 {
            return Err(SettingsError::Timeout.into());
        }
        Ok(CallBudget {
            retry: settings::retry_policy(env)?,
            ca_bundle: settings::CA_BUNDLE
                .resolve(None, env)
                .map(|(path, _)| CaBundle::read(std::path::Path::new(&path)))
                .transpose()?,
            proxies: Proxies::from_env(env),
            total: Duration::from_secs(timeout_secs),
        })
    }

    /// How each call is made: a connection within 5 s and an attempt
    /// within 15 s, neither past the whole budget; answers up to
    /// [`ANSWER_LIMIT`].
    pub(crate) fn call_settings(&self) -> CallSettings {
        CallSettings {
            ca_bundle: self.ca_bundle.clone(),
            proxies: self.proxies.clone(),
            retry: self.retry,
            connect_timeout: Duration::from_secs(5).min(self.total),
            attempt_timeout: Duration::from_secs(15).min(self.total),
            answer_limit: ANSWER_LIMIT,
        }
    }
}

/// What is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request<'a> {
    /// awsJson 1.1: `POST /` with `X-Amz-Target` and a JSON body (ECR).
    #[cfg_attr(not(any(feature = "ecr", feature = "secrets")), allow(dead_code))]
    AwsJson {
        /// `X-Amz-Target`.
        target: &'static str,
        /// The JSON body.
        body: &'a str,
    },
    /// REST-JSON: a `GET` of `path` (already percent-encoded, with its
    /// query if any), no body (EKS, CodeArtifact).
    #[cfg_attr(not(any(feature = "eks", feature = "codeartifact")), allow(dead_code))]
    RestGet {
        /// E.g. `/clusters/demo`.
        path: &'a str,
    },
    /// REST-JSON: a `POST` of `path` (already percent-encoded, its input in
    /// the query), no body (CodeArtifact's `GetAuthorizationToken`).
    #[cfg_attr(not(feature = "codeartifact"), allow(dead_code))]
    RestPost {
        /// E.g. `/v1/authorization-token?domain=d`.
        path: &'a str,
    },
}

/// One call.
#[derive(Debug, Clone)]
pub(crate) struct JsonCall<'a> {
    /// For messages: `ecr:GetAuthorizationToken`.
    pub operation: &'static str,
    /// The endpoint, e.g. `https://api.ecr.us-east-1.amazonaws.com`.
    pub endpoint: &'a str,
    /// The signing name, e.g. `ecr`.
    pub service: &'static str,
    /// The signing region.
    pub region: &'a str,
    /// The method, path, headers and body.
    pub request: Request<'a>,
}

/// A successful answer's JSON.
pub(crate) type Answer = serde_json::Value;

struct Attempt {
    status: u16,
    error_type: Option<String>,
    body: Vec<u8>,
}

/// What a failed call means when no service-specific explanation applies:
/// credentials the service rejects, or an endpoint not reached.  `service`
/// names it (`ECR`), `endpoint_var` is its endpoint variable.
pub(crate) fn common_hint(
    service: &str,
    failure: &CallFailure,
    creds: &Credentials,
    endpoint: &str,
    endpoint_var: &str,
) -> String {
    let code = failure.code.as_deref().unwrap_or("");
    if matches!(
        code,
        "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "InvalidClientTokenId"
            | "ExpiredTokenException"
            | "SignatureDoesNotMatch"
    ) {
        return format!(
            "{service} does not accept the credentials ({}): they are expired, or not AWS \
             credentials at all. Run aws-oidc/setup again (or pass --role-arn to assume the role \
             in this step).",
            creds.origin
        );
    }
    match &failure.kind {
        FailureKind::Connect(_) | FailureKind::Timeout => format!(
            "Check that {endpoint} can be reached from this job (proxy: HTTPS_PROXY; a VPC \
             endpoint: {endpoint_var})."
        ),
        _ => String::new(),
    }
}

/// The failure, with `hint` below it when there is one.
pub(crate) fn with_hint(failure: &CallFailure, hint: String) -> String {
    if hint.is_empty() {
        failure.to_string()
    } else {
        format!("{failure}\n\n{hint}")
    }
}

/// The signed request for `call`, signed now.
fn signed_request(
    call: &JsonCall,
    creds: &Credentials,
) -> Result<aws_smithy_runtime_api::http::Request, String> {
    let base = call.endpoint.trim_end_matches('/');
    let (method, url, headers, body) = match call.request {
        Request::AwsJson { target, body } => (
            "POST",
            format!("{base}/"),
            vec![
                ("content-type", "application/x-amz-json-1.1"),
                ("x-amz-target", target),
            ],
            body.as_bytes(),
        ),
        Request::RestGet { path } => (
            "GET",
            format!("{base}{path}"),
            vec![("accept", "application/json")],
            &[][..],
        ),
        Request::RestPost { path } => (
            "POST",
            format!("{base}{path}"),
            vec![("accept", "application/json")],
            &[][..],
        ),
    };
    let identity = creds.identity();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(call.region)
        .name(call.service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        method,
        url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut request = http::Request::builder().method(method).uri(&url).header(
        "user-agent",
        concat!("aws-oidc/", env!("CARGO_PKG_VERSION")),
    );
    for (name, value) in headers.iter().copied().chain(instructions.headers()) {
        request = request.header(name, value);
    }
    let request = request
        .body(SdkBody::from(body.to_vec()))
        .map_err(|e| e.to_string())?;
    aws_smithy_runtime_api::http::Request::try_from(request).map_err(|e| e.to_string())
}

/// The text of the first `<tag>...</tag>` in `xml`.
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + len].trim().to_string()).filter(|t| !t.is_empty())
}

/// A code as the protocols write it, bare: `aws.eks#ResourceNotFoundException`
/// and `ResourceNotFoundException:http://internal.amazon.com/...` are both
/// `ResourceNotFoundException`.
fn bare_code(raw: &str) -> String {
    let after_hash = raw.rsplit('#').next().unwrap_or(raw);
    after_hash
        .split(':')
        .next()
        .unwrap_or(after_hash)
        .trim()
        .to_string()
}

/// The error's code and message.  The code comes from the
/// `x-amzn-ErrorType` header, which both protocols may send and which wins
/// when present (as in the SDKs), else from the body: `__type` (awsJson),
/// `code` (REST-JSON), or an XML error's `<Code>`, as some front ends and
/// test servers answer.
fn error_of(attempt: &Attempt) -> (Option<String>, Option<String>) {
    let doc: Option<serde_json::Value> = serde_json::from_slice(&attempt.body).ok();
    let xml = match doc {
        None => std::str::from_utf8(&attempt.body).ok(),
        Some(_) => None,
    };
    let field = |names: &[&str]| {
        names.iter().find_map(|n| {
            doc.as_ref()
                .and_then(|d| d.get(*n))
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .or_else(|| xml.and_then(|x| xml_text(x, n)))
        })
    };
    let code = attempt
        .error_type
        .as_deref()
        .map(bare_code)
        .filter(|c| !c.is_empty())
        .or_else(|| field(&["__type", "code", "Code"]).map(|c| bare_code(&c)))
        .filter(|c| !c.is_empty());
    (code, field(&["message", "Message"]))
}

/// Whether the standard retry would try again after this answer.
fn retryable(status: u16, code: Option<&str>) -> bool {
    status >= 500 || status == 429 || code.is_some_and(|c| THROTTLING.contains(&c))
}

/// Makes `call` with `creds`, retrying what can pass, given up at `deadline`.
pub(crate) async fn call_json(
    call: &JsonCall<'_>,
    creds: &Credentials,
    settings: &CallSettings,
    deadline: Instant,
) -> Result<Answer, CallFailure> {
    let connector = direct_connector(
        Some(call.endpoint),
        settings.ca_bundle.as_ref(),
        &settings.proxies,
        settings.connect_timeout,
        settings.attempt_timeout,
    );
    let max = settings.retry.max_attempts.max(1);
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let mut f =
                CallFailure::without_answer(call.operation, FailureKind::Timeout, attempt_no - 1);
            f.message = Some("gave up: the time limit (--timeout) ran out".into());
            return Err(f);
        }
        let request = signed_request(call, creds).map_err(|why| {
            CallFailure::without_answer(call.operation, FailureKind::Other(why), attempt_no)
        })?;
        let sent = async {
            let response = connector.call(request).await?;
            let status = response.status().as_u16();
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .map(str::to_string);
            // Bounded while it is read, not after.
            let body = SdkBody::from_body_1_x(http_body_util::Limited::new(
                response.into_body(),
                settings.answer_limit,
            ));
            let body = ByteStream::new(body)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_vec();
            Ok::<_, aws_smithy_runtime_api::box_error::BoxError>(Attempt {
                status,
                error_type,
                body,
            })
        };
        let outcome = tokio::time::timeout(left.min(settings.attempt_timeout), sent).await;
        let (kind, answer) = match outcome {
            Err(_) => (FailureKind::Timeout, None),
            Ok(Err(e)) => (FailureKind::Connect(root_message(&*e)), None),
            Ok(Ok(a)) if a.body.len() > settings.answer_limit => (
                FailureKind::Response(format!(
                    "the answer is larger than {} KiB",
                    settings.answer_limit / 1024
                )),
                None,
            ),
            Ok(Ok(a)) if (200..300).contains(&a.status) => {
                return serde_json::from_slice(&a.body).map_err(|e| {
                    CallFailure::without_answer(
                        call.operation,
                        FailureKind::Response(format!("the answer is not JSON ({e})")),
                        attempt_no,
                    )
                })
            }
            Ok(Ok(a)) => (FailureKind::Service, Some(a)),
        };
        let (code, message) = answer.as_ref().map(error_of).unwrap_or_default();
        let status = answer.as_ref().map(|a| a.status);
        let again = match &kind {
            FailureKind::Service => retryable(status.unwrap_or(0), code.as_deref()),
            _ => true,
        };
        if !again || attempt_no >= max {
            return Err(CallFailure {
                operation: call.operation,
                kind,
                code,
                message,
                status,
                attempts: attempt_no,
            });
        }
        // Full jitter: 0 to min(4 s, 0.25 s x 2^(attempt - 1)).
        let cap = Duration::from_millis(250 * (1u64 << (attempt_no - 1).min(4)))
            .min(Duration::from_secs(4));
        let pause = cap.mul_f64(fastrand::f64());
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// The innermost cause ("connection refused").
fn root_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut e = err;
    while let Some(next) = e.source() {
        e = next;
    }
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(status: u16, header: Option<&str>, body: &str) -> Attempt {
        Attempt {
            status,
            error_type: header.map(str::to_string),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn error_codes_come_from_the_body_or_the_header() {
        let a = attempt(
            400,
            None,
            r#"{"__type": "com.amazon#AccessDeniedException", "message": "no"}"#,
        );
        assert_eq!(
            error_of(&a),
            (Some("AccessDeniedException".into()), Some("no".into()))
        );
        let xml = attempt(
            403,
            Some("AccessDenied:http://internal"),
            "<ErrorResponse/>",
        );
        assert_eq!(error_of(&xml), (Some("AccessDenied".into()), None));
        assert_eq!(error_of(&attempt(500, None, "")), (None, None));
        // REST-JSON (EKS): the header, the body's `code`, or both.
        let rest = attempt(
            404,
            Some("ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.eks/"),
            r#"{"message": "No cluster found for name: demo."}"#,
        );
        assert_eq!(
            error_of(&rest),
            (
                Some("ResourceNotFoundException".into()),
                Some("No cluster found for name: demo.".into())
            )
        );
        let body_only = attempt(
            404,
            None,
            r#"{"code": "aws.eks#ResourceNotFoundException", "message": "no"}"#,
        );
        assert_eq!(
            error_of(&body_only).0.as_deref(),
            Some("ResourceNotFoundException")
        );
        let both = attempt(400, Some("ThrottlingException"), r#"{"__type": "Other"}"#);
        assert_eq!(error_of(&both).0.as_deref(), Some("ThrottlingException"));
    }

    #[test]
    fn throttling_and_server_errors_are_retried_nothing_else() {
        assert!(retryable(500, None));
        assert!(retryable(429, None));
        assert!(retryable(400, Some("ThrottlingException")));
        assert!(!retryable(400, Some("AccessDeniedException")));
        assert!(!retryable(403, None));
    }
}
