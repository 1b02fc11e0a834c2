//! STS's answers read without a network: [`read_answer`] sends one canned
//! answer through the real client, so the fuzzer and the tests check the
//! same size bound and credential checks a real call meets.
//!
//! It sits above the STS client it drives; the checks themselves are in
//! `answer`, below it.

use aws_smithy_types::body::SdkBody;

use crate::answer::Assumed;
use crate::failure::{CallFailure, FailureKind};

/// Reads one canned AssumeRoleWithWebIdentity answer (`status`, `body`)
/// through the same client, interceptors and checks as a real call, one
/// attempt, no network: for fuzzing the answer parser and for tests.
pub fn read_answer(status: u16, body: &[u8]) -> Result<Assumed, CallFailure> {
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
        proxies: Default::default(),
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
        .map_err(|e| {
            CallFailure::without_answer(
                "AssumeRoleWithWebIdentity",
                FailureKind::Other(e.to_string()),
                0,
            )
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
    use crate::answer::MAX_ANSWER;
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
