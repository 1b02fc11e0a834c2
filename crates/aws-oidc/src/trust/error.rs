//! Why the options of a trust policy were refused: each variant carries
//! the value and what is wrong with it, in IAM's and CircleCI's terms;
//! `describe` adds which flag the value came from.

use std::fmt;

use crate::names::{Input, Names};
use crate::request::InputError;

/// Why IAM cannot restrict a role to CircleCI contexts.
const CONTEXT_IDS_NOT_EXPRESSIBLE: &str = "\
IAM cannot restrict a role to CircleCI contexts: the token's oidc.circleci.com/context-ids claim \
is not one of the condition keys IAM offers for CircleCI tokens (those are aud, sub and \
oidc.circleci.com/project-id). A condition on it sees a missing key, so ForAnyValue: would never \
match (the role could never be assumed) and ForAllValues: or a negated operator would always \
match (no restriction at all). Restrict who may use the context on CircleCI's side instead \
(Organization Settings > Contexts: security groups, project and expression restrictions), and \
restrict the role here by project and branch.";

/// Why IAM cannot refuse SSH reruns (the branches named after it).
const SSH_RERUN_NOT_EXPRESSIBLE: &str = "\
IAM cannot refuse tokens from SSH reruns: the token's oidc.circleci.com/ssh-rerun claim is not \
one of the condition keys IAM offers for CircleCI tokens (those are aud, sub and \
oidc.circleci.com/project-id), so Bool on it would refuse every job, and BoolIfExists or a \
negated operator would refuse none. A client-side check is no defence either: whoever has SSH \
access holds the token. Keep SSH reruns for roles that may be used interactively, restrict \
deploy roles to protected branches";

/// Which CircleCI id was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdField {
    /// The organization's id.
    OrgId,
    /// A project's id.
    ProjectId,
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdField::OrgId => "organization id",
            IdField::ProjectId => "project id",
        })
    }
}

/// How a git ref was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefField {
    /// A branch name, made `refs/heads/<name>`.
    Branch,
    /// A full ref.
    Ref,
}

impl fmt::Display for RefField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefField::Branch => "branch",
            RefField::Ref => "git ref",
        })
    }
}

/// What is wrong with a git ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRefProblem {
    /// It does not start with `refs/`.
    NoRefsPrefix,
    /// It names no branch or tag.
    NoName,
    /// It holds a character git or IAM would misread.
    Char {
        /// The character.
        c: char,
    },
    /// It holds `/vcs-ref/`, which generated policies refuse.
    VcsRef,
}

impl fmt::Display for GitRefProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitRefProblem::NoRefsPrefix => {
                f.write_str("a ref starts with refs/, e.g. refs/heads/main or refs/tags/v*")
            }
            GitRefProblem::NoName => f.write_str("it names no branch or tag"),
            GitRefProblem::Char { c } => write!(
                f,
                "{c:?} cannot appear in a git ref (or, for $, would start an IAM policy variable)"
            ),
            GitRefProblem::VcsRef => {
                f.write_str("a ref containing /vcs-ref/ is refused by generated policies")
            }
        }
    }
}

/// What is wrong with an OIDC provider's ARN, or with the account and
/// issuer it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderProblem {
    /// It is not an IAM ARN.
    NotIamArn,
    /// The partition is none AWS has.
    UnknownPartition {
        /// The partition given.
        partition: String,
    },
    /// The resource is not an OIDC provider.
    NotAProvider,
    /// The account is not 12 digits.
    Account {
        /// The account given.
        account: String,
    },
    /// The issuer's host and path are not one.
    HostPath {
        /// The host and path given.
        host_path: String,
    },
}

impl ProviderProblem {
    /// The message, naming the account id the way `names` calls it.
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            ProviderProblem::NotIamArn => "not an IAM ARN".into(),
            ProviderProblem::UnknownPartition { partition } => {
                format!("unknown partition {partition:?}")
            }
            ProviderProblem::NotAProvider => {
                "the resource must be oidc-provider/<issuer host and path>".into()
            }
            ProviderProblem::Account { account } => format!(
                "invalid {} {account:?}: an AWS account id is 12 digits",
                names.or(Input::AccountId, "account id")
            ),
            ProviderProblem::HostPath { host_path } => format!(
                "{host_path:?} is not an issuer host and path such as oidc.circleci.com/org/<org-id>"
            ),
        }
    }
}

