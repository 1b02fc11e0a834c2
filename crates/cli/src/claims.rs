//! `aws-oidc claims`: what the job's token says, and the condition keys IAM makes of it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use aws_oidc::token::{self, CircleCiCli, OidcToken, TokenError, TokenOptions, TokenSource};
use aws_oidc::trust::token_view::{token_json, token_text};
use clap::Args;

use crate::role::env;

pub const LONG_ABOUT: &str = "\
Decode the job's CircleCI OIDC token and print its claims readably: issuer, audience, the sub \
split into org, project, user, vcs-origin and vcs-ref, project id, context ids, ssh-rerun, when \
it was issued and when it expires, and the condition keys IAM evaluates a trust policy with. \
The token itself is never printed.

The token is found as `aws-oidc assume` finds it: --token-file, else $CIRCLE_OIDC_TOKEN_V2, else \
$CIRCLE_OIDC_TOKEN, else `circleci run oidc get`. An expired token is still shown. The signature \
is not checked (STS does that).";

/// Options of `aws-oidc claims`.
#[derive(Debug, Args)]
pub struct ClaimsArgs {
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

/// Finds the job's token as `assume` does, but also returns an expired one:
/// explaining a token is most useful when it is the problem.
pub fn discover(token_file: Option<PathBuf>, audience: Option<String>) -> Result<OidcToken> {
    let opts = TokenOptions {
        token_file,
        audience,
        mint_attempts: 3,
        mint_pause: Duration::from_secs(1),
    };
    let minter = CircleCiCli::from_path(env("PATH").as_deref());
    match token::obtain(&opts, &env, &minter, SystemTime::now()) {
        Ok(t) => Ok(t),
        Err(TokenError::Expired { origin, .. }) => {
            let raw = match &origin {
                TokenSource::File(p) => std::fs::read_to_string(p).ok(),
                TokenSource::Env(var) => env(var),
                TokenSource::Minted { .. } => None,
            };
            match raw {
                Some(raw) => Ok(OidcToken::new(&raw, origin)?),
                None => anyhow::bail!("the token from {origin} could not be read again"),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs `aws-oidc claims`.
pub fn run(args: ClaimsArgs) -> Result<()> {
    let token = discover(args.token_file, args.audience)?;
    if !args.json {
        print!("{}", token_text(&token.claims, &token.source.to_string()));
        return Ok(());
    }
    print!(
        "{}",
        token_json(&token.claims, &token.source.to_string(), SystemTime::now())
    );
    Ok(())
}
