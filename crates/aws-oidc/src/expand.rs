//! `$VAR` and `${VAR}` expansion for orb parameters, like `circleci env subst`.
//!
//! Orb parameters such as `role_arn: ${AWS_ROLE_ARN}` reach the binary
//! unexpanded; expanding here (not with `eval` in the orb's shell script)
//! means no parameter value is ever run as code.  Supported: `$NAME`,
//! `${NAME}`, `${NAME:-default}`, `${NAME-default}`, and `$$` for a literal
//! `$`.  A `$` not followed by a name or `{` stays as it is.  Unset names
//! expand to nothing.

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExpandError(pub String);

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
                    return Err(ExpandError(format!(
                        "unclosed ${{ in {input:?}: write ${{NAME}}, or $$ for a literal $"
                    )));
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
                        return Err(ExpandError(format!(
                            "unsupported expansion ${{{inner}}} in {input:?}: \
                             only ${{NAME}}, ${{NAME:-default}} and ${{NAME-default}} are supported"
                        )))
                    }
                    None => (inner, None),
                };
                if !name.starts_with(is_name_start) || !name.chars().all(is_name_char) {
                    return Err(ExpandError(format!(
                        "invalid variable name {name:?} in {input:?}: names are letters, digits and _"
                    )));
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
        assert!(expand("${ROLE", &env).unwrap_err().0.contains("$$"));
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