crate::names::display_by_describe!(ProviderProblem);

crate::error_debug::debug_by_display!(SetupError);
/// Why the options of a trust policy ([`super::SetupOptions`]) were refused.
#[derive(thiserror::Error)]
pub enum SetupError {
    /// A role or policy ARN is not valid.
    Request(#[from] InputError),
    /// A CircleCI id is not a UUID.
    CircleCiId {
        /// The id given, trimmed.
        raw: String,
        /// Which id it is.
        field: IdField,
    },
    /// A git ref is not valid.
    GitRef {
        /// The ref, trimmed (`refs/heads/<name>` for a branch).
        raw: String,
        /// How it was given.
        field: RefField,
        /// What is wrong with it.
        problem: GitRefProblem,
    },
    /// The account or issuer of the provider to create is not valid.
    Provider(ProviderProblem),
    /// The provider ARN given is not valid.
    ProviderArn {
        /// The ARN given.
        raw: String,
        /// What is wrong with it.
        problem: ProviderProblem,
    },
    /// Contexts were asked for, which IAM cannot check.
    ContextIds,
    /// Refusing SSH reruns was asked for, which IAM cannot check.
    SshRerun,
    /// No project: the role would trust every project of the org.
    NoProject,
    /// The audience is empty or holds a policy variable.
    Audience {
        /// The audience given.
        audience: String,
    },
    /// The output format is none of ours.
    Format {
        /// The format given.
        raw: String,
    },
    /// The role name breaks IAM's rules.
    RoleName {
        /// The name given, trimmed.
        raw: String,
    },
    /// A chained role's policy was asked for in a format other than JSON.
    ChainedNotJson,
    /// Neither an org nor a first role.
    NoOrg,
    /// Neither an account nor a provider.
    NoProvider,
    /// Policies to attach, with a format that prints the trust policy alone.
    PolicyArnWithJson,
}

impl IdField {
    fn input(self) -> Input {
        match self {
            IdField::OrgId => Input::OrgId,
            IdField::ProjectId => Input::ProjectId,
        }
    }
}

impl RefField {
    fn input(self) -> Input {
        match self {
            RefField::Branch => Input::Branch,
            RefField::Ref => Input::Ref,
        }
    }
}

impl SetupError {
    /// The message, naming each option the way `names` calls it (or in
    /// IAM's and CircleCI's terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            SetupError::Request(e) => e.describe(names),
            SetupError::CircleCiId { raw, field } => format!(
                "invalid {} {raw:?}: CircleCI ids are UUIDs such as \
                 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d (Organization Settings > Overview, \
                 Project Settings > Overview, or `aws-oidc claims` in a job)",
                names.or(field.input(), &field.to_string())
            ),
            SetupError::GitRef {
                raw,
                field,
                problem,
            } => format!(
                "invalid {} {raw:?}: {problem}",
                names.or(field.input(), &field.to_string())
            ),
            SetupError::Provider(problem) => problem.describe(names),
            SetupError::ProviderArn { raw, problem } => format!(
                "invalid {} {raw:?}: {}; expected \
                 arn:aws:iam::<12-digit account>:oidc-provider/oidc.circleci.com/org/<org-id>",
                names.or(Input::ProviderArn, "OIDC provider ARN"),
                problem.describe(names)
            ),
            SetupError::ContextIds => format!(
                "{CONTEXT_IDS_NOT_EXPRESSIBLE}{}",
                names.around(Input::ContextId, " Remove ", ".")
            ),
            SetupError::SshRerun => format!(
                "{SSH_RERUN_NOT_EXPRESSIBLE}{}, and limit who can rerun with SSH in CircleCI.{}",
                names.around(Input::Branch, " (", ")"),
                names.around(Input::NoSshRerun, " Remove ", ".")
            ),
            SetupError::NoProject => format!(
                "no {}: a role for every project of the org is rarely what you want. {} in \
                 Project Settings > Overview, or run `aws-oidc claims` in a job of the project",
                names.or(Input::ProjectId, "project id"),
                names.with_or(
                    Input::ProjectId,
                    |n| format!("Pass {n} (repeat it for several projects); find it"),
                    "Name each project; find its id"
                )
            ),
            SetupError::Audience { audience } => format!(
                "invalid {} {audience:?}",
                names.or(Input::Audience, "audience")
            ),
            SetupError::Format { raw } => format!(
                "unknown {} {raw:?}: use json, terraform, cloudformation or aws-cli",
                names.or(Input::Format, "output format")
            ),
            SetupError::RoleName { raw } => format!(
                "invalid {} {raw:?}: role names are 1-64 characters of letters, digits \
                 and _+=,.@-",
                names.or(Input::RoleName, "role name")
            ),
            SetupError::ChainedNotJson => format!(
                "{} prints the chained role's trust policy as JSON{}",
                names.or(Input::ChainedFrom, "chaining from a first role"),
                names.with_or(
                    Input::Format,
                    |f| format!(": drop {f} or use {f} json"),
                    " only"
                )
            ),
            SetupError::NoOrg => format!(
                "{} (Organization Settings > Overview), or {}",
                names.with_or(
                    Input::OrgId,
                    |n| format!("pass {n}"),
                    "give the organization id"
                ),
                names.with_or(
                    Input::ChainedFrom,
                    |n| format!("{n} ROLE_ARN"),
                    "a first role to chain from"
                )
            ),
            SetupError::NoProvider => format!(
                "{} (the role's account) or {}",
                names.with_or(
                    Input::AccountId,
                    |n| format!("pass {n}"),
                    "give the account id"
                ),
                names.or(Input::ProviderArn, "the OIDC provider ARN")
            ),
            SetupError::PolicyArnWithJson => format!(
                "{} goes with {}terraform, cloudformation or aws-cli{} (json prints the trust \
                 policy alone)",
                names.or(Input::PolicyArn, "a managed policy to attach"),
                names.with_or(Input::Format, |f| format!("{f} "), "the "),
                if names.name(Input::Format).is_some() {
                    ""
                } else {
                    " output"
                }
            ),
        }
    }
}

