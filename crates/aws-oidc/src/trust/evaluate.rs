//! IAM's decision on a trust policy for one token, with the reason for each step.
//!
//! A statement applies when its principal, its action and every condition
//! match.  An applying `Deny` wins; otherwise an applying `Allow` grants;
//! otherwise the request is denied.  Unlike IAM, every statement and every
//! condition is evaluated and reported, so one run shows all that is wrong.

use std::fmt;

use serde_json::{Map, Value};

use super::condition::{self, glob_match, Operator};
use super::subject::Subject;
use super::{PolicyError, Provider, RequestContext, UNKEYED_CIRCLECI_CLAIMS};

/// The principal asking: the provider ARN, or any account's provider for an issuer.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    /// Exactly this provider ARN (the role's account is known).
    Exact(&'a str),
    /// `arn:<partition>:iam::<any account>:oidc-provider/<host path>`.
    AnyAccount(&'a str),
}

impl Principal<'_> {
    fn matches(&self, value: &str) -> bool {
        match self {
            Principal::Exact(arn) => value == "*" || value == *arn,
            Principal::AnyAccount(host_path) => {
                value == "*"
                    || value.strip_suffix(host_path).is_some_and(|head| {
                        let parts: Vec<&str> = head.split(':').collect();
                        parts.len() == 6
                            && parts[0] == "arn"
                            && parts[2] == "iam"
                            && parts[4].len() == 12
                            && parts[5] == "oidc-provider/"
                    })
            }
        }
    }
}

impl fmt::Display for Principal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Exact(arn) => f.write_str(arn),
            Principal::AnyAccount(hp) => f.write_str(&Provider::arn_for("aws", "<account>", hp)),
        }
    }
}

/// What is asked: who, to do what, with which condition keys.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The federated principal.
    pub principal: Principal<'a>,
    /// The action, `sts:AssumeRoleWithWebIdentity`.
    pub action: &'a str,
    /// The condition keys.
    pub context: &'a RequestContext,
}

/// One check inside a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Whether it passed.
    pub passed: bool,
    /// What was checked, e.g. `StringLike oidc.circleci.com/org/x:sub`.
    pub what: String,
    /// Why it passed or failed.
    pub why: String,
    /// What to change, when the failure looks like a known mistake.
    pub hint: Option<String>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants when it applies.
    Allow,
    /// Refuses when it applies, whatever else allows.
    Deny,
}

/// How one statement came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementReport {
    /// `statement 0` or `statement "Sid"`.
    pub label: String,
    /// Its effect.
    pub effect: Effect,
    /// Principal, action and each condition.
    pub checks: Vec<Check>,
}

impl StatementReport {
    /// Whether every check passed, so the statement applies.
    pub fn applies(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement applies and no Deny does.
    Allowed(String),
    /// A Deny statement applies.
    ExplicitDeny(String),
    /// No statement allows.
    NoAllow,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// Each statement, in policy order.
    pub statements: Vec<StatementReport>,
    /// The outcome.
    pub decision: Decision,
}

impl Evaluation {
    /// Whether IAM would allow the request.
    pub fn allowed(&self) -> bool {
        matches!(self.decision, Decision::Allowed(_))
    }
}

fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

fn quoted(values: &[String]) -> String {
    let q: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    match q.len() {
        1 => q[0].clone(),
        _ => format!("one of {}", q.join(", ")),
    }
}

/// A well-formed trust policy that this checker can evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustPolicy(Value);

impl TrustPolicy {
    /// Reads a trust policy from JSON text and checks its shape and operators.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let policy: Value = serde_json::from_str(text).map_err(PolicyError::NotJson)?;
        Self::from_value(policy)
    }

    /// Checks a policy document already in memory.
    pub fn from_value(policy: Value) -> Result<Self, PolicyError> {
        statements(&policy)?;
        Ok(TrustPolicy(policy))
    }

    /// Evaluates the policy for `request`.
    pub fn evaluate(&self, request: &Request) -> Evaluation {
        evaluate(&self.0, request).expect("checked when parsed")
    }
}

