//! Long-lived access keys from the environment, for configs that still use them.
//!
//! `aws-cli/setup` without a role ARN writes the keys named by its
//! `aws_access_key_id` and `aws_secret_access_key` parameters (names of
//! environment variables) into the profile and the job's environment.  So
//! that such a config keeps working after the orbs line changes, the same is
//! done here, through the same sinks as assumed credentials; the values are
//! never printed.  OIDC needs no stored keys: the CLI says so.
//!
//! The keys come out as long-lived [`Credentials`] whose origin
//! ([`Origin::StoredKeys`]) says where each key was read.  The parameters'
//! values took several forms over circleci/aws-cli's versions, all read
//! here ([`Credentials::from_setup_parameters`]): `$NAME` and
//! `${NAME}` (v5.2's templates, v3's names), a bare `NAME` when such a
//! variable is set (v4's names), and any other template or literal value,
//! expanded as `circleci env subst` does (v5.2 on).

use crate::credentials::{Credentials, KeySource, Origin, Secret, Which};
use crate::env::Env;
use crate::expand::expand;
use crate::names::{Input, Names};

crate::error_debug::debug_by_display!(StaticKeysError);
/// Why the keys could not be read.  Names the variable, never its value;
/// [`StaticKeysError::describe`] adds the names of the caller's options.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaticKeysError {
    /// Keys, and no profile to write them to: circleci/aws-cli writes
    /// stored keys to a profile, and exports none.
    NoProfile,
    /// The variable is unset or empty (the caller may name its option that
    /// names another variable).
    Empty {
        /// The variable.
        var: String,
        /// Which key it was to hold.
        which: Which,
    },
    /// The value cannot be a key (whitespace, quotes or control characters).
    Malformed {
        /// The variable.
        var: String,
    },
    /// What was given as the variable for `which` is not an environment
    /// variable's name (and is not shown: it may be a key pasted in the
    /// wrong place).
    BadName {
        /// Which key the name was for.
        which: Which,
    },
    /// aws-cli/setup's parameter for `which`: its own value (a template or
    /// a literal, not a variable's name), expanded, cannot be a key.
    MalformedValue {
        /// Which key's parameter.
        which: Which,
    },
    /// aws-cli/setup's parameter for `which` cannot be expanded (an
    /// unclosed `${`, a form `circleci env subst` does not know).
    Unexpandable {
        /// Which key's parameter.
        which: Which,
    },
}

impl StaticKeysError {
    /// The message, naming what gave each key (and the role ARN to use
    /// instead) the way `names` calls it.
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            StaticKeysError::NoProfile => {
                let fix = match (names.name(Input::Profile), names.name(Input::RoleArn)) {
                    (Some(profile), Some(role)) => {
                        format!("pass {profile} (or {role}, to assume a role instead)")
                    }
                    _ => "name one (or a role, to assume it instead)".to_string(),
                };
                format!(
                    "stored keys are written to a profile, as circleci/aws-cli writes them: {fix}"
                )
            }
            StaticKeysError::Empty { var, which } => format!(
                "${var} is empty: set it (for example in a CircleCI context) or name another \
                 variable{}; better, drop the stored keys and assume a role with OIDC{}",
                names.around(which.input(), " with ", ""),
                names.around(Input::RoleArn, " (", ")")
            ),
            StaticKeysError::Malformed { var } => format!(
                "${var} does not hold an AWS key: keys are printable characters without spaces \
                 or quotes"
            ),
            StaticKeysError::BadName { which } => format!(
                "{} takes the name of an environment variable, e.g. AWS_ACCESS_KEY_ID; what was \
                 given is not one (not shown, in case it is a key)",
                names.or(
                    which.input(),
                    match which {
                        Which::AccessKeyId => "the variable named for the access key id",
                        Which::SecretAccessKey => "the variable named for the secret access key",
                    }
                )
            ),
            StaticKeysError::MalformedValue { which } => format!(
                "the value given for {}, expanded, does not hold an AWS key (not shown): keys \
                 are printable characters without spaces or quotes; name the variable that \
                 holds it, e.g. $AWS_ACCESS_KEY_ID",
                names.or(which.input(), which.parameter())
            ),
            StaticKeysError::Unexpandable { which } => format!(
                "cannot expand the value given for {} (not shown, in case it is a key): write \
                 $NAME or ${{NAME}}, and $$ for a literal $",
                names.or(which.input(), which.parameter())
            ),
        }
    }
}

crate::names::display_by_describe!(StaticKeysError);

fn is_var_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_key_text(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_graphic() && !"'\"\\`".contains(c))
}

