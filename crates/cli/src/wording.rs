//! The flags in the library's error messages.
//!
//! The library says what is wrong with a value in its own terms, and words
//! each message once: where it names an input, it asks a [`Names`] table
//! for the caller's name.  This module is the binary's table: the flag
//! (and, where a job sets the value through the orb, the orb parameter)
//! each input comes from.  Any other error prints as the library wrote it.

use std::error::Error;

#[cfg(feature = "setup-tools")]
use aws_oidc::trust::SetupError;
#[cfg(feature = "codeartifact")]
use aws_oidc::{CodeArtifactInputError, ToolLoginError};
use aws_oidc::{Input, InputError, Names, SettingsError, TokenError};

/// The binary's name for each input: its flag, with the orb's parameter
/// where a message tells a job where to set it.  (The stored keys are
/// named by the command that reads them: see `static_keys`.)
pub(crate) struct Flags;

impl Names for Flags {
    fn name(&self, input: Input) -> Option<&str> {
        Some(match input {
            Input::RoleArn => "--role-arn",
            Input::Profile => "--profile NAME",
            Input::RoleArnSetting => "--role-arn (orb: role_arn)",
            Input::RoleArnParameter => "role_arn",
            Input::RegionSetting => "--region (orb: region)",
            Input::SessionName => "--session-name",
            Input::Policy => "--policy",
            Input::PolicyArn => "--policy-arn",
            Input::Duration => "--duration",
            Input::ChainRoleArn => "--chain-role-arn",
            Input::ExternalId => "--external-id",
            Input::Tag => "--tag",
            Input::CircleCiTags => "--circleci-tags",
            Input::AllowedAccountIds => "--allowed-account-ids",
            Input::AllowedAccountIdsSetting => "--allowed-account-ids (orb: allowed_account_ids)",
            Input::AccountId => "--account-id",
            Input::EndpointUrl => "--endpoint-url",
            Input::Timeout => "--timeout",
            Input::TokenFile => "--token-file",
            Input::Audience => "--audience",
            Input::OrgId => "--org-id",
            Input::ProjectId => "--project-id",
            Input::Branch => "--branch",
            Input::Ref => "--ref",
            Input::ProviderArn => "--provider-arn",
            Input::ContextId => "--context-id",
            Input::NoSshRerun => "--no-ssh-rerun",
            Input::ChainedFrom => "--chained-from",
            Input::Format => "--format",
            Input::RoleName => "--role-name",
            Input::Domain => "--domain",
            Input::DomainOwner => "--domain-owner",
            Input::Repository => "--repository",
            Input::Tool => "--tool",
            Input::Namespace => "--namespace",
            Input::ExtraIndex => "--extra-index",
            Input::BashEnv => "--bash-env",
            _ => return None,
        })
    }
}

/// One cause of an error, as the user reads it: with its flag, when the
/// library's error names a value that came from one.
pub(crate) fn describe(cause: &(dyn Error + 'static)) -> String {
    // One test after the other, each returning as it matches: a cold path,
    // kept small in the binary every CI job downloads.
    if let Some(e) = cause.downcast_ref::<InputError>() {
        return e.describe(&Flags);
    }
    if let Some(e) = cause.downcast_ref::<SettingsError>() {
        return e.describe(&Flags);
    }
    if let Some(e) = cause.downcast_ref::<TokenError>() {
        return e.describe(&Flags);
    }
    // Only `trust-policy` (a setup-time tool) makes these.
    #[cfg(feature = "setup-tools")]
    if let Some(e) = cause.downcast_ref::<SetupError>() {
        return e.describe(&Flags);
    }
    #[cfg(feature = "codeartifact")]
    if let Some(e) = cause.downcast_ref::<CodeArtifactInputError>() {
        return e.describe(&Flags);
    }
    #[cfg(feature = "codeartifact")]
    if let Some(e) = cause.downcast_ref::<ToolLoginError>() {
        return e.describe(&Flags);
    }
    cause.to_string()
}

/// The errors a message is made of, outermost first: a wrapper that only
/// repeats its source's message is left out, so that the source, which
/// this module may reword, says it.
pub(crate) fn causes<'a>(
    chain: impl Iterator<Item = &'a (dyn Error + 'static)>,
) -> Vec<&'a (dyn Error + 'static)> {
    let all: Vec<_> = chain.collect();
    all.iter()
        .enumerate()
        .filter(|(i, cause)| {
            all.get(i + 1)
                .is_none_or(|next| next.to_string() != cause.to_string())
        })
        .map(|(_, cause)| *cause)
        .collect()
}

