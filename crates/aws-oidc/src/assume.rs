//! The STS calls of one exchange: web identity -> optional chain -> optional verify.
//!
//! The SDK retries each call ([`crate::retry`]); only the fresh-token rule is
//! ours: when STS reports the token expired, a new one is minted once and
//! the call made again.  Every call ends by the exchange's deadline.

use std::time::{Duration, Instant};

use crate::answer::Assumed;
use crate::failure::CallFailure;
use crate::request::{AssumeRequest, ChainRequest};
use crate::retry::needs_fresh_token;
use crate::sts::Sts;
use crate::token::{OidcToken, TokenError};

/// What to do, all inputs validated.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
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

crate::error_debug::debug_by_display!(AssumeError);
/// Why the exchange failed.
#[derive(thiserror::Error)]
pub(crate) enum AssumeError {
    /// STS said no, or could not be reached.
    #[error("{0}")]
    Sts(CallFailure, OidcToken),
    /// A fresh token was needed and could not be had.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Exchanges `token` for credentials as `plan` says, giving up at
/// `deadline`.  `fresh_token` is asked for a new token once, if STS reports
/// the first one expired.
pub(crate) async fn run(
    plan: &Plan,
    sts: &Sts,
    token: OidcToken,
    fresh_token: &dyn Fn() -> Result<OidcToken, TokenError>,
    deadline: Instant,
) -> Result<Outcome, AssumeError> {
    let mut token = token;
    let mut refreshed = false;
    let first = loop {
        match sts
            .assume_with_web_identity(&plan.request, &token, deadline)
            .await
        {
            Ok(a) => break a,
            // Only once: a second expiry means the clock, not the token, is wrong.
            Err(f) if !refreshed && needs_fresh_token(&f) => match fresh_token() {
                Ok(t) => {
                    token = t;
                    refreshed = true;
                }
                Err(_) => return Err(AssumeError::Sts(f, token)),
            },
            Err(f) => return Err(AssumeError::Sts(f, token)),
        }
    };

    let (assumed, first_role_arn) = match &plan.chain {
        None => (first, None),
        Some(chain) => {
            let second = sts
                .assume_role(&first.credentials, chain, deadline)
                .await
                .map_err(|f| AssumeError::Sts(f, token.clone()))?;
            (second, Some(first.assumed_role_arn))
        }
    };

    let verified_arn = if plan.verify {
        let arn = sts
            .caller_identity(&assumed.credentials, deadline)
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
