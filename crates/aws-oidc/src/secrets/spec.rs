//! What to fetch and which variable each value goes into, parsed before any
//! network call.
//!
//! One spec is `TARGET=SOURCE`:
//!
//! | spec | gives |
//! |---|---|
//! | `DB_PASSWORD=prod/db` | the secret `prod/db`, whole |
//! | `DB_PASSWORD=prod/db#password` | the key `password` of the JSON secret `prod/db` |
//! | `DB_*=prod/db` | every top-level key of the JSON secret: `DB_USERNAME`, `DB_PASSWORD` |
//! | `TOKEN=ssm:/ci/token` | the SSM parameter `/ci/token` (SecureStrings decrypted) |
//! | `APP_*=ssm:/app/prod/` | every parameter under `/app/prod/`, recursively: `/app/prod/db/url` is `APP_DB_URL` |
//!
//! Names the user writes must be variable names already (`[A-Za-z_][A-Za-z0-9_]*`):
//! a wrong one is refused with the name it could be.  Names made from JSON
//! keys and parameter names are made into variable names the way
//! aws-actions/aws-secretsmanager-get-secrets makes them (upper case, every
//! other character `_`), and two sources that end up with one name are refused.

use std::fmt;

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Secrets Manager secret (name or ARN), whole or one key of its JSON.
    Secret {
        /// The secret's name or ARN.
        id: String,
        /// One key of its JSON.
        key: Option<String>,
    },
    /// One SSM parameter (name or ARN).
    Parameter(String),
    /// Every SSM parameter under a path, recursively.
    Path(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Secret { id, key: None } => write!(f, "secret {id}"),
            Source::Secret { id, key: Some(k) } => write!(f, "key {k:?} of secret {id}"),
            Source::Parameter(name) => write!(f, "SSM parameter {name}"),
            Source::Path(path) => write!(f, "SSM path {path}"),
        }
    }
}

/// Which variables a source fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One variable.
    Var(String),
    /// A variable per JSON key or parameter, named `PREFIX` + its name (`PREFIX` may be empty).
    Prefix(String),
}

/// One `TARGET=SOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The variables.
    pub target: Target,
    /// The value's source.
    pub source: Source,
}

/// The longest secret name, ARN or parameter name a spec may give.
pub(crate) const MAX_ID_LEN: usize = 2048;

crate::error_debug::debug_by_display!(SpecError);
/// A spec that cannot be used.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// No `=`: the spec names no variable.
    #[error(
        "{spec:?} names no variable: write NAME=SECRET_ID (or NAME=ssm:/PARAMETER), e.g. \
         DB_PASSWORD={spec}"
    )]
    NoVariable {
        /// The spec.
        spec: String,
    },
    /// The `PREFIX` of `PREFIX*` is not the start of a variable name.
    #[error(
        "{spec:?}: the prefix {prefix:?} is not the start of a variable name (letters, \
         digits and _, not starting with a digit): use {}*",
        var_name_of(.prefix)
    )]
    BadPrefix {
        /// The spec.
        spec: String,
        /// The prefix, without its `*`.
        prefix: String,
    },
    /// The target is not a variable name.
    #[error(
        "{spec:?}: {name:?} is not a variable name (letters, digits and _, not \
         starting with a digit): use {}={value}",
        var_name_of(.name)
    )]
    BadName {
        /// The spec.
        spec: String,
        /// The name given.
        name: String,
        /// What follows the `=`.
        value: String,
    },
    /// The variable is one a later step's shell relies on.
    #[error(
        "{spec:?} would replace ${name}, which the shell of every later step relies on: choose \
         another name"
    )]
    Reserved {
        /// The spec, or the source a derived name came from.
        spec: String,
        /// The variable, e.g. `PATH`.
        name: String,
    },
    /// `NAME=ssm:/path/`: a path holds several parameters, one variable cannot.
    #[error(
        "{spec:?}: {path} is a path, which holds several parameters: name them \
         with a prefix, e.g. APP_*=ssm:{path}"
    )]
    PathForOneVariable {
        /// The spec.
        spec: String,
        /// The SSM path.
        path: String,
    },
    /// `SECRET_ID#` with nothing after the `#`.
    #[error(
        "{spec:?}: nothing after #: write SECRET_ID#KEY for one key of a JSON \
         secret, or leave # out for the whole secret"
    )]
    EmptyKey {
        /// The spec.
        spec: String,
    },
    /// `PREFIX_*=SECRET_ID#KEY`: a prefix takes every key, `#KEY` one.
    #[error(
        "{spec:?}: PREFIX_* takes every key of the secret, #KEY one of them: write \
         NAME={value} or PREFIX_*={id}"
    )]
    KeyWithPrefix {
        /// The spec.
        spec: String,
        /// The secret's name or ARN.
        id: String,
        /// What follows the `=`.
        value: String,
    },
    /// Not an SSM parameter name: empty, longer than `MAX_ID_LEN`, or
    /// with a character SSM does not allow.
    #[error(
        "{spec:?}: {name:?} is not an SSM parameter name (letters, digits and /_+=.@-; at most \
         {MAX_ID_LEN})"
    )]
    BadParameterName {
        /// The spec.
        spec: String,
        /// The name given.
        name: String,
    },
    /// Not a secret name or ARN: empty, longer than `MAX_ID_LEN`, or with
    /// a character Secrets Manager does not allow.
    #[error(
        "{spec:?}: {id:?} is not a secret name or ARN (letters, digits and /_+=.@-; at most \
         {MAX_ID_LEN})"
    )]
    BadSecretId {
        /// The spec.
        spec: String,
        /// The name or ARN given.
        id: String,
    },
    /// No spec at all.
    #[error("no secrets named: pass NAME=SECRET_ID or NAME=ssm:/PARAMETER (see --help)")]
    NoneNamed,
}