fn statements(policy: &Value) -> Result<Vec<&Map<String, Value>>, PolicyError> {
    let Some(statement) = policy.get("Statement") else {
        return Err(PolicyError::NoStatement);
    };
    let mut out = Vec::new();
    for st in list(statement) {
        let Value::Object(st) = st else {
            return Err(PolicyError::StatementNotObject);
        };
        if !matches!(
            st.get("Effect").and_then(Value::as_str),
            Some("Allow" | "Deny")
        ) {
            return Err(PolicyError::Effect {
                found: st.get("Effect").cloned(),
            });
        }
        if st.contains_key("Principal") == st.contains_key("NotPrincipal") {
            return Err(PolicyError::PrincipalOrNot);
        }
        if st.contains_key("Action") == st.contains_key("NotAction") {
            return Err(PolicyError::ActionOrNot);
        }
        for p in ["Principal", "NotPrincipal"]
            .iter()
            .filter_map(|k| st.get(*k))
        {
            match p {
                Value::String(s) if s == "*" => {}
                Value::Object(kinds) => {
                    if let Some(k) = kinds.keys().find(|k| {
                        !["AWS", "Federated", "Service", "CanonicalUser"].contains(&k.as_str())
                    }) {
                        return Err(PolicyError::PrincipalType { kind: k.clone() });
                    }
                }
                found => {
                    return Err(PolicyError::PrincipalShape {
                        found: found.clone(),
                    })
                }
            }
        }
        for (op, block) in conditions(st)? {
            Operator::parse(op)?;
            for values in block.values() {
                condition::policy_values(values)?;
            }
        }
        out.push(st);
    }
    if policy.is_object() {
        Ok(out)
    } else {
        Err(PolicyError::NotObject)
    }
}

/// One condition operator and its block of keys and values.
type OperatorBlock<'a> = (&'a str, &'a Map<String, Value>);

fn conditions(st: &Map<String, Value>) -> Result<Vec<OperatorBlock<'_>>, PolicyError> {
    let Some(cond) = st.get("Condition") else {
        return Ok(Vec::new());
    };
    let Value::Object(cond) = cond else {
        return Err(PolicyError::ConditionNotObject);
    };
    cond.iter()
        .map(|(op, block)| match block {
            Value::Object(b) => Ok((op.as_str(), b)),
            _ => Err(PolicyError::OperatorBlock {
                operator: op.clone(),
            }),
        })
        .collect()
}