crate::names::display_by_describe!(SetupError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Marked;

    #[test]
    fn messages_name_no_flag_of_their_own() {
        assert_eq!(
            SetupError::NoProvider.to_string(),
            "give the account id (the role's account) or the OIDC provider ARN"
        );
        assert_eq!(
            SetupError::ChainedNotJson.to_string(),
            "chaining from a first role prints the chained role's trust policy as JSON only"
        );
        assert!(SetupError::SshRerun
            .to_string()
            .ends_with("restrict deploy roles to protected branches, and limit who can rerun with SSH in CircleCI."));
        assert_eq!(
            SetupError::PolicyArnWithJson.to_string(),
            "a managed policy to attach goes with the terraform, cloudformation or aws-cli \
             output (json prints the trust policy alone)"
        );
    }

    #[test]
    fn a_caller_s_names_go_where_the_option_is_mentioned() {
        let named = |e: SetupError| e.describe(&Marked);
        assert_eq!(
            named(SetupError::ChainedNotJson),
            "<ChainedFrom> prints the chained role's trust policy as JSON: drop <Format> or use \
             <Format> json"
        );
        assert_eq!(
            named(SetupError::NoOrg),
            "pass <OrgId> (Organization Settings > Overview), or <ChainedFrom> ROLE_ARN"
        );
        assert!(named(SetupError::SshRerun).ends_with(
            "protected branches (<Branch>), and limit who can rerun with SSH in CircleCI. \
             Remove <NoSshRerun>."
        ));
        let provider = SetupError::ProviderArn {
            raw: "x".into(),
            problem: ProviderProblem::Account {
                account: "12".into(),
            },
        };
        assert!(named(provider)
            .starts_with("invalid <ProviderArn> \"x\": invalid <AccountId> \"12\": an AWS"));
    }
}
