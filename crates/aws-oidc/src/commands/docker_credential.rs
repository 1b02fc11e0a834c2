//! `docker-credential`: Docker's credential-helper protocol for ECR.

use std::io::Read;

use super::{open_cache, Report};
use crate::credential_helper::{answer, timeout_from_env, Action, HelperError};
use crate::env::Env;

crate::error_debug::debug_by_display!(DockerCredentialError);
/// Why an action got no answer.  As the protocol says, this goes to stdout too.
#[derive(thiserror::Error)]
pub enum DockerCredentialError {
    /// Not an action of the protocol.
    #[error("unknown action {0:?}: get, store, erase or list")]
    UnknownAction(String),
    /// The helper's answer failed.
    #[error("{0}")]
    Helper(#[from] HelperError),
}

/// Answers one action of Docker's credential-helper protocol, reading the
/// host from `input` for `get`: the text for stdout.  Only `get` uses the
/// cache (a cache that cannot be had is a warning).
pub fn docker_credential(
    action: &str,
    input: impl Read + Send + 'static,
    env: Env,
    report: &mut dyn Report,
) -> Result<String, DockerCredentialError> {
    let Some(action) = Action::parse(action) else {
        return Err(DockerCredentialError::UnknownAction(action.to_string()));
    };
    let timeout = timeout_from_env(env)?;
    let cache = match action {
        Action::Get => open_cache(env, report),
        _ => None,
    };
    Ok(answer(action, input, env, cache, timeout)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Kept;
    use crate::env::env_of;

    #[test]
    fn an_unknown_action_is_named_and_a_bad_time_limit_refused_before_anything() {
        let env = env_of(&[("AWS_OIDC_TIMEOUT", "soon")]);
        let mut kept = Kept::default();
        let e = docker_credential("fetch", std::io::empty(), &env, &mut kept).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown action \"fetch\": get, store, erase or list"
        );
        let e = docker_credential("get", std::io::empty(), &env, &mut kept).unwrap_err();
        assert!(matches!(e, DockerCredentialError::Helper(_)), "{e}");
        assert!(kept.0.is_empty(), "{kept:?}");
    }
}
