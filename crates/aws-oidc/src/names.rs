//! What a caller calls the inputs the library's errors talk about.
//!
//! An error says what is wrong in the library's terms ("the session
//! policy", "set AWS_REGION").  A caller that took the value from a flag or
//! a parameter of its own can have the message name it: each error's
//! `describe` asks a [`Names`] table for the caller's name of every input
//! it mentions, and words that part of the message with it (`Display` asks
//! a table that knows no names).  The message itself is written once, here
//! in the library.

/// An input an error message may name.  Where a message names the same
/// value in two ways (the option that gave it, or everywhere a job can set
/// it), there are two variants, the second ending in `Setting`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// The role to assume, as an option.
    RoleArn,
    /// The named profile written (and its name).
    Profile,
    /// The role to assume, everywhere a job can set it.
    RoleArnSetting,
    /// The role to assume, as the user filled it in (its parameter).
    RoleArnParameter,
    /// The region, everywhere a job can set it.
    RegionSetting,
    /// The role session name.
    SessionName,
    /// The inline session policy (or `file://PATH`).
    Policy,
    /// Managed session policy ARNs (and, for a trust policy, policies to attach).
    PolicyArn,
    /// The session (or CodeArtifact token) duration.
    Duration,
    /// The role chained after the first.
    ChainRoleArn,
    /// The chained role's external id.
    ExternalId,
    /// A session tag, `KEY=VALUE`.
    Tag,
    /// Session tags from the job's CircleCI values.
    CircleCiTags,
    /// The accounts a role may be in, as an option.
    AllowedAccountIds,
    /// The accounts a role may be in, everywhere a job can set them.
    AllowedAccountIdsSetting,
    /// An account id (the role's, or the OIDC provider's).
    AccountId,
    /// The STS endpoint URL.
    EndpointUrl,
    /// The time limit.
    Timeout,
    /// A file holding the OIDC token.
    TokenFile,
    /// The audience of a token to mint.
    Audience,
    /// The CircleCI organization id.
    OrgId,
    /// A CircleCI project id.
    ProjectId,
    /// A branch, made `refs/heads/<name>`.
    Branch,
    /// A full git ref.
    Ref,
    /// The OIDC provider's ARN.
    ProviderArn,
    /// A CircleCI context id.
    ContextId,
    /// Refusing SSH reruns.
    NoSshRerun,
    /// The first role, for a chained role's trust policy.
    ChainedFrom,
    /// An output or package format.
    Format,
    /// The name of the role to create.
    RoleName,
    /// The CodeArtifact domain.
    Domain,
    /// The CodeArtifact domain's owner.
    DomainOwner,
    /// The CodeArtifact repository.
    Repository,
    /// The package tool to configure.
    Tool,
    /// The npm scope.
    Namespace,
    /// pip's and uv's extra index.
    ExtraIndex,
    /// The file later steps read (`$BASH_ENV`).
    BashEnv,
    /// What gives the access key id of stored keys.
    AccessKeyId,
    /// What gives the secret access key of stored keys.
    SecretAccessKey,
}

/// A caller's names for the inputs an error message talks about: `None`
/// leaves the message in the library's terms.
pub trait Names {
    /// The caller's name for `input`, e.g. `--role-arn`.
    fn name(&self, input: Input) -> Option<&str>;
}

/// No names: the library's own terms, as `Display` words errors.
pub(crate) struct LibraryTerms;

impl Names for LibraryTerms {
    fn name(&self, _: Input) -> Option<&str> {
        None
    }
}

impl dyn Names + '_ {
    /// The caller's name for `input`, or `plain` (the library's).
    pub(crate) fn or(&self, input: Input, plain: &str) -> String {
        self.name(input).unwrap_or(plain).to_string()
    }

    /// `before`, the caller's name for `input` and `after`; nothing when
    /// the caller has no name for it (an optional phrase).
    pub(crate) fn around(&self, input: Input, before: &str, after: &str) -> String {
        self.name(input)
            .map_or_else(String::new, |n| format!("{before}{n}{after}"))
    }

    /// The caller's name for `input` in `with` (its `{}`), or `plain`.
    pub(crate) fn with_or(&self, input: Input, with: fn(&str) -> String, plain: &str) -> String {
        self.name(input).map_or_else(|| plain.to_string(), with)
    }
}

/// `Display` for an error with a `describe`: its message in the
/// library's own terms (no names).
macro_rules! display_by_describe {
    ($error:ty) => {
        impl std::fmt::Display for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.describe(&$crate::names::LibraryTerms))
            }
        }
    };
}
pub(crate) use display_by_describe;

/// Names each input `<Input>`, so that a test sees where a message puts
/// the caller's name.
#[cfg(test)]
pub(crate) struct Marked;

#[cfg(test)]
impl Names for Marked {
    fn name(&self, input: Input) -> Option<&str> {
        // A test's few strings; leaking them keeps `name` a plain lookup.
        Some(Box::leak(format!("<{input:?}>").into_boxed_str()))
    }
}
