//! `aws-oidc exec`: one command with the credentials in its environment only.

use std::ffi::OsString;

use anyhow::{bail, Result};
use aws_oidc::credential_vars;
use aws_oidc::process_env;
use aws_oidc::Exchange;
use aws_oidc::ExecTarget;
use aws_oidc::{humanize_from_now, rfc3339};
use clap::Args;

use crate::output::say;
use crate::role::Role;

pub(crate) const LONG_ABOUT: &str = "\
Assume the role as `assume` does, then run COMMAND with the credentials in its environment only \
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, and the \
region). Nothing is written: no $BASH_ENV line, no profile, so one job can act as several roles \
without the last one silently winning. AWS_PROFILE is removed from COMMAND's environment, so \
the credentials given are the ones used.

COMMAND replaces aws-oidc (on Unix), so its exit status is the step's and signals reach it \
directly.

  aws-oidc exec --role-arn arn:aws:iam::111111111111:role/deploy -- aws s3 sync dist s3://staging
  aws-oidc exec --role-arn arn:aws:iam::222222222222:role/deploy -- aws s3 sync dist s3://production";

/// Options of `aws-oidc exec`.
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    role: Role,

    /// After assuming, check the credentials with sts:GetCallerIdentity
    #[arg(long)]
    verify: bool,

    /// The command to run, and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Runs `aws-oidc exec`: on success it does not return on Unix.
pub(crate) fn run(args: ExecArgs) -> Result<()> {
    let env = &process_env;
    let exchange = Exchange::resolve(args.role.options(args.verify)?, env)?;
    for note in exchange.notes() {
        say!("aws-oidc: note: {note}");
    }
    let Some((program, rest)) = args.command.split_first() else {
        bail!("no command to run: aws-oidc exec [options] -- COMMAND [ARGS...]");
    };
    // Before STS: a typo in the command should not cost a token and a role session.
    let command = ExecTarget::resolve(program, rest, env)?;
    let outcome = exchange.run(env)?;
    let creds = &outcome.assumed.credentials;
    let expiration = rfc3339(outcome.assumed.expiration());
    let vars: Vec<(&str, String)> = credential_vars(creds, exchange.region(), &expiration)
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(value).into_owned()))
        .collect();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
    say!(
        "aws-oidc: running {} as {} (credentials expire {}, {})",
        command.program(),
        outcome.assumed.assumed_role_arn,
        expiration,
        humanize_from_now(outcome.assumed.expiration())
    );
    std::process::exit(command.run(&vars, &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])?)
}
