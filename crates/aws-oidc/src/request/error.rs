//! Why a value for STS was refused, in STS's and IAM's own terms.
//!
//! Each variant carries the value and what is wrong with it.  Its
//! `Display` names no command-line flag or orb parameter; the binary knows
//! which flag a value came from and has `describe` name it ([`Names`]).

use std::fmt;

use crate::names::{Input, Names};

/// The shape of a role ARN, shown with every role ARN refused.
pub(crate) const ROLE_ARN_EXAMPLE: &str =
    "expected arn:aws:iam::<12-digit account id>:role/<role name>, \
                                           e.g. arn:aws:iam::123456789012:role/deploy";

/// The shape of a managed policy ARN, shown with every policy ARN refused.
pub(crate) const POLICY_ARN_EXAMPLE: &str =
    "expected arn:aws:iam::<account id or \"aws\">:policy/<name>, \
                                             e.g. arn:aws:iam::aws:policy/ReadOnlyAccess";

/// Which setting an account id was given for, so a caller can say where it
/// came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountField {
    /// The accounts a role may be in; a role in any other is refused.
    AllowedAccountIds,
    /// The account a role or an OIDC provider is in.
    AccountId,
}

impl AccountField {
    /// The input a message names it as.
    pub(crate) fn input(self) -> Input {
        match self {
            AccountField::AllowedAccountIds => Input::AllowedAccountIds,
            AccountField::AccountId => Input::AccountId,
        }
    }
}

impl fmt::Display for AccountField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountField::AllowedAccountIds => "allowed account id",
            AccountField::AccountId => "account id",
        })
    }
}

/// What is wrong with a role ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleArnProblem {
    /// It does not have an ARN's six fields.
    NotAnArn,
    /// The partition is none AWS has.
    UnknownPartition {
        /// The partition given.
        partition: String,
    },
    /// It is an STS assumed-role session, not the role.
    AssumedRoleSession,
    /// The service is not IAM.
    NotIam {
        /// The service given.
        service: String,
    },
    /// It has a region; IAM ARNs have none.
    HasRegion,
    /// The account is not 12 digits.
    Account {
        /// The account given.
        account: String,
    },
    /// The resource is not a role.
    NotARole,
    /// The role's name breaks IAM's rules.
    RoleName,
    /// The role's path breaks IAM's rules.
    RolePath,
    /// Too short or too long for STS.
    Length,
}

impl fmt::Display for RoleArnProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleArnProblem::NotAnArn => f.write_str("not an ARN"),
            RoleArnProblem::UnknownPartition { partition } => {
                write!(f, "unknown partition {partition:?}")
            }
            RoleArnProblem::AssumedRoleSession => f.write_str(
                "this is an assumed-role session ARN (arn:...:sts::...:assumed-role/...); \
                 use the role's own ARN from IAM",
            ),
            RoleArnProblem::NotIam { service } => write!(f, "service is {service:?}, not \"iam\""),
            RoleArnProblem::HasRegion => {
                f.write_str("IAM ARNs have no region (the fourth field must be empty)")
            }
            RoleArnProblem::Account { account } => {
                write!(f, "account id {account:?} is not 12 digits")
            }
            RoleArnProblem::NotARole => f.write_str("the resource must start with \"role/\""),
            RoleArnProblem::RoleName => {
                f.write_str("role names are 1-64 characters of letters, digits and _+=,.@-")
            }
            RoleArnProblem::RolePath => {
                f.write_str("the role path has characters IAM does not allow")
            }
            RoleArnProblem::Length => f.write_str("STS accepts role ARNs of 20 to 2048 characters"),
        }
    }
}

/// What is wrong with a managed policy ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyArnProblem {
    /// It is not an IAM ARN.
    NotIamArn,
    /// The partition is none AWS has.
    UnknownPartition {
        /// The partition given.
        partition: String,
    },
    /// The account is neither 12 digits nor `aws`.
    Account,
    /// The resource is not a policy.
    NotAPolicy,
    /// Too short or too long for STS.
    Length,
}

impl fmt::Display for PolicyArnProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyArnProblem::NotIamArn => f.write_str("not an IAM ARN"),
            PolicyArnProblem::UnknownPartition { partition } => {
                write!(f, "unknown partition {partition:?}")
            }
            PolicyArnProblem::Account => f.write_str("the account must be 12 digits or \"aws\""),
            PolicyArnProblem::NotAPolicy => f.write_str("the resource must be policy/<name>"),
            PolicyArnProblem::Length => {
                f.write_str("STS accepts policy ARNs of 20 to 2048 characters")
            }
        }
    }
}

