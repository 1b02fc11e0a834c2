//! How a signed AWS call failed: [`CallFailure`], and its [`FailureKind`].
//!
//! One error for every signed call, STS's and the JSON calls to ECR, EKS,
//! Secrets Manager, SSM and CodeArtifact alike, so a failure is retried and
//! explained the same way wherever it came from.  It is a leaf: the STS
//! client classifies the SDK's errors into it, [`crate::retry`] decides
//! from it whether a call can pass, and the answer checks build it.

use std::fmt;

/// How a signed AWS call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The service answered with an error (`code`, `message`, `status` are set).
    Service,
    /// No answer in time.
    Timeout,
    /// Could not connect (DNS, refused, reset, TLS).
    Connect(String),
    /// An answer that could not be read (truncated, not XML or JSON).
    Response(String),
    /// The request could not even be built.
    Other(String),
}

/// A failed signed AWS call (STS, ECR, EKS, Secrets Manager, SSM,
/// CodeArtifact).  Never holds the token or any key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    /// The operation, e.g. `AssumeRoleWithWebIdentity` or `GetAuthorizationToken`.
    pub operation: &'static str,
    /// How it failed.
    pub kind: FailureKind,
    /// The service's error code, e.g. `AccessDenied`.
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// How many attempts were made in all.
    pub attempts: u32,
}

impl CallFailure {
    /// A call that failed before any answer: no code, message or status.
    pub(crate) fn without_answer(
        operation: &'static str,
        kind: FailureKind,
        attempts: u32,
    ) -> Self {
        CallFailure {
            operation,
            kind,
            code: None,
            message: None,
            status: None,
            attempts,
        }
    }
}

impl fmt::Display for CallFailure {
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
