//! Delivering what a command obtained to where the job reads it, and
//! recording it in the job's ledger.
//!
//! Each delivery is resolved from plain options and the environment, checked
//! before any token or service call is spent (nothing changed), then
//! written and recorded in one call that returns what was written:
//!
//! - [`Targets`]: credentials (assumed, or long-lived keys) to `$BASH_ENV`,
//!   a profile (keys, or a self-refreshing `credential_process`), a dotenv
//!   file and stdout; and whether they still hold valid credentials
//!   (`--skip-if-valid`);
//! - [`VarTargets`]: variables (fetched secrets) to `$BASH_ENV` and a dotenv file;
//! - [`ExecTarget`]: variables into one command's environment only;
//! - [`ToolLogin`] (feature `codeartifact`): a package tool's settings
//!   files and variables;
//! - [`DockerTarget`] (feature `ecr`): registry logins into Docker's
//!   config (`auths` or `credHelpers`), or through `docker login`.
//!
//! Taking a write back is `cleanup`'s business, from what is recorded here.

mod credentials;
#[cfg(feature = "ecr")]
mod docker;
mod exec;
#[cfg(feature = "codeartifact")]
mod tool_login;
// Fetched values go through it with `secrets` only; its error is the API's in
// every build.
#[cfg_attr(not(feature = "secrets"), allow(dead_code))]
mod variables;

use std::path::{Path, PathBuf};

pub use credentials::{DeliverError, TargetOptions};
pub(crate) use credentials::{Payload, Targets, Wrote};
#[cfg(feature = "ecr")]
pub(crate) use docker::DockerTarget;
#[cfg(feature = "ecr")]
pub use docker::{DockerError, DockerMode};
pub use exec::{ExecError, ExecTarget};
#[cfg(feature = "codeartifact")]
pub(crate) use tool_login::{ToolLogin, ToolLoginReport};
#[cfg(feature = "codeartifact")]
pub use tool_login::{ToolLoginError, ToolLoginOptions};
#[cfg(feature = "secrets")]
pub(crate) use variables::VarTargets;
pub use variables::VarsError;

use crate::env::Env;

/// `$BASH_ENV` as a path: on Windows, Git Bash passes it in its own form
/// (`/c/Users/...`), which becomes `C:\Users\...`.
pub(crate) fn bash_env_path(env: Env) -> Option<PathBuf> {
    env("BASH_ENV").map(|v| PathBuf::from(crate::platform::native_path(&v)))
}

/// How a `$BASH_ENV` target is named in messages: `$BASH_ENV` when it is
/// the job's, else its path.
fn bash_env_label(path: &Path, env: Env) -> String {
    if bash_env_path(env).as_deref() == Some(path) {
        "$BASH_ENV".into()
    } else {
        path.display().to_string()
    }
}

/// `path` made absolute, for the ledger (a later `cleanup` may run elsewhere).
#[cfg_attr(
    not(any(feature = "secrets", feature = "codeartifact")),
    allow(dead_code)
)]
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn the_jobs_bash_env_is_named_as_such_and_any_other_file_by_its_path() {
        let env = env_of(&[("BASH_ENV", "/tmp/job-env")]);
        assert_eq!(bash_env_label(Path::new("/tmp/job-env"), &env), "$BASH_ENV");
        assert_eq!(bash_env_label(Path::new("/tmp/other"), &env), "/tmp/other");
        assert_eq!(bash_env_path(&env_of(&[])), None);
    }
}
