//! STS's answers, read strictly: bounded in size, and credentials checked
//! before anything is written.
//!
//! An answer larger than [`MAX_ANSWER`] is cut off while it is read (an
//! interceptor wraps the SDK's response body in a length limit), so a
//! hostile or broken endpoint cannot make us buffer hundreds of megabytes.
//! Credentials that are empty or hold characters STS never sends (a line
//! break would forge a line in a profile file) make the answer unreadable,
//! retried like any mangled answer; credentials that have already expired
//! are refused.

use std::time::SystemTime;

use aws_sdk_sts::config::{Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, FinalizerInterceptorContextMut,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

use crate::credentials::{rfc3339, Credentials, Origin, Secret};
use crate::failure::{CallFailure, FailureKind};

/// The largest STS answer read (256 KiB): real ones are a few KiB.
pub(crate) const MAX_ANSWER: usize = 256 * 1024;

/// Credentials and who they belong to.
#[derive(Debug, Clone)]
pub struct Assumed {
    /// The credentials: temporary (STS always sends a session token and an
    /// expiry), from [`Origin::AssumedRole`].
    pub credentials: Credentials,
    /// `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
}

impl Assumed {
    /// When the credentials stop working.  STS always says, and the answer
    /// is refused without it; credentials changed since to have no expiry
    /// read as expired long ago rather than as valid forever.
    pub fn expiration(&self) -> SystemTime {
        self.credentials.expiration.unwrap_or(std::time::UNIX_EPOCH)
    }
}

/// Reads answers strictly: cuts every answer body off at [`MAX_ANSWER`]
/// bytes before the SDK reads it, and turns credentials STS would never send
/// into an error of the attempt, which [`crate::retry`] retries.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StrictAnswer;

/// Why the credentials of an answer cannot be taken, if they cannot.
fn implausible(c: Option<&aws_sdk_sts::types::Credentials>) -> Option<&'static str> {
    match c {
        None => Some("the answer holds no credentials"),
        Some(c)
            if !(plausible(c.access_key_id())
                && plausible(c.secret_access_key())
                && plausible(c.session_token())) =>
        {
            Some(IMPLAUSIBLE)
        }
        Some(_) => None,
    }
}

const IMPLAUSIBLE: &str = "the credentials are empty or hold characters STS never sends \
                           (blanks, line breaks, control characters)";

impl Intercept for StrictAnswer {
    fn name(&self) -> &'static str {
        "aws-oidc strict answers"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleOutput};
        use aws_sdk_sts::operation::assume_role_with_web_identity::{
            AssumeRoleWithWebIdentityError, AssumeRoleWithWebIdentityOutput,
        };
        use aws_smithy_runtime_api::client::interceptors::context::Error;
        use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
        use aws_smithy_types::error::ErrorMetadata;

        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let meta = |why: &str| ErrorMetadata::builder().message(why).build();
        let error = if let Some(o) = output.downcast_ref::<AssumeRoleWithWebIdentityOutput>() {
            implausible(o.credentials())
                .map(|why| Error::erase(AssumeRoleWithWebIdentityError::generic(meta(why))))
        } else if let Some(o) = output.downcast_ref::<AssumeRoleOutput>() {
            implausible(o.credentials())
                .map(|why| Error::erase(AssumeRoleError::generic(meta(why))))
        } else {
            None
        };
        if let (Some(error), Some(slot)) = (error, context.output_or_error_mut()) {
            *slot = Err(OrchestratorError::operation(error));
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let body = response.take_body();
        *response.body_mut() =
            SdkBody::from_body_1_x(http_body_util::Limited::new(body, MAX_ANSWER));
        Ok(())
    }
}

/// Whether `err` (or a cause of it) is the size bound being hit.
pub(crate) fn is_too_large(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut e: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cur) = e {
        if cur.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        e = cur.source();
    }
    false
}

/// What to say about an answer that was too large.
pub(crate) fn too_large() -> String {
    format!(
        "the answer is larger than {} KiB, far more than STS ever sends",
        MAX_ANSWER / 1024
    )
}

fn unreadable(operation: &'static str, why: String) -> CallFailure {
    CallFailure {
        operation,
        kind: FailureKind::Response(why),
        code: None,
        message: None,
        status: Some(200),
        attempts: 1,
    }
}

/// A key, secret or session token as STS sends them: printable ASCII, no
/// blanks (base64 and letters, in practice).
fn plausible(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c.is_ascii_graphic())
}

/// Checks the credentials of an answer, at `now`, for the role `origin`.
pub(crate) fn credentials(
    c: Option<&aws_sdk_sts::types::Credentials>,
    operation: &'static str,
    now: SystemTime,
    origin: Origin,
) -> Result<Credentials, CallFailure> {
    let c = c.ok_or_else(|| unreadable(operation, "the answer holds no credentials".into()))?;
    let expiration = SystemTime::try_from(*c.expiration()).map_err(|_| {
        unreadable(
            operation,
            "the credentials' Expiration is not a time this machine can hold".into(),
        )
    })?;
    if let Some(why) = implausible(Some(c)) {
        return Err(unreadable(operation, why.into()));
    }
    if expiration <= now {
        return Err(unreadable(
            operation,
            format!(
                "the credentials expired at {}, before they arrived; if that is in the future, \
                 this machine's clock is wrong",
                rfc3339(expiration)
            ),
        ));
    }
    Ok(Credentials::temporary(
        Secret::new(c.access_key_id()),
        Secret::new(c.secret_access_key()),
        Secret::new(c.session_token()),
        expiration,
        origin,
    ))
}

/// The credentials of an answer and who they belong to.
pub(crate) fn assumed(
    credentials: Option<&aws_sdk_sts::types::Credentials>,
    user: Option<&aws_sdk_sts::types::AssumedRoleUser>,
    operation: &'static str,
) -> Result<Assumed, CallFailure> {
    let assumed_role_arn = crate::redact::untrusted(user.map(|u| u.arn()).unwrap_or_default());
    let origin = Origin::AssumedRole {
        arn: assumed_role_arn.clone(),
    };
    Ok(Assumed {
        credentials: self::credentials(credentials, operation, SystemTime::now(), origin)?,
        assumed_role_arn,
    })
}
