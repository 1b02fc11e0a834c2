//! Role trust policies for CircleCI tokens: write them tight, and explain them.
//!
//! `generate` turns what a role should allow (an org, its projects, some
//! branches) into a least-privilege trust policy; `render` writes it as
//! policy JSON, Terraform, CloudFormation or AWS CLI commands;
//! `evaluate` replays IAM's decision for one token, statement by
//! statement, to explain a bare "Not authorized to perform
//! sts:AssumeRoleWithWebIdentity".
//!
//! IAM never reads a token's claims directly: it turns a few of them into
//! condition keys named after the provider ([`RequestContext::for_token`]).
//! For a CircleCI issuer these are `<provider>:aud`, `<provider>:sub` and
//! `<provider>:oidc.circleci.com/project-id`.  CircleCI's other claims
//! (`context-ids`, `vcs-origin`, `vcs-ref`, `ssh-rerun`) are not condition
//! keys, so a condition on them sees a missing key; `UNKEYED_CIRCLECI_CLAIMS`
//! lists them so that both the generator and the checker can say so.

pub(crate) mod condition;
mod error;
pub(crate) mod evaluate;
pub(crate) mod generate;
pub(crate) mod render;
pub(crate) mod setup;
pub(crate) mod subject;
pub(crate) mod token_view;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::request::{is_account_id, RoleArn};
use crate::token::Claims;

pub use error::{GitRefProblem, IdField, ProviderProblem, RefField, SetupError};
pub use evaluate::{Check, Decision, Effect, Evaluation, StatementReport, TrustPolicy};
pub(crate) use evaluate::{Principal, Request};
pub use setup::{setup, SetupOptions, SetupText};
pub use token_view::{token_json, token_text};

crate::error_debug::debug_by_display!(PolicyError);
/// A trust policy that is not well-formed, or uses what this checker does not evaluate.
#[derive(thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("the trust policy is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The document is not a JSON object.
    #[error("the trust policy must be a JSON object")]
    NotObject,
    /// The document has no `Statement`.
    #[error("the trust policy has no Statement")]
    NoStatement,
    /// A statement is not a JSON object.
    #[error("each Statement must be a JSON object")]
    StatementNotObject,
    /// A statement's `Effect` is missing, or neither `Allow` nor `Deny`.
    #[error(
        "Effect must be \"Allow\" or \"Deny\", not {}",
        .found.as_ref().map_or_else(|| "missing".into(), Value::to_string)
    )]
    Effect {
        /// The `Effect` given, if any.
        found: Option<Value>,
    },
    /// A statement has both `Principal` and `NotPrincipal`, or neither.
    #[error("a trust policy statement needs exactly one of Principal and NotPrincipal")]
    PrincipalOrNot,
    /// A statement has both `Action` and `NotAction`, or neither.
    #[error("a statement needs exactly one of Action and NotAction")]
    ActionOrNot,
    /// A principal is neither `"*"` nor an object.
    #[error("Principal must be \"*\" or an object such as {{\"Federated\": ARN}}")]
    PrincipalShape {
        /// The principal given.
        found: Value,
    },
    /// A principal type other than `AWS`, `Federated`, `Service` and `CanonicalUser`.
    #[error("unknown principal type {kind:?}")]
    PrincipalType {
        /// The type given.
        kind: String,
    },
    /// `Condition` is not a JSON object.
    #[error("Condition must be a JSON object")]
    ConditionNotObject,
    /// A condition operator's block is not an object of keys and values.
    #[error("condition operator {operator:?} must map keys to values")]
    OperatorBlock {
        /// The operator.
        operator: String,
    },
    /// A set operator other than `ForAnyValue` and `ForAllValues`.
    #[error(
        "unknown condition set operator {set:?} in {operator:?} (IAM knows ForAnyValue and ForAllValues)"
    )]
    SetOperator {
        /// What stood before the `:`.
        set: String,
        /// The whole operator.
        operator: String,
    },
    /// An operator this checker does not evaluate (IAM may know it).
    #[error(
        "condition operator {operator:?} is not one aws-oidc evaluates (String*, Bool, \
         Null, with IfExists and ForAnyValue:/ForAllValues:); check that condition by hand"
    )]
    UnsupportedOperator {
        /// The operator.
        operator: String,
    },
    /// `Null` with `IfExists` or a set operator.
    #[error("{operator:?}: Null takes neither IfExists nor a set operator")]
    QualifiedNull {
        /// The operator.
        operator: String,
    },
    /// A condition value that is not a string, number or boolean.
    #[error("unsupported value {found} (a condition value is a string, number or boolean)")]
    ConditionValue {
        /// The value given.
        found: Value,
    },
    /// A condition key with an empty list of values.
    #[error("a condition key has an empty list of values")]
    NoValues,
}

