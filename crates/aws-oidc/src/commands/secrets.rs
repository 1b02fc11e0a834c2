//! `secrets`: Secrets Manager secrets and SSM parameters into the job.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use super::{one_or, open_cache, CommandError, Report, SourceOptions};
use crate::credentials::Secret;
use crate::deliver::{ExecError, ExecTarget, VarTargets};
use crate::env::Env;
use crate::secrets::{count_sources, fetch, SecretsSettings, Spec};

/// Where the values go.
#[derive(Debug, Clone)]
pub enum SecretsSink {
    /// One command's environment only.
    Exec {
        /// The command.
        program: OsString,
        /// Its arguments.
        args: Vec<OsString>,
    },
    /// Files: `$BASH_ENV` (`Some(None)`), another file, and a dotenv file
    /// (as the variables' delivery takes them).
    Files {
        /// The `export` lines' file.
        bash_env: Option<Option<PathBuf>>,
        /// The dotenv file.
        dotenv: Option<PathBuf>,
    },
}

/// What `secrets` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct SecretsRequest {
    /// What to fetch into which variable.
    pub specs: Vec<Spec>,
    /// The secrets' and parameters' region.
    pub region: String,
    /// Where the values go.
    pub sink: SecretsSink,
    /// Where the credentials come from.
    pub credentials: SourceOptions,
    /// The time limit, in seconds.
    pub timeout_secs: u64,
}

/// What was fetched, as the summary names it (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The variables' names.
    pub names: Vec<String>,
    /// The secrets and parameters they came from, counted.
    pub sources: String,
    /// The region.
    pub region: String,
    /// Where the credentials came from.
    pub origin: String,
}

impl fmt::Display for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} from {} in {}, with the credentials of {})",
            self.names.join(", "),
            one_or(self.names.len(), "1 value", "values"),
            self.sources,
            self.region,
            self.origin
        )
    }
}

/// What `secrets` did, or has ready to run.
pub enum SecretsReport {
    /// The command, ready to run with the values in its environment.
    Exec {
        /// The command.
        command: ExecTarget,
        /// The values.
        vars: Vec<(String, Secret)>,
        /// What they are.
        fetched: Fetched,
    },
    /// The values were written.
    Wrote {
        /// What they are.
        fetched: Fetched,
        /// Where they were written.
        wrote: Vec<String>,
        /// Whether they were exported to later steps.
        exported: bool,
    },
}

impl fmt::Debug for SecretsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values are secrets: only what the summary says.
        write!(f, "SecretsReport({self})")
    }
}

impl fmt::Display for SecretsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretsReport::Exec {
                command, fetched, ..
            } => write!(f, "running {} with {fetched}", command.program()),
            SecretsReport::Wrote { fetched, wrote, .. } => {
                write!(f, "wrote {fetched} to {}", wrote.join(" and "))
            }
        }
    }
}

impl SecretsReport {
    /// Notes for after the summary.
    pub fn notes(&self) -> Vec<String> {
        match self {
            SecretsReport::Wrote { exported: true, .. } => vec![
                "CircleCI masks project and context variables in step output, not values fetched \
                 at run time: never print these (no `set -x`, `env` or `printenv`). `aws-oidc \
                 cleanup` unsets them."
                    .into(),
            ],
            _ => Vec::new(),
        }
    }

    /// With a command: runs it with the values in its environment (on Unix
    /// it replaces this process); its exit status.  `None` without one.
    pub fn run(&self) -> Option<Result<i32, ExecError>> {
        let SecretsReport::Exec { command, vars, .. } = self else {
            return None;
        };
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (n.as_str(), v.expose())).collect();
        Some(command.run(&pairs, &[]))
    }
}

/// [`SecretsSink`], resolved and checked.
enum Sink {
    Exec(ExecTarget),
    Write(VarTargets),
}

/// Fetches the values and gives them to the command, or writes them.
/// Everything that can fail without the network fails first.
pub fn fetch_secrets(
    req: SecretsRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<SecretsReport, CommandError> {
    let settings = SecretsSettings::from_env(&req.region, env, req.timeout_secs)?;
    let sink = match req.sink {
        SecretsSink::Exec { program, args } => {
            Sink::Exec(ExecTarget::resolve(&program, &args, env)?)
        }
        SecretsSink::Files { bash_env, dotenv } => {
            Sink::Write(VarTargets::resolve(bash_env, dotenv, env)?)
        }
    };
    // A role assumed now is assumed through the secrets' region.
    let source = req.credentials.choose(Some(&req.region), env, report)?;
    let creds = source.resolve(env)?;
    let vars = fetch(&req.specs, &creds, &settings)?;
    let fetched = Fetched {
        names: vars.iter().map(|v| v.name.clone()).collect(),
        sources: count_sources(&req.specs),
        region: req.region,
        origin: creds.origin.to_string(),
    };
    let targets = match sink {
        Sink::Exec(command) => {
            let vars = vars.into_iter().map(|v| (v.name, v.value)).collect();
            return Ok(SecretsReport::Exec {
                command,
                vars,
                fetched,
            });
        }
        Sink::Write(targets) => targets,
    };
    let pairs: Vec<(&str, &[u8])> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.expose().as_bytes()))
        .collect();
    let cache = open_cache(env, report);
    let ledger = cache.as_ref().map(|c| c.ledger(env));
    let done = targets.deliver(&pairs, "aws-oidc: secrets", ledger.as_ref())?;
    for warning in &done.warnings {
        report.warn(warning);
    }
    Ok(SecretsReport::Wrote {
        fetched,
        wrote: done.wrote,
        exported: targets.exports(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(names: &[&str]) -> Fetched {
        Fetched {
            names: names.iter().map(|n| n.to_string()).collect(),
            sources: "1 secret".into(),
            region: "eu-west-1".into(),
            origin: "$AWS_ACCESS_KEY_ID".into(),
        }
    }

    #[test]
    fn the_summary_names_the_variables_never_a_value() {
        let one = SecretsReport::Wrote {
            fetched: fetched(&["DB_PASSWORD"]),
            wrote: vec!["$BASH_ENV".into(), ".env".into()],
            exported: true,
        };
        assert_eq!(
            one.to_string(),
            "wrote DB_PASSWORD (1 value from 1 secret in eu-west-1, with the credentials of \
             $AWS_ACCESS_KEY_ID) to $BASH_ENV and .env"
        );
        assert_eq!(one.notes().len(), 1);
        let two = SecretsReport::Wrote {
            fetched: fetched(&["A", "B"]),
            wrote: vec![".env".into()],
            exported: false,
        };
        assert!(
            two.to_string().starts_with("wrote A, B (values from"),
            "{two}"
        );
        assert!(two.notes().is_empty());
        assert!(two.run().is_none());
    }
}