crate::error_debug::debug_by_display!(InputError);
/// Why a value for STS was refused.  The message names the value, the
/// limit it breaks and the fix, in STS's terms.
#[derive(thiserror::Error)]
pub enum InputError {
    /// No role ARN at all.
    EmptyRoleArn,
    /// A role ARN that is not a valid one.
    RoleArn {
        /// The ARN given, trimmed.
        raw: String,
        /// What is wrong with it.
        problem: RoleArnProblem,
    },
    /// A managed policy ARN that is not a valid one.
    PolicyArn {
        /// The ARN given, trimmed.
        raw: String,
        /// What is wrong with it.
        problem: PolicyArnProblem,
    },
    /// More managed session policies than STS takes.
    TooManyPolicyArns {
        /// How many were given.
        count: usize,
    },
    /// A session name with too little left once cleaned.
    SessionName {
        /// The name given.
        raw: String,
    },
    /// A session duration that is not a number of seconds, minutes or hours.
    DurationSyntax {
        /// The duration given.
        raw: String,
    },
    /// A session duration outside STS's limits.
    DurationRange {
        /// The seconds asked for.
        secs: u32,
    },
    /// The session policy is not JSON.
    PolicyJson {
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The session policy is JSON, but not an object.
    PolicyNotObject,
    /// The session policy has no statement.
    PolicyNoStatement,
    /// The session policy is longer than STS takes.
    PolicyTooLong {
        /// Its length in characters, compacted.
        chars: usize,
    },
    /// A chained session asked for more than STS's hour.
    ChainedDuration {
        /// The seconds asked for.
        secs: u32,
    },
    /// An external id STS would refuse.
    ExternalId,
    /// A session tag not written as `KEY=VALUE`.
    TagSyntax {
        /// The text given.
        raw: String,
    },
    /// A session tag key STS would refuse.
    TagKey {
        /// The key given.
        key: String,
    },
    /// A session tag value STS would refuse.
    TagValue {
        /// The tag's key.
        key: String,
    },
    /// More session tags than STS takes.
    TooManyTags {
        /// How many were given.
        count: usize,
    },
    /// Two session tags with the same key.
    DuplicateTag {
        /// The key given twice (its second spelling).
        key: String,
    },
    /// A region name of the wrong shape.
    Region {
        /// The region given.
        raw: String,
    },
    /// An account id that is not 12 digits.
    AccountId {
        /// The id given, trimmed.
        raw: String,
        /// What it was given for.
        field: AccountField,
    },
}

impl InputError {
    /// The message, naming each input the way `names` calls it (or in
    /// STS's terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            InputError::EmptyRoleArn => format!(
                "the role ARN is empty: {}set AWS_ROLE_ARN ({ROLE_ARN_EXAMPLE})",
                names.around(Input::RoleArn, "pass ", " or ")
            ),
            InputError::RoleArn { raw, problem } => {
                format!("invalid role ARN {raw:?}: {problem}; {ROLE_ARN_EXAMPLE}")
            }
            InputError::PolicyArn { raw, problem } => format!(
                "invalid policy ARN {raw:?}{}: {problem}; {POLICY_ARN_EXAMPLE}",
                names.around(Input::PolicyArn, " for ", "")
            ),
            InputError::TooManyPolicyArns { count } => {
                format!(
                    "{count} policy ARNs given; STS accepts at most 10 managed session policies"
                )
            }
            InputError::SessionName { raw } => format!(
                "the role session name {raw:?} has fewer than 2 usable characters; \
                 {} 2-64 characters of letters, digits and _+=,.@-",
                names.with_or(Input::SessionName, |n| format!("pass {n} with"), "give")
            ),
            InputError::DurationSyntax { raw } => {
                format!("invalid session duration {raw:?}: give seconds (e.g. 3600) or 60m / 1h")
            }
            InputError::DurationRange { secs } => format!(
                "session duration {secs}s is outside STS's limits: use {min} to {max} seconds \
                 (and at most the role's maximum session duration, 1 hour unless changed in IAM)",
                min = super::SessionDuration::MIN,
                max = super::SessionDuration::MAX
            ),
            InputError::PolicyJson { source } => format!(
                "the session policy{} is not valid JSON: {source}; pass a policy document such as \
                 '{{\"Version\":\"2012-10-17\",\"Statement\":[...]}}' or file://policy.json",
                names.around(Input::Policy, " (", ")")
            ),
            InputError::PolicyNotObject => format!(
                "the session policy{} must be a JSON object with a \"Statement\"",
                names.around(Input::Policy, " (", ")")
            ),
            InputError::PolicyNoStatement => format!(
                "the session policy{} has no \"Statement\": a policy document needs one",
                names.around(Input::Policy, " (", ")")
            ),
            InputError::PolicyTooLong { chars } => format!(
                "the session policy is {chars} characters, over STS's limit of {max}: shorten it \
                 or move statements into a managed policy passed {}",
                names.with_or(Input::PolicyArn, |n| format!("with {n}"), "as a policy ARN"),
                max = super::SessionPolicy::MAX_LEN
            ),
            InputError::ChainedDuration { secs } => format!(
                "role chaining{} limits sessions to 1 hour, but {} is {secs}s: {} or less",
                names.around(Input::ChainRoleArn, " (", ")"),
                names.or(Input::Duration, "the session duration"),
                names.with_or(
                    Input::Duration,
                    |n| format!("use {n} 3600"),
                    "ask for 3600 seconds"
                )
            ),
            InputError::ExternalId => format!(
                "{} must be 2-1224 characters of letters, digits and _+=,.@:/-",
                names.or(Input::ExternalId, "the external id")
            ),
            InputError::TagSyntax { raw } => format!(
                "invalid {} {raw:?}: write it as KEY=VALUE, e.g. {}team=payments",
                names.or(Input::Tag, "session tag"),
                names.around(Input::Tag, "", " ")
            ),
            InputError::TagKey { key } => format!(
                "invalid session tag key {key:?}: 1-128 letters, digits, spaces or _.:/=+-@, \
                 not starting with aws:"
            ),
            InputError::TagValue { key } => format!(
                "invalid value for session tag {key:?}: at most 256 letters, digits, spaces or \
                 _.:/=+-@"
            ),
            InputError::TooManyTags { count } => format!(
                "{count} session tags: STS takes at most {max}",
                max = super::MAX_SESSION_TAGS
            ),
            InputError::DuplicateTag { key } => {
                format!("session tag {key:?} is given twice (keys are compared without case)")
            }
            InputError::Region { raw } => format!(
                "invalid region {raw:?}: expected a region name such as us-east-1 or eu-west-2"
            ),
            InputError::AccountId { raw, field } => format!(
                "invalid {} {raw:?}: an AWS account id is 12 digits, e.g. 123456789012",
                names.or(field.input(), &field.to_string())
            ),
        }
    }
}