/// One key parameter's value (`raw`), read in the forms the module names:
/// `None` when it comes out empty.  `is_set` says whether a variable is
/// set at all (a bare `NAME` set to nothing is that empty variable, not
/// the literal `NAME`).
fn key_parameter(
    raw: &str,
    which: Which,
    env: Env,
    is_set: &dyn Fn(&str) -> bool,
) -> Result<Option<(Secret, KeySource)>, StaticKeysError> {
    let raw = raw.trim();
    let named = if let Some(inner) = raw.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(inner)
    } else if let Some(name) = raw.strip_prefix('$') {
        Some(name)
    } else if is_var_name(raw) && is_set(raw) {
        Some(raw)
    } else {
        None
    };
    if let Some(name) = named.filter(|n| is_var_name(n)) {
        let Some(value) = env(name).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let value = value.trim();
        if !is_key_text(value) {
            return Err(StaticKeysError::Malformed {
                var: name.to_string(),
            });
        }
        return Ok(Some((
            Secret::new(value),
            KeySource::Variable(name.to_string()),
        )));
    }
    let value = expand(raw, env).map_err(|_| StaticKeysError::Unexpandable { which })?;
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !is_key_text(value) {
        return Err(StaticKeysError::MalformedValue { which });
    }
    Ok(Some((Secret::new(value), KeySource::Parameter(which))))
}

fn read(env: Env, var: &str, which: Which) -> Result<Secret, StaticKeysError> {
    if !is_var_name(var) {
        return Err(StaticKeysError::BadName { which });
    }
    let empty = || StaticKeysError::Empty {
        var: var.to_string(),
        which,
    };
    let value = env(var).ok_or_else(empty)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(empty());
    }
    if !is_key_text(value) {
        return Err(StaticKeysError::Malformed {
            var: var.to_string(),
        });
    }
    Ok(Secret::new(value))
}

impl Credentials {
    /// Long-lived keys read from the variables named `id_var` and `secret_var`.
    pub fn from_key_variables(
        id_var: &str,
        secret_var: &str,
        env: Env,
    ) -> Result<Self, StaticKeysError> {
        Ok(Credentials::long_lived(
            read(env, id_var, Which::AccessKeyId)?,
            read(env, secret_var, Which::SecretAccessKey)?,
            Origin::StoredKeys {
                access_key_id: KeySource::Variable(id_var.to_string()),
                secret_access_key: KeySource::Variable(secret_var.to_string()),
            },
        ))
    }

