//! `exec`: one command with the role's credentials in its environment only.

use std::ffi::OsString;
use std::fmt;

use super::{CommandError, Report};
use crate::credentials::{humanize_from_now, rfc3339, Secret};
use crate::deliver::{ExecError, ExecTarget};
use crate::env::Env;
use crate::exchange::{Exchange, RoleOptions};
use crate::sinks::shell::credential_vars;

/// What `exec` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The role, token and STS options.
    pub role: RoleOptions,
    /// The command to run.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
}

/// The role was assumed: the command, ready to run with the credentials.
pub struct ExecReport {
    command: ExecTarget,
    vars: Vec<(&'static str, Secret)>,
    assumed_role_arn: String,
    expiration: String,
    expires_in: String,
}

impl fmt::Debug for ExecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values are the credentials: only their names.
        let names: Vec<&str> = self.vars.iter().map(|(n, _)| *n).collect();
        f.debug_struct("ExecReport")
            .field("command", &self.command)
            .field("vars", &names)
            .field("assumed_role_arn", &self.assumed_role_arn)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ExecReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "running {} as {} (credentials expire {}, {})",
            self.command.program(),
            self.assumed_role_arn,
            self.expiration,
            self.expires_in
        )
    }
}

/// The variables AWS tools would take instead of the credentials given.
const UNSET: [&str; 2] = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

impl ExecReport {
    /// Runs the command with the credentials (and without `AWS_PROFILE`):
    /// on Unix it replaces this process; elsewhere its exit status.
    pub fn run(&self) -> Result<i32, ExecError> {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(n, v)| (*n, v.expose())).collect();
        self.command.run(&vars, &UNSET)
    }
}

/// Assumes the role for the command: the command is found before STS is
/// called, as a typo should not cost a token and a role session.
pub fn exec(
    req: ExecRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<ExecReport, CommandError> {
    let exchange = Exchange::resolve(req.role, env)?;
    for note in exchange.notes() {
        report.note(note);
    }
    let command = ExecTarget::resolve(&req.program, &req.args, env)?;
    let outcome = exchange.run(env)?;
    let creds = &outcome.assumed.credentials;
    let expiration = rfc3339(outcome.assumed.expiration());
    let vars = credential_vars(creds, exchange.region(), &expiration)
        .into_iter()
        .map(|(name, value)| (name, Secret::new(String::from_utf8_lossy(value))))
        .collect();
    Ok(ExecReport {
        command,
        vars,
        assumed_role_arn: outcome.assumed.assumed_role_arn.to_string(),
        expiration,
        expires_in: humanize_from_now(outcome.assumed.expiration()),
    })
}
