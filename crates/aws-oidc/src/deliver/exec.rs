//! One command with variables in its environment only: nothing written,
//! nothing for later steps (`exec`, `secrets --exec`).

use std::ffi::{OsStr, OsString};
use std::process::Command;

use crate::env::Env;

/// A command to run, found before anything is spent on it.
#[derive(Debug, Clone)]
pub struct ExecTarget {
    program: OsString,
    args: Vec<OsString>,
}

crate::error_debug::debug_by_display!(ExecError);
/// Why the command cannot be run.
#[derive(thiserror::Error)]
pub enum ExecError {
    /// No such executable.
    #[error(
        "cannot run {}: there is no such executable on PATH; check the command's name, or \
         install it", .0.to_string_lossy()
    )]
    NotFound(OsString),
    /// It could not be started.
    #[cfg(unix)]
    #[error("cannot run {}: {source}. Check that it is on PATH and executable", program.to_string_lossy())]
    Start {
        /// The command.
        program: OsString,
        /// Why.
        source: std::io::Error,
    },
    /// It could not be started.
    #[cfg(not(unix))]
    #[error("cannot run {}: {source}. Check that it is on PATH", program.to_string_lossy())]
    Start {
        /// The command.
        program: OsString,
        /// Why.
        source: std::io::Error,
    },
}

impl ExecTarget {
    /// The command `program` and its `args`, found on `PATH` (or as a path),
    /// so a typo costs no token and no service call.
    pub fn resolve(program: &OsStr, args: &[OsString], env: Env) -> Result<Self, ExecError> {
        if !crate::platform::command_exists(program, env) {
            return Err(ExecError::NotFound(program.to_os_string()));
        }
        Ok(ExecTarget {
            program: program.to_os_string(),
            args: args.to_vec(),
        })
    }

    /// The command's name, for messages.
    pub fn program(&self) -> std::borrow::Cow<'_, str> {
        self.program.to_string_lossy()
    }

    /// Runs the command with `vars` set and `unset` removed from its
    /// environment.  On Unix it replaces this process and returns only on
    /// failure; elsewhere it waits, and returns the command's exit status
    /// (for the caller to exit with).
    pub fn run(&self, vars: &[(&str, &str)], unset: &[&str]) -> Result<i32, ExecError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        for name in unset {
            cmd.env_remove(name);
        }
        for (name, value) in vars {
            cmd.env(name, value);
        }
        let start = |source| ExecError::Start {
            program: self.program.clone(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            Err(start(cmd.exec()))
        }
        #[cfg(not(unix))]
        {
            let status = cmd.status().map_err(start)?;
            Ok(status.code().unwrap_or(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn a_command_not_on_path_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("PATH", dir.path().to_str().unwrap())]);
        let err = ExecTarget::resolve(OsStr::new("no-such-tool"), &[], &env).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("cannot run no-such-tool: there is no such"));
    }
}