crate::names::display_by_describe!(InputError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Marked;

    #[test]
    fn messages_name_no_flag_of_their_own() {
        assert_eq!(
            InputError::EmptyRoleArn.to_string(),
            "the role ARN is empty: set AWS_ROLE_ARN (expected arn:aws:iam::<12-digit account \
             id>:role/<role name>, e.g. arn:aws:iam::123456789012:role/deploy)"
        );
        assert_eq!(
            InputError::ChainedDuration { secs: 7200 }.to_string(),
            "role chaining limits sessions to 1 hour, but the session duration is 7200s: ask \
             for 3600 seconds or less"
        );
        assert_eq!(
            InputError::PolicyTooLong { chars: 3000 }.to_string(),
            "the session policy is 3000 characters, over STS's limit of 2048: shorten it or move \
             statements into a managed policy passed as a policy ARN"
        );
        let account = InputError::AccountId {
            raw: "1".into(),
            field: AccountField::AllowedAccountIds,
        };
        assert_eq!(
            account.to_string(),
            "invalid allowed account id \"1\": an AWS account id is 12 digits, e.g. 123456789012"
        );
    }

    #[test]
    fn a_caller_s_names_go_where_the_input_is_mentioned() {
        let named = |e: InputError| e.describe(&Marked);
        assert!(named(InputError::EmptyRoleArn)
            .starts_with("the role ARN is empty: pass <RoleArn> or set AWS_ROLE_ARN ("));
        assert_eq!(
            named(InputError::ChainedDuration { secs: 7200 }),
            "role chaining (<ChainRoleArn>) limits sessions to 1 hour, but <Duration> is 7200s: \
             use <Duration> 3600 or less"
        );
        assert!(named(InputError::SessionName { raw: "#".into() })
            .ends_with("; pass <SessionName> with 2-64 characters of letters, digits and _+=,.@-"));
        assert_eq!(
            named(InputError::TagSyntax { raw: "x".into() }),
            "invalid <Tag> \"x\": write it as KEY=VALUE, e.g. <Tag> team=payments"
        );
        assert!(named(InputError::PolicyNotObject).starts_with("the session policy (<Policy>) "));
    }
}