/// The message of `e` alone (its causes left out, as protocols that take
/// one line want it), reworded.
#[cfg(any(feature = "ecr", test))]
pub(crate) fn describe_top(e: &(dyn Error + 'static)) -> String {
    let top = causes(std::iter::successors(Some(e), |&c| c.source()));
    top.first().map_or_else(|| e.to_string(), |c| describe(*c))
}

#[cfg(test)]
mod tests {
    use aws_oidc::{Exchange, MintError, RoleArn, RoleOptions};

    use super::*;

    /// What the binary prints (after `aws-oidc: error: `) for `e`.
    fn printed(e: impl Into<anyhow::Error>) -> String {
        crate::output::error_message(&e.into())
    }

    /// What `aws-oidc assume` prints for these options.
    fn refused(opts: RoleOptions) -> String {
        printed(Exchange::resolve(opts, &|_| None).unwrap_err())
    }

    #[test]
    fn settings_errors_name_their_flags_and_orb_parameters() {
        let no_role = RoleOptions {
            timeout_secs: 60,
            ..Default::default()
        };
        assert_eq!(
            refused(no_role.clone()),
            "role_arn is empty: pass --role-arn (orb: role_arn) or set AWS_ROLE_ARN to the role \
             to assume, e.g. arn:aws:iam::123456789012:role/deploy"
        );
        let allowed = RoleOptions {
            role_arn: Some("arn:aws:iam::123456789012:role/deploy".into()),
            allowed_account_ids: vec!["210987654321".into()],
            ..no_role
        };
        assert!(refused(allowed)
            .ends_with("add its account to --allowed-account-ids (orb: allowed_account_ids)"));
    }

    #[test]
    fn values_parsed_by_the_binary_name_their_flags_too() {
        assert_eq!(
            printed(RoleArn::parse(" ").unwrap_err()),
            "the role ARN is empty: pass --role-arn or set AWS_ROLE_ARN (expected \
             arn:aws:iam::<12-digit account id>:role/<role name>, \
             e.g. arn:aws:iam::123456789012:role/deploy)"
        );
    }

    #[test]
    fn token_errors_name_their_flags() {
        let timed_out = TokenError::Mint {
            attempts: 2,
            error: MintError::TimedOut,
        };
        assert_eq!(
            printed(timed_out),
            "`circleci run oidc get` failed after 2 attempts: it did not finish within the time \
             limit (--timeout) and was stopped"
        );
    }

    #[cfg(feature = "setup-tools")]
    #[test]
    fn trust_policy_errors_name_their_flags() {
        use aws_oidc::trust::{setup, SetupOptions};
        let with_provider = SetupOptions {
            org_id: Some("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()),
            format: "json".into(),
            role_name: "circleci-oidc".into(),
            provider_arn: Some("arn:aws:iam::12:oidc-provider/x".into()),
            ..Default::default()
        };
        assert_eq!(
            printed(setup(with_provider).unwrap_err()),
            "invalid --provider-arn \"arn:aws:iam::12:oidc-provider/x\": invalid --account-id \
             \"12\": an AWS account id is 12 digits; expected \
             arn:aws:iam::<12-digit account>:oidc-provider/oidc.circleci.com/org/<org-id>"
        );
    }

    #[cfg(feature = "codeartifact")]
    #[test]
    fn codeartifact_login_errors_name_their_flags() {
        assert_eq!(
            printed(ToolLoginError::NoBashEnv("gradle".into())),
            "--tool gradle exports variables, and $BASH_ENV (set in every CircleCI job) is not \
             set: pass --bash-env PATH"
        );
        let input =
            ToolLoginError::Input(CodeArtifactInputError::DomainOwner { owner: "1".into() });
        assert_eq!(
            printed(input),
            "--domain-owner \"1\" is not an AWS account ID (12 digits)"
        );
    }

    #[test]
    fn a_wrapper_that_repeats_its_source_gives_way_to_it() {
        #[derive(Debug)]
        struct Forward(SettingsError);
        impl std::fmt::Display for Forward {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl Error for Forward {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Forward(SettingsError::RegionRequired("EKS clusters are"));
        let message = "EKS clusters are regional, and no region is set: pass --region \
                       (orb: region) or set AWS_REGION or AWS_DEFAULT_REGION";
        assert_eq!(describe_top(&e), message);
        let chained = anyhow::Error::from(e).context("cannot log in");
        assert_eq!(printed(chained), format!("cannot log in: {message}"));
    }

    #[test]
    fn a_service_commands_role_options_name_their_flags_through_choose_error() {
        let e = aws_oidc::ChooseError::Role(SettingsError::RegionRequired("EKS clusters are"));
        assert_eq!(
            printed(anyhow::Error::from(e)),
            "EKS clusters are regional, and no region is set: pass --region (orb: region) or set \
             AWS_REGION or AWS_DEFAULT_REGION"
        );
    }
}