crate::error_debug::debug_by_display!(PolicyFileError);
/// A trust policy file that cannot be used.
#[derive(thiserror::Error)]
pub enum PolicyFileError {
    /// It could not be read.
    #[error("cannot read the trust policy {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It is not a policy this checker can evaluate.
    #[error("the trust policy {} is unusable: {error}", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: PolicyError,
    },
}

impl TrustPolicy {
    /// Reads and checks a trust policy file.
    pub fn read(path: &Path) -> Result<Self, PolicyFileError> {
        let text =
            crate::request::read_policy_file(path).map_err(|source| PolicyFileError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        TrustPolicy::parse(&text).map_err(|error| PolicyFileError::Unusable {
            path: path.to_path_buf(),
            error,
        })
    }
}

crate::error_debug::debug_by_display!(NoIssuer);
/// The token names no issuer, so no IAM provider can match it.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token has no iss (issuer) claim, so no IAM provider can match it")]
pub struct NoIssuer;

/// Evaluates `policy` for a token's `claims`, as IAM would for
/// AssumeRoleWithWebIdentity.  `role` pins the provider to the role's
/// account; without it a provider in any account matches.
pub(crate) fn evaluate_token(
    policy: &TrustPolicy,
    claims: &Claims,
    role: Option<&RoleArn>,
    session_name: Option<&str>,
    exposed: &[String],
) -> Result<Evaluation, NoIssuer> {
    evaluate_token_in(
        policy,
        claims,
        role.map(|r| (r.partition(), r.account())),
        session_name,
        exposed,
    )
}

/// `evaluate_token` with the provider's partition and account given directly.
pub fn evaluate_token_in(
    policy: &TrustPolicy,
    claims: &Claims,
    account: Option<(&str, &str)>,
    session_name: Option<&str>,
    exposed: &[String],
) -> Result<Evaluation, NoIssuer> {
    let host_path = claims.provider_host_path().ok_or(NoIssuer)?;
    let ctx = RequestContext::for_token(claims, session_name, exposed);
    let arn = account.map(|(partition, account)| Provider::arn_for(partition, account, host_path));
    let principal = match &arn {
        Some(arn) => Principal::Exact(arn),
        None => Principal::AnyAccount(host_path),
    };
    Ok(policy.evaluate(&Request {
        principal,
        action: ACTION,
        context: &ctx,
    }))
}

/// The action a web-identity trust policy must allow.
pub const ACTION: &str = "sts:AssumeRoleWithWebIdentity";

/// CircleCI claims that IAM turns into condition keys (besides `aud` and `sub`).
pub(crate) const KEYED_CIRCLECI_CLAIMS: &[&str] = &["oidc.circleci.com/project-id"];

/// CircleCI claims that IAM does not offer as condition keys: a condition on
/// `<provider>:<claim>` always sees a missing key.
pub(crate) const UNKEYED_CIRCLECI_CLAIMS: &[&str] = &[
    "oidc.circleci.com/context-ids",
    "oidc.circleci.com/vcs-origin",
    "oidc.circleci.com/vcs-ref",
    "oidc.circleci.com/ssh-rerun",
    "oidc.circleci.com/org-id",
    "oidc.circleci.com/pipeline-id",
    "oidc.circleci.com/pipeline-definition-id",
];

/// An IAM OIDC identity provider: its ARN, and the issuer host and path that
/// IAM names the provider's condition keys after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Provider {
    arn: String,
    host_path_at: usize,
}

