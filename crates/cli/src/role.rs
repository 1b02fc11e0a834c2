//! The options every credential-producing command shares, and the exchange itself.
//!
//! `assume` and `credential-process` take the same role, token and STS
//! options; this module turns them into a validated [`Exchange`] (before any
//! network call) and runs it, turning STS failures into explanations.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::assume::{AssumeError, Outcome, Plan};
use aws_oidc::diagnose;
use aws_oidc::expand::expand;
use aws_oidc::request::{
    parse_policy_arns, parse_region, AssumeRequest, ChainRequest, RoleArn, SessionDuration,
    SessionName, SessionPolicy,
};
use aws_oidc::sts::{Sts, StsFailure, StsSettings};
use aws_oidc::token::{self, CircleCiCli, OidcToken, TokenOptions};
use clap::Args;

/// Role, token and STS options.
#[derive(Debug, Clone, Args)]
pub struct RoleArgs {
    /// The IAM role to assume, e.g. arn:aws:iam::123456789012:role/deploy
    #[arg(long, env = "AWS_ROLE_ARN", hide_env_values = true, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// AWS region for STS and for the written config [default: $AWS_REGION, then $AWS_DEFAULT_REGION]
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

    /// Read the OIDC token from this file instead of the environment
    #[arg(
        long,
        env = "AWS_WEB_IDENTITY_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
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

    /// Expand $VAR and ${VAR} in option values from the environment, like `circleci env subst` (the orb uses this); empty results count as not given
    #[arg(long)]
    pub expand_env: bool,

    /// Give up after this many seconds, retries included
    #[arg(
        long,
        env = "AWS_OIDC_TIMEOUT",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub timeout: u64,
}

/// Prints `text` on stdout, failing cleanly (not panicking) on a closed pipe.
pub fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .context("cannot write the credentials to stdout")
}

/// Reads a non-empty environment variable.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Applies `--expand-env` to one option and treats an empty result as not given.
pub fn normalise_opt(v: &mut Option<String>, expand_env: bool, what: &str) -> Result<()> {
    if expand_env {
        if let Some(s) = v.as_deref() {
            *v = Some(expand(s, &env).map_err(|e| anyhow!("cannot expand {what}: {e}"))?);
        }
    }
    if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
        *v = None;
    }
    Ok(())
}

/// A validated exchange: what to ask STS, where, with which token.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The STS calls to make.
    pub plan: Plan,
    /// The region.
    pub region: String,
    /// How to reach STS.
    pub settings: StsSettings,
    /// How to find the token.
    pub token_opts: TokenOptions,
}

fn read_policy(raw: &str) -> Result<SessionPolicy> {
    let text = match raw.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the session policy file {path} (--policy file://...)")
        })?,
        None => raw.to_string(),
    };
    Ok(SessionPolicy::parse(&text)?)
}

