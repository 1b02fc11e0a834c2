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

use crate::credentials::{rfc3339, Credentials, Secret};
use crate::sts::{Assumed, FailureKind, StsFailure};

/// The largest STS answer read (256 KiB): real ones are a few KiB.
pub const MAX_ANSWER: usize = 256 * 1024;

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

fn unreadable(operation: &'static str, why: String) -> StsFailure {
    StsFailure {
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

/// Checks the credentials of an answer, at `now`.
pub(crate) fn credentials(
    c: Option<&aws_sdk_sts::types::Credentials>,
    operation: &'static str,
    now: SystemTime,
) -> Result<Credentials, StsFailure> {
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
    Ok(Credentials {
        access_key_id: Secret::new(c.access_key_id()),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token()),
        expiration,
    })
}

/// The credentials of an answer and who they belong to.
pub(crate) fn assumed(
    credentials: Option<&aws_sdk_sts::types::Credentials>,
    user: Option<&aws_sdk_sts::types::AssumedRoleUser>,
    operation: &'static str,
) -> Result<Assumed, StsFailure> {
    Ok(Assumed {
        credentials: self::credentials(credentials, operation, SystemTime::now())?,
        assumed_role_arn: crate::redact::untrusted(user.map(|u| u.arn()).unwrap_or_default()),
    })
}

/// Reads one canned AssumeRoleWithWebIdentity answer (`status`, `body`)
/// through the same client, interceptors and checks as a real call, one
/// attempt, no network: for fuzzing the answer parser and for tests.
pub fn read_answer(status: u16, body: &[u8]) -> Result<Assumed, StsFailure> {
    use aws_smithy_runtime_api::client::http::{
        http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
    use std::time::{Duration, Instant};

    #[derive(Debug, Clone)]
    struct Canned(u16, Vec<u8>);
    impl HttpConnector for Canned {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let status = self
                .0
                .try_into()
                .unwrap_or_else(|_| 500u16.try_into().expect("500 is a status code"));
            HttpConnectorFuture::ready(Ok(HttpResponse::new(status, SdkBody::from(self.1.clone()))))
        }
    }

    let canned = Canned(status, body.to_vec());
    let settings = crate::sts::StsSettings {
        region: "us-east-1".into(),
        endpoint_url: Some("http://sts.invalid".into()),
        use_fips: false,
        use_dual_stack: false,
        retry: crate::retry::RetryPolicy {
            max_attempts: 1,
            adaptive: false,
        },
        user_agent: None,
        ca_bundle: None,
        connect_timeout: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(5),
    };
    let client = http_client_fn(move |_, _| SharedHttpConnector::new(canned.clone()));
    let sts = crate::sts::Sts::with_http_client(settings, client);
    let request = crate::request::AssumeRequest {
        role_arn: crate::request::RoleArn::parse("arn:aws:iam::123456789012:role/fuzz")
            .expect("a valid ARN"),
        session_name: crate::request::SessionName::sanitize("fuzz").expect("a valid name"),
        duration: crate::request::SessionDuration::default(),
        policy: None,
        policy_arns: Vec::new(),
    };
    let token = crate::token::OidcToken::new(
        "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjl9.c2ln",
        crate::token::TokenSource::Env("CIRCLE_OIDC_TOKEN_V2"),
    )
    .expect("a decodable token");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StsFailure {
            operation: "AssumeRoleWithWebIdentity",
            kind: FailureKind::Other(e.to_string()),
            code: None,
            message: None,
            status: None,
            attempts: 0,
        })?;
    runtime.block_on(sts.assume_with_web_identity(
        &request,
        &token,
        Instant::now() + Duration::from_secs(10),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_answer_is_read_or_refused_never_a_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Err(f) = read_answer(status, &body) {
                for text in [f.message.as_deref(), f.code.as_deref()].into_iter().flatten() {
                    prop_assert_eq!(crate::redact::printable(text), text);
                }
            }
        }

        #[test]
        fn mangled_good_answers_are_read_or_refused_never_a_panic(cut in 0usize..700, flip in 0usize..700, byte in any::<u8>()) {
            let mut body = answer(&creds("s3cr3t", "2999-01-01T00:00:00Z")).into_bytes();
            if let Some(b) = body.get_mut(flip) {
                *b = byte;
            }
            body.truncate(cut);
            let _ = read_answer(200, &body);
        }
    }

    fn answer(credentials: &str) -> String {
        format!(
            r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/fuzz/fuzz</Arn><AssumedRoleId>AROA:fuzz</AssumedRoleId></AssumedRoleUser>
    <Credentials>{credentials}</Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#
        )
    }

    fn creds(key: &str, expiration: &str) -> String {
        format!("<AccessKeyId>ASIAFUZZ</AccessKeyId><SecretAccessKey>{key}</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>{expiration}</Expiration>")
    }

    #[test]
    fn a_good_answer_is_read() {
        let a = read_answer(
            200,
            answer(&creds("s3cr3t", "2999-01-01T00:00:00Z")).as_bytes(),
        )
        .unwrap();
        assert_eq!(a.credentials.secret_access_key.expose(), "s3cr3t");
        assert_eq!(
            a.assumed_role_arn,
            "arn:aws:sts::123456789012:assumed-role/fuzz/fuzz"
        );
    }

    #[test]
    fn credentials_with_a_line_break_are_refused() {
        let f = read_answer(
            200,
            answer(&creds("a&#10;[evil]", "2999-01-01T00:00:00Z")).as_bytes(),
        )
        .unwrap_err();
        assert!(
            matches!(&f.kind, FailureKind::Response(why) if why.contains("line breaks")),
            "{f}"
        );
    }

    #[test]
    fn credentials_that_have_expired_are_refused() {
        let f =
            read_answer(200, answer(&creds("s", "2001-01-01T00:00:00Z")).as_bytes()).unwrap_err();
        assert!(
            f.to_string().contains("expired at 2001-01-01T00:00:00Z"),
            "{f}"
        );
    }

    #[test]
    fn unreadable_answers_say_so() {
        for (status, body) in [
            (200, b"garbage".to_vec()),
            (200, answer(&creds("s", "not a date")).into_bytes()),
            (200, b"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA".to_vec()),
            (307, Vec::new()),
        ] {
            let f = read_answer(status, &body).unwrap_err();
            assert!(matches!(f.kind, FailureKind::Response(_)), "{status}: {f:?}");
            assert!(!f.to_string().contains("unknown error"), "{f}");
        }
    }

    #[test]
    fn a_huge_answer_is_cut_off() {
        let f = read_answer(200, &vec![b' '; MAX_ANSWER + 1]).unwrap_err();
        assert!(f.to_string().contains("larger than 256 KiB"), "{f}");
    }

    #[test]
    fn a_huge_error_message_is_cut_and_redacted() {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>token eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjl9.c2ln {}</Message></Error><RequestId>1</RequestId></ErrorResponse>",
            "x".repeat(100_000)
        );
        let f = read_answer(403, body.as_bytes()).unwrap_err();
        let message = f.message.unwrap();
        assert!(
            message.len() < 1200 && message.contains("more characters not shown"),
            "{}",
            message.len()
        );
        assert!(!message.contains("eyJ"), "{message}");
    }
}
