//! `check`: would this trust policy let this token in, and if not, why.

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use super::CommandError;
use crate::env::Env;
use crate::request::{AccountId, RoleArn};
use crate::token::discover_in_job;
use crate::trust::{evaluate_token_in, Evaluation, TrustPolicy};

/// What `check` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// The trust policy file.
    pub policy: PathBuf,
    /// The role it belongs to, whose account holds the provider.
    pub role: Option<RoleArn>,
    /// The role's account, without the role.
    pub account: Option<AccountId>,
    /// The role session name, for conditions on it.
    pub session_name: Option<String>,
    /// Claims also treated as condition keys.
    pub expose_claims: Vec<String>,
    /// The token's file, instead of the environment.
    pub token_file: Option<PathBuf>,
    /// Mint a fresh token with this audience.
    pub audience: Option<String>,
}

/// The policy, statement by statement, against the token.
#[derive(Debug)]
pub struct CheckReport {
    /// The policy file.
    pub policy: PathBuf,
    /// Where the token came from.
    pub token_source: String,
    /// The token's claims, in one line.
    pub token_summary: String,
    /// The token has expired.
    pub expired: bool,
    /// The verdict, statement by statement.
    pub evaluation: Evaluation,
}

impl CheckReport {
    /// Whether the policy lets the token in.
    pub fn allowed(&self) -> bool {
        self.evaluation.allowed()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Checking {} against the token from {}\n  token: {}",
            self.policy.display(),
            self.token_source,
            self.token_summary
        )?;
        if self.expired {
            f.write_str(
                "  note: this token has expired: STS answers ExpiredTokenException before it reads \
                 the trust policy\n",
            )?;
        }
        write!(f, "{}", self.evaluation)
    }
}

/// Evaluates the policy against the job's token the way IAM does.
pub fn check(req: CheckRequest, env: Env) -> Result<CheckReport, CommandError> {
    let policy = TrustPolicy::read(&req.policy)?;
    let token = discover_in_job(req.token_file, req.audience, env)?;
    let pin = match (&req.role, &req.account) {
        (Some(r), _) => Some((r.partition(), r.account())),
        (None, Some(a)) => Some(("aws", a.as_str())),
        (None, None) => None,
    };
    let evaluation = evaluate_token_in(
        &policy,
        &token.claims,
        pin,
        req.session_name.as_deref(),
        &req.expose_claims,
    )?;
    Ok(CheckReport {
        policy: req.policy,
        token_source: token.source.to_string(),
        token_summary: token.claims.summary(),
        expired: token
            .claims
            .seconds_left(SystemTime::now())
            .is_some_and(|s| s <= 0),
        evaluation,
    })
}
