//! The whole exchange: token -> STS (with retries) -> optional chain -> optional verify.

use std::future::Future;
use std::time::Duration;

use crate::request::{AssumeRequest, ChainRequest};
use crate::retry::{classify, Backoff, Decision};
use crate::sts::{Assumed, FailureKind, Sts, StsFailure};
use crate::token::{OidcToken, TokenError};

/// What to do, all inputs validated.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The web-identity request.
    pub request: AssumeRequest,
    /// A second role to assume with the first credentials.
    pub chain: Option<ChainRequest>,
    /// Check the final credentials with GetCallerIdentity.
    pub verify: bool,
    /// Upper bound on the whole exchange, retries included.
    pub total_timeout: Duration,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The credentials to write, for the last role assumed.
    pub assumed: Assumed,
    /// The web-identity role's session, when a chain followed it.
    pub first_role_arn: Option<String>,
    /// The ARN GetCallerIdentity returned, with `--verify`.
    pub verified_arn: Option<String>,
    /// The token that was accepted (it may be a fresh one).
    pub token: OidcToken,
}

/// Why the exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum AssumeError {
    /// STS said no, or could not be reached.
    #[error("{0}")]
    Sts(StsFailure, OidcToken),
    /// A fresh token was needed and could not be had.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Runs `attempt` until it succeeds, fails for good, or time runs out.
async fn with_retries<T, F, Fut>(backoff: &Backoff, mut attempt: F) -> Result<T, StsFailure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StsFailure>>,
{
    let mut n = 0;
    loop {
        n += 1;
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(mut f) => {
                f.attempts = n;
                let pause = match classify(&f) {
                    Decision::Retry => backoff.delay(n, fastrand::f64()),
                    Decision::RetryWithFreshToken | Decision::Fail => None,
                };
                match pause {
                    Some(p) => tokio::time::sleep(p).await,
                    None => return Err(f),
                }
            }
        }
    }
}

/// Bounds `attempts` by the time left, so the whole command ends within its limit.
async fn within<T>(
    backoff: &Backoff,
    operation: &'static str,
    attempts: impl Future<Output = Result<T, StsFailure>>,
) -> Result<T, StsFailure> {
    tokio::time::timeout(backoff.remaining(), attempts)
        .await
        .unwrap_or_else(|_| {
            Err(StsFailure {
                operation,
                kind: FailureKind::Timeout,
                code: None,
                message: Some("gave up: the time limit (--timeout) ran out".into()),
                status: None,
                attempts: 0,
            })
        })
}

/// Exchanges `token` for credentials as `plan` says.  `fresh_token` is asked
/// for a new token once, if STS reports the first one expired.
pub async fn run(
    plan: &Plan,
    sts: &Sts,
    token: OidcToken,
    fresh_token: &dyn Fn() -> Result<OidcToken, TokenError>,
) -> Result<Outcome, AssumeError> {
    let backoff = Backoff::new(plan.total_timeout);
    let mut token = token;
    let mut refreshed = false;
    let first = loop {
        let attempt = with_retries(&backoff, || {
            sts.assume_with_web_identity(&plan.request, &token)
        });
        match within(&backoff, "AssumeRoleWithWebIdentity", attempt).await {
            Ok(a) => break a,
            // Only once: a second expiry means the clock, not the token, is wrong.
            Err(f) if !refreshed && classify(&f) == Decision::RetryWithFreshToken => {
                match fresh_token() {
                    Ok(t) => {
                        token = t;
                        refreshed = true;
                    }
                    Err(_) => return Err(AssumeError::Sts(f, token)),
                }
            }
            Err(f) => return Err(AssumeError::Sts(f, token)),
        }
    };

    let (assumed, first_role_arn) = match &plan.chain {
        None => (first, None),
        Some(chain) => {
            let attempt = with_retries(&backoff, || sts.assume_role(&first.credentials, chain));
            let second = within(&backoff, "AssumeRole", attempt)
                .await
                .map_err(|f| AssumeError::Sts(f, token.clone()))?;
            (second, Some(first.assumed_role_arn))
        }
    };

    let verified_arn = if plan.verify {
        let attempt = with_retries(&backoff, || sts.caller_identity(&assumed.credentials));
        let arn = within(&backoff, "GetCallerIdentity", attempt)
            .await
            .map_err(|f| AssumeError::Sts(f, token.clone()))?;
        Some(arn)
    } else {
        None
    };
    Ok(Outcome {
        assumed,
        first_role_arn,
        verified_arn,
        token,
    })
}
