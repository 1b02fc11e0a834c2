//! `aws-oidc claims`: what the job's token says, and the condition keys IAM makes of it.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Result;
use aws_oidc::process_env;
use aws_oidc::trust::{token_json, token_text};
use clap::Args;

use crate::output::write_stdout;

pub(crate) const LONG_ABOUT: &str = "\
Decode the job's CircleCI OIDC token and print its claims readably: issuer, audience, the sub \
split into org, project, user, vcs-origin and vcs-ref, project id, context ids, ssh-rerun, when \
it was issued and when it expires, and the condition keys IAM evaluates a trust policy with. \
The token itself is never printed.

The token is found as `aws-oidc assume` finds it: --token-file, else $CIRCLE_OIDC_TOKEN_V2, else \
$CIRCLE_OIDC_TOKEN, else `circleci run oidc get`. An expired token is still shown. The signature \
is not checked (STS does that).";

/// Options of `aws-oidc claims`.
#[derive(Debug, Args)]
pub(crate) struct ClaimsArgs {
    /// Read the OIDC token from this file instead of the environment
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,

    /// Mint a fresh token with this audience (`circleci run oidc get`)
    #[arg(long, value_name = "AUD")]
    audience: Option<String>,

    /// Print JSON: the claims, the sub's parts, times, and IAM's condition keys
    #[arg(long)]
    json: bool,
}

/// Runs `aws-oidc claims`.
pub(crate) fn run(args: ClaimsArgs) -> Result<()> {
    let token = aws_oidc::discover_in_job(args.token_file, args.audience, &process_env)?;
    if !args.json {
        return write_stdout(&token_text(&token.claims, &token.source.to_string()));
    }
    write_stdout(&token_json(
        &token.claims,
        &token.source.to_string(),
        SystemTime::now(),
    ))
}
