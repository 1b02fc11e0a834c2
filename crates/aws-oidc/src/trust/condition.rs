//! One condition of a trust policy, evaluated the way IAM documents it.
//!
//! Operators: `String{Equals,NotEquals,EqualsIgnoreCase,NotEqualsIgnoreCase,
//! Like,NotLike}`, `Bool` and `Null`; each but `Null` with the `IfExists`
//! suffix and the `ForAnyValue:` / `ForAllValues:` prefixes.  The values of
//! one key are ORed; a negated operator holds when no value matches.  A
//! missing key (absent, null, or an empty list) makes positive operators
//! false and negated ones true; `IfExists` and `ForAllValues:` make it true,
//! `ForAnyValue:` false.

use serde_json::Value;

use super::PolicyError;

/// A set operator prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    AnyValue,
    AllValues,
}

/// The comparison itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Equals,
    EqualsIgnoreCase,
    Like,
    Bool,
    Null,
}

/// A parsed condition operator such as `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operator {
    set: Option<SetOp>,
    base: Base,
    negated: bool,
    if_exists: bool,
}

impl Operator {
    /// Parses an operator name; unknown ones are an error naming what is supported.
    pub(crate) fn parse(name: &str) -> Result<Self, PolicyError> {
        let (set, rest) = match name.split_once(':') {
            None => (None, name),
            Some(("ForAnyValue", rest)) => (Some(SetOp::AnyValue), rest),
            Some(("ForAllValues", rest)) => (Some(SetOp::AllValues), rest),
            Some((q, _)) => {
                return Err(PolicyError::SetOperator {
                    set: q.to_string(),
                    operator: name.to_string(),
                })
            }
        };
        let (rest, if_exists) = match rest.strip_suffix("IfExists") {
            Some(r) if !r.is_empty() => (r, true),
            _ => (rest, false),
        };
        let (base, negated) = match rest {
            "StringEquals" => (Base::Equals, false),
            "StringNotEquals" => (Base::Equals, true),
            "StringEqualsIgnoreCase" => (Base::EqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Base::EqualsIgnoreCase, true),
            "StringLike" => (Base::Like, false),
            "StringNotLike" => (Base::Like, true),
            "Bool" => (Base::Bool, false),
            "Null" => (Base::Null, false),
            _ => {
                return Err(PolicyError::UnsupportedOperator {
                    operator: name.to_string(),
                })
            }
        };
        if base == Base::Null && (if_exists || set.is_some()) {
            return Err(PolicyError::QualifiedNull {
                operator: name.to_string(),
            });
        }
        Ok(Operator {
            set,
            base,
            negated,
            if_exists,
        })
    }

    /// Whether this is one of the `String...` operators that take `*` literally.
    pub(crate) fn is_exact_string(&self) -> bool {
        matches!(self.base, Base::Equals | Base::EqualsIgnoreCase)
    }
}

/// A policy or request value as IAM compares it: text.
pub(crate) fn text(v: &Value) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(PolicyError::ConditionValue {
            found: other.clone(),
        }),
    }
}

/// The policy's values for one key (a value or a list of values).
pub(crate) fn policy_values(v: &Value) -> Result<Vec<String>, PolicyError> {
    let values = match v {
        Value::Array(items) => items.iter().map(text).collect::<Result<Vec<_>, _>>()?,
        one => vec![text(one)?],
    };
    if values.is_empty() {
        return Err(PolicyError::NoValues);
    }
    Ok(values)
}

/// The request's values for a key; `None` when the key is missing.
pub(crate) fn request_values(v: Option<&Value>) -> Option<Vec<String>> {
    let values: Vec<String> = match v? {
        Value::Array(items) => items
            .iter()
            .filter(|i| !i.is_null())
            .map(|i| text(i).unwrap_or_else(|_| i.to_string()))
            .collect(),
        Value::Null => Vec::new(),
        one => vec![text(one).unwrap_or_else(|_| one.to_string())],
    };
    (!values.is_empty()).then_some(values)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Any,
    One,
    Char(char),
}

