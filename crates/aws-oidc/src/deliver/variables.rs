//! Variables (fetched secrets) to `export` lines in `$BASH_ENV` and a
//! dotenv file, each write recorded for `cleanup`.

use std::path::PathBuf;

use crate::env::Env;
use crate::files::FileError;
use crate::ledger::{Ledger, Written};
use crate::sinks::shell::{self, ShellSinkError};

use super::{absolute, bash_env_label, bash_env_path};

/// Where variables go, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct VarTargets {
    bash_env: Option<(PathBuf, String)>,
    dotenv: Option<PathBuf>,
}

crate::error_debug::debug_by_display!(VarsError);
/// Why variables could not be delivered.
#[derive(thiserror::Error)]
pub enum VarsError {
    /// `--bash-env` without a path, and no `$BASH_ENV`.
    #[error("--bash-env without a path needs $BASH_ENV, which is not set")]
    NoBashEnv,
    /// No target given, and no `$BASH_ENV` to imply.
    #[error(
        "nowhere to put the values: pass --bash-env PATH, --dotenv FILE or --exec -- COMMAND \
         ($BASH_ENV, used by default in CircleCI, is not set)"
    )]
    Nowhere,
    /// `$BASH_ENV` cannot be appended to.
    #[error("cannot write the values to $BASH_ENV (--bash-env)")]
    BashEnv(#[source] FileError),
    /// The dotenv file cannot be written.
    #[error("cannot write the dotenv file (--dotenv)")]
    Dotenv(#[source] FileError),
    /// A file could not be written.
    #[error(transparent)]
    Shell(#[from] ShellSinkError),
}

/// What [`VarTargets::deliver`] did.
#[derive(Debug)]
pub(crate) struct VarsDelivered {
    /// Where the variables were written, as messages name them.
    pub wrote: Vec<String>,
    /// Writes the ledger could not record (cleanup will leave them): warnings.
    pub warnings: Vec<String>,
}

impl VarTargets {
    /// Resolves the targets: `bash_env` is `Some(None)` for the job's
    /// `$BASH_ENV`, `Some(Some(path))` for another file, `None` for
    /// `$BASH_ENV` unless a dotenv file is given; then checks each can be
    /// written, changing nothing.
    pub(crate) fn resolve(
        bash_env: Option<Option<PathBuf>>,
        dotenv: Option<PathBuf>,
        env: Env,
    ) -> Result<Self, VarsError> {
        let bash_env = match bash_env {
            Some(Some(path)) => Some(path),
            Some(None) => Some(bash_env_path(env).ok_or(VarsError::NoBashEnv)?),
            None if dotenv.is_none() => Some(bash_env_path(env).ok_or(VarsError::Nowhere)?),
            None => None,
        };
        if let Some(path) = &bash_env {
            shell::check_bash_env(path).map_err(VarsError::BashEnv)?;
        }
        if let Some(path) = &dotenv {
            shell::check_dotenv(path).map_err(VarsError::Dotenv)?;
        }
        Ok(VarTargets {
            bash_env: bash_env.map(|p| {
                let label = bash_env_label(&p, env);
                (p, label)
            }),
            dotenv,
        })
    }

    /// Whether the variables are exported to later steps.
    pub(crate) fn exports(&self) -> bool {
        self.bash_env.is_some()
    }

    /// Writes `vars` (the `export` lines under `header`), and records each
    /// write in `ledger`: the dotenv file, the names exported (never a value).
    pub(crate) fn deliver(
        &self,
        vars: &[(&str, &[u8])],
        header: &str,
        ledger: Option<&Ledger>,
    ) -> Result<VarsDelivered, VarsError> {
        let mut done = VarsDelivered {
            wrote: Vec::new(),
            warnings: Vec::new(),
        };
        let mut record = |written: Written| {
            if let Some(Err(e)) = ledger.map(|l| l.record(written)) {
                done.warnings.push(format!(
                    "aws-oidc cleanup will not take these values back: {e}"
                ));
            }
        };
        if let Some(path) = &self.dotenv {
            shell::write_dotenv_vars(path, vars)?;
            record(Written::created(absolute(path)));
        }
        if let Some((path, _)) = &self.bash_env {
            shell::append_exports(path, vars, header)?;
            record(Written::SecretExports {
                path: path.clone(),
                vars: vars.iter().map(|(name, _)| name.to_string()).collect(),
            });
        }
        done.wrote
            .extend(self.dotenv.iter().map(|p| p.display().to_string()));
        done.wrote
            .extend(self.bash_env.iter().map(|(_, label)| label.clone()));
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn values_go_to_bash_env_unless_a_dotenv_file_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let bash_env = dir.path().join("bash_env");
        let env = env_of(&[("BASH_ENV", bash_env.to_str().unwrap())]);
        let t = VarTargets::resolve(None, None, &env).unwrap();
        assert!(t.exports());
        let dotenv = dir.path().join(".env");
        let t = VarTargets::resolve(None, Some(dotenv.clone()), &env).unwrap();
        assert!(!t.exports());
        assert!(matches!(
            VarTargets::resolve(None, None, &env_of(&[])),
            Err(VarsError::Nowhere)
        ));
        assert!(matches!(
            VarTargets::resolve(Some(None), Some(dotenv), &env_of(&[])),
            Err(VarsError::NoBashEnv)
        ));
    }

    #[test]
    fn each_write_is_recorded_by_name_never_by_value() {
        let dir = tempfile::tempdir().unwrap();
        let bash_env = dir.path().join("bash_env");
        let dotenv = dir.path().join(".env");
        let env = env_of(&[("BASH_ENV", bash_env.to_str().unwrap())]);
        let ledger = Ledger::in_dir(dir.path(), &env);
        let t = VarTargets::resolve(Some(None), Some(dotenv.clone()), &env).unwrap();
        let vars: [(&str, &[u8]); 1] = [("DB_PASSWORD", b"hunter2")];
        let done = t
            .deliver(&vars, "aws-oidc: secrets", Some(&ledger))
            .unwrap();
        assert_eq!(
            done.wrote,
            [dotenv.display().to_string(), "$BASH_ENV".into()]
        );
        assert!(done.warnings.is_empty());
        assert_eq!(
            std::fs::read_to_string(&dotenv).unwrap(),
            "DB_PASSWORD=hunter2\n"
        );
        let entries = ledger.entries();
        assert_eq!(entries.len(), 2);
        assert!(
            matches!(&entries[1], Written::SecretExports { vars, .. } if vars == &["DB_PASSWORD"])
        );
        let text = std::fs::read_to_string(dir.path().join("local.ledger")).unwrap();
        assert!(!text.contains("hunter2"));
    }
}
