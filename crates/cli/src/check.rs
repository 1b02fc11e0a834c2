//! `aws-oidc check`: would this trust policy let this token in, and if not, why.

use std::path::PathBuf;

use anyhow::{bail, Result};
use aws_oidc::process_env;
use aws_oidc::{AccountField, AccountId, CheckRequest, RoleArn};
use clap::Args;

use crate::output::print_stdout;

pub(crate) const LONG_ABOUT: &str = "\
Evaluate a role's trust policy against the job's token the way IAM does, and print, statement by \
statement, which principal, action and condition passed or failed and why, ending in ALLOWED or \
DENIED (exit status 0 or 1). It explains STS's bare \"Not authorized to perform \
sts:AssumeRoleWithWebIdentity\".

IAM's rules are followed: an applying Deny wins, otherwise an applying Allow grants, otherwise \
the request is denied. Conditions: String{Equals,NotEquals,Like,NotLike} and their IgnoreCase \
forms, Bool, Null, each with IfExists and ForAnyValue:/ForAllValues:. The condition keys are the \
ones IAM sets for the token (see `aws-oidc claims`): for CircleCI, <provider>:aud, \
<provider>:sub and <provider>:oidc.circleci.com/project-id.

Get the role's policy with: aws iam get-role --role-name NAME --query Role.AssumeRolePolicyDocument";

/// Options of `aws-oidc check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The trust policy (JSON), e.g. from `aws iam get-role --query Role.AssumeRolePolicyDocument`
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,

    /// The role the policy belongs to: its account must hold the OIDC provider [default: any account]
    #[arg(long, value_name = "ARN", conflicts_with = "account_id")]
    role_arn: Option<String>,

    /// The role's AWS account, when --role-arn is not given
    #[arg(long, value_name = "ID")]
    account_id: Option<String>,

    /// The role session name, for conditions on sts:RoleSessionName
    #[arg(long, value_name = "NAME")]
    session_name: Option<String>,

    /// Also treat this claim as a condition key <provider>:<claim> (IAM does not; for testing or future keys); repeatable
    #[arg(long, value_name = "CLAIM")]
    expose_claim: Vec<String>,

    /// Read the OIDC token from this file instead of the environment
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,

    /// Mint a fresh token with this audience (`circleci run oidc get`)
    #[arg(long, value_name = "AUD")]
    audience: Option<String>,
}

/// Runs `aws-oidc check`.
pub(crate) fn run(args: CheckArgs) -> Result<()> {
    let request = CheckRequest {
        role: args.role_arn.as_deref().map(RoleArn::parse).transpose()?,
        account: (args.account_id.as_deref())
            .map(|a| AccountId::parse(a, AccountField::AccountId))
            .transpose()?,
        policy: args.policy,
        session_name: args.session_name,
        expose_claims: args.expose_claim,
        token_file: args.token_file,
        audience: args.audience,
    };
    let report = aws_oidc::check(request, &process_env)?;
    print_stdout(&report.to_string())?;
    if !report.allowed() {
        bail!(
            "the trust policy {} does not allow this token (see the FAIL lines above)",
            report.policy.display()
        );
    }
    Ok(())
}
