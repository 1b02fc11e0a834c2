//! The role, token and STS options every credential-producing command shares.
//!
//! `assume` and `credential-process` take the same options; this module
//! declares them and resolves them once into the library's [`RoleOptions`]
//! (expanded, with `--expand-env`) and, for the commands that call another
//! service, its [`SourceOptions`].

use std::path::PathBuf;

use anyhow::Result;
use aws_oidc::{RoleOptions, SourceOptions};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, FromArgMatches};

use crate::values::Values;

/// Role, token and STS options.
#[derive(Debug, Clone, Args)]
pub(crate) struct RoleArgs {
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

/// [`RoleArgs`], and whether `--role-arn` was given on the command line:
/// `$AWS_ROLE_ARN` alone names the role setup already assumed, which the
/// commands that call another service do not assume again.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    /// The options.
    pub args: RoleArgs,
    /// `--role-arn` came from the command line.
    pub on_command_line: bool,
}

impl FromArgMatches for Role {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Role {
            args: RoleArgs::from_arg_matches(m)?,
            on_command_line: m.value_source("role_arn") == Some(ValueSource::CommandLine),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Role::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for Role {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        RoleArgs::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        RoleArgs::augment_args_for_update(cmd)
    }
}

impl Role {
    /// How option values are read (`--expand-env`).
    pub(crate) fn values(&self) -> Values {
        Values::new(self.args.expand_env)
    }

    /// The options, expanded, for [`aws_oidc::Exchange::resolve`].
    pub(crate) fn options(&self, verify: bool) -> Result<RoleOptions> {
        let a = &self.args;
        let v = self.values();
        Ok(RoleOptions {
            role_arn: v.opt(a.role_arn.clone(), "--role-arn")?,
            region: v.opt(a.region.clone(), "--region")?,
            session_name: v.opt(a.session_name.clone(), "--session-name")?,
            duration: v.opt(Some(a.duration.clone()), "--duration")?,
            policy: v.opt(a.policy.clone(), "--policy")?,
            policy_arns: v.each(&a.policy_arns, "--policy-arn")?,
            endpoint_url: v.opt(a.endpoint_url.clone(), "--endpoint-url")?,
            token_file: a.token_file.clone(),
            audience: v.opt(a.audience.clone(), "--audience")?,
            chain_role_arn: v.opt(a.chain_role_arn.clone(), "--chain-role-arn")?,
            external_id: v.opt(a.external_id.clone(), "--external-id")?,
            chain_session_name: v.opt(a.chain_session_name.clone(), "--chain-session-name")?,
            timeout_secs: a.timeout,
            verify,
            allowed_account_ids: v.each(&a.allowed_account_ids, "--allowed-account-ids")?,
            tags: v.each(&a.tags, "--tag")?,
            circleci_tags: a.circleci_tags,
        })
    }

    /// Where the credentials of a command that calls another service come
    /// from: `--profile NAME`; or `--role-arn` given as a flag, to assume in
    /// this step; else the environment.
    pub(crate) fn credentials(&self, profile: Option<String>) -> Result<SourceOptions> {
        let profile = self.values().opt(profile, "--profile")?;
        let mut role = None;
        if self.on_command_line {
            role = Some(self.options(false)?).filter(|o| o.role_arn.is_some());
        }
        Ok(SourceOptions { profile, role })
    }
}
