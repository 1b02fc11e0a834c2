//! `$VAR` and `${VAR}` expansion for orb parameters, like `circleci env subst`.
//!
//! Orb parameters such as `role_arn: ${AWS_ROLE_ARN}` reach the binary
//! unexpanded; expanding here (not with `eval` in the orb's shell script)
//! means no parameter value is ever run as code.  Supported: `$NAME`,
//! `${NAME}`, `${NAME:-default}`, `${NAME-default}`, and `$$` for a literal
//! `$`.  A `$` not followed by a name or `{` stays as it is.  Unset names
//! expand to nothing.

crate::error_debug::debug_by_display!(ExpandError);
/// Why a value could not be expanded.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// A `${` with no `}` after it.
    #[error("unclosed ${{ in {input:?}: write ${{NAME}}, or $$ for a literal $")]
    Unclosed {
        /// The value being expanded.
        input: String,
    },
    /// A `${...}` form other than `${NAME}`, `${NAME:-default}` and `${NAME-default}`.
    #[error(
        "unsupported expansion ${{{expansion}}} in {input:?}: \
         only ${{NAME}}, ${{NAME:-default}} and ${{NAME-default}} are supported"
    )]
    Unsupported {
        /// What stood between the braces, e.g. `A:=b`.
        expansion: String,
        /// The value being expanded.
        input: String,
    },
    /// A name in `${...}` that is not a variable name.
    #[error("invalid variable name {name:?} in {input:?}: names are letters, digits and _")]
    InvalidName {
        /// The name, e.g. `1X`.
        name: String,
        /// The value being expanded.
        input: String,
    },
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands `input` with `lookup`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let mut chars = after.chars();
        match chars.next() {
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('{') => {
                let Some(close) = after.find('}') else {
                    return Err(ExpandError::Unclosed {
                        input: input.to_string(),
                    });
                };
                let inner = &after[1..close];
                let (name, default) = match inner.find([':', '-']) {
                    Some(i) if inner[i..].starts_with(":-") => {
                        (&inner[..i], Some((&inner[i + 2..], true)))
                    }
                    Some(i) if inner[i..].starts_with('-') => {
                        (&inner[..i], Some((&inner[i + 1..], false)))
                    }
                    Some(_) => {
                        return Err(ExpandError::Unsupported {
                            expansion: inner.to_string(),
                            input: input.to_string(),
                        })
                    }
                    None => (inner, None),
                };
                if !name.starts_with(is_name_start) || !name.chars().all(is_name_char) {
                    return Err(ExpandError::InvalidName {
                        name: name.to_string(),
                        input: input.to_string(),
                    });
                }
                let value = lookup(name);
                match (value, default) {
                    (Some(v), Some((d, true))) if v.is_empty() => out.push_str(&expand(d, lookup)?),
                    (None, Some((d, _))) => out.push_str(&expand(d, lookup)?),
                    (value, _) => out.push_str(&value.unwrap_or_default()),
                }
                rest = &after[close + 1..];
            }
            Some(c) if is_name_start(c) => {
                let end = after
                    .find(|c: char| !is_name_char(c))
                    .unwrap_or(after.len());
                out.push_str(&lookup(&after[..end]).unwrap_or_default());
                rest = &after[end..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "ROLE" => Some("arn:aws:iam::123456789012:role/deploy".into()),
            "EMPTY" => Some(String::new()),
            "DOLLAR" => Some("$ROLE".into()),
            _ => None,
        }
    }

    #[test]
    fn expands_the_forms_orb_users_write() {
        let cases = [
            ("${ROLE}", "arn:aws:iam::123456789012:role/deploy"),
            ("$ROLE", "arn:aws:iam::123456789012:role/deploy"),
            ("x-$ROLE-y", "x-arn:aws:iam::123456789012:role/deploy-y"),
            ("${UNSET}", ""),
            ("${UNSET:-us-east-1}", "us-east-1"),
            ("${EMPTY:-fallback}", "fallback"),
            ("${EMPTY-fallback}", ""),
            ("${UNSET-fallback}", "fallback"),
            ("${UNSET:-$ROLE}", "arn:aws:iam::123456789012:role/deploy"),
            ("cost $$5", "cost $5"),
            ("a $ b", "a $ b"),
            ("trailing $", "trailing $"),
            ("$1", "$1"),
            ("plain", "plain"),
            // A value is expanded once: what a variable holds is not expanded again.
            ("$DOLLAR", "$ROLE"),
        ];
        for (input, want) in cases {
            assert_eq!(expand(input, &env).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_expand_and_says_how() {
        for bad in ["${ROLE", "${1X}", "${A:=b}", "${}"] {
            assert!(expand(bad, &env).is_err(), "{bad}");
        }
        assert!(expand("${ROLE", &env)
            .unwrap_err()
            .to_string()
            .contains("$$"));
    }

    #[test]
    fn each_refusal_is_its_own_kind_and_keeps_its_text() {
        let unclosed = expand("x ${ROLE", &env).unwrap_err();
        assert_eq!(
            unclosed,
            ExpandError::Unclosed {
                input: "x ${ROLE".into()
            }
        );
        assert_eq!(
            unclosed.to_string(),
            r#"unclosed ${ in "x ${ROLE": write ${NAME}, or $$ for a literal $"#
        );
        let unsupported = expand("${A:=b}", &env).unwrap_err();
        assert_eq!(
            unsupported,
            ExpandError::Unsupported {
                expansion: "A:=b".into(),
                input: "${A:=b}".into()
            }
        );
        assert_eq!(
            unsupported.to_string(),
            r#"unsupported expansion ${A:=b} in "${A:=b}": only ${NAME}, ${NAME:-default} and ${NAME-default} are supported"#
        );
        let name = expand("${1X}", &env).unwrap_err();
        assert_eq!(
            name,
            ExpandError::InvalidName {
                name: "1X".into(),
                input: "${1X}".into()
            }
        );
        assert_eq!(
            name.to_string(),
            r#"invalid variable name "1X" in "${1X}": names are letters, digits and _"#
        );
        // A default is expanded on its own: its error names it, not the whole value.
        assert_eq!(
            expand("${UNSET:-${A}", &env),
            Err(ExpandError::Unclosed {
                input: "${A".into()
            })
        );
    }

    proptest! {
        #[test]
        fn text_without_dollar_is_unchanged(s in "[^$]*") {
            prop_assert_eq!(expand(&s, &env).unwrap(), s);
        }

        #[test]
        fn never_panics(s in ".*") {
            let _ = expand(&s, &env);
        }

        #[test]
        fn escaped_dollars_round_trip(s in ".*") {
            let escaped = s.replace('$', "$$");
            prop_assert_eq!(expand(&escaped, &env).unwrap(), s);
        }
    }
}
