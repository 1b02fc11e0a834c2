//! Which STS failures can pass: the SDK's standard retry, plus what only we know.
//!
//! The SDK retries what can pass on its own: throttling, 5xx, connection
//! errors, timeouts, unreadable answers and the modeled-retryable
//! `IDPCommunicationError`, with full-jitter exponential backoff (0.25 s
//! doubling to at most 4 s) and clock-skew correction for signed calls,
//! under the operation timeout.  One classifier is ours: STS's
//! `InvalidIdentityToken` "Couldn't retrieve verification key" means STS
//! could not fetch the issuer's keys, which passes too.  An expired token is
//! retried only with a fresh one ([`needs_fresh_token`]), outside the SDK.
//! Everything else (a trust policy that does not match, a wrong audience, a
//! bad duration) fails at once: retrying would only delay the error.

use std::time::Duration;

use aws_sdk_sts::error::ProvideErrorMetadata;
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::retry::RetryConfig;

use crate::failure::{CallFailure, FailureKind};

/// Attempts per call, the first included, unless `AWS_MAX_ATTEMPTS` says otherwise.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How the SDK retries: `standard`, or `adaptive` (client-side rate limiting too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// `AWS_RETRY_MODE=adaptive`.
    pub adaptive: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            adaptive: false,
        }
    }
}

impl RetryPolicy {
    /// The SDK's retry configuration for this policy.
    pub(crate) fn sdk_config(&self) -> RetryConfig {
        let base = if self.adaptive {
            RetryConfig::adaptive()
        } else {
            RetryConfig::standard()
        };
        base.with_max_attempts(self.max_attempts)
            .with_initial_backoff(Duration::from_millis(250))
            .with_max_backoff(Duration::from_secs(4))
    }
}

/// Retries STS's `InvalidIdentityToken` "Couldn't retrieve verification
/// key": STS failed to fetch the issuer's signing keys, which passes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct VerificationKeyOutage;

/// Whether an AssumeRoleWithWebIdentity error says STS could not fetch the issuer's keys.
fn is_verification_key_outage(e: &AssumeRoleWithWebIdentityError) -> bool {
    e.code() == Some("InvalidIdentityToken")
        && e.message()
            .is_some_and(|m| m.contains("retrieve verification key"))
}

impl ClassifyRetry for VerificationKeyOutage {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let outage = ctx
            .output_or_error()
            .and_then(|r| r.err())
            .and_then(|e| e.as_operation_error())
            .and_then(|e| e.downcast_ref::<AssumeRoleWithWebIdentityError>())
            .is_some_and(is_verification_key_outage);
        if outage {
            RetryAction::transient_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "STS could not fetch the issuer's verification keys"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Retries an answer with a success status that the SDK could not read
/// (garbage, truncated XML, a bad Expiration): the SDK takes it for a
/// service error without a code, which it would not retry, but a cut or
/// mangled answer passes like any other transient failure.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UnreadableAnswer;

impl ClassifyRetry for UnreadableAnswer {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let success = ctx.response().is_some_and(|r| r.status().is_success());
        let unread = ctx
            .output_or_error()
            .and_then(|r| r.err())
            .and_then(|e| e.as_operation_error())
            .is_some();
        if success && unread {
            RetryAction::transient_error()
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "an answer with a success status that could not be read"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether the failure is the token's expiry, which only a fresh token fixes.
pub(crate) fn needs_fresh_token(f: &CallFailure) -> bool {
    f.kind == FailureKind::Service && f.code.as_deref() == Some("ExpiredTokenException")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::interceptors::context::{Error, Input};
    use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
    use aws_smithy_types::error::ErrorMetadata;

    fn web_identity_error(code: &str, message: &str) -> InterceptorContext {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let err = AssumeRoleWithWebIdentityError::generic(meta);
        let mut ctx = InterceptorContext::new(Input::erase(()));
        ctx.set_output_or_error(Err(OrchestratorError::operation(Error::erase(err))));
        ctx
    }

    #[test]
    fn a_verification_key_outage_is_retried() {
        let ctx = web_identity_error(
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider",
        );
        assert_eq!(
            VerificationKeyOutage.classify_retry(&ctx),
            RetryAction::transient_error()
        );
    }

    #[test]
    fn other_invalid_tokens_are_not_ours_to_retry() {
        for message in [
            "No OpenIDConnect provider found in your account",
            "Incorrect token audience",
        ] {
            let ctx = web_identity_error("InvalidIdentityToken", message);
            assert_eq!(
                VerificationKeyOutage.classify_retry(&ctx),
                RetryAction::NoActionIndicated,
                "{message}"
            );
        }
        let ctx = web_identity_error("AccessDenied", "retrieve verification key");
        assert_eq!(
            VerificationKeyOutage.classify_retry(&ctx),
            RetryAction::NoActionIndicated
        );
    }

    #[test]
    fn only_an_expired_token_asks_for_a_fresh_one() {
        let mut f = CallFailure {
            operation: "AssumeRoleWithWebIdentity",
            kind: FailureKind::Service,
            code: Some("ExpiredTokenException".into()),
            message: None,
            status: Some(400),
            attempts: 1,
        };
        assert!(needs_fresh_token(&f));
        f.code = Some("AccessDenied".into());
        assert!(!needs_fresh_token(&f));
        f.kind = FailureKind::Timeout;
        f.code = Some("ExpiredTokenException".into());
        assert!(!needs_fresh_token(&f));
    }

    #[test]
    fn the_policy_sets_the_sdks_attempts_and_backoff() {
        let c = RetryPolicy::default().sdk_config();
        assert_eq!(c.max_attempts(), 5);
        assert_eq!(c.initial_backoff(), Duration::from_millis(250));
        assert_eq!(c.max_backoff(), Duration::from_secs(4));
        let adaptive = RetryPolicy {
            max_attempts: 2,
            adaptive: true,
        }
        .sdk_config();
        assert_eq!(adaptive.max_attempts(), 2);
        assert_eq!(
            adaptive.mode(),
            aws_smithy_types::retry::RetryMode::Adaptive
        );
    }
}
