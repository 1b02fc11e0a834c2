//! Which STS failures can pass, and how long to wait before trying again.
//!
//! Only failures that a later attempt can fix are retried: throttling, 5xx,
//! connection errors and timeouts, `IDPCommunicationError`, and
//! `InvalidIdentityToken` "Couldn't retrieve verification key" (STS could
//! not fetch the issuer's keys).  An expired token is retried only with a
//! fresh one.  Everything else (a trust policy that does not match, a wrong
//! audience, a bad duration) fails at once: retrying would only delay the
//! error.  Waits use full-jitter exponential backoff under a total deadline.

use std::time::{Duration, Instant};

use crate::sts::{FailureKind, StsFailure};

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try the same request again after a pause.
    Retry,
    /// Try again with a freshly minted token.
    RetryWithFreshToken,
    /// Give up now.
    Fail,
}

/// Classifies a failure.
pub fn classify(f: &StsFailure) -> Decision {
    match &f.kind {
        FailureKind::Timeout | FailureKind::Connect(_) | FailureKind::Response(_) => {
            Decision::Retry
        }
        FailureKind::Other(_) => Decision::Fail,
        FailureKind::Service => {
            let code = f.code.as_deref().unwrap_or_default();
            let message = f.message.as_deref().unwrap_or_default();
            match code {
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "IDPCommunicationError"
                | "InternalFailure"
                | "ServiceUnavailable" => Decision::Retry,
                "InvalidIdentityToken" if message.contains("retrieve verification key") => {
                    Decision::Retry
                }
                "ExpiredTokenException" => Decision::RetryWithFreshToken,
                _ if f.status.is_some_and(|s| s >= 500) => Decision::Retry,
                _ => Decision::Fail,
            }
        }
    }
}

/// Full-jitter exponential backoff with an attempt cap and a deadline.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// First delay ceiling.
    pub base: Duration,
    /// Largest delay ceiling.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// No attempt starts after this.
    pub deadline: Instant,
}

impl Backoff {
    /// The defaults: 5 attempts, 0.25 s doubling to at most 4 s, within `total`.
    pub fn new(total: Duration) -> Self {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(4),
            max_attempts: 5,
            deadline: Instant::now() + total,
        }
    }

    /// The pause before attempt `attempt + 1` (1-based `attempt` just failed),
    /// or `None` when out of attempts or time.  `unit` is a random number in
    /// [0, 1).
    pub fn delay(&self, attempt: u32, unit: f64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = self
            .base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.cap);
        let delay = ceiling.mul_f64(unit.clamp(0.0, 1.0));
        let left = self.deadline.checked_duration_since(Instant::now())?;
        // Leave room for the attempt itself; a pause that eats the deadline is pointless.
        (delay < left).then_some(delay)
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str, status: u16) -> StsFailure {
        StsFailure {
            operation: "AssumeRoleWithWebIdentity",
            kind: FailureKind::Service,
            code: Some(code.into()),
            message: Some(message.into()),
            status: Some(status),
            attempts: 1,
        }
    }

    #[test]
    fn retries_only_what_can_pass() {
        let retry = [
            service("Throttling", "Rate exceeded", 400),
            service("IDPCommunicationError", "x", 400),
            service(
                "InvalidIdentityToken",
                "Couldn't retrieve verification key from your identity provider",
                400,
            ),
            service("InternalFailure", "", 500),
            service("Whatever", "", 503),
        ];
        for f in &retry {
            assert_eq!(classify(f), Decision::Retry, "{f:?}");
        }
        let fail = [
            service(
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                403,
            ),
            service(
                "InvalidIdentityToken",
                "No OpenIDConnect provider found in your account",
                400,
            ),
            service("InvalidIdentityToken", "Incorrect token audience", 400),
            service("IDPRejectedClaim", "", 403),
            service("ValidationError", "", 400),
            service("MalformedPolicyDocument", "", 400),
            service("PackedPolicyTooLarge", "", 400),
            service("RegionDisabledException", "", 403),
        ];
        for f in &fail {
            assert_eq!(classify(f), Decision::Fail, "{f:?}");
        }
        assert_eq!(
            classify(&service("ExpiredTokenException", "", 400)),
            Decision::RetryWithFreshToken
        );
        let mut t = service("x", "", 0);
        t.kind = FailureKind::Timeout;
        assert_eq!(classify(&t), Decision::Retry);
        t.kind = FailureKind::Other("construction".into());
        assert_eq!(classify(&t), Decision::Fail);
    }

    #[test]
    fn backoff_grows_with_full_jitter_and_stops() {
        let b = Backoff::new(Duration::from_secs(60));
        assert_eq!(b.delay(1, 0.999).unwrap().as_millis(), 249);
        assert_eq!(b.delay(2, 0.5).unwrap().as_millis(), 250);
        assert_eq!(b.delay(4, 1.0).unwrap(), Duration::from_secs(2));
        assert_eq!(b.delay(1, 0.0).unwrap(), Duration::ZERO);
        assert_eq!(b.delay(5, 0.5), None, "out of attempts");
        let capped = Backoff {
            max_attempts: 50,
            ..b.clone()
        };
        assert_eq!(capped.delay(30, 1.0).unwrap(), Duration::from_secs(4));
        let late = Backoff {
            deadline: Instant::now(),
            ..b
        };
        assert_eq!(late.delay(1, 0.5), None, "out of time");
    }
}
