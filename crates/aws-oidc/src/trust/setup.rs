//! From the options of `trust-policy` to the text to deploy: a role's trust
//! policy (JSON), or the role and its OIDC provider as Terraform,
//! CloudFormation or AWS CLI commands; or the trust policy of a role
//! assumed second, trusting the first.

use super::generate::{chained_role_trust, generate, Allow, CircleCiId, GitRef};
use super::render::{pretty_json, render, Format, RoleName, Setup};
use super::Provider;
use super::{IdField, RefField, SetupError};
use crate::request::{PolicyArn, RoleArn};

/// The options, as given.
#[derive(Debug, Clone, Default)]
pub struct SetupOptions {
    /// The CircleCI organization id.
    pub org_id: Option<String>,
    /// Instead: the first role a chained role trusts.
    pub chained_from: Option<String>,
    /// With `chained_from`: also allow `sts:TagSession`.
    pub session_tags: bool,
    /// With `chained_from`: the external id required.
    pub external_id: Option<String>,
    /// The projects.
    pub project_ids: Vec<String>,
    /// Branches (v2 tokens), `*` a wildcard.
    pub branches: Vec<String>,
    /// Git refs (v2 tokens).
    pub refs: Vec<String>,
    /// Context ids: refused with what to do instead.
    pub context_ids: Vec<String>,
    /// No SSH reruns: refused with what to do instead.
    pub no_ssh_rerun: bool,
    /// The role's account, where the provider is created.
    pub account_id: Option<String>,
    /// An existing provider to trust instead.
    pub provider_arn: Option<String>,
    /// The audience (default: the org id).
    pub audience: Option<String>,
    /// `json`, `terraform`, `cloudformation` or `aws-cli`.
    pub format: String,
    /// The role to create.
    pub role_name: String,
    /// Managed policies to attach to it.
    pub policy_arns: Vec<String>,
}

/// What to print.
#[derive(Debug, Clone)]
pub struct SetupText {
    /// The policy or the commands, for stdout, as they are to be written.
    pub text: String,
    /// What the user should know (stderr).
    pub notes: Vec<String>,
}

/// The text for `opts`, every value checked.
pub fn setup(opts: SetupOptions) -> Result<SetupText, SetupError> {
    let format = Format::parse(&opts.format)?;
    if let Some(first) = &opts.chained_from {
        if format != Format::Json {
            return Err(SetupError::ChainedNotJson);
        }
        let first = RoleArn::parse(first)?;
        let policy = chained_role_trust(&first, opts.external_id.as_deref(), opts.session_tags);
        return Ok(SetupText {
            text: format!("{}\n", pretty_json(&policy).trim_end()),
            notes: Vec::new(),
        });
    }
    let Some(org_id) = &opts.org_id else {
        return Err(SetupError::NoOrg);
    };
    let org_id = CircleCiId::parse(org_id, IdField::OrgId)?;
    let project_ids = opts
        .project_ids
        .iter()
        .map(|p| CircleCiId::parse(p, IdField::ProjectId))
        .collect::<Result<Vec<_>, _>>()?;
    let mut refs = opts
        .branches
        .iter()
        .map(|b| GitRef::branch(b))
        .collect::<Result<Vec<_>, _>>()?;
    for r in &opts.refs {
        refs.push(GitRef::parse(r, RefField::Ref)?);
    }
    let (provider, create_provider) = match (&opts.provider_arn, &opts.account_id) {
        (Some(arn), _) => (Provider::parse_arn(arn)?, false),
        (None, Some(account)) => (
            Provider::in_account(
                "aws",
                account,
                &format!("oidc.circleci.com/org/{}", org_id.as_str()),
            )
            .map_err(SetupError::Provider)?,
            true,
        ),
        (None, None) => return Err(SetupError::NoProvider),
    };
    let role_name = RoleName::parse(&opts.role_name)?;
    let policy_arns = opts
        .policy_arns
        .iter()
        .map(|p| PolicyArn::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    if format == Format::Json && !policy_arns.is_empty() {
        return Err(SetupError::PolicyArnWithJson);
    }
    let audience = opts
        .audience
        .clone()
        .unwrap_or_else(|| org_id.as_str().to_string());
    let generated = generate(&Allow {
        org_id,
        project_ids,
        refs,
        audience: opts.audience,
        provider: provider.clone(),
        context_ids: opts.context_ids,
        no_ssh_rerun: opts.no_ssh_rerun,
    })?;
    let text = render(
        format,
        &Setup {
            policy: &generated.policy,
            provider: &provider,
            create_provider,
            audience: &audience,
            role_name: &role_name,
            policy_arns: &policy_arns,
        },
    );
    Ok(SetupText {
        text,
        notes: generated.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "11111111-2222-3333-4444-555555555555";

    #[test]
    fn a_role_trusts_its_accounts_provider_and_json_takes_no_managed_policies() {
        let opts = SetupOptions {
            org_id: Some(ORG.into()),
            project_ids: vec!["aaaaaaaa-2222-3333-4444-555555555555".into()],
            account_id: Some("123456789012".into()),
            format: "json".into(),
            role_name: "circleci-oidc".into(),
            ..SetupOptions::default()
        };
        let out = setup(opts.clone()).unwrap();
        assert!(out.text.contains(&format!(
            "arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/{ORG}"
        )));
        let with_policy = SetupOptions {
            policy_arns: vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()],
            ..opts
        };
        assert!(matches!(
            setup(with_policy),
            Err(SetupError::PolicyArnWithJson)
        ));
    }

    #[test]
    fn a_chained_role_trusts_the_first_role_in_json_only() {
        let opts = SetupOptions {
            chained_from: Some("arn:aws:iam::123456789012:role/first".into()),
            format: "json".into(),
            ..SetupOptions::default()
        };
        let out = setup(opts.clone()).unwrap();
        assert!(out.text.ends_with("}\n") && out.text.contains("role/first"));
        let terraform = SetupOptions {
            format: "terraform".into(),
            ..opts
        };
        assert!(setup(terraform)
            .unwrap_err()
            .to_string()
            .contains("as JSON"));
    }
}
