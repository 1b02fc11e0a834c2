//! `aws-oidc secrets`: Secrets Manager secrets and SSM parameters into the job.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{bail, Result};
use aws_oidc::process_env;
use aws_oidc::secrets::Spec;
use aws_oidc::{SecretsRequest, SecretsSink};
use clap::Args;

use crate::output::{say, Printer};
use crate::role::Role;

pub(crate) const LONG_ABOUT: &str = "\
Fetch Secrets Manager secrets and SSM parameters and give them to the job as variables: exported \
to later steps through $BASH_ENV (the default), written as a dotenv file (--dotenv FILE, 0600), \
or given to one command only (--exec -- COMMAND ARGS, which nothing else sees).

Each SPEC names a variable and where its value comes from:
  NAME=SECRET_ID          the secret (its name or ARN), whole
  NAME=SECRET_ID#KEY      one key of a JSON secret
  PREFIX_*=SECRET_ID      each key of a JSON secret: DB_*=prod/db gives DB_USER, DB_PASSWORD
  NAME=ssm:PARAMETER      an SSM parameter (SecureStrings are decrypted)
  PREFIX_*=ssm:/PATH/     each parameter under the path: /PATH/db/url is PREFIX_DB_URL
Several SPECs may share one argument, separated by blanks or line breaks. NAME must be a variable \
name (letters, digits and _, not starting with a digit); one that is not is refused with the name \
it could be. Names made from JSON keys and parameter names are upper-cased, every other character \
becoming _; two values for one name are refused. Binary secrets are given base64-encoded, as \
Secrets Manager holds them (base64 -d turns them back). PATH, HOME, BASH_ENV and the like are \
refused: later steps need them.

Values are never printed, not in messages, not in errors. CircleCI masks only the values of \
project and context variables in its output, not what a step fetches: do not print them (no \
`set -x`, no `env`, no `printenv`). A value is at most 64 KiB; a path at most 1,000 parameters.

Credentials: $AWS_ACCESS_KEY_ID and friends (what aws-oidc/setup exports), else the profile \
$AWS_PROFILE; --profile NAME; or --role-arn, which assumes the role with the job's OIDC token in \
this step. They need secretsmanager:GetSecretValue (BatchGetSecretValue is used for several \
secrets when allowed), ssm:GetParameters and ssm:GetParametersByPath, and kms:Decrypt for \
customer managed keys.

`aws-oidc cleanup` unsets the exported variables for the steps after it and deletes the dotenv \
file.";

pub(crate) const AFTER_HELP: &str = "\
Examples:
  # After aws-oidc/setup: two variables for every later step
  aws-oidc secrets DB_PASSWORD=prod/db#password NPM_TOKEN=ssm:/ci/npm-token

  # A JSON secret as DB_HOST, DB_USER, ...; every parameter under /app/prod/ as APP_...
  aws-oidc secrets 'DB_*=prod/db' 'APP_*=ssm:/app/prod/'

  # Only for one command, with a role assumed for it
  aws-oidc secrets --role-arn arn:aws:iam::123456789012:role/deploy --region eu-west-1 \\
    DEPLOY_KEY=prod/deploy-key --exec -- ./deploy.sh

  # A dotenv file for docker compose
  aws-oidc secrets --dotenv .env 'APP_*=ssm:/app/prod/'";

/// Options of `aws-oidc secrets`.
#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    /// What to fetch into which variable: NAME=SECRET_ID, NAME=SECRET_ID#KEY, PREFIX_*=SECRET_ID, NAME=ssm:PARAMETER, PREFIX_*=ssm:/PATH/ (see above)
    #[arg(value_name = "SPEC", required = true)]
    specs: Vec<String>,

    /// Append `export` lines to this file [default: $BASH_ENV, unless --dotenv or --exec is given]
    #[arg(long, value_name = "PATH", num_args = 0..=1, conflicts_with = "exec")]
    bash_env: Option<Option<PathBuf>>,

    /// Write NAME=value lines to this file (0600, replaced atomically) instead of $BASH_ENV
    #[arg(long, value_name = "FILE", conflicts_with = "exec")]
    dotenv: Option<String>,

    /// Run the command after `--` with the values in its environment only; nothing is written
    #[arg(long, requires = "command")]
    exec: bool,

    /// Take the credentials from this profile (its keys or credential_process) instead of the environment
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    #[command(flatten)]
    role: Role,

    /// With --exec: the command to run, and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND", requires = "exec")]
    command: Vec<OsString>,
}

/// Runs `aws-oidc secrets`.
pub(crate) fn run(a: SecretsArgs) -> Result<()> {
    let v = a.role.values();
    let specs = Spec::parse_all(&v.each(&a.specs, "SPEC")?)?;
    let region = v.required_region(a.role.args.region.clone(), "secrets and parameters are")?;
    let dotenv = v.opt(a.dotenv, "--dotenv")?.map(PathBuf::from);
    let sink = match a.command.split_first() {
        Some((program, args)) if a.exec => SecretsSink::Exec {
            program: program.clone(),
            args: args.to_vec(),
        },
        None if a.exec => {
            bail!("--exec needs a command: aws-oidc secrets SPEC... --exec -- COMMAND [ARGS...]")
        }
        _ => SecretsSink::Files {
            bash_env: a.bash_env,
            dotenv,
        },
    };
    let request = SecretsRequest {
        specs,
        region,
        sink,
        credentials: a.role.credentials(a.profile)?,
        timeout_secs: a.role.args.timeout,
    };
    let report = aws_oidc::fetch_secrets(request, &process_env, &mut Printer)?;
    say!("aws-oidc: {report}");
    if let Some(status) = report.run() {
        std::process::exit(status?);
    }
    for note in report.notes() {
        say!("aws-oidc: note: {note}");
    }
    Ok(())
}
