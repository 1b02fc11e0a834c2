//! Long-lived access keys from the environment, for configs that still use them.
//!
//! `aws-cli/setup` without a role ARN writes the keys named by its
//! `aws_access_key_id` and `aws_secret_access_key` parameters (names of
//! environment variables) into the profile and the job's environment.  So
//! that such a config keeps working after the orbs line changes, the same is
//! done here, through the same sinks as assumed credentials; the values are
//! never printed.  OIDC needs no stored keys: the CLI says so.

use std::fmt;

use crate::credentials::Secret;
use crate::env::Env;

/// An access key pair: `Debug` shows neither part.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeys {
    /// `AKIA...`.
    pub access_key_id: Secret,
    /// The secret key.
    pub secret_access_key: Secret,
}

impl fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticKeys(***)")
    }
}

/// Why the keys could not be read.  Names the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaticKeysError {
    /// The variable is unset or empty.
    #[error(
        "${var} is empty: set it (for example in a CircleCI context) or name another variable with \
         {option}; better, drop the stored keys and assume a role with OIDC (--role-arn)"
    )]
    Empty {
        /// The variable.
        var: String,
        /// The option that names it.
        option: &'static str,
    },
    /// The value cannot be a key (whitespace, quotes or control characters).
    #[error(
        "${var} does not hold an AWS key: keys are printable characters without spaces or quotes"
    )]
    Malformed {
        /// The variable.
        var: String,
    },
    /// What was given is not an environment variable's name (and is not
    /// shown: it may be a key pasted in the wrong place).
    #[error(
        "{option} takes the name of an environment variable, e.g. AWS_ACCESS_KEY_ID; what was given \
         is not one (not shown, in case it is a key)"
    )]
    BadName {
        /// The option.
        option: &'static str,
    },
}

fn read(env: Env, var: &str, option: &'static str) -> Result<Secret, StaticKeysError> {
    let is_name = !var.is_empty()
        && !var.starts_with(|c: char| c.is_ascii_digit())
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name {
        return Err(StaticKeysError::BadName { option });
    }
    let value = env(var).ok_or_else(|| StaticKeysError::Empty {
        var: var.to_string(),
        option,
    })?;
    let value = value.trim();
    if value.is_empty() {
        return Err(StaticKeysError::Empty {
            var: var.to_string(),
            option,
        });
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_graphic() && !"'\"\\`".contains(c))
    {
        return Err(StaticKeysError::Malformed {
            var: var.to_string(),
        });
    }
    Ok(Secret::new(value))
}

impl StaticKeys {
    /// Reads the keys from the variables named `id_var` and `secret_var`.
    pub fn from_env(id_var: &str, secret_var: &str, env: Env) -> Result<Self, StaticKeysError> {
        Ok(StaticKeys {
            access_key_id: read(env, id_var, "--access-key-id-var")?,
            secret_access_key: read(env, secret_var, "--secret-access-key-var")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "ID" => Some("AKIAEXAMPLE0000001".into()),
            "SECRET" => Some("s3cr3t/Value+0".into()),
            "SPACED" => Some("has space".into()),
            _ => None,
        }
    }

    #[test]
    fn reads_the_variables_named_and_never_shows_them() {
        let keys = StaticKeys::from_env("ID", "SECRET", &env).unwrap();
        assert_eq!(keys.access_key_id.expose(), "AKIAEXAMPLE0000001");
        assert_eq!(format!("{keys:?}"), "StaticKeys(***)");
    }

    #[test]
    fn empty_malformed_and_misnamed_are_refused_without_the_value() {
        let err = StaticKeys::from_env("ID", "MISSING", &env).unwrap_err();
        assert!(matches!(err, StaticKeysError::Empty { .. }));
        assert!(err.to_string().contains("$MISSING"));
        let err = StaticKeys::from_env("SPACED", "SECRET", &env).unwrap_err();
        assert!(!err.to_string().contains("has space"), "{err}");
        for pasted in ["AKIA EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] {
            let err = StaticKeys::from_env(pasted, "SECRET", &env).unwrap_err();
            assert!(matches!(err, StaticKeysError::BadName { .. }));
            assert!(!err.to_string().contains(pasted), "{err}");
        }
    }
}