    /// Long-lived keys read from the raw values of aws-cli/setup's
    /// `aws_access_key_id` and `aws_secret_access_key` parameters: `None`
    /// when either comes out empty (circleci/aws-cli then writes no usable
    /// keys).  `is_set` says whether a variable is set, even to nothing.
    pub fn from_setup_parameters(
        id: &str,
        secret: &str,
        env: Env,
        is_set: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Self>, StaticKeysError> {
        let id = key_parameter(id, Which::AccessKeyId, env, is_set)?;
        let secret = key_parameter(secret, Which::SecretAccessKey, env, is_set)?;
        Ok(match (id, secret) {
            (Some((access_key_id, id_from)), Some((secret_access_key, secret_from))) => {
                Some(Credentials::long_lived(
                    access_key_id,
                    secret_access_key,
                    Origin::StoredKeys {
                        access_key_id: id_from,
                        secret_access_key: secret_from,
                    },
                ))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_errors_name_the_caller_s_options_only_when_it_has_them() {
        let empty = StaticKeysError::Empty {
            var: "CI_KEY".into(),
            which: Which::SecretAccessKey,
        };
        assert_eq!(
            empty.to_string(),
            "$CI_KEY is empty: set it (for example in a CircleCI context) or name another \
             variable; better, drop the stored keys and assume a role with OIDC"
        );
        assert_eq!(
            empty.describe(&crate::names::Marked),
            "$CI_KEY is empty: set it (for example in a CircleCI context) or name another \
             variable with <SecretAccessKey>; better, drop the stored keys and assume a role \
             with OIDC (<RoleArn>)"
        );
        let unexpandable = StaticKeysError::Unexpandable {
            which: Which::AccessKeyId,
        };
        assert!(unexpandable
            .to_string()
            .starts_with("cannot expand the value given for aws_access_key_id (not shown"));
    }

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
        let keys = Credentials::from_key_variables("ID", "SECRET", &env).unwrap();
        assert_eq!(keys.access_key_id.expose(), "AKIAEXAMPLE0000001");
        assert!(keys.session_token.is_none() && keys.expiration.is_none());
        assert_eq!(keys.origin.to_string(), "$ID and $SECRET");
        let debug = format!("{keys:?}");
        assert!(
            !debug.contains("AKIAEXAMPLE") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }

    const ID: Which = Which::AccessKeyId;

    fn set(name: &str) -> bool {
        env(name).is_some() || name == "SET_EMPTY"
    }

    fn one(raw: &str) -> Result<Option<(String, KeySource)>, StaticKeysError> {
        let got = key_parameter(raw, ID, &env, &set)?;
        Ok(got.map(|(s, from)| (s.expose().to_string(), from)))
    }

    fn var(name: &str) -> KeySource {
        KeySource::Variable(name.into())
    }

    #[test]
    fn a_dollar_template_names_the_variable() {
        let want = Some(("AKIAEXAMPLE0000001".to_string(), var("ID")));
        assert_eq!(one("$ID").unwrap(), want);
        assert_eq!(one("${ID}").unwrap(), want);
        assert_eq!(one("$MISSING").unwrap(), None);
        assert_eq!(one("${MISSING}").unwrap(), None);
    }

    #[test]
    fn a_bare_name_is_the_variable_when_set_and_else_a_literal() {
        assert_eq!(
            one("ID").unwrap(),
            Some(("AKIAEXAMPLE0000001".to_string(), var("ID")))
        );
        // Set to nothing: that empty variable, as the v4 orb read it.
        assert_eq!(one("SET_EMPTY").unwrap(), None);
        // Not set: a literal key id looks just like a name.
        assert_eq!(
            one("AKIALITERAL0000002").unwrap(),
            Some(("AKIALITERAL0000002".to_string(), KeySource::Parameter(ID)))
        );
    }

    #[test]
    fn any_other_template_or_literal_is_expanded_as_circleci_env_subst_does() {
        assert_eq!(
            one("${ID}x").unwrap(),
            Some(("AKIAEXAMPLE0000001x".to_string(), KeySource::Parameter(ID)))
        );
        assert_eq!(
            one("a$$b").unwrap(),
            Some(("a$b".to_string(), KeySource::Parameter(ID)))
        );
        assert_eq!(one("${MISSING}${MISSING}").unwrap(), None);
        assert_eq!(one("").unwrap(), None);
        assert_eq!(one("   ").unwrap(), None);
    }

    #[test]
    fn a_bad_parameter_is_named_and_its_value_never_shown() {
        let err = one("$SPACED").unwrap_err();
        assert!(err.to_string().contains("$SPACED") && !err.to_string().contains("has space"));
        let err = one("pasted secret/with space").unwrap_err();
        assert!(matches!(err, StaticKeysError::MalformedValue { which: ID }));
        assert!(!err.to_string().contains("pasted"), "{err}");
        let err = one("abc${unclosed").unwrap_err();
        assert!(matches!(err, StaticKeysError::Unexpandable { which: ID }));
        assert!(!err.to_string().contains("abc"), "{err}");
    }

    #[test]
    fn both_parameters_make_keys_and_either_empty_makes_none() {
        let got = Credentials::from_setup_parameters("$ID", "SECRET", &env, &set)
            .unwrap()
            .unwrap();
        assert_eq!(got.secret_access_key.expose(), "s3cr3t/Value+0");
        assert_eq!(
            got.origin,
            Origin::StoredKeys {
                access_key_id: var("ID"),
                secret_access_key: var("SECRET"),
            }
        );
        let literal = KeySource::Parameter(Which::SecretAccessKey).to_string();
        assert_eq!(literal, "the value of aws_secret_access_key");
        for (id, secret) in [("$ID", "$MISSING"), ("", "$SECRET"), ("", "")] {
            let got = Credentials::from_setup_parameters(id, secret, &env, &set);
            assert_eq!(got.unwrap(), None, "{id:?} {secret:?}");
        }
    }

    #[test]
    fn empty_malformed_and_misnamed_are_refused_without_the_value() {
        let err = Credentials::from_key_variables("ID", "MISSING", &env).unwrap_err();
        assert!(matches!(err, StaticKeysError::Empty { .. }));
        assert!(err.to_string().contains("$MISSING"));
        let err = Credentials::from_key_variables("SPACED", "SECRET", &env).unwrap_err();
        assert!(!err.to_string().contains("has space"), "{err}");
        for pasted in ["AKIA EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] {
            let err = Credentials::from_key_variables(pasted, "SECRET", &env).unwrap_err();
            assert!(matches!(err, StaticKeysError::BadName { .. }));
            assert!(!err.to_string().contains(pasted), "{err}");
        }
    }
}
