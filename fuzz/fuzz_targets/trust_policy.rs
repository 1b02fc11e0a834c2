//! Untrusted trust-policy documents: parsing and evaluating never panic, the
//! report prints, and its verdict is the one `allowed()` gives.
#![no_main]

use aws_oidc::fuzzing::decode_claims;
use aws_oidc::fuzzing::{Principal, Request};
use aws_oidc::trust::TrustPolicy;
use aws_oidc::trust::{RequestContext, ACTION};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = concat!(
    "e30.",
    // {"iss":"https://oidc.circleci.com/org/o1","aud":"o1","sub":"org/o1/project/p1/user/u1",
    //  "oidc.circleci.com/context-ids":["c1","c2"],"oidc.circleci.com/ssh-rerun":false,"exp":4000000000}
    "eyJpc3MiOiJodHRwczovL29pZGMuY2lyY2xlY2kuY29tL29yZy9vMSIsImF1ZCI6Im8xIiwic3ViIjoib3JnL28xL3Byb2plY3QvcDEvdXNlci91MSIsIm9pZGMuY2lyY2xlY2kuY29tL2NvbnRleHQtaWRzIjpbImMxIiwiYzIiXSwib2lkYy5jaXJjbGVjaS5jb20vc3NoLXJlcnVuIjpmYWxzZSwiZXhwIjo0MDAwMDAwMDAwfQ",
    ".c2ln"
);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = TrustPolicy::parse(text) else { return };
    let claims = decode_claims(TOKEN).expect("the fixed token decodes");
    let exposed = vec!["oidc.circleci.com/context-ids".to_string()];
    let context = RequestContext::for_token(&claims, Some("session"), &exposed);
    for principal in [
        Principal::Exact("arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/o1"),
        Principal::AnyAccount("oidc.circleci.com/org/o1"),
    ] {
        let evaluation = policy.evaluate(&Request { principal, action: ACTION, context: &context });
        let _ = evaluation.allowed();
        let _ = evaluation.to_string();
    }
});
