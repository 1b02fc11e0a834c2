//! From "who may assume this role" to a least-privilege trust policy.
//!
//! The policy pins the audience with `StringEquals` and the subject with
//! `StringLike` only where a wildcard is needed.  Restrictions IAM cannot
//! check are refused with the reason, never written as a condition that
//! would silently never match (or always match).

use serde_json::{json, Map, Value};

use super::subject::{project_pattern, ref_pattern, REF_INJECTION};
use super::{GitRefProblem, IdField, RefField, SetupError};
use super::{Provider, ACTION};
use crate::request::RoleArn;

/// A CircleCI org or project id: a UUID, as the CircleCI web app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CircleCiId(String);

impl CircleCiId {
    /// Parses a UUID; `field` says which id it is.
    pub(crate) fn parse(raw: &str, field: IdField) -> Result<Self, SetupError> {
        let raw = raw.trim();
        let ok = raw.len() == 36
            && raw.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if !ok {
            return Err(SetupError::CircleCiId {
                raw: raw.to_string(),
                field,
            });
        }
        Ok(CircleCiId(raw.to_ascii_lowercase()))
    }

    /// The id as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A git ref a role is restricted to, e.g. `refs/heads/main` or `refs/tags/v*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitRef(String);

impl GitRef {
    /// `--branch main` is `refs/heads/main`.
    pub(crate) fn branch(name: &str) -> Result<Self, SetupError> {
        Self::parse(&format!("refs/heads/{}", name.trim()), RefField::Branch)
    }

    /// A full ref (`refs/...`); `*` is a wildcard, as in IAM's `StringLike`.
    pub(crate) fn parse(raw: &str, field: RefField) -> Result<Self, SetupError> {
        let raw = raw.trim();
        let bad = |problem| SetupError::GitRef {
            raw: raw.to_string(),
            field,
            problem,
        };
        let Some(rest) = raw.strip_prefix("refs/") else {
            return Err(bad(GitRefProblem::NoRefsPrefix));
        };
        if rest.is_empty() || rest.ends_with('/') || rest.contains("//") {
            return Err(bad(GitRefProblem::NoName));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| c.is_control() || " ~^:?[\\$".contains(*c))
        {
            return Err(bad(GitRefProblem::Char { c }));
        }
        if raw.contains("/vcs-ref/") {
            return Err(bad(GitRefProblem::VcsRef));
        }
        Ok(GitRef(raw.to_string()))
    }

