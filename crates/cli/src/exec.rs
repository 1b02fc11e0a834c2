//! `aws-oidc exec`: one command with the credentials in its environment only.

use std::ffi::OsString;
use std::process::Command;

use anyhow::{bail, Result};
use aws_oidc::credentials::humanize_from_now;
use aws_oidc::settings::process_env;
use aws_oidc::sinks::shell::credential_vars;
use aws_oidc::Exchange;
use clap::Args;

use crate::output::say;
use crate::role::RoleArgs;

pub const LONG_ABOUT: &str = "\
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
pub struct ExecArgs {
    #[command(flatten)]
    role: RoleArgs,

    /// After assuming, check the credentials with sts:GetCallerIdentity
    #[arg(long)]
    verify: bool,

    /// The command to run, and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

/// Runs `aws-oidc exec`: on success it does not return on Unix.
pub fn run(args: ExecArgs) -> Result<()> {
    let exchange = Exchange::resolve(args.role.options(args.verify), &process_env)?;
    for note in exchange.notes() {
        say!("aws-oidc: note: {note}");
    }
    let Some((program, rest)) = args.command.split_first() else {
        bail!("no command to run: aws-oidc exec [options] -- COMMAND [ARGS...]");
    };
    // Before STS: a typo in the command should not cost a token and a role session.
    if !aws_oidc::platform::command_exists(program, &process_env) {
        bail!(
            "cannot run {}: there is no such executable on PATH; check the command's name, or \
             install it",
            program.to_string_lossy()
        );
    }
    let outcome = exchange.run(&process_env)?;
    let creds = &outcome.assumed.credentials;
    let expiration = creds.expiration_rfc3339();
    let mut cmd = Command::new(program);
    cmd.args(rest);
    cmd.env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE");
    for (name, value) in credential_vars(creds, exchange.region(), &expiration) {
        cmd.env(name, String::from_utf8_lossy(value).as_ref());
    }
    say!(
        "aws-oidc: running {} as {} (credentials expire {}, {})",
        program.to_string_lossy(),
        outcome.assumed.assumed_role_arn,
        expiration,
        humanize_from_now(creds.expiration)
    );
    replace_process(cmd, program)
}

#[cfg(unix)]
pub(crate) fn replace_process(mut cmd: Command, program: &OsString) -> Result<()> {
    use std::os::unix::process::CommandExt as _;
    // Only returns on failure.
    let e = cmd.exec();
    bail!(
        "cannot run {}: {e}. Check that it is on PATH and executable",
        program.to_string_lossy()
    )
}

#[cfg(not(unix))]
pub(crate) fn replace_process(mut cmd: Command, program: &OsString) -> Result<()> {
    let status = cmd.status().map_err(|e| {
        anyhow::anyhow!(
            "cannot run {}: {e}. Check that it is on PATH",
            program.to_string_lossy()
        )
    })?;
    std::process::exit(status.code().unwrap_or(1))
}