fn check_host_path(host_path: &str) -> Result<(), ProviderProblem> {
    if host_path.is_empty()
        || host_path.starts_with('/')
        || host_path.ends_with('/')
        || !host_path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/:".contains(c))
    {
        return Err(ProviderProblem::HostPath {
            host_path: host_path.to_string(),
        });
    }
    Ok(())
}

impl Provider {
    /// The provider for `host_path` (the issuer without `https://`) in an account.
    pub(crate) fn in_account(
        partition: &str,
        account: &str,
        host_path: &str,
    ) -> Result<Self, ProviderProblem> {
        if !is_account_id(account) {
            return Err(ProviderProblem::Account {
                account: account.to_string(),
            });
        }
        check_host_path(host_path)?;
        let arn = Provider::arn_for(partition, account, host_path);
        Ok(Provider {
            host_path_at: arn.len() - host_path.len(),
            arn,
        })
    }

    /// The provider for a token's issuer in a role's account, unchecked:
    /// for explaining a failure, where the token's issuer is what it is.
    pub(crate) fn for_role(role: &RoleArn, host_path: &str) -> Self {
        let arn = Provider::arn_for(role.partition(), role.account(), host_path);
        Provider {
            host_path_at: arn.len() - host_path.len(),
            arn,
        }
    }

    /// The one spelling of a provider's ARN:
    /// `arn:<partition>:iam::<account>:oidc-provider/<host-path>`.
    pub(crate) fn arn_for(partition: &str, account: &str, host_path: &str) -> String {
        format!("arn:{partition}:iam::{account}:oidc-provider/{host_path}")
    }

    /// Parses `arn:<partition>:iam::<account>:oidc-provider/<host-path>`.
    pub(crate) fn parse_arn(raw: &str) -> Result<Self, SetupError> {
        let bad = |problem| SetupError::ProviderArn {
            raw: raw.to_string(),
            problem,
        };
        let parts: Vec<&str> = raw.trim().splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
            return Err(bad(ProviderProblem::NotIamArn));
        }
        if !parts[1].starts_with("aws") {
            return Err(bad(ProviderProblem::UnknownPartition {
                partition: parts[1].to_string(),
            }));
        }
        let Some(host_path) = parts[5].strip_prefix("oidc-provider/") else {
            return Err(bad(ProviderProblem::NotAProvider));
        };
        check_host_path(host_path).map_err(bad)?;
        Provider::in_account(parts[1], parts[4], host_path).map_err(bad)
    }

    /// The provider's ARN, as `Principal.Federated` names it.
    pub(crate) fn arn(&self) -> &str {
        &self.arn
    }

    /// The issuer host and path, e.g. `oidc.circleci.com/org/<org-id>`.
    pub(crate) fn host_path(&self) -> &str {
        &self.arn[self.host_path_at..]
    }

    /// The issuer URL, as `create-open-id-connect-provider --url` wants it.
    pub(crate) fn url(&self) -> String {
        format!("https://{}", self.host_path())
    }

    /// The condition key IAM names after this provider for `claim`, e.g. `<host-path>:sub`.
    pub(crate) fn key(&self, claim: &str) -> String {
        format!("{}:{claim}", self.host_path())
    }
}

/// The condition keys and values IAM evaluates a trust policy with, for one token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestContext {
    entries: Vec<(String, Value)>,
}

