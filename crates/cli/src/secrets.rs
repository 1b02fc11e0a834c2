//! `aws-oidc secrets`: Secrets Manager secrets and SSM parameters into the job.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::ledger::Written;
use aws_oidc::request::parse_region;
use aws_oidc::secrets::{self, SecretsSettings, Spec};
use aws_oidc::settings::{self, option_value, process_env};
use aws_oidc::sinks::shell;
use clap::Args;

use crate::output::say;
use crate::role::{credential_source, open_cache, RoleArgs};

pub const LONG_ABOUT: &str = "\
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

pub const AFTER_HELP: &str = "\
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
pub struct SecretsArgs {
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
    role: RoleArgs,

    /// With --exec: the command to run, and its arguments, after `--`
    #[arg(last = true, value_name = "COMMAND", requires = "exec")]
    command: Vec<OsString>,
}

/// Where the values go.
enum Sinks {
    Write {
        bash_env: Option<PathBuf>,
        dotenv: Option<PathBuf>,
    },
    Exec(Vec<OsString>),
}

/// Runs `aws-oidc secrets`.  `role_on_command_line`: `--role-arn` was given
/// as a flag ($AWS_ROLE_ARN alone names the role setup already assumed).
pub fn run(mut a: SecretsArgs, role_on_command_line: bool) -> Result<()> {
    let env = &process_env;
    let x = a.role.expand_env;
    let mut raw = Vec::new();
    for s in &a.specs {
        raw.extend(option_value(Some(s.clone()), x, "SPEC", env)?);
    }
    let specs = Spec::parse_all(&raw)?;
    let region_flag = option_value(a.role.region.clone(), x, "--region", env)?;
    let Some((region, _)) = settings::REGION.resolve(region_flag.as_deref(), env) else {
        bail!(
            "secrets and parameters are regional, and no region is set: pass --region (orb: region) \
             or set AWS_REGION or AWS_DEFAULT_REGION"
        );
    };
    let region = parse_region(&region)?;
    // A role assumed now is assumed through the secrets' region.
    a.role.region = Some(region.clone());
    let settings = SecretsSettings::from_env(&region, env, a.role.timeout)?;
    let dotenv = option_value(a.dotenv.clone(), x, "--dotenv", env)?.map(PathBuf::from);

    // Everything that can fail without the network fails here.
    let sinks = if a.exec {
        let Some(program) = a.command.first() else {
            bail!("--exec needs a command: aws-oidc secrets SPEC... --exec -- COMMAND [ARGS...]");
        };
        if !aws_oidc::platform::command_exists(program, env) {
            bail!(
                "cannot run {}: there is no such executable on PATH; check the command's name, or \
                 install it",
                program.to_string_lossy()
            );
        }
        Sinks::Exec(a.command.clone())
    } else {
        let bash_env = match &a.bash_env {
            Some(Some(p)) => Some(p.clone()),
            Some(None) => Some(bash_env_from_env()?),
            None if dotenv.is_none() => Some(bash_env_from_env().map_err(|_| {
                anyhow!(
                    "nowhere to put the values: pass --bash-env PATH, --dotenv FILE or --exec -- \
                     COMMAND ($BASH_ENV, used by default in CircleCI, is not set)"
                )
            })?),
            None => None,
        };
        if let Some(p) = &bash_env {
            shell::check_bash_env(p)
                .context("cannot write the values to $BASH_ENV (--bash-env)")?;
        }
        if let Some(p) = &dotenv {
            shell::check_dotenv(p).context("cannot write the dotenv file (--dotenv)")?;
        }
        Sinks::Write { bash_env, dotenv }
    };
    let (source, _) = credential_source(a.profile.clone(), &a.role, role_on_command_line)?;
    let creds = source.resolve(env)?;
    let vars = secrets::fetch(&specs, &creds, &settings)?;
    let pairs: Vec<(&str, &[u8])> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.expose().as_bytes()))
        .collect();
    let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    let summary = format!(
        "{} ({} from {} in {region}, with the credentials of {})",
        names.join(", "),
        if names.len() == 1 {
            "1 value"
        } else {
            "values"
        },
        sources(&specs),
        creds.origin
    );
    match sinks {
        Sinks::Exec(command) => {
            let (program, rest) = command
                .split_first()
                .ok_or_else(|| anyhow!("--exec needs a command"))?;
            let mut cmd = Command::new(program);
            cmd.args(rest);
            for v in &vars {
                cmd.env(&v.name, v.value.expose());
            }
            say!(
                "aws-oidc: running {} with {summary}",
                program.to_string_lossy()
            );
            crate::exec::replace_process(cmd, program)
        }
        Sinks::Write { bash_env, dotenv } => {
            let cache = open_cache();
            let ledger = cache.as_ref().map(|c| c.ledger(env));
            let mut wrote = Vec::new();
            if let Some(path) = &dotenv {
                shell::write_dotenv_vars(path, &pairs)?;
                if let Some(l) = &ledger {
                    record(l, Written::created(absolute(path)));
                }
                wrote.push(path.display().to_string());
            }
            if let Some(path) = &bash_env {
                shell::append_exports(path, &pairs, "aws-oidc: secrets")?;
                if let Some(l) = &ledger {
                    record(
                        l,
                        Written::SecretExports {
                            path: path.clone(),
                            vars: names.iter().map(|n| n.to_string()).collect(),
                        },
                    );
                }
                wrote.push(
                    if bash_env.as_deref() == bash_env_from_env().ok().as_deref() {
                        "$BASH_ENV".to_string()
                    } else {
                        path.display().to_string()
                    },
                );
            }
            say!("aws-oidc: wrote {summary} to {}", wrote.join(" and "));
            if bash_env.is_some() {
                say!(
                    "aws-oidc: note: CircleCI masks project and context variables in step output, \
                     not values fetched at run time: never print these (no `set -x`, `env` or \
                     `printenv`). `aws-oidc cleanup` unsets them."
                );
            }
            Ok(())
        }
    }
}

/// "1 secret and 2 SSM parameters".
fn sources(specs: &[Spec]) -> String {
    let (mut s, mut p) = (0, 0);
    for spec in specs {
        match spec.source {
            secrets::Source::Secret { .. } => s += 1,
            _ => p += 1,
        }
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (s, p) {
        (0, p) => plural(p, "SSM source", "SSM sources"),
        (s, 0) => plural(s, "secret", "secrets"),
        (s, p) => format!(
            "{} and {}",
            plural(s, "secret", "secrets"),
            plural(p, "SSM source", "SSM sources")
        ),
    }
}

fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `$BASH_ENV` as a path (in Git Bash's form on Windows, made native).
fn bash_env_from_env() -> Result<PathBuf> {
    let raw = process_env("BASH_ENV")
        .ok_or_else(|| anyhow!("--bash-env without a path needs $BASH_ENV, which is not set"))?;
    Ok(PathBuf::from(aws_oidc::platform::native_path(&raw)))
}

/// Records a write for `cleanup`; one that cannot be recorded is a warning.
fn record(ledger: &aws_oidc::ledger::Ledger, written: Written) {
    if let Err(e) = ledger.record(written) {
        say!("aws-oidc: warning: aws-oidc cleanup will not take these values back: {e}");
    }
}
