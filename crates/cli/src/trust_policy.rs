//! `aws-oidc trust-policy`: the role's trust policy, tight by default, in the format you deploy with.

use anyhow::Result;
use aws_oidc::trust::{setup, SetupOptions};
use clap::Args;

use crate::output::{say, write_stdout};

pub(crate) const LONG_ABOUT: &str = "\
Generate an IAM role trust policy that lets CircleCI jobs assume the role with their OIDC token, \
and nothing else: StringEquals on the audience, StringLike on the subject only where a wildcard \
is needed, one pattern per project (and per ref with --branch/--ref).

--format json prints the policy document. terraform, cloudformation and aws-cli also create the \
role, attach --policy-arn policies, and, with --account-id, create the IAM OIDC provider (one per \
account and CircleCI org; with --provider-arn an existing one is used). Notes go to stderr.

What IAM can check: for a CircleCI token IAM offers the condition keys <provider>:aud, \
<provider>:sub and <provider>:oidc.circleci.com/project-id (plus sts:RoleSessionName). Branches \
and tags are checked through the vcs-ref part of the v2 sub. IAM cannot check the \
oidc.circleci.com/context-ids or oidc.circleci.com/ssh-rerun claims: a condition on them sees a \
missing key and either never or always matches, so --context-id and --no-ssh-rerun are refused \
with what to do instead.";

/// Options of `aws-oidc trust-policy`.
#[derive(Debug, Args)]
pub(crate) struct TrustPolicyArgs {
    /// CircleCI organization id (Organization Settings > Overview)
    #[arg(long, value_name = "UUID", required_unless_present = "chained_from")]
    org_id: Option<String>,

    /// Instead: the trust policy of a role assumed second (--chain-role-arn), trusting this first role (JSON)
    #[arg(long, value_name = "ROLE_ARN", conflicts_with_all = ["org_id", "project_ids", "account_id", "provider_arn"])]
    chained_from: Option<String>,

    /// With --chained-from: also allow sts:TagSession, which session tags (--tag, --circleci-tags) need
    #[arg(long, requires = "chained_from")]
    session_tags: bool,

    /// With --chained-from: require this external id (sts:ExternalId)
    #[arg(long, value_name = "ID", requires = "chained_from")]
    external_id: Option<String>,

    /// CircleCI project id (Project Settings > Overview); repeat for several projects
    #[arg(long = "project-id", value_name = "UUID")]
    project_ids: Vec<String>,

    /// Only jobs on this branch (v2 token); repeatable; * is a wildcard, e.g. 'release/*'
    #[arg(long = "branch", value_name = "NAME")]
    branches: Vec<String>,

    /// Only jobs on this git ref (v2 token), e.g. 'refs/tags/v*'; repeatable
    #[arg(long = "ref", value_name = "REF")]
    refs: Vec<String>,

    /// Refused: IAM cannot check a token's context ids (the error explains what to do instead)
    #[arg(long = "context-id", value_name = "UUID")]
    context_ids: Vec<String>,

    /// Refused: IAM cannot check a token's ssh-rerun claim (the error explains what to do instead)
    #[arg(long)]
    no_ssh_rerun: bool,

    /// The AWS account of the role; the OIDC provider is created there (terraform, cloudformation, aws-cli)
    #[arg(
        long,
        value_name = "ID",
        required_unless_present_any = ["provider_arn", "chained_from"],
        conflicts_with = "provider_arn"
    )]
    account_id: Option<String>,

    /// An existing IAM OIDC provider to trust, e.g. arn:aws:iam::123456789012:oidc-provider/oidc.circleci.com/org/<org-id>
    #[arg(long, value_name = "ARN")]
    provider_arn: Option<String>,

    /// The token audience the role accepts [default: the org id, CircleCI's default audience]
    #[arg(long, value_name = "AUD")]
    audience: Option<String>,

    /// Output: json (the policy), terraform, cloudformation or aws-cli (role and provider too)
    #[arg(long, value_name = "FORMAT", default_value = "json")]
    format: String,

    /// The role to create (terraform, cloudformation, aws-cli)
    #[arg(long, value_name = "NAME", default_value = "circleci-oidc")]
    role_name: String,

    /// Managed policy to attach to the role (terraform, cloudformation, aws-cli); repeatable
    #[arg(long = "policy-arn", value_name = "ARN")]
    policy_arns: Vec<String>,
}

/// Runs `aws-oidc trust-policy`.
pub(crate) fn run(a: TrustPolicyArgs) -> Result<()> {
    let out = setup(SetupOptions {
        org_id: a.org_id,
        chained_from: a.chained_from,
        session_tags: a.session_tags,
        external_id: a.external_id,
        project_ids: a.project_ids,
        branches: a.branches,
        refs: a.refs,
        context_ids: a.context_ids,
        no_ssh_rerun: a.no_ssh_rerun,
        account_id: a.account_id,
        provider_arn: a.provider_arn,
        audience: a.audience,
        format: a.format,
        role_name: a.role_name,
        policy_arns: a.policy_arns,
    })?;
    for note in &out.notes {
        say!("aws-oidc: note: {note}");
    }
    write_stdout(&out.text)
}