impl RequestContext {
    /// The keys IAM builds from a token's claims.  `aud` comes from `azp`
    /// when the token has one (then `oaud` holds `aud`); `project-id` only
    /// for CircleCI's issuer.  `exposed` names further claims to treat as
    /// keys `<provider>:<claim>`, which IAM does not do: for testing policies
    /// that use them, or a key AWS adds later.
    pub fn for_token(claims: &Claims, session_name: Option<&str>, exposed: &[String]) -> Self {
        let mut ctx = RequestContext::default();
        let Some(hp) = claims.provider_host_path() else {
            return ctx;
        };
        if let Some(name) = session_name {
            ctx.set("sts:RoleSessionName", Value::from(name));
        }
        let raw = &claims.raw;
        match raw.get("azp") {
            Some(azp) => {
                ctx.set(&format!("{hp}:aud"), azp.clone());
                ctx.set(
                    &format!("{hp}:oaud"),
                    raw.get("aud").cloned().unwrap_or(Value::Null),
                );
            }
            None => ctx.set(
                &format!("{hp}:aud"),
                raw.get("aud").cloned().unwrap_or(Value::Null),
            ),
        }
        ctx.set(
            &format!("{hp}:sub"),
            raw.get("sub").cloned().unwrap_or(Value::Null),
        );
        if hp.starts_with("oidc.circleci.com/") {
            for claim in KEYED_CIRCLECI_CLAIMS {
                if let Some(v) = raw.get(*claim) {
                    ctx.set(&format!("{hp}:{claim}"), v.clone());
                }
            }
        }
        for claim in exposed {
            if let Some(v) = raw.get(claim) {
                ctx.set(&format!("{hp}:{claim}"), v.clone());
            }
        }
        ctx
    }

    /// Sets a key (names are case-insensitive, as in IAM).
    pub fn set(&mut self, key: &str, value: Value) {
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// A key's value, if the request has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// All keys and values, in the order they were set.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::decode_claims;
    use base64::Engine as _;

    pub(crate) fn claims(payload: Value) -> Claims {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        decode_claims(&format!(
            "{}.{}.sig",
            e.encode("{}"),
            e.encode(payload.to_string())
        ))
        .unwrap()
    }

    #[test]
    fn provider_from_account_and_arn_agree() {
        let a = Provider::in_account("aws", "123456789012", "oidc.circleci.com/org/o-1").unwrap();
        let b = Provider::parse_arn(a.arn()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.host_path(), "oidc.circleci.com/org/o-1");
        assert_eq!(a.key("sub"), "oidc.circleci.com/org/o-1:sub");
        assert_eq!(a.url(), "https://oidc.circleci.com/org/o-1");
        for bad in [
            "arn:aws:iam::12345:oidc-provider/x",
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::123456789012:oidc-provider/",
            "arn:aws:iam::123456789012:oidc-provider/a b",
            "nope",
        ] {
            assert!(Provider::parse_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn context_has_only_the_keys_iam_sets() {
        let c = claims(serde_json::json!({
            "iss": "https://oidc.circleci.com/org/o-1",
            "aud": "o-1",
            "sub": "org/o-1/project/p-1/user/u-1",
            "oidc.circleci.com/project-id": "p-1",
            "oidc.circleci.com/context-ids": ["c-1"],
        }));
        let ctx = RequestContext::for_token(&c, Some("s"), &[]);
        assert_eq!(
            ctx.get("OIDC.circleci.com/org/o-1:AUD"),
            Some(&Value::from("o-1"))
        );
        assert_eq!(
            ctx.get("oidc.circleci.com/org/o-1:oidc.circleci.com/project-id"),
            Some(&Value::from("p-1"))
        );
        assert_eq!(
            ctx.get("oidc.circleci.com/org/o-1:oidc.circleci.com/context-ids"),
            None
        );
        assert_eq!(ctx.get("sts:RoleSessionName"), Some(&Value::from("s")));
        let exposed = ["oidc.circleci.com/context-ids".to_string()];
        let ctx = RequestContext::for_token(&c, None, &exposed);
        assert_eq!(
            ctx.get("oidc.circleci.com/org/o-1:oidc.circleci.com/context-ids"),
            Some(&serde_json::json!(["c-1"]))
        );
    }
}