impl RoleArgs {
    /// Validates everything, before any network call.
    pub fn resolve(mut self, verify: bool) -> Result<Exchange> {
        let x = self.expand_env;
        normalise_opt(&mut self.role_arn, x, "--role-arn")?;
        normalise_opt(&mut self.region, x, "--region")?;
        normalise_opt(&mut self.session_name, x, "--session-name")?;
        normalise_opt(&mut self.policy, x, "--policy")?;
        normalise_opt(&mut self.endpoint_url, x, "--endpoint-url")?;
        normalise_opt(&mut self.audience, x, "--audience")?;
        normalise_opt(&mut self.chain_role_arn, x, "--chain-role-arn")?;
        normalise_opt(&mut self.external_id, x, "--external-id")?;
        normalise_opt(&mut self.chain_session_name, x, "--chain-session-name")?;
        let mut duration = Some(self.duration.clone());
        normalise_opt(&mut duration, x, "--duration")?;
        let mut arns = Vec::new();
        for arn in &self.policy_arns {
            let mut v = Some(arn.clone());
            normalise_opt(&mut v, x, "--policy-arn")?;
            arns.extend(v);
        }

        let Some(role_arn) = self.role_arn.as_deref() else {
            bail!(
                "role_arn is empty: pass --role-arn (orb: role_arn) or set AWS_ROLE_ARN to the role to assume, \
                 e.g. arn:aws:iam::123456789012:role/deploy"
            );
        };
        let role_arn = RoleArn::parse(role_arn)?;
        let Some(region_raw) = self
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
        else {
            bail!(
                "no AWS region: pass --region (orb: region) or set AWS_REGION or AWS_DEFAULT_REGION, e.g. us-east-1 \
                 (aws-oidc never asks the EC2 metadata service)"
            );
        };
        let region = parse_region(&region_raw)?;
        let session_name = match &self.session_name {
            Some(s) => SessionName::sanitize(s)?,
            None => SessionName::default_for_job(
                env("CIRCLE_JOB").as_deref(),
                env("CIRCLE_BUILD_NUM").as_deref(),
            ),
        };
        let duration = SessionDuration::parse(duration.as_deref().unwrap_or("3600"))?;
        let policy = self.policy.as_deref().map(read_policy).transpose()?;
        let policy_arns = parse_policy_arns(&arns)?;
        let chain = match &self.chain_role_arn {
            None => None,
            Some(arn) => {
                let name = match &self.chain_session_name {
                    Some(n) => SessionName::sanitize(n)?,
                    None => session_name.clone(),
                };
                Some(ChainRequest::new(
                    RoleArn::parse(arn)?,
                    name,
                    duration,
                    self.external_id.clone(),
                )?)
            }
        };
        let endpoint_url = self
            .endpoint_url
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL_STS"))
            .or_else(|| env("AWS_ENDPOINT_URL"));
        if let Some(url) = &endpoint_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                bail!("invalid endpoint URL {url:?} (--endpoint-url / AWS_ENDPOINT_URL_STS): it must start with https://");
            }
        }
        let use_fips = env("AWS_USE_FIPS_ENDPOINT").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if self.timeout == 0 || self.timeout > 3600 {
            bail!("--timeout must be 1 to 3600 seconds");
        }
        let total = Duration::from_secs(self.timeout);
        Ok(Exchange {
            plan: Plan {
                request: AssumeRequest {
                    role_arn,
                    session_name,
                    duration,
                    policy,
                    policy_arns,
                },
                chain,
                verify,
                total_timeout: total,
            },
            settings: StsSettings {
                region: region.clone(),
                endpoint_url,
                use_fips,
                connect_timeout: Duration::from_secs(5).min(total),
                attempt_timeout: Duration::from_secs(15).min(total),
            },
            region,
            token_opts: TokenOptions {
                token_file: self.token_file.clone(),
                audience: self.audience.clone(),
                mint_attempts: 3,
                mint_pause: Duration::from_secs(1),
            },
        })
    }
}

/// A failed exchange.  An STS failure keeps its parts, so a command can add
/// to the explanation (as `assume --trust-policy` does).
#[derive(Debug)]
pub enum ExchangeError {
    /// STS said no, or could not be reached.
    Sts {
        /// What failed.
        failure: StsFailure,
        /// The token that was sent.
        token: OidcToken,
        /// The full explanation for the user.
        explanation: String,
    },
    /// Anything before STS: the token, the runtime.
    Other(anyhow::Error),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Sts { explanation, .. } => f.write_str(explanation),
            ExchangeError::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for ExchangeError {}

impl From<anyhow::Error> for ExchangeError {
    fn from(e: anyhow::Error) -> Self {
        ExchangeError::Other(e)
    }
}

impl From<token::TokenError> for ExchangeError {
    fn from(e: token::TokenError) -> Self {
        ExchangeError::Other(e.into())
    }
}

impl Exchange {
    /// Finds the token and runs the STS calls; an STS failure comes back explained.
    pub fn run(&self) -> Result<Outcome, ExchangeError> {
        let minter = CircleCiCli::from_path(env("PATH").as_deref());
        let token = token::obtain(&self.token_opts, &env, &minter, SystemTime::now())?;
        let fresh = || {
            // A replacement keeps the audience the trust policy was matched against.
            let aud = self
                .token_opts
                .audience
                .clone()
                .or_else(|| token.claims.audiences().first().map(|a| a.to_string()));
            let opts = TokenOptions {
                token_file: None,
                audience: aud,
                ..self.token_opts.clone()
            };
            token::obtain(&opts, &|_| None, &minter, SystemTime::now())
        };
        let sts = Sts::new(self.settings.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        match runtime.block_on(aws_oidc::assume::run(
            &self.plan,
            &sts,
            token.clone(),
            &fresh,
        )) {
            Ok(o) => Ok(o),
            Err(AssumeError::Token(e)) => Err(e.into()),
            Err(AssumeError::Sts(failure, used)) => {
                let ctx = diagnose::Context {
                    role_arn: &self.plan.request.role_arn,
                    chain_role_arn: self.plan.chain.as_ref().map(|c| &c.role_arn),
                    claims: &used.claims,
                    token_source: used.source.to_string(),
                    region: &self.region,
                    endpoint: self.settings.endpoint_description(),
                    duration: self.plan.request.duration.secs(),
                };
                let explanation = diagnose::explain(&failure, &ctx);
                Err(ExchangeError::Sts {
                    failure,
                    token: used,
                    explanation,
                })
            }
        }
    }
}