    /// The ref as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who may assume the role.
#[derive(Debug, Clone)]
pub(crate) struct Allow {
    /// The CircleCI organization.
    pub org_id: CircleCiId,
    /// Its projects (at least one).
    pub project_ids: Vec<CircleCiId>,
    /// Refs to restrict to; empty allows any ref.
    pub refs: Vec<GitRef>,
    /// The token audience; CircleCI's default is the org id.
    pub audience: Option<String>,
    /// The IAM OIDC provider.
    pub provider: Provider,
    /// `--context-id`: asked for, but IAM cannot check it.
    pub context_ids: Vec<String>,
    /// `--no-ssh-rerun`: asked for, but IAM cannot check it.
    pub no_ssh_rerun: bool,
}

/// A generated trust policy and what the user should know about it.
#[derive(Debug, Clone)]
pub(crate) struct Generated {
    /// The policy document.
    pub policy: Value,
    /// Notes for the user (printed beside the policy, not in it).
    pub notes: Vec<String>,
}

/// One value, or a list when there are several (as IAM policies are usually written).
fn one_or_many(mut values: Vec<String>) -> Value {
    if values.len() == 1 {
        Value::from(values.remove(0))
    } else {
        Value::from(values)
    }
}

fn statement(sid: &str, effect: &str, provider: &Provider, condition: Map<String, Value>) -> Value {
    json!({
        "Sid": sid,
        "Effect": effect,
        "Principal": {"Federated": provider.arn()},
        "Action": ACTION,
        "Condition": condition,
    })
}

/// The Allow statement for one audience and one `sub` pattern: what a
/// failed AssumeRoleWithWebIdentity suggests the role should trust.
pub(crate) fn allow_statement(provider: &Provider, audience: &str, sub_pattern: &str) -> Value {
    let sub_operator = if sub_pattern.contains(['*', '?']) {
        "StringLike"
    } else {
        "StringEquals"
    };
    let mut condition = Map::new();
    condition.insert(
        "StringEquals".into(),
        json!({ provider.key("aud"): audience }),
    );
    match condition.get_mut(sub_operator) {
        Some(Value::Object(block)) => {
            block.insert(provider.key("sub"), Value::from(sub_pattern));
        }
        _ => {
            condition.insert(
                sub_operator.into(),
                json!({ provider.key("sub"): sub_pattern }),
            );
        }
    }
    statement("AllowCircleCiJobs", "Allow", provider, condition)
}

/// Writes the least-privilege trust policy for `allow`.
pub(crate) fn generate(allow: &Allow) -> Result<Generated, SetupError> {
    if !allow.context_ids.is_empty() {
        return Err(SetupError::ContextIds);
    }
    if allow.no_ssh_rerun {
        return Err(SetupError::SshRerun);
    }
    if allow.project_ids.is_empty() {
        return Err(SetupError::NoProject);
    }
    let org = allow.org_id.as_str();
    let p = &allow.provider;
    let audience = allow.audience.clone().unwrap_or_else(|| org.to_string());
    if audience.trim().is_empty() || audience.contains('$') {
        return Err(SetupError::Audience { audience });
    }
    let mut subs = Vec::new();
    for project in &allow.project_ids {
        if allow.refs.is_empty() {
            subs.push(project_pattern(org, project.as_str()));
        }
        for r in &allow.refs {
            subs.push(ref_pattern(org, project.as_str(), r.as_str()));
        }
    }
    subs.dedup();
    let wildcard = subs.iter().any(|s| s.contains(['*', '?']));
    let mut condition = Map::new();
    condition.insert("StringEquals".into(), json!({ p.key("aud"): audience }));
    let sub_operator = if wildcard {
        "StringLike"
    } else {
        "StringEquals"
    };
    let sub_condition = json!({ p.key("sub"): one_or_many(subs) });
    match condition.get_mut(sub_operator) {
        Some(Value::Object(block)) => {
            block.extend(sub_condition.as_object().cloned().unwrap_or_default())
        }
        _ => {
            condition.insert(sub_operator.into(), sub_condition);
        }
    }
    let mut statements = vec![statement("AllowCircleCiJobs", "Allow", p, condition)];
    let mut notes = Vec::new();
    if !allow.refs.is_empty() {
        let mut deny = Map::new();
        deny.insert("StringLike".into(), json!({ p.key("sub"): REF_INJECTION }));
        statements.push(statement("DenyRefsThatMimicTheSubject", "Deny", p, deny));
        notes.push(
            "Branch and tag restrictions match the vcs-ref part of the token's sub, which only \
             $CIRCLE_OIDC_TOKEN_V2 has (aws-oidc uses it by default). The Deny statement refuses \
             refs that contain /vcs-ref/, which could otherwise mimic an allowed ref."
                .into(),
        );
    }
    if p.host_path() != format!("oidc.circleci.com/org/{org}") {
        notes.push(format!(
            "The provider {} is not CircleCI cloud's issuer for org {org} \
             (oidc.circleci.com/org/{org}); that is expected only for CircleCI server.",
            p.host_path()
        ));
    }
    Ok(Generated {
        policy: json!({"Version": "2012-10-17", "Statement": statements}),
        notes,
    })
}

/// The trust policy of a role assumed second (role chaining): the first
/// role (the one trusting CircleCI) may assume it, with the external id when
/// one is required, and tag the session when session tags are used
/// (`--tag`, `--circleci-tags`): STS refuses tags without `sts:TagSession`.
pub(crate) fn chained_role_trust(
    first: &RoleArn,
    external_id: Option<&str>,
    session_tags: bool,
) -> Value {
    let action = if session_tags {
        json!(["sts:AssumeRole", "sts:TagSession"])
    } else {
        json!("sts:AssumeRole")
    };
    let mut statement = json!({
        "Sid": "AllowTheCircleCiRole",
        "Effect": "Allow",
        "Principal": {"AWS": first.as_str()},
        "Action": action,
    });
    if let Some(id) = external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const ORG: &str = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    pub(crate) const PROJECT: &str = "0a1b2c3d-1111-4222-8333-444455556666";

    pub(crate) fn allow() -> Allow {
        Allow {
            org_id: CircleCiId::parse(ORG, IdField::OrgId).unwrap(),
            project_ids: vec![CircleCiId::parse(PROJECT, IdField::ProjectId).unwrap()],
            refs: vec![],
            audience: None,
            provider: Provider::in_account(
                "aws",
                "123456789012",
                &format!("oidc.circleci.com/org/{ORG}"),
            )
            .unwrap(),
            context_ids: vec![],
            no_ssh_rerun: false,
        }
    }

    #[test]
    fn project_policy_is_tight_and_readable() {
        let g = generate(&allow()).unwrap();
        let text = super::super::render::pretty_json(&g.policy);
        assert!(text.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"AllowCircleCiJobs\",\n      \"Effect\": \"Allow\""), "{text}");
        let cond = &g.policy["Statement"][0]["Condition"];
        let hp = format!("oidc.circleci.com/org/{ORG}");
        assert_eq!(cond["StringEquals"][format!("{hp}:aud")], ORG);
        assert_eq!(
            cond["StringLike"][format!("{hp}:sub")],
            format!("org/{ORG}/project/{PROJECT}/user/*")
        );
        assert_eq!(g.policy["Statement"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn refs_add_patterns_per_project_and_the_injection_guard() {
        let mut a = allow();
        a.project_ids.push(
            CircleCiId::parse("0A1B2C3D-1111-4222-8333-444455557777", IdField::ProjectId).unwrap(),
        );
        a.refs = vec![
            GitRef::branch("main").unwrap(),
            GitRef::parse("refs/tags/v*", RefField::Ref).unwrap(),
        ];
        a.audience = Some("sts.amazonaws.com".into());
        let g = generate(&a).unwrap();
        let hp = format!("oidc.circleci.com/org/{ORG}");
        let subs = g.policy["Statement"][0]["Condition"]["StringLike"][format!("{hp}:sub")]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(subs.len(), 4);
        assert!(subs.contains(&Value::from(format!(
            "org/{ORG}/project/0a1b2c3d-1111-4222-8333-444455557777/user/*/vcs-origin/*/vcs-ref/refs/tags/v*"
        ))));
        assert_eq!(
            g.policy["Statement"][0]["Condition"]["StringEquals"][format!("{hp}:aud")],
            "sts.amazonaws.com"
        );
        assert_eq!(g.policy["Statement"][1]["Effect"], "Deny");
        assert!(g.notes[0].contains("CIRCLE_OIDC_TOKEN_V2"));
    }

    #[test]
    fn what_iam_cannot_check_is_refused_with_the_reason() {
        let mut a = allow();
        a.context_ids = vec!["c".into()];
        assert!(generate(&a)
            .unwrap_err()
            .to_string()
            .contains("security groups"));
        let mut a = allow();
        a.no_ssh_rerun = true;
        assert!(generate(&a).unwrap_err().to_string().contains("ssh-rerun"));
        let mut a = allow();
        a.project_ids.clear();
        assert!(matches!(generate(&a), Err(SetupError::NoProject)));
    }

    #[test]
    fn inputs_are_validated() {
        assert!(CircleCiId::parse("not-a-uuid", IdField::OrgId).is_err());
        assert!(
            CircleCiId::parse("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"", IdField::OrgId).is_err()
        );
        for bad in [
            "main",
            "refs/",
            "refs/heads/a b",
            "refs/heads/${x}",
            "refs/heads/x/vcs-ref/refs/heads/main",
        ] {
            assert!(GitRef::parse(bad, RefField::Ref).is_err(), "{bad}");
        }
        assert_eq!(
            GitRef::branch("release/*").unwrap().as_str(),
            "refs/heads/release/*"
        );
    }

    #[test]
    fn a_chained_roles_trust_names_the_first_role_and_tag_session_when_tagging() {
        let first = RoleArn::parse("arn:aws:iam::123456789012:role/deploy").unwrap();
        let plain = chained_role_trust(&first, None, false);
        assert_eq!(
            plain["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::123456789012:role/deploy"
        );
        assert_eq!(plain["Statement"][0]["Action"], "sts:AssumeRole");
        assert!(plain["Statement"][0].get("Condition").is_none());
        let tagged = chained_role_trust(&first, Some("ext-1"), true);
        assert_eq!(
            tagged["Statement"][0]["Action"],
            json!(["sts:AssumeRole", "sts:TagSession"])
        );
        assert_eq!(
            tagged["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            "ext-1"
        );
    }
}
