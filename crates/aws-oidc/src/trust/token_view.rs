//! A token as IAM sees it: its claims, the parts of its `sub`, its times,
//! and the condition keys IAM sets from it.  Never the token itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::subject::Subject;
use super::RequestContext;
use crate::credentials::{humanize_from_now, rfc3339_from_unix};
use crate::redact::printable;
use crate::token::Claims;

/// A claim's value for a terminal: control characters escaped, so a claim
/// cannot forge an output line or drive the terminal.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => printable(s),
        Some(Value::Array(a)) if a.is_empty() => "(none)".into(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| show(Some(x)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

fn when(secs: Option<i64>) -> String {
    match secs {
        None => "(absent)".into(),
        Some(s) => format!(
            "{} ({})",
            rfc3339_from_unix(s),
            humanize_from_now(UNIX_EPOCH + Duration::from_secs(s.max(0) as u64))
        ),
    }
}

const SHOWN: &[&str] = &[
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "oidc.circleci.com/project-id",
    "oidc.circleci.com/context-ids",
    "oidc.circleci.com/ssh-rerun",
    "oidc.circleci.com/org-id",
    "oidc.circleci.com/pipeline-id",
    "oidc.circleci.com/pipeline-definition-id",
];

/// The token as readable text; `source` says where it came from.
pub fn token_text(c: &Claims, source: &str) -> String {
    let ctx = RequestContext::for_token(c, None, &[]);
    let mut out =
        format!("Token from {source} (decoded, not verified: STS checks the signature)\n");
    let mut line = |k: &str, v: String| out.push_str(&format!("  {k:<14} {v}\n"));
    line("issuer", show(c.raw.get("iss")));
    line("audience", show(c.raw.get("aud")));
    line("subject", show(c.raw.get("sub")));
    if let Some(s) = c.subject().and_then(Subject::parse) {
        line("  org", printable(s.org));
        line("  project", printable(s.project));
        line("  user", printable(s.user));
        line(
            "  vcs-origin",
            printable(s.vcs_origin.unwrap_or("(absent: a v1 token)")),
        );
        line(
            "  vcs-ref",
            printable(s.vcs_ref.unwrap_or("(absent: a v1 token)")),
        );
    }
    line("project-id", show(c.circleci("project-id")));
    line("context-ids", show(c.circleci("context-ids")));
    line("ssh-rerun", show(c.circleci("ssh-rerun")));
    // Newer tokens carry these too; older ones do not, and say so.
    for claim in ["org-id", "pipeline-id", "pipeline-definition-id"] {
        let value = c.circleci(claim);
        line(
            claim,
            if value.is_some() {
                show(value)
            } else {
                "(absent: an older token)".into()
            },
        );
    }
    line("issued", when(c.issued_at()));
    line(
        "expires",
        match c.seconds_left(SystemTime::now()) {
            Some(left) if left <= 0 => format!("{} - EXPIRED", when(c.expires_at())),
            _ => when(c.expires_at()),
        },
    );
    let others: Vec<String> = c
        .raw
        .iter()
        .filter(|(k, _)| !SHOWN.contains(&k.as_str()))
        .map(|(k, v)| format!("{}={}", printable(k), show(Some(v))))
        .collect();
    if !others.is_empty() {
        line("other claims", others.join(" "));
    }
    out.push_str("Condition keys IAM sets for this token (what a trust policy can test):\n");
    for (k, v) in ctx.entries() {
        out.push_str(&format!("  {} = {}\n", printable(k), show(Some(v))));
    }
    out.push_str(
        "  (CircleCI's context-ids, vcs-origin, vcs-ref, ssh-rerun, org-id, pipeline-id and pipeline-definition-id claims are not condition keys)\n",
    );
    out
}

/// The token as IAM sees it, as pretty JSON: its claims, the parts of its
/// `sub`, its times, and the condition keys IAM sets (never the token itself).
pub fn token_json(claims: &Claims, source: &str, now: SystemTime) -> String {
    let sub = claims.subject().and_then(Subject::parse).map(|s| {
        serde_json::json!({"org": s.org, "project": s.project, "user": s.user,
                           "vcs-origin": s.vcs_origin, "vcs-ref": s.vcs_ref})
    });
    let keys: serde_json::Map<String, Value> = RequestContext::for_token(claims, None, &[])
        .entries()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let out = serde_json::json!({
        "source": source,
        "claims": claims.raw,
        "sub": sub,
        "issued_at": claims.issued_at().map(rfc3339_from_unix),
        "expires_at": claims.expires_at().map(rfc3339_from_unix),
        "seconds_left": claims.seconds_left(now),
        "condition_keys": keys,
    });
    super::render::pretty_json(&out)
}
