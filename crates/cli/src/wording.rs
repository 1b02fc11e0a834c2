//! The flags in the library's error messages.
//!
//! The library says what is wrong with a value in its own terms, and words
//! each message once: where it names an input, it asks a [`Names`] table
//! for the caller's name.  This module is the binary's table: the flag
//! (and, where a job sets the value through the orb, the orb parameter)
//! each input comes from.  Any other error prints as the library wrote it.

use std::error::Error;

use aws_oidc::trust::SetupError;
use aws_oidc::{ChooseError, Input, InputError, Names, SettingsError, TokenError};
#[cfg(feature = "codeartifact")]
use aws_oidc::{CodeArtifactInputError, ToolLoginError};

/// The binary's name for each input: its flag, with the orb's parameter
/// where a message tells a job where to set it.  (The stored keys are
/// named by the command that reads them: see `static_keys`.)
pub(crate) struct Flags;

impl Names for Flags {
    fn name(&self, input: Input) -> Option<&str> {
        Some(match input {
            Input::RoleArn => "--role-arn",
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
    if let Some(e) = cause.downcast_ref::<InputError>() {
        return e.describe(&Flags);
    }
    if let Some(e) = cause.downcast_ref::<SettingsError>() {
        return e.describe(&Flags);
    }
    if let Some(e) = cause.downcast_ref::<TokenError>() {
        return e.describe(&Flags);
    }
    // Its `Role` forwards the settings' message, and not the error itself.
    if let Some(ChooseError::Role(e)) = cause.downcast_ref::<ChooseError>() {
        return e.describe(&Flags);
    }
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
    use aws_oidc::{AccountField, AccountId, Exchange, MintError, RoleArn, RoleOptions};

    use super::*;

    const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";

    /// What `aws-oidc assume` prints (after `aws-oidc: error: `) for these options.
    fn printed(opts: RoleOptions, env: &[(&str, &str)]) -> String {
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let e = Exchange::resolve(opts, &lookup).unwrap_err();
        crate::output::error_message(&anyhow::Error::from(e))
    }

    fn role(extra: RoleOptions) -> RoleOptions {
        RoleOptions {
            role_arn: Some(ROLE.into()),
            timeout_secs: 60,
            ..extra
        }
    }

    #[test]
    fn settings_errors_name_their_flags_as_before() {
        assert_eq!(
            printed(
                RoleOptions {
                    timeout_secs: 60,
                    ..Default::default()
                },
                &[]
            ),
            "role_arn is empty: pass --role-arn (orb: role_arn) or set AWS_ROLE_ARN to the role \
             to assume, e.g. arn:aws:iam::123456789012:role/deploy"
        );
        assert_eq!(
            printed(
                role(RoleOptions::default()),
                &[("AWS_USE_FIPS_ENDPOINT", "true")]
            ),
            "AWS_USE_FIPS_ENDPOINT=true needs an AWS region, and none is set: pass --region \
             (orb: region) or set AWS_REGION or AWS_DEFAULT_REGION, e.g. us-east-1 (without one, \
             aws-oidc calls STS's global endpoint, which exists only in the aws partition, \
             without FIPS or dual-stack)"
        );
        assert_eq!(
            printed(
                RoleOptions {
                    timeout_secs: 0,
                    ..role(RoleOptions::default())
                },
                &[]
            ),
            "--timeout must be 1 to 3600 seconds"
        );
        assert_eq!(
            printed(
                role(RoleOptions {
                    allowed_account_ids: vec!["210987654321".into()],
                    ..Default::default()
                }),
                &[]
            ),
            "role arn:aws:iam::123456789012:role/deploy is not in an allowed account \
             (210987654321): fix the role ARN, or add its account to --allowed-account-ids \
             (orb: allowed_account_ids)"
        );
        assert_eq!(
            printed(
                role(RoleOptions {
                    tags: vec!["team=payments".into()],
                    ..Default::default()
                }),
                &[]
            ),
            "session tags (--tag, --circleci-tags) go on a chained role (--chain-role-arn): \
             AssumeRoleWithWebIdentity takes no tags from the caller, only from the token's \
             https://aws.amazon.com/tags claim, which CircleCI's tokens do not carry"
        );
        assert_eq!(
            printed(
                role(RoleOptions {
                    endpoint_url: Some("ftp://x".into()),
                    ..Default::default()
                }),
                &[]
            ),
            "invalid endpoint URL \"ftp://x\" (--endpoint-url, AWS_ENDPOINT_URL_STS or \
             AWS_ENDPOINT_URL): its scheme is neither https:// nor http://; give an https:// URL \
             such as https://sts.us-east-1.amazonaws.com (http:// only for a local test server)"
        );
        let missing = printed(
            role(RoleOptions {
                policy: Some("file:///nonexistent/policy.json".into()),
                ..Default::default()
            }),
            &[],
        );
        assert!(
            missing.starts_with(
                "cannot read the session policy file /nonexistent/policy.json \
                 (--policy file://...): "
            ),
            "{missing}"
        );
    }

    #[test]
    fn input_errors_name_their_flags_as_before() {
        let input = |extra: RoleOptions| printed(role(extra), &[]);
        assert_eq!(
            input(RoleOptions {
                policy_arns: vec!["arn:aws:iam::aws:role/x".into()],
                ..Default::default()
            }),
            "invalid policy ARN \"arn:aws:iam::aws:role/x\" for --policy-arn: the resource must \
             be policy/<name>; expected arn:aws:iam::<account id or \"aws\">:policy/<name>, \
             e.g. arn:aws:iam::aws:policy/ReadOnlyAccess"
        );
        assert_eq!(
            input(RoleOptions {
                session_name: Some("#".into()),
                ..Default::default()
            }),
            "the role session name \"#\" has fewer than 2 usable characters; pass --session-name \
             with 2-64 characters of letters, digits and _+=,.@-"
        );
        assert_eq!(
            input(RoleOptions {
                policy: Some("{not json".into()),
                ..Default::default()
            }),
            "the session policy (--policy) is not valid JSON: key must be a string at line 1 \
             column 2; pass a policy document such as \
             '{\"Version\":\"2012-10-17\",\"Statement\":[...]}' or file://policy.json"
        );
        assert_eq!(
            input(RoleOptions {
                policy: Some("[]".into()),
                ..Default::default()
            }),
            "the session policy (--policy) must be a JSON object with a \"Statement\""
        );
        assert_eq!(
            input(RoleOptions {
                policy: Some("{}".into()),
                ..Default::default()
            }),
            "the session policy (--policy) has no \"Statement\": a policy document needs one"
        );
        let big = format!(r#"{{"Statement":[],"Sid":"{}"}}"#, "x".repeat(2100));
        assert_eq!(
            input(RoleOptions {
                policy: Some(big),
                ..Default::default()
            }),
            "the session policy is 2125 characters, over STS's limit of 2048: shorten it or move \
             statements into a managed policy passed with --policy-arn"
        );
        assert_eq!(
            input(RoleOptions {
                chain_role_arn: Some("arn:aws:iam::123456789012:role/next".into()),
                duration: Some("2h".into()),
                ..Default::default()
            }),
            "role chaining (--chain-role-arn) limits sessions to 1 hour, but --duration is \
             7200s: use --duration 3600 or less"
        );
        assert_eq!(
            input(RoleOptions {
                chain_role_arn: Some("arn:aws:iam::123456789012:role/next".into()),
                external_id: Some("bad id!".into()),
                ..Default::default()
            }),
            "--external-id must be 2-1224 characters of letters, digits and _+=,.@:/-"
        );
        assert_eq!(
            input(RoleOptions {
                tags: vec!["novalue".into()],
                ..Default::default()
            }),
            "invalid --tag \"novalue\": write it as KEY=VALUE, e.g. --tag team=payments"
        );
        assert_eq!(
            input(RoleOptions {
                allowed_account_ids: vec!["12345".into()],
                ..Default::default()
            }),
            "invalid --allowed-account-ids \"12345\": an AWS account id is 12 digits, \
             e.g. 123456789012"
        );
        // What has no flag in it reads as the library wrote it.
        assert_eq!(
            input(RoleOptions {
                duration: Some("1d".into()),
                ..Default::default()
            }),
            "invalid session duration \"1d\": give seconds (e.g. 3600) or 60m / 1h"
        );
    }

    #[test]
    fn values_parsed_by_the_binary_name_their_flags_too() {
        let empty = anyhow::Error::from(RoleArn::parse(" ").unwrap_err());
        assert_eq!(
            crate::output::error_message(&empty),
            "the role ARN is empty: pass --role-arn or set AWS_ROLE_ARN (expected \
             arn:aws:iam::<12-digit account id>:role/<role name>, \
             e.g. arn:aws:iam::123456789012:role/deploy)"
        );
        let account = AccountId::parse("x", AccountField::AccountId).unwrap_err();
        assert_eq!(
            describe_top(&account),
            "invalid --account-id \"x\": an AWS account id is 12 digits, e.g. 123456789012"
        );
    }

    #[test]
    fn token_errors_name_their_flags_as_before() {
        let file = TokenError::File {
            path: "/t".into(),
            why: "gone".into(),
        };
        assert_eq!(
            describe_top(&file),
            "cannot read the token file /t: gone. Pass --token-file with a readable file holding \
             the token"
        );
        let timed_out = TokenError::Mint {
            attempts: 2,
            error: MintError::TimedOut,
        };
        assert_eq!(
            describe_top(&timed_out),
            "`circleci run oidc get` failed after 2 attempts: it did not finish within the time \
             limit (--timeout) and was stopped"
        );
        let missing = describe_top(&TokenError::Missing {
            minted: Some((3, MintError::TimedOut)),
        });
        assert!(
            missing.starts_with(
                "no CircleCI OIDC token: $CIRCLE_OIDC_TOKEN_V2 and $CIRCLE_OIDC_TOKEN are empty, \
                 and `circleci run oidc get` failed after 3 attempts: it did not finish within \
                 the time limit (--timeout) and was stopped.\nUsual causes:\n- a build of a pull \
                 request from a fork"
            ),
            "{missing}"
        );
        assert!(
            missing.ends_with(
                "\n- outside CircleCI: pass --token-file with a token, or set CIRCLE_OIDC_TOKEN_V2."
            ),
            "{missing}"
        );
    }

    #[test]
    fn trust_policy_errors_name_their_flags_as_before() {
        use aws_oidc::trust::{setup, SetupOptions};
        let org = SetupOptions {
            org_id: Some("6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()),
            format: "json".into(),
            role_name: "circleci-oidc".into(),
            ..Default::default()
        };
        let refused = |opts: SetupOptions| describe_top(&setup(opts).unwrap_err());
        assert_eq!(
            refused(org.clone()),
            "pass --account-id (the role's account) or --provider-arn"
        );
        let with_account = SetupOptions {
            account_id: Some("12".into()),
            ..org.clone()
        };
        assert_eq!(
            refused(with_account),
            "invalid --account-id \"12\": an AWS account id is 12 digits"
        );
        let with_provider = SetupOptions {
            provider_arn: Some("arn:aws:iam::12:oidc-provider/x".into()),
            ..org.clone()
        };
        assert_eq!(
            refused(with_provider),
            "invalid --provider-arn \"arn:aws:iam::12:oidc-provider/x\": invalid --account-id \
             \"12\": an AWS account id is 12 digits; expected \
             arn:aws:iam::<12-digit account>:oidc-provider/oidc.circleci.com/org/<org-id>"
        );
        let no_project = SetupOptions {
            account_id: Some("123456789012".into()),
            ..org.clone()
        };
        assert!(refused(no_project.clone()).starts_with("no --project-id: "));
        let branch = SetupOptions {
            project_ids: vec!["6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()],
            branches: vec!["a b".into()],
            ..no_project.clone()
        };
        assert_eq!(
            refused(branch.clone()),
            "invalid --branch \"refs/heads/a b\": ' ' cannot appear in a git ref (or, for $, \
             would start an IAM policy variable)"
        );
        let contexts = SetupOptions {
            branches: Vec::new(),
            context_ids: vec!["6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into()],
            ..branch
        };
        assert!(refused(contexts)
            .ends_with("restrict the role here by project and branch. Remove --context-id."));
    }

    #[cfg(feature = "codeartifact")]
    #[test]
    fn codeartifact_login_errors_name_their_flags_as_before() {
        assert_eq!(
            describe_top(&ToolLoginError::Format("bad".into())),
            "--format \"bad\" is not a CodeArtifact package format (npm, pypi, maven, nuget, \
             generic, swift, ruby, cargo)"
        );
        assert_eq!(
            describe_top(&ToolLoginError::NoBashEnv("gradle".into())),
            "--tool gradle exports variables, and $BASH_ENV (set in every CircleCI job) is not \
             set: pass --bash-env PATH"
        );
        let input =
            ToolLoginError::Input(CodeArtifactInputError::DomainOwner { owner: "1".into() });
        assert_eq!(
            describe_top(&input),
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
        let e = Forward(SettingsError::Timeout);
        assert_eq!(describe_top(&e), "--timeout must be 1 to 3600 seconds");
        let chained = anyhow::Error::from(e).context("cannot log in");
        assert_eq!(
            crate::output::error_message(&chained),
            "cannot log in: --timeout must be 1 to 3600 seconds"
        );
    }
}