/// Names a later step's shell needs as they are: a secret must not replace them.
const RESERVED: [&str; 12] = [
    "PATH",
    "HOME",
    "SHELL",
    "BASH_ENV",
    "ENV",
    "IFS",
    "PS4",
    "PWD",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "CIRCLE_OIDC_TOKEN_V2",
];

/// Secrets Manager's characters for names (ARNs add `:`); SSM's add none beyond these.
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_+=.@-:".contains(c)
}

/// Whether `name` is a variable name every shell takes.
pub(crate) fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `raw` as a variable name: upper case, every character that cannot be in
/// one `_`, and a leading `_` before a digit.
pub(crate) fn var_name_of(raw: &str) -> String {
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

/// Refuses names a later step's shell needs.
pub(crate) fn check_not_reserved(name: &str, spec: &str) -> Result<(), SpecError> {
    if RESERVED.contains(&name) || name.starts_with("BASH_FUNC_") {
        return Err(SpecError::Reserved {
            spec: spec.to_string(),
            name: name.to_string(),
        });
    }
    Ok(())
}

/// How many secrets and SSM sources `specs` name, in words: "1 secret and
/// 2 SSM sources".
pub fn count_sources(specs: &[Spec]) -> String {
    let secrets = specs
        .iter()
        .filter(|s| matches!(s.source, Source::Secret { .. }))
        .count();
    let ssm = specs.len() - secrets;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (secrets, ssm) {
        (0, p) => plural(p, "SSM source", "SSM sources"),
        (s, 0) => plural(s, "secret", "secrets"),
        (s, p) => format!(
            "{} and {}",
            plural(s, "secret", "secrets"),
            plural(p, "SSM source", "SSM sources")
        ),
    }
}

impl Spec {
    /// Parses one `TARGET=SOURCE` (see the module's table).
    pub fn parse(raw: &str) -> Result<Spec, SpecError> {
        let Some((target, source)) = raw.split_once('=') else {
            return Err(SpecError::NoVariable {
                spec: raw.to_string(),
            });
        };
        let (target, source) = (target.trim(), source.trim());
        let target = match target.strip_suffix('*') {
            Some(prefix) if prefix.is_empty() || is_var_name(prefix) => {
                Target::Prefix(prefix.to_string())
            }
            Some(prefix) => {
                return Err(SpecError::BadPrefix {
                    spec: raw.to_string(),
                    prefix: prefix.to_string(),
                })
            }
            None if is_var_name(target) => Target::Var(target.to_string()),
            None => {
                return Err(SpecError::BadName {
                    spec: raw.to_string(),
                    name: target.to_string(),
                    value: source.to_string(),
                })
            }
        };
        if let Target::Var(name) = &target {
            check_not_reserved(name, raw)?;
        }
        let source = match source.strip_prefix("ssm:") {
            Some(name) => {
                if !is_id(name) {
                    return Err(SpecError::BadParameterName {
                        spec: raw.to_string(),
                        name: name.to_string(),
                    });
                }
                match &target {
                    Target::Prefix(_) => Source::Path(name.to_string()),
                    Target::Var(_) if name.ends_with('/') && name.len() > 1 => {
                        return Err(SpecError::PathForOneVariable {
                            spec: raw.to_string(),
                            path: name.to_string(),
                        })
                    }
                    Target::Var(_) => Source::Parameter(name.to_string()),
                }
            }
            None => {
                let (id, key) = match source.split_once('#') {
                    Some((id, key)) if !key.is_empty() => (id, Some(key.to_string())),
                    Some(_) => {
                        return Err(SpecError::EmptyKey {
                            spec: raw.to_string(),
                        })
                    }
                    None => (source, None),
                };
                if !is_id(id) {
                    return Err(SpecError::BadSecretId {
                        spec: raw.to_string(),
                        id: id.to_string(),
                    });
                }
                if key.is_some() && matches!(target, Target::Prefix(_)) {
                    return Err(SpecError::KeyWithPrefix {
                        spec: raw.to_string(),
                        id: id.to_string(),
                        value: source.to_string(),
                    });
                }
                Source::Secret {
                    id: id.to_string(),
                    key,
                }
            }
        };
        Ok(Spec { target, source })
    }

    /// Parses every spec in `raw`, which may hold several separated by
    /// blanks or line breaks (as one orb parameter does).
    pub fn parse_all(raw: &[String]) -> Result<Vec<Spec>, SpecError> {
        let specs = raw
            .iter()
            .flat_map(|r| r.split_whitespace())
            .map(Spec::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if specs.is_empty() {
            return Err(SpecError::NoneNamed);
        }
        Ok(specs)
    }
}

/// Whether `id` can be a secret's or a parameter's name or ARN.
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(id_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_counted_in_words() {
        let specs = |raw: &[&str]| {
            Spec::parse_all(&raw.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
        };
        assert_eq!(count_sources(&specs(&["A=prod/db"])), "1 secret");
        assert_eq!(
            count_sources(&specs(&["A=prod/db", "B=prod/x#k", "C=ssm:/p"])),
            "2 secrets and 1 SSM source"
        );
        assert_eq!(
            count_sources(&specs(&["P_*=ssm:/app/", "C=ssm:/p"])),
            "2 SSM sources"
        );
    }

    fn secret(id: &str, key: Option<&str>) -> Source {
        Source::Secret {
            id: id.into(),
            key: key.map(str::to_string),
        }
    }

    #[test]
    fn every_form_of_the_table_parses() {
        let cases = [
            (
                "DB=prod/db",
                Target::Var("DB".into()),
                secret("prod/db", None),
            ),
            (
                "PW=prod/db#password",
                Target::Var("PW".into()),
                secret("prod/db", Some("password")),
            ),
            (
                "DB_*=prod/db",
                Target::Prefix("DB_".into()),
                secret("prod/db", None),
            ),
            (
                "*=prod/db",
                Target::Prefix(String::new()),
                secret("prod/db", None),
            ),
            (
                "T=ssm:/ci/token",
                Target::Var("T".into()),
                Source::Parameter("/ci/token".into()),
            ),
            (
                "APP_*=ssm:/app/prod/",
                Target::Prefix("APP_".into()),
                Source::Path("/app/prod/".into()),
            ),
            (
                "K=arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf",
                Target::Var("K".into()),
                secret(
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf",
                    None,
                ),
            ),
        ];
        for (raw, target, source) in cases {
            assert_eq!(Spec::parse(raw), Ok(Spec { target, source }), "{raw}");
        }
    }

    #[test]
    fn wrong_names_are_refused_with_the_name_they_could_be() {
        let e = Spec::parse("db-password=prod/db").unwrap_err().to_string();
        assert!(e.contains("DB_PASSWORD=prod/db"), "{e}");
        let e = Spec::parse("1X=prod/db").unwrap_err().to_string();
        assert!(e.contains("_1X=prod/db"), "{e}");
        let e = Spec::parse("prod/db").unwrap_err().to_string();
        assert!(e.contains("NAME=SECRET_ID"), "{e}");
        let e = Spec::parse("a-b*=prod/db").unwrap_err().to_string();
        assert!(e.contains("A_B*"), "{e}");
        assert!(Spec::parse("PATH=prod/db")
            .unwrap_err()
            .to_string()
            .contains("$PATH"));
        assert!(Spec::parse("BASH_FUNC_x=prod/db").is_err());
        assert!(Spec::parse("X=ssm:/app/")
            .unwrap_err()
            .to_string()
            .contains("APP_*=ssm:/app/"));
        assert!(Spec::parse("X=prod/db#").is_err());
        assert!(Spec::parse("X_*=prod/db#k").is_err());
        assert!(Spec::parse("X=$(id)").is_err());
        assert!(Spec::parse("X=").is_err());
        assert!(Spec::parse("X=ssm:").is_err());
    }

    #[test]
    fn each_refusal_is_a_kind_a_caller_can_match() {
        let spec = |s: &str| s.to_string();
        let cases = [
            (
                "prod/db",
                SpecError::NoVariable {
                    spec: spec("prod/db"),
                },
            ),
            (
                "a-b*=prod/db",
                SpecError::BadPrefix {
                    spec: spec("a-b*=prod/db"),
                    prefix: spec("a-b"),
                },
            ),
            (
                "db-password = prod/db",
                SpecError::BadName {
                    spec: spec("db-password = prod/db"),
                    name: spec("db-password"),
                    value: spec("prod/db"),
                },
            ),
            (
                "LD_PRELOAD=prod/db",
                SpecError::Reserved {
                    spec: spec("LD_PRELOAD=prod/db"),
                    name: spec("LD_PRELOAD"),
                },
            ),
            (
                "X=ssm:/app/",
                SpecError::PathForOneVariable {
                    spec: spec("X=ssm:/app/"),
                    path: spec("/app/"),
                },
            ),
            (
                "X=prod/db#",
                SpecError::EmptyKey {
                    spec: spec("X=prod/db#"),
                },
            ),
            (
                "X_*=prod/db#k",
                SpecError::KeyWithPrefix {
                    spec: spec("X_*=prod/db#k"),
                    id: spec("prod/db"),
                    value: spec("prod/db#k"),
                },
            ),
            (
                "X=ssm:a b",
                SpecError::BadParameterName {
                    spec: spec("X=ssm:a b"),
                    name: spec("a b"),
                },
            ),
            (
                "X=$(id)",
                SpecError::BadSecretId {
                    spec: spec("X=$(id)"),
                    id: spec("$(id)"),
                },
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(Spec::parse(raw), Err(want), "{raw}");
        }
        let long = "a".repeat(MAX_ID_LEN + 1);
        assert!(matches!(
            Spec::parse(&format!("X={long}")),
            Err(SpecError::BadSecretId { id, .. }) if id == long
        ));
        assert!(Spec::parse(&format!("X={}", &long[1..])).is_ok());
        assert_eq!(Spec::parse_all(&[]), Err(SpecError::NoneNamed));
        assert_eq!(
            check_not_reserved("PATH", "SSM parameter /app/path"),
            Err(SpecError::Reserved {
                spec: spec("SSM parameter /app/path"),
                name: spec("PATH"),
            })
        );
    }

    #[test]
    fn the_texts_name_the_spec_and_the_fix() {
        let text = |raw: &str| Spec::parse(raw).unwrap_err().to_string();
        assert_eq!(
            text("a-b*=prod/db"),
            r#""a-b*=prod/db": the prefix "a-b" is not the start of a variable name (letters, digits and _, not starting with a digit): use A_B*"#
        );
        assert_eq!(
            text("1X=prod/db"),
            r#""1X=prod/db": "1X" is not a variable name (letters, digits and _, not starting with a digit): use _1X=prod/db"#
        );
        assert_eq!(
            text("X=ssm:"),
            r#""X=ssm:": "" is not an SSM parameter name (letters, digits and /_+=.@-; at most 2048)"#
        );
        assert_eq!(
            text("BASH_FUNC_x=prod/db"),
            r#""BASH_FUNC_x=prod/db" would replace $BASH_FUNC_x, which the shell of every later step relies on: choose another name"#
        );
    }

    #[test]
    fn several_specs_come_in_one_value() {
        let all = Spec::parse_all(&["A=a\n  B=ssm:/b\tC_*=c".into()]).unwrap();
        assert_eq!(all.len(), 3);
        assert!(Spec::parse_all(&[" \n".into()]).is_err());
    }

    #[test]
    fn derived_names_are_variable_names() {
        assert_eq!(var_name_of("db-host"), "DB_HOST");
        assert_eq!(var_name_of("9lives"), "_9LIVES");
        assert_eq!(var_name_of("é"), "_");
        assert_eq!(var_name_of(""), "_");
        for raw in ["db-host", "9lives", "é", "", "a.b/c"] {
            assert!(is_var_name(&var_name_of(raw)));
        }
        assert!(!is_var_name("") && !is_var_name("1a") && !is_var_name("a b"));
    }
}
