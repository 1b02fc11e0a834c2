//! The role, token and STS options every credential-producing command shares.
//!
//! `assume` and `credential-process` take the same options; this module only
//! declares them and hands them to the library as [`RoleOptions`], which
//! resolves and runs the exchange.

use std::path::PathBuf;

use anyhow::{bail, Result};
use aws_oidc::credential_source::CredentialSource;
use aws_oidc::settings::{option_value, process_env};
use aws_oidc::sinks::profile::ProfileName;
use aws_oidc::{CredentialCache, Exchange, RoleOptions};
use clap::Args;

use crate::output::say;

/// Role, token and STS options.
#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    /// The IAM role to assume, e.g. arn:aws:iam::123456789012:role/deploy
    #[arg(long, env = "AWS_ROLE_ARN", hide_env_values = true, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// AWS region for STS and for the written config [default: $AWS_REGION, then $AWS_DEFAULT_REGION, then the region of $AWS_PROFILE's profile; none at all: STS's global endpoint, and no region written]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Role session name, shown in CloudTrail; cleaned to 2-64 of [A-Za-z0-9_+=,.@-] [default: "$CIRCLE_JOB-$CIRCLE_BUILD_NUM"]
    #[arg(
        long,
        env = "AWS_ROLE_SESSION_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub session_name: Option<String>,

    /// How long the credentials last: seconds (900-43200), or e.g. 30m, 2h; at most the role's maximum session duration
    #[arg(
        long,
        env = "AWS_OIDC_DURATION",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value = "3600"
    )]
    pub duration: String,

    /// Inline session policy (JSON, or file://PATH) that narrows the role's permissions for this session
    #[arg(
        long,
        env = "AWS_OIDC_SESSION_POLICY",
        hide_env_values = true,
        value_name = "JSON"
    )]
    pub policy: Option<String>,

    /// Managed session policy ARN; repeat, or separate with commas (at most 10)
    #[arg(
        long = "policy-arn",
        env = "AWS_OIDC_POLICY_ARNS",
        hide_env_values = true,
        value_name = "ARN"
    )]
    pub policy_arns: Vec<String>,

    /// STS endpoint, e.g. for a VPC endpoint or a test server [default: $AWS_ENDPOINT_URL_STS, then $AWS_ENDPOINT_URL, then the regional endpoint; FIPS with AWS_USE_FIPS_ENDPOINT=true]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Read the OIDC token from this file instead of the environment [default outside a CircleCI job: $AWS_WEB_IDENTITY_TOKEN_FILE; in a job, the job's own token wins over that variable]
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Mint a fresh token with this audience (`circleci run oidc get`); the IAM provider must list it as a client ID
    #[arg(
        long,
        env = "AWS_OIDC_AUDIENCE",
        hide_env_values = true,
        value_name = "AUD"
    )]
    pub audience: Option<String>,

    /// Then assume this second role with the first role's credentials (role chaining; at most 1 hour)
    #[arg(
        long,
        env = "AWS_OIDC_CHAIN_ROLE_ARN",
        hide_env_values = true,
        value_name = "ARN"
    )]
    pub chain_role_arn: Option<String>,

    /// External ID the chained role's trust policy requires
    #[arg(
        long,
        env = "AWS_OIDC_EXTERNAL_ID",
        hide_env_values = true,
        value_name = "ID",
        requires = "chain_role_arn"
    )]
    pub external_id: Option<String>,

    /// Session name for the chained role [default: the first session's name]
    #[arg(long, value_name = "NAME", requires = "chain_role_arn")]
    pub chain_session_name: Option<String>,

    /// Refuse, before any network call, a role (or chained role) outside these AWS accounts; repeat, or separate with commas
    #[arg(
        long = "allowed-account-ids",
        env = "AWS_OIDC_ALLOWED_ACCOUNT_IDS",
        hide_env_values = true,
        value_name = "IDS"
    )]
    pub allowed_account_ids: Vec<String>,

    /// Session tag KEY=VALUE for the chained role (--chain-role-arn), shown in CloudTrail and usable in policies; repeatable. Its trust policy must allow sts:TagSession
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,

    /// Tag the chained session with the CircleCI project, job, build number and branch (circleci:project, circleci:job, circleci:build-num, circleci:branch)
    #[arg(long)]
    pub circleci_tags: bool,

    /// Expand $VAR and ${VAR} in option values from the environment, like `circleci env subst` (the orb uses this); empty results count as not given
    #[arg(long)]
    pub expand_env: bool,

    /// Give up after this many seconds, retries included
    #[arg(
        long,
        env = "AWS_OIDC_TIMEOUT",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = parse_timeout
    )]
    pub timeout: u64,
}