fn principal_check(st: &Map<String, Value>, principal: Principal) -> Check {
    let (field, negated) = match st.get("Principal") {
        Some(p) => (p, false),
        None => (&st["NotPrincipal"], true),
    };
    let named: Vec<String> = match field {
        Value::String(s) => vec![s.clone()],
        Value::Object(kinds) => kinds
            .get("Federated")
            .map(|v| {
                list(v)
                    .iter()
                    .map(|x| condition::text(x).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let hit = named.iter().any(|n| principal.matches(n));
    let what = if negated { "NotPrincipal" } else { "Principal" };
    let why = match (hit, named.is_empty()) {
        (true, _) => format!("names {principal}"),
        (false, true) => "names no Federated principal (an OIDC provider)".into(),
        (false, false) => format!("names {}, not {principal}", quoted(&named)),
    };
    let passed = hit != negated;
    let hint = (!passed && !negated).then(|| {
        "Principal.Federated must be the ARN of the IAM OIDC provider for this token's issuer, \
         in the role's account"
            .to_string()
    });
    Check {
        passed,
        what: what.into(),
        why,
        hint,
    }
}

fn action_check(st: &Map<String, Value>, action: &str) -> Check {
    let (field, negated) = match st.get("Action") {
        Some(a) => (a, false),
        None => (&st["NotAction"], true),
    };
    let patterns: Vec<String> = list(field)
        .iter()
        .filter_map(|v| condition::text(v).ok())
        .collect();
    let hit = patterns.iter().any(|p| glob_match(p, action, true, false));
    let passed = hit != negated;
    Check {
        passed,
        what: if negated { "NotAction" } else { "Action" }.into(),
        why: format!(
            "{action} {} {}",
            if hit { "matches" } else { "does not match" },
            quoted(&patterns)
        ),
        hint: (!passed && !negated)
            .then(|| format!("a web-identity role's trust policy must allow {action}")),
    }
}

fn missing_key_hint(key: &str, ctx: &RequestContext) -> String {
    let token_provider = ctx
        .entries()
        .find_map(|(k, _)| k.strip_suffix(":sub"))
        .unwrap_or_default()
        .to_string();
    match key.split_once(':') {
        Some((provider, claim)) if provider.contains('/') || provider.contains('.') => {
            if !provider.eq_ignore_ascii_case(&token_provider) {
                format!(
                    "this key is for the provider {provider}, but the token's issuer is \
                     https://{token_provider}: use {token_provider}:{claim}"
                )
            } else if UNKEYED_CIRCLECI_CLAIMS.contains(&claim) {
                format!(
                    "IAM does not make CircleCI's {claim} claim a condition key, so the key is \
                     always missing; see `aws-oidc trust-policy --help` for what IAM can check"
                )
            } else {
                format!("the token has no {claim} claim that IAM turns into this key")
            }
        }
        _ => "the request has no such key".into(),
    }
}

fn condition_check(op_name: &str, key: &str, wanted: &Value, ctx: &RequestContext) -> Check {
    let op = Operator::parse(op_name).expect("checked by parse");
    let wanted = condition::policy_values(wanted).expect("checked by parse");
    let present = condition::request_values(ctx.get(key));
    let outcome = condition::evaluate(&op, &wanted, present.as_deref());
    let request = match &present {
        None => "the request has no such key".to_string(),
        Some(v) => format!("the token gives {}", quoted(v).replace("one of ", "")),
    };
    let why = match &outcome.deciding {
        Some(v) if outcome.holds => format!("{v:?} against {}", quoted(&wanted)),
        _ => format!("{request}; the policy has {}", quoted(&wanted)),
    };
    let mut hint = None;
    if !outcome.holds {
        if outcome.missing {
            hint = Some(missing_key_hint(key, ctx));
        } else if op.is_exact_string() && wanted.iter().any(|w| w.contains(['*', '?'])) {
            hint = Some(format!(
                "{op_name} compares * and ? literally: use StringLike for a wildcard"
            ));
        } else if key.ends_with(":sub") {
            let v1 = present
                .iter()
                .flatten()
                .filter_map(|s| Subject::parse(s))
                .any(|s| s.vcs_ref.is_none());
            if v1 && wanted.iter().any(|w| w.contains("/vcs-ref/")) {
                hint = Some(
                    "this token's sub has no vcs-ref part (a v1 token, $CIRCLE_OIDC_TOKEN): \
                     use $CIRCLE_OIDC_TOKEN_V2, which aws-oidc prefers"
                        .into(),
                );
            }
        }
    }
    Check {
        passed: outcome.holds,
        what: format!("{op_name} {key}"),
        why,
        hint,
    }
}

/// Evaluates `policy` for `request`.
fn evaluate(policy: &Value, request: &Request) -> Result<Evaluation, PolicyError> {
    let mut reports = Vec::new();
    for (i, st) in statements(policy)?.into_iter().enumerate() {
        let label = match st.get("Sid").and_then(Value::as_str) {
            Some(sid) if !sid.is_empty() => format!("statement {i} {sid:?}"),
            _ => format!("statement {i}"),
        };
        let mut checks = vec![
            principal_check(st, request.principal),
            action_check(st, request.action),
        ];
        for (op, block) in conditions(st)? {
            for (key, wanted) in block {
                checks.push(condition_check(op, key, wanted, request.context));
            }
        }
        let effect = if st["Effect"] == "Deny" {
            Effect::Deny
        } else {
            Effect::Allow
        };
        reports.push(StatementReport {
            label,
            effect,
            checks,
        });
    }
    let applying = |e: Effect| reports.iter().find(|r| r.effect == e && r.applies());
    let decision = match (applying(Effect::Deny), applying(Effect::Allow)) {
        (Some(d), _) => Decision::ExplicitDeny(d.label.clone()),
        (None, Some(a)) => Decision::Allowed(a.label.clone()),
        (None, None) => Decision::NoAllow,
    };
    Ok(Evaluation {
        statements: reports,
        decision,
    })
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for st in &self.statements {
            let effect = if st.effect == Effect::Allow {
                "Allow"
            } else {
                "Deny"
            };
            let verdict = if st.applies() {
                "applies"
            } else {
                "does not apply"
            };
            writeln!(f, "{}, {effect}: {verdict}", st.label)?;
            for c in &st.checks {
                // In a Deny, an unmet check is what keeps the statement out of the way.
                let mark = match (c.passed, st.effect) {
                    (true, Effect::Allow) => "ok  ",
                    (false, Effect::Allow) => "FAIL",
                    (true, Effect::Deny) => "met ",
                    (false, Effect::Deny) => "no  ",
                };
                // Claim values come from the token: escaped so none forges a line.
                let shown = crate::redact::printable;
                writeln!(f, "  {mark} {}: {}", shown(&c.what), shown(&c.why))?;
                if let Some(h) = &c.hint {
                    writeln!(f, "       hint: {}", shown(h))?;
                }
            }
        }
        match &self.decision {
            Decision::Allowed(by) => write!(f, "result: ALLOWED by {by}"),
            Decision::ExplicitDeny(by) => write!(
                f,
                "result: DENIED by {by} (an applying Deny wins over any Allow)"
            ),
            Decision::NoAllow => write!(
                f,
                "result: DENIED: no Allow statement applies to this token (IAM denies by default)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::generate::{generate, GitRef};

    fn parse(text: &str) -> Result<TrustPolicy, PolicyError> {
        TrustPolicy::parse(text)
    }
    use serde_json::json;

    const ORG: &str = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const PROJECT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

    fn context(sub: &str) -> RequestContext {
        let mut ctx = RequestContext::default();
        ctx.set(&format!("oidc.circleci.com/org/{ORG}:aud"), json!(ORG));
        ctx.set(&format!("oidc.circleci.com/org/{ORG}:sub"), json!(sub));
        ctx
    }

    fn provider() -> String {
        format!("arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/{ORG}")
    }

    fn run(policy: &Value, ctx: &RequestContext) -> Evaluation {
        let arn = provider();
        let req = Request {
            principal: Principal::Exact(&arn),
            action: "sts:AssumeRoleWithWebIdentity",
            context: ctx,
        };
        evaluate(policy, &req).unwrap()
    }

    fn sub(project: &str, git_ref: &str) -> String {
        format!("org/{ORG}/project/{project}/user/9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff/vcs-origin/github.com/acme/app/vcs-ref/{git_ref}")
    }

    #[test]
    fn generated_policies_allow_their_jobs_and_nothing_else() {
        let mut allow = crate::trust::generate::tests::allow();
        let policy = generate(&allow).unwrap().policy;
        assert!(run(&policy, &context(&sub(PROJECT, "refs/heads/x"))).allowed());
        let other = run(
            &policy,
            &context(&sub("0a1b2c3d-1111-4222-8333-000000000000", "refs/heads/x")),
        );
        assert_eq!(other.decision, Decision::NoAllow);
        let text = other.to_string();
        assert!(text.contains("FAIL StringLike"), "{text}");
        assert!(text.contains("ok   StringEquals"), "{text}");

        allow.refs = vec![GitRef::branch("main").unwrap()];
        let policy = generate(&allow).unwrap().policy;
        assert!(run(&policy, &context(&sub(PROJECT, "refs/heads/main"))).allowed());
        assert!(!run(&policy, &context(&sub(PROJECT, "refs/heads/dev"))).allowed());
        let injected = run(
            &policy,
            &context(&sub(PROJECT, "refs/heads/x/vcs-ref/refs/heads/main")),
        );
        assert!(
            matches!(injected.decision, Decision::ExplicitDeny(_)),
            "{injected}"
        );
        let v1 = run(
            &policy,
            &context(&format!("org/{ORG}/project/{PROJECT}/user/u")),
        );
        assert!(v1.to_string().contains("v1 token"), "{v1}");
    }

    #[test]
    fn common_mistakes_get_hints() {
        let hp = format!("oidc.circleci.com/org/{ORG}");
        let policy = json!({"Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider()},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{hp}:sub"): format!("org/{ORG}/project/{PROJECT}/user/*"),
                    format!("oidc.circleci.com/org/other:aud"): ORG,
                },
                "ForAnyValue:StringEquals": {format!("{hp}:oidc.circleci.com/context-ids"): "c"},
            }
        }]});
        let text = run(&policy, &context(&sub(PROJECT, "refs/heads/main"))).to_string();
        for needle in [
            "use StringLike",
            "is for the provider oidc.circleci.com/org/other",
            "always missing",
            "DENIED",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn principal_action_and_deny() {
        let ctx = context(&sub(PROJECT, "refs/heads/main"));
        let wrong = json!({"Statement": {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::210987654321:oidc-provider/x"}, "Action": "sts:AssumeRole"}});
        let text = run(&wrong, &ctx).to_string();
        assert!(
            text.contains("FAIL Principal") && text.contains("FAIL Action"),
            "{text}"
        );
        let any_account = Request {
            principal: Principal::AnyAccount(&format!("oidc.circleci.com/org/{ORG}")),
            action: "sts:AssumeRoleWithWebIdentity",
            context: &ctx,
        };
        let star = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Federated": provider()}, "Action": "sts:*"},
            {"Effect": "Deny", "Principal": "*", "NotAction": "sts:Get*"},
        ]});
        let e = evaluate(&star, &any_account).unwrap();
        assert_eq!(e.decision, Decision::ExplicitDeny("statement 1".into()));
    }

    #[test]
    fn malformed_policies_are_explained() {
        for (text, needle) in [
            ("[]", "no Statement"),
            ("{\"Statement\": [1]}", "JSON object"),
            ("{\"Statement\": {\"Effect\": \"allow\"}}", "Effect"),
            ("{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"x\"}}", "Principal"),
            ("{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\"}}", "Action"),
            ("{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"x\", \"Condition\": {\"DateLessThan\": {\"k\": \"v\"}}}}", "by hand"),
            ("{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"x\", \"Condition\": {\"StringEquals\": {\"k\": []}}}}", "empty list"),
            ("not json", "not JSON"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn each_malformation_is_its_own_kind_with_what_was_found() {
        let err = |policy: Value| TrustPolicy::from_value(policy).unwrap_err();
        let statement = |extra: Value| {
            let mut st = json!({"Effect": "Allow", "Principal": "*", "Action": "x"});
            for (k, v) in extra.as_object().unwrap() {
                st[k] = v.clone();
            }
            json!({ "Statement": st })
        };
        assert!(matches!(
            parse("{\"Statement\": "),
            Err(PolicyError::NotJson(_))
        ));
        assert!(matches!(err(json!([])), PolicyError::NoStatement));
        assert!(matches!(
            err(json!({"Statement": [1]})),
            PolicyError::StatementNotObject
        ));
        assert!(matches!(
            err(json!({"Statement": {"Effect": "allow"}})),
            PolicyError::Effect { found: Some(f) } if f == "allow"
        ));
        assert!(matches!(
            err(json!({"Statement": {}})),
            PolicyError::Effect { found: None }
        ));
        assert_eq!(
            err(json!({"Statement": {}})).to_string(),
            "Effect must be \"Allow\" or \"Deny\", not missing"
        );
        assert!(matches!(
            err(statement(json!({"NotPrincipal": "*"}))),
            PolicyError::PrincipalOrNot
        ));
        assert!(matches!(
            err(statement(json!({"NotAction": "y"}))),
            PolicyError::ActionOrNot
        ));
        assert!(matches!(
            err(statement(json!({"Principal": 7}))),
            PolicyError::PrincipalShape { found } if found == 7
        ));
        assert!(matches!(
            err(statement(json!({"Principal": {"Bad": "x"}}))),
            PolicyError::PrincipalType { kind } if kind == "Bad"
        ));
        assert!(matches!(
            err(statement(json!({"Condition": []}))),
            PolicyError::ConditionNotObject
        ));
        assert!(matches!(
            err(statement(json!({"Condition": {"StringEquals": "k"}}))),
            PolicyError::OperatorBlock { operator } if operator == "StringEquals"
        ));
        assert!(matches!(
            err(statement(
                json!({"Condition": {"DateLessThan": {"k": "v"}}})
            )),
            PolicyError::UnsupportedOperator { .. }
        ));
    }
}
