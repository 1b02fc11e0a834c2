//! `aws-oidc exec`: one command with the credentials in its environment only.

use std::ffi::OsString;

use anyhow::{bail, Result};
use aws_oidc::process_env;
use aws_oidc::ExecRequest;
use clap::Args;

use crate::output::{say, Printer};
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
    let Some((program, rest)) = args.command.split_first() else {
        bail!("no command to run: aws-oidc exec [options] -- COMMAND [ARGS...]");
    };
    let request = ExecRequest {
        role: args.role.options(args.verify)?,
        program: program.clone(),
        args: rest.to_vec(),
    };
    let ready = aws_oidc::exec(request, &process_env, &mut Printer)?;
    say!("aws-oidc: {ready}");
    std::process::exit(ready.run()?)
}