/// `--timeout` (or `$AWS_OIDC_TIMEOUT`, which clap's own message would not
/// name): whole seconds, from 1 to 3600.
fn parse_timeout(raw: &str) -> Result<u64, String> {
    match raw.trim().parse::<u64>() {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(secs),
        _ => Err(
            "the time limit is whole seconds from 1 to 3600 (default 60), from --timeout or \
             AWS_OIDC_TIMEOUT: fix the value, or unset AWS_OIDC_TIMEOUT"
                .into(),
        ),
    }
}

impl RoleArgs {
    /// The options as given, for [`aws_oidc::Exchange::resolve`].
    pub fn options(self, verify: bool) -> RoleOptions {
        RoleOptions {
            role_arn: self.role_arn,
            region: self.region,
            session_name: self.session_name,
            duration: Some(self.duration),
            policy: self.policy,
            policy_arns: self.policy_arns,
            endpoint_url: self.endpoint_url,
            token_file: self.token_file,
            audience: self.audience,
            chain_role_arn: self.chain_role_arn,
            external_id: self.external_id,
            chain_session_name: self.chain_session_name,
            expand_env: self.expand_env,
            timeout_secs: self.timeout,
            verify,
            allowed_account_ids: self.allowed_account_ids,
            tags: self.tags,
            circleci_tags: self.circleci_tags,
        }
    }
}

/// The credential cache, or `None` (with a warning) where no safe one can be had.
pub fn open_cache() -> Option<CredentialCache> {
    match CredentialCache::open_default(&process_env)? {
        Ok(c) => Some(c),
        Err(e) => {
            // Still work, just without a cache: an unsafe directory is never used.
            crate::output::warn(&format!("not caching credentials: {e}"));
            None
        }
    }
}

/// Where the credentials of a command that calls another service come
/// from (`ecr-login`, the EKS commands): `--profile NAME`; or `--role-arn`
/// given as a flag (`role_on_command_line`), assumed in this step; else the
/// environment ($AWS_ROLE_ARN alone names the role setup already assumed).
/// Also returns the profile, checked.
pub fn credential_source(
    profile: Option<String>,
    role: &RoleArgs,
    role_on_command_line: bool,
) -> Result<(CredentialSource, Option<ProfileName>)> {
    let env = &process_env;
    let x = role.expand_env;
    let profile = option_value(profile, x, "--profile", env)?
        .map(|p| ProfileName::parse(&p))
        .transpose()?;
    let role_arn =
        option_value(role.role_arn.clone(), x, "--role-arn", env)?.filter(|_| role_on_command_line);
    let source = match (&profile, role_arn) {
        (Some(_), Some(_)) => bail!(
            "--profile and --role-arn are two sources of credentials: pass one (the profile, or the \
             role to assume now)"
        ),
        (Some(p), None) => CredentialSource::Profile(p.clone()),
        (None, Some(_)) => {
            let exchange = Exchange::resolve(role.clone().options(false), env)?;
            for note in exchange.notes() {
                say!("aws-oidc: note: {note}");
            }
            CredentialSource::AssumeRole(Box::new(exchange))
        }
        (None, None) => CredentialSource::Environment,
    };
    Ok((source, profile))
}