fn glob_tokens(pattern: &str, escapes: bool) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if escapes {
            if let Some(lit) = ["${*}", "${?}", "${$}"]
                .iter()
                .find(|e| rest.starts_with(**e))
            {
                out.push(Token::Char(lit.as_bytes()[2] as char));
                rest = &rest[4..];
                continue;
            }
        }
        out.push(match c {
            '*' => Token::Any,
            '?' => Token::One,
            c => Token::Char(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// IAM's wildcard match: `*` any run of characters (`/` too), `?` exactly one.
/// In conditions, `${*}`, `${?}` and `${$}` stand for the literal characters.
pub(crate) fn glob_match(pattern: &str, value: &str, ignore_case: bool, escapes: bool) -> bool {
    let fold = |c: char| {
        if ignore_case {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let p = glob_tokens(pattern, escapes);
    let v: Vec<char> = value.chars().map(fold).collect();
    let (mut pi, mut vi) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some(Token::Any) => {
                backtrack = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some(Token::One) => {
                pi += 1;
                vi += 1;
                continue;
            }
            Some(Token::Char(c)) if fold(*c) == v[vi] => {
                pi += 1;
                vi += 1;
                continue;
            }
            _ => {}
        }
        match backtrack {
            Some((bp, bv)) => {
                pi = bp + 1;
                vi = bv + 1;
                backtrack = Some((bp, bv + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| *t == Token::Any)
}

fn compare(base: Base, policy: &str, request: &str) -> bool {
    match base {
        Base::Equals => policy == request,
        Base::EqualsIgnoreCase => policy.to_lowercase() == request.to_lowercase(),
        Base::Like => glob_match(policy, request, false, true),
        Base::Bool => policy.eq_ignore_ascii_case(request),
        Base::Null => false,
    }
}

/// How one condition came out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Whether the condition holds.
    pub holds: bool,
    /// The key is missing from the request.
    pub missing: bool,
    /// The request's value that decided it, if one did.
    pub deciding: Option<String>,
}

/// Evaluates `op` for one key: `wanted` from the policy, `present` from the request.
pub(crate) fn evaluate(op: &Operator, wanted: &[String], present: Option<&[String]>) -> Outcome {
    let out = |holds, deciding: Option<&String>| Outcome {
        holds,
        missing: present.is_none(),
        deciding: deciding.cloned(),
    };
    let Some(present) = present else {
        if op.base == Base::Null {
            return out(wanted.iter().any(|w| w.eq_ignore_ascii_case("true")), None);
        }
        let holds = op.if_exists
            || match op.set {
                Some(SetOp::AllValues) => true,
                Some(SetOp::AnyValue) => false,
                None => op.negated,
            };
        return out(holds, None);
    };
    if op.base == Base::Null {
        // "true" asks for a missing key; anything else for a present one.
        return out(wanted.iter().any(|w| !w.eq_ignore_ascii_case("true")), None);
    }
    let hit = |v: &String| wanted.iter().any(|w| compare(op.base, w, v));
    let one = |v: &String| hit(v) != op.negated;
    match op.set {
        Some(SetOp::AllValues) => match present.iter().find(|v| !one(v)) {
            Some(v) => out(false, Some(v)),
            None => out(true, None),
        },
        Some(SetOp::AnyValue) => match present.iter().find(|v| one(v)) {
            Some(v) => out(true, Some(v)),
            None => out(false, None),
        },
        None => match present.iter().find(|v| hit(v)) {
            Some(v) => out(!op.negated, Some(v)),
            None => out(op.negated, None),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn holds(op: &str, wanted: &[&str], present: Option<&[&str]>) -> bool {
        let present = present.map(s);
        evaluate(
            &Operator::parse(op).unwrap(),
            &s(wanted),
            present.as_deref(),
        )
        .holds
    }

    #[test]
    fn globs_like_iam() {
        assert!(glob_match(
            "org/*/user/*",
            "org/o/project/p/user/u",
            false,
            true
        ));
        assert!(glob_match("a?c", "abc", false, true));
        assert!(!glob_match("a?c", "ac", false, true));
        assert!(glob_match("*", "", false, true));
        assert!(glob_match("a${*}", "a*", false, true));
        assert!(!glob_match("a${*}", "ab", false, true));
        assert!(glob_match(
            "STS:Assume*",
            "sts:AssumeRoleWithWebIdentity",
            true,
            false
        ));
        assert!(!glob_match(
            "refs/heads/main",
            "refs/heads/main2",
            false,
            true
        ));
    }

    #[test]
    fn missing_keys_follow_iam() {
        assert!(!holds("StringEquals", &["x"], None));
        assert!(holds("StringNotEquals", &["x"], None));
        assert!(holds("StringEqualsIfExists", &["x"], None));
        assert!(holds("ForAllValues:StringEquals", &["x"], None));
        assert!(!holds("ForAnyValue:StringEquals", &["x"], None));
        assert!(holds("Null", &["true"], None));
        assert!(!holds("Null", &["true"], Some(&["v"])));
        assert!(holds("Null", &["false"], Some(&["v"])));
    }

    #[test]
    fn set_operators_on_lists() {
        let ctx: &[&str] = &["c1", "c2"];
        assert!(holds("ForAnyValue:StringEquals", &["c2"], Some(ctx)));
        assert!(!holds("ForAllValues:StringEquals", &["c2"], Some(ctx)));
        assert!(holds("ForAllValues:StringLike", &["c*"], Some(ctx)));
        assert!(holds("ForAnyValue:StringNotEquals", &["c1"], Some(ctx)));
        assert!(!holds("StringNotEquals", &["c1"], Some(ctx)));
        assert!(holds("StringEquals", &["c1"], Some(ctx)));
        assert!(holds("Bool", &["TRUE"], Some(&["true"])));
        assert!(holds("StringEqualsIgnoreCase", &["ABC"], Some(&["abc"])));
        assert!(!holds("StringEquals", &["a*"], Some(&["ab"])));
    }

    #[test]
    fn operators_parse_or_explain() {
        assert!(Operator::parse("ForAnyValue:StringNotLikeIfExists").is_ok());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForSomeValues:StringLike").is_err());
        assert!(Operator::parse("NumericLessThan")
            .unwrap_err()
            .to_string()
            .contains("by hand"));
        assert!(Operator::parse("IfExists").is_err());
    }

    #[test]
    fn each_refused_operator_or_value_is_its_own_kind() {
        let op = |name: &str| Operator::parse(name).unwrap_err();
        assert!(matches!(
            op("ForSomeValues:StringLike"),
            PolicyError::SetOperator { set, operator }
                if set == "ForSomeValues" && operator == "ForSomeValues:StringLike"
        ));
        assert!(matches!(
            op("NumericLessThan"),
            PolicyError::UnsupportedOperator { operator } if operator == "NumericLessThan"
        ));
        for null in ["NullIfExists", "ForAllValues:Null"] {
            assert!(matches!(
                op(null),
                PolicyError::QualifiedNull { operator } if operator == null
            ));
        }
        assert!(matches!(
            policy_values(&serde_json::json!(["a", {"b": 1}])),
            Err(PolicyError::ConditionValue { found }) if found == serde_json::json!({"b": 1})
        ));
        assert!(matches!(
            policy_values(&serde_json::json!([])),
            Err(PolicyError::NoValues)
        ));
        assert_eq!(
            text(&Value::Null).unwrap_err().to_string(),
            "unsupported value null (a condition value is a string, number or boolean)"
        );
    }

    /// A regex-free reference: recursive matching over the same tokens.
    fn reference(p: &[Token], v: &[char]) -> bool {
        match (p.first(), v.first()) {
            (None, _) => v.is_empty(),
            (Some(Token::Any), _) => {
                reference(&p[1..], v) || (!v.is_empty() && reference(p, &v[1..]))
            }
            (Some(Token::One), Some(_)) => reference(&p[1..], &v[1..]),
            (Some(Token::Char(c)), Some(x)) if c == x => reference(&p[1..], &v[1..]),
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn glob_agrees_with_a_recursive_reference(p in "[ab*?/]{0,8}", v in "[ab/]{0,10}") {
            let chars: Vec<char> = v.chars().collect();
            prop_assert_eq!(glob_match(&p, &v, false, true), reference(&glob_tokens(&p, true), &chars));
        }

        #[test]
        fn any_operator_name_parses_or_errs_without_panicking(name in "\\PC{0,40}") {
            let _ = Operator::parse(&name);
        }

        #[test]
        fn negation_is_the_complement_when_the_key_is_present(
            w in proptest::collection::vec("[ab*]{0,3}", 1..3),
            v in proptest::collection::vec("[ab]{0,3}", 1..3),
        ) {
            let pos = evaluate(&Operator::parse("StringLike").unwrap(), &w, Some(&v)).holds;
            let neg = evaluate(&Operator::parse("StringNotLike").unwrap(), &w, Some(&v)).holds;
            prop_assert_eq!(pos, !neg);
        }
    }
}
