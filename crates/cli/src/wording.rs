//! The flags in the library's error messages.
//!
//! The library says what is wrong with a value in its own terms: the value,
//! the limit STS or IAM sets, the environment variable the AWS CLI reads.
//! Only the binary knows which flag (or orb parameter, which the orb passes
//! as a flag) the value came from; this module says so, in one place, for
//! the errors whose fix is a flag.  Any other error prints as the library
//! wrote it.

use std::error::Error;

use aws_oidc::trust::{IdField, ProviderProblem, RefField, SetupError};
use aws_oidc::{AccountField, ChooseError, InputError, MintError, SettingsError, TokenError};
#[cfg(feature = "codeartifact")]
use aws_oidc::{CodeArtifactInputError, ToolLoginError};

/// One cause of an error, as the user reads it: with its flag, when the
/// library's error names a value that came from one.
pub(crate) fn describe(cause: &(dyn Error + 'static)) -> String {
    if let Some(e) = cause.downcast_ref::<InputError>() {
        return input(e);
    }
    if let Some(e) = cause.downcast_ref::<SettingsError>() {
        return settings(e);
    }
    if let Some(e) = cause.downcast_ref::<TokenError>() {
        return token(e);
    }
    // Its `Role` forwards the settings' message, and not the error itself.
    if let Some(ChooseError::Role(e)) = cause.downcast_ref::<ChooseError>() {
        return settings(e);
    }
    if let Some(e) = cause.downcast_ref::<SetupError>() {
        return trust(e);
    }
    #[cfg(feature = "codeartifact")]
    if let Some(e) = cause.downcast_ref::<CodeArtifactInputError>() {
        return codeartifact(e);
    }
    #[cfg(feature = "codeartifact")]
    if let Some(e) = cause.downcast_ref::<ToolLoginError>() {
        return tool_login(e);
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

/// The example every role ARN message shows.
const ROLE_ARN_EXAMPLE: &str = "expected arn:aws:iam::<12-digit account id>:role/<role name>, \
                                e.g. arn:aws:iam::123456789012:role/deploy";

fn input(e: &InputError) -> String {
    match e {
        InputError::EmptyRoleArn => format!(
            "the role ARN is empty: pass --role-arn or set AWS_ROLE_ARN ({ROLE_ARN_EXAMPLE})"
        ),
        InputError::PolicyArn { raw, problem } => format!(
            "invalid policy ARN {raw:?} for --policy-arn: {problem}; expected \
             arn:aws:iam::<account id or \"aws\">:policy/<name>, \
             e.g. arn:aws:iam::aws:policy/ReadOnlyAccess"
        ),
        InputError::SessionName { raw } => format!(
            "the role session name {raw:?} has fewer than 2 usable characters; \
             pass --session-name with 2-64 characters of letters, digits and _+=,.@-"
        ),
        InputError::PolicyJson { source } => format!(
            "the session policy (--policy) is not valid JSON: {source}; \
             pass a policy document such as \
             '{{\"Version\":\"2012-10-17\",\"Statement\":[...]}}' or file://policy.json"
        ),
        InputError::PolicyNotObject => {
            "the session policy (--policy) must be a JSON object with a \"Statement\"".into()
        }
        InputError::PolicyNoStatement => {
            "the session policy (--policy) has no \"Statement\": a policy document needs one".into()
        }
        InputError::PolicyTooLong { chars } => format!(
            "the session policy is {chars} characters, over STS's limit of 2048: \
             shorten it or move statements into a managed policy passed with --policy-arn"
        ),
        InputError::ChainedDuration { secs } => format!(
            "role chaining (--chain-role-arn) limits sessions to 1 hour, but \
             --duration is {secs}s: use --duration 3600 or less"
        ),
        InputError::ExternalId => {
            "--external-id must be 2-1224 characters of letters, digits and _+=,.@:/-".into()
        }
        InputError::TagSyntax { raw } => {
            format!("invalid --tag {raw:?}: write it as KEY=VALUE, e.g. --tag team=payments")
        }
        InputError::AccountId { raw, field } => format!(
            "invalid {} {raw:?}: an AWS account id is 12 digits, e.g. 123456789012",
            match field {
                AccountField::AllowedAccountIds => "--allowed-account-ids",
                AccountField::AccountId => "--account-id",
            }
        ),
        other => other.to_string(),
    }
}

fn settings(e: &SettingsError) -> String {
    match e {
        SettingsError::NoRole => "role_arn is empty: pass --role-arn (orb: role_arn) or set \
                                  AWS_ROLE_ARN to the role to assume, \
                                  e.g. arn:aws:iam::123456789012:role/deploy"
            .into(),
        SettingsError::RegionNeeded { needs } => format!(
            "{needs} needs an AWS region, and none is set: pass --region (orb: region) or set \
             AWS_REGION or AWS_DEFAULT_REGION, e.g. us-east-1 (without one, aws-oidc calls STS's \
             global endpoint, which exists only in the aws partition, without FIPS or dual-stack)"
        ),
        SettingsError::RegionRequired(what) => format!(
            "{what} regional, and no region is set: pass --region (orb: region) or set AWS_REGION \
             or AWS_DEFAULT_REGION"
        ),
        SettingsError::Input(e) => input(e),
        SettingsError::PolicyFile { path, source } => format!(
            "cannot read the session policy file {} (--policy file://...): {source}",
            path.display()
        ),
        SettingsError::EndpointUrl { url, why } => format!(
            "invalid endpoint URL {url:?} (--endpoint-url, AWS_ENDPOINT_URL_STS or \
             AWS_ENDPOINT_URL): {why}; give an https:// URL such as \
             https://sts.us-east-1.amazonaws.com (http:// only for a local test server)"
        ),
        SettingsError::Timeout => "--timeout must be 1 to 3600 seconds".into(),
        SettingsError::AccountNotAllowed { role, allowed } => format!(
            "role {role} is not in an allowed account ({allowed}): fix the role ARN, or add its \
             account to --allowed-account-ids (orb: allowed_account_ids)"
        ),
        SettingsError::TagsNeedChain => "session tags (--tag, --circleci-tags) go on a chained \
                                         role (--chain-role-arn): AssumeRoleWithWebIdentity \
                                         takes no tags from the caller, only from the token's \
                                         https://aws.amazon.com/tags claim, which CircleCI's \
                                         tokens do not carry"
            .into(),
        other => other.to_string(),
    }
}

fn token(e: &TokenError) -> String {
    match e {
        TokenError::Missing { minted } => {
            let note = match minted {
                None => ", and the `circleci` CLI is not on PATH to mint one".to_string(),
                Some((attempts, error)) => format!(
                    ", and `circleci run oidc get` failed after {attempts} attempts: {}",
                    mint(error)
                ),
            };
            format!(
                "no CircleCI OIDC token: $CIRCLE_OIDC_TOKEN_V2 and $CIRCLE_OIDC_TOKEN are \
                 empty{note}.\n\
                 Usual causes:\n\
                 - a build of a pull request from a fork: CircleCI withholds tokens unless \
                   \"Pass secrets to builds from forked pull requests\" is on in Project \
                   Settings > Advanced;\n\
                 - CircleCI server older than 4.4, or an air-gapped install, has no OIDC tokens;\n\
                 - on older set-ups, the job must use a context (add `context: <any context>` \
                   to the job in the workflow);\n\
                 - outside CircleCI: pass --token-file with a token, or set CIRCLE_OIDC_TOKEN_V2."
            )
        }
        TokenError::File { .. } => {
            format!("{e}. Pass --token-file with a readable file holding the token")
        }
        // Asking for an audience mints a fresh token.
        TokenError::Expired { .. } => format!("{e}, or pass --audience"),
        TokenError::Mint { attempts, error } => format!(
            "`circleci run oidc get` failed after {attempts} attempts: {}",
            mint(error)
        ),
        other => other.to_string(),
    }
}

fn mint(e: &MintError) -> String {
    match e {
        MintError::TimedOut => {
            "it did not finish within the time limit (--timeout) and was stopped".into()
        }
        other => other.to_string(),
    }
}

/// `trust-policy`'s options.
fn trust(e: &SetupError) -> String {
    let id_flag = |f: &IdField| match f {
        IdField::OrgId => "--org-id",
        IdField::ProjectId => "--project-id",
    };
    let ref_flag = |f: &RefField| match f {
        RefField::Branch => "--branch",
        RefField::Ref => "--ref",
    };
    match e {
        SetupError::Request(e) => input(e),
        SetupError::CircleCiId { raw, field } => format!(
            "invalid {} {raw:?}: CircleCI ids are UUIDs such as \
             6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d (Organization Settings > Overview, \
             Project Settings > Overview, or `aws-oidc claims` in a job)",
            id_flag(field)
        ),
        SetupError::GitRef {
            raw,
            field,
            problem,
        } => format!("invalid {} {raw:?}: {problem}", ref_flag(field)),
        SetupError::Provider(problem) => provider(problem),
        SetupError::ProviderArn { raw, problem } => format!(
            "invalid --provider-arn {raw:?}: {}; expected \
             arn:aws:iam::<12-digit account>:oidc-provider/oidc.circleci.com/org/<org-id>",
            provider(problem)
        ),
        SetupError::ContextIds => format!("{e} Remove --context-id."),
        SetupError::SshRerun => "IAM cannot refuse tokens from SSH reruns: the token's \
                                 oidc.circleci.com/ssh-rerun claim is not one of the condition \
                                 keys IAM offers for CircleCI tokens (those are aud, sub and \
                                 oidc.circleci.com/project-id), so Bool on it would refuse every \
                                 job, and BoolIfExists or a negated operator would refuse none. \
                                 A client-side check is no defence either: whoever has SSH access \
                                 holds the token. Keep SSH reruns for roles that may be used \
                                 interactively, restrict deploy roles to protected branches \
                                 (--branch), and limit who can rerun with SSH in CircleCI. \
                                 Remove --no-ssh-rerun."
            .into(),
        SetupError::NoProject => "no --project-id: a role for every project of the org is \
                                  rarely what you want. Pass --project-id (repeat it for several \
                                  projects); find it in Project Settings > Overview, or run \
                                  `aws-oidc claims` in a job of the project"
            .into(),
        SetupError::Audience { audience } => format!("invalid --audience {audience:?}"),
        SetupError::Format { raw } => {
            format!("unknown --format {raw:?}: use json, terraform, cloudformation or aws-cli")
        }
        SetupError::RoleName { raw } => format!(
            "invalid --role-name {raw:?}: role names are 1-64 characters of letters, digits \
             and _+=,.@-"
        ),
        SetupError::ChainedNotJson => "--chained-from prints the chained role's trust policy as \
                                       JSON: drop --format or use --format json"
            .into(),
        SetupError::NoOrg => {
            "pass --org-id (Organization Settings > Overview), or --chained-from ROLE_ARN".into()
        }
        SetupError::NoProvider => "pass --account-id (the role's account) or --provider-arn".into(),
        SetupError::PolicyArnWithJson => "--policy-arn goes with --format terraform, \
                                          cloudformation or aws-cli (json prints the trust \
                                          policy alone)"
            .into(),
    }
}

fn provider(problem: &ProviderProblem) -> String {
    match problem {
        ProviderProblem::Account { account } => {
            format!("invalid --account-id {account:?}: an AWS account id is 12 digits")
        }
        other => other.to_string(),
    }
}

/// `codeartifact-login`'s options.
#[cfg(feature = "codeartifact")]
fn tool_login(e: &ToolLoginError) -> String {
    match e {
        ToolLoginError::Input(e) => codeartifact(e),
        ToolLoginError::NamespaceNeedsNpm => {
            "--namespace is an npm scope, and goes with --tool npm".into()
        }
        ToolLoginError::ExtraIndexNeedsPip => "--extra-index goes with --tool pip or uv".into(),
        ToolLoginError::Format(_) => format!("--format {e}"),
        ToolLoginError::FormatNeedsEnv => {
            "--format goes with --tool env; the other tools know their format".into()
        }
        ToolLoginError::NoBashEnv(tool) => format!(
            "--tool {tool} exports variables, and $BASH_ENV (set in every CircleCI job) is not \
             set: pass --bash-env PATH"
        ),
        other => other.to_string(),
    }
}

#[cfg(feature = "codeartifact")]
fn codeartifact(e: &CodeArtifactInputError) -> String {
    match e {
        CodeArtifactInputError::Domain { domain } => format!(
            "--domain {domain:?} is not a CodeArtifact domain name (2-50 lower-case letters, \
             digits and -, starting with a letter)"
        ),
        CodeArtifactInputError::DomainOwner { owner } => {
            format!("--domain-owner {owner:?} is not an AWS account ID (12 digits)")
        }
        CodeArtifactInputError::Repository { repository } => format!(
            "--repository {repository:?} is not a CodeArtifact repository name (2-100 letters, \
             digits, ., _ and -, starting with a letter or digit)"
        ),
        CodeArtifactInputError::Duration { raw } => format!(
            "--duration {raw:?}: the token lasts 900 to 43200 seconds (15 minutes to 12 hours), \
             or 0 for as long as the credentials asking for it"
        ),
        CodeArtifactInputError::Tool { raw, known } => format!(
            "--tool {raw:?} is not one aws-oidc configures: use {}",
            known.join(", ")
        ),
        CodeArtifactInputError::Scope { raw } => format!(
            "--namespace {raw:?} is not an npm scope (lower-case letters, digits and -._~, \
             e.g. @my-org)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use aws_oidc::{AccountId, Exchange, RoleArn, RoleOptions};

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
