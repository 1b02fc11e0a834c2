//! `aws-oidc credential-process`: credentials for AWS tools that refresh themselves.
//!
//! Configured as a profile's `credential_process`, this is run by the AWS CLI
//! and SDKs whenever they need credentials.  The library's
//! [`CachedExchange`] answers from a private cache while the cached
//! credentials have a few minutes left, and otherwise assumes the role again
//! (minting a fresh token once the job's token has expired), so a long job
//! never runs out of credentials.

use anyhow::Result;
use aws_oidc::process_env;
use aws_oidc::process_json;
use aws_oidc::CredentialProcessRequest;
use clap::Args;

use crate::output::{print_stdout, Printer};
use crate::role::Role;

pub(crate) const LONG_ABOUT: &str = "\
Print credentials in the credential_process format (Version 1, keys, Expiration) for AWS SDKs and \
the AWS CLI, assuming the role with the job's OIDC token as `assume` does.

Use it in ~/.aws/config (or let `aws-oidc assume --profile NAME --refresh` write it):

  [profile deploy]
  credential_process = /usr/local/bin/aws-oidc credential-process --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1

Credentials are cached in a private directory ($AWS_OIDC_CACHE_DIR, else $XDG_CACHE_HOME/aws-oidc, \
else ~/.cache/aws-oidc; 0700, files 0600) and served while more than 5 minutes (or a quarter of \
their lifetime) remain, so a loop of AWS CLI calls makes one STS call per expiry. Parallel callers \
wait for one refresh. Once the job's token has expired, a fresh one is minted with \
`circleci run oidc get`.";

/// Options of `aws-oidc credential-process`.
#[derive(Debug, Args)]
pub(crate) struct CredentialProcessArgs {
    #[command(flatten)]
    role: Role,

    /// Always assume the role, ignoring and not writing the cache
    #[arg(long)]
    no_cache: bool,
}

/// Runs `aws-oidc credential-process`.
pub(crate) fn run(args: CredentialProcessArgs) -> Result<()> {
    let request = CredentialProcessRequest {
        role: args.role.options(false)?,
        no_cache: args.no_cache,
    };
    let served = aws_oidc::credential_process(request, &process_env, &mut Printer)?;
    print_stdout(&process_json(&served.credentials))
}
