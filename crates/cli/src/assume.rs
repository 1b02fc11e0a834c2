//! `aws-oidc assume`: token -> STS -> credentials -> sinks, as one CircleCI step.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::assume::{AssumeError, Plan};
use aws_oidc::credentials::humanize_from_now;
use aws_oidc::diagnose;
use aws_oidc::expand::expand;
use aws_oidc::files;
use aws_oidc::request::{
    parse_policy_arns, parse_region, AssumeRequest, ChainRequest, RoleArn, SessionDuration,
    SessionName, SessionPolicy,
};
use aws_oidc::sinks::{self, profile, shell};
use aws_oidc::sts::{Sts, StsSettings};
use aws_oidc::token::{self, CircleCiCli, TokenOptions};
use clap::Args;

pub const LONG_ABOUT: &str = "\
Assume an IAM role with the job's CircleCI OIDC token (AssumeRoleWithWebIdentity) and write the \
temporary credentials where AWS tools read them.

The token is taken from --token-file, else $CIRCLE_OIDC_TOKEN_V2, else $CIRCLE_OIDC_TOKEN, else \
minted with `circleci run oidc get` (always when --audience is given). Every input is checked \
before any network call; failures explain what to change in IAM or in the step.

Where credentials go (any combination): --bash-env (export lines for later CircleCI steps), \
--profile (~/.aws/credentials and ~/.aws/config), --output json (credential_process format on \
stdout), --output dotenv FILE. With none of these and $BASH_ENV set, --bash-env is implied.

Keys, session tokens and OIDC tokens are never printed, except on stdout for --output json.";

/// Options of `aws-oidc assume`.
#[derive(Debug, Args)]
pub struct AssumeArgs {
    /// The IAM role to assume, e.g. arn:aws:iam::123456789012:role/deploy
    #[arg(long, env = "AWS_ROLE_ARN", hide_env_values = true, value_name = "ARN")]
    role_arn: Option<String>,

    /// AWS region for STS and for the written config [default: $AWS_REGION, then $AWS_DEFAULT_REGION]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    /// Role session name, shown in CloudTrail; cleaned to 2-64 of [A-Za-z0-9_+=,.@-] [default: "$CIRCLE_JOB-$CIRCLE_BUILD_NUM"]
    #[arg(
        long,
        env = "AWS_ROLE_SESSION_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    session_name: Option<String>,

    /// How long the credentials last: seconds (900-43200), or e.g. 30m, 2h; at most the role's maximum session duration
    #[arg(
        long,
        env = "AWS_OIDC_DURATION",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value = "3600"
    )]
    duration: String,

    /// Inline session policy (JSON, or file://PATH) that narrows the role's permissions for this session
    #[arg(
        long,
        env = "AWS_OIDC_SESSION_POLICY",
        hide_env_values = true,
        value_name = "JSON"
    )]
    policy: Option<String>,

    /// Managed session policy ARN; repeat, or separate with commas (at most 10)
    #[arg(
        long = "policy-arn",
        env = "AWS_OIDC_POLICY_ARNS",
        hide_env_values = true,
        value_name = "ARN"
    )]
    policy_arns: Vec<String>,

    /// STS endpoint, e.g. for a VPC endpoint or a test server [default: $AWS_ENDPOINT_URL_STS, then $AWS_ENDPOINT_URL, then the regional endpoint; FIPS with AWS_USE_FIPS_ENDPOINT=true]
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,

    /// Read the OIDC token from this file instead of the environment
    #[arg(
        long,
        env = "AWS_WEB_IDENTITY_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH"
    )]
    token_file: Option<PathBuf>,

    /// Mint a fresh token with this audience (`circleci run oidc get`); the IAM provider must list it as a client ID
    #[arg(
        long,
        env = "AWS_OIDC_AUDIENCE",
        hide_env_values = true,
        value_name = "AUD"
    )]
    audience: Option<String>,

    /// Append `export` lines (keys, AWS_REGION, AWS_DEFAULT_REGION, AWS_CREDENTIAL_EXPIRATION) to this file [default: $BASH_ENV]
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    bash_env: Option<Option<PathBuf>>,

    /// Write the credentials as this profile in ~/.aws/credentials, and the region in ~/.aws/config (honours AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE)
    #[arg(
        long,
        env = "AWS_OIDC_PROFILE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    profile: Option<String>,

    /// With --profile: do not write the region into the profile's section of ~/.aws/config
    #[arg(long)]
    no_profile_region: bool,

    /// Also write the region into the [default] section of ~/.aws/config
    #[arg(long)]
    default_region: bool,

    /// `json`: credential_process JSON on stdout; `dotenv FILE`: KEY=value lines in FILE (0600)
    #[arg(long, num_args = 1..=2, value_names = ["FORMAT", "FILE"])]
    output: Option<Vec<String>>,

    /// After assuming, check the credentials with sts:GetCallerIdentity
    #[arg(long, env = "AWS_OIDC_VERIFY", hide_env_values = true)]
    verify: bool,

    /// Then assume this second role with the first role's credentials (role chaining; at most 1 hour)
    #[arg(
        long,
        env = "AWS_OIDC_CHAIN_ROLE_ARN",
        hide_env_values = true,
        value_name = "ARN"
    )]
    chain_role_arn: Option<String>,

    /// External ID the chained role's trust policy requires
    #[arg(
        long,
        env = "AWS_OIDC_EXTERNAL_ID",
        hide_env_values = true,
        value_name = "ID",
        requires = "chain_role_arn"
    )]
    external_id: Option<String>,

    /// Session name for the chained role [default: the first session's name]
    #[arg(long, value_name = "NAME", requires = "chain_role_arn")]
    chain_session_name: Option<String>,

    /// Expand $VAR and ${VAR} in option values from the environment, like `circleci env subst` (the orb uses this); empty results count as not given
    #[arg(long)]
    expand_env: bool,

    /// Give up after this many seconds, retries included
    #[arg(
        long,
        env = "AWS_OIDC_TIMEOUT",
        hide_env_values = true,
        value_name = "SECONDS",
        default_value_t = 60
    )]
    timeout: u64,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn expand_opt(v: &mut Option<String>, what: &str) -> Result<()> {
    if let Some(s) = v.as_deref() {
        let e = expand(s, &env).map_err(|e| anyhow!("cannot expand {what}: {e}"))?;
        *v = Some(e);
    }
    Ok(())
}

impl AssumeArgs {
    /// Applies --expand-env, and treats empty values as not given.
    fn normalise(&mut self) -> Result<()> {
        if self.expand_env {
            expand_opt(&mut self.role_arn, "--role-arn")?;
            expand_opt(&mut self.region, "--region")?;
            expand_opt(&mut self.session_name, "--session-name")?;
            expand_opt(&mut self.policy, "--policy")?;
            expand_opt(&mut self.endpoint_url, "--endpoint-url")?;
            expand_opt(&mut self.audience, "--audience")?;
            expand_opt(&mut self.profile, "--profile")?;
            expand_opt(&mut self.chain_role_arn, "--chain-role-arn")?;
            expand_opt(&mut self.external_id, "--external-id")?;
            expand_opt(&mut self.chain_session_name, "--chain-session-name")?;
            self.duration = expand(&self.duration, &env)
                .map_err(|e| anyhow!("cannot expand --duration: {e}"))?;
            for arn in &mut self.policy_arns {
                *arn = expand(arn, &env).map_err(|e| anyhow!("cannot expand --policy-arn: {e}"))?;
            }
        }
        for v in [
            &mut self.region,
            &mut self.session_name,
            &mut self.policy,
            &mut self.endpoint_url,
            &mut self.audience,
            &mut self.profile,
            &mut self.chain_role_arn,
            &mut self.external_id,
            &mut self.chain_session_name,
        ] {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
        if self.duration.trim().is_empty() {
            self.duration = "3600".into();
        }
        Ok(())
    }
}

/// Everything validated, before any network call or file change.
struct Validated {
    plan: Plan,
    region: String,
    settings: StsSettings,
    bash_env: Option<PathBuf>,
    profile: Option<(profile::SharedFiles, profile::ProfileWrite)>,
    json: bool,
    dotenv: Option<PathBuf>,
    token_opts: TokenOptions,
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

fn validate(mut a: AssumeArgs) -> Result<Validated> {
    a.normalise()?;
    let role_arn = match a.role_arn.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => RoleArn::parse(s)?,
        _ => bail!(
            "role_arn is empty: pass --role-arn (orb: role_arn) or set AWS_ROLE_ARN to the role to assume, \
             e.g. arn:aws:iam::123456789012:role/deploy"
        ),
    };
    let region_raw = a
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"));
    let Some(region_raw) = region_raw else {
        bail!(
            "no AWS region: pass --region (orb: region) or set AWS_REGION or AWS_DEFAULT_REGION, e.g. us-east-1 \
             (aws-oidc never asks the EC2 metadata service)"
        );
    };
    let region = parse_region(&region_raw)?;
    let session_name = match &a.session_name {
        Some(s) => SessionName::sanitize(s)?,
        None => SessionName::default_for_job(
            env("CIRCLE_JOB").as_deref(),
            env("CIRCLE_BUILD_NUM").as_deref(),
        ),
    };
    let duration = SessionDuration::parse(&a.duration)?;
    let policy = a.policy.as_deref().map(read_policy).transpose()?;
    let policy_arns = parse_policy_arns(&a.policy_arns)?;
    let chain = match &a.chain_role_arn {
        None => None,
        Some(arn) => {
            let name = match &a.chain_session_name {
                Some(n) => SessionName::sanitize(n)?,
                None => session_name.clone(),
            };
            Some(ChainRequest::new(
                RoleArn::parse(arn)?,
                name,
                duration,
                a.external_id.clone(),
            )?)
        }
    };
    let endpoint_url = a
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
    if a.timeout == 0 || a.timeout > 3600 {
        bail!("--timeout must be 1 to 3600 seconds");
    }

    let (mut json, mut dotenv) = (false, None);
    match a.output.as_deref() {
        None => {}
        Some([f]) if f == "json" => json = true,
        Some([f, path]) if f == "dotenv" => dotenv = Some(PathBuf::from(path)),
        Some([f]) if f == "dotenv" => bail!("--output dotenv needs a file: --output dotenv PATH"),
        Some(other) => bail!(
            "unknown --output {:?}: use `--output json` or `--output dotenv FILE`",
            other.join(" ")
        ),
    }
    let profile = match &a.profile {
        None => None,
        Some(name) => {
            let files = profile::SharedFiles::from_env(&env)?;
            let write = profile::ProfileWrite {
                name: profile::ProfileName::parse(name)?,
                region: Some(region.clone()),
                profile_region: !a.no_profile_region,
                default_region: a.default_region,
            };
            Some((files, write))
        }
    };
    let bash_env = match &a.bash_env {
        Some(Some(path)) => Some(path.clone()),
        Some(None) => Some(PathBuf::from(env("BASH_ENV").ok_or_else(|| {
            anyhow!("--bash-env without a path needs $BASH_ENV, which is not set: pass --bash-env PATH")
        })?)),
        None if profile.is_none() && !json && dotenv.is_none() => match env("BASH_ENV") {
            Some(p) => Some(PathBuf::from(p)),
            None => bail!(
                "nowhere to write the credentials: pass --bash-env PATH, --profile NAME, --output json \
                 or --output dotenv FILE ($BASH_ENV, used by default in CircleCI, is not set)"
            ),
        },
        None => None,
    };
    if a.default_region && profile.is_none() {
        bail!("--default-region writes to ~/.aws/config and goes with --profile NAME");
    }

    let settings = StsSettings {
        region: region.clone(),
        endpoint_url,
        use_fips,
        connect_timeout: Duration::from_secs(5).min(Duration::from_secs(a.timeout)),
        attempt_timeout: Duration::from_secs(15).min(Duration::from_secs(a.timeout)),
    };
    Ok(Validated {
        plan: Plan {
            request: AssumeRequest {
                role_arn,
                session_name,
                duration,
                policy,
                policy_arns,
            },
            chain,
            verify: a.verify,
            total_timeout: Duration::from_secs(a.timeout),
        },
        region,
        settings,
        bash_env,
        profile,
        json,
        dotenv,
        token_opts: TokenOptions {
            token_file: a.token_file.clone(),
            audience: a.audience.clone(),
            mint_attempts: 3,
            mint_pause: Duration::from_secs(1),
        },
    })
}

/// Checks every sink can be written, changing nothing, before a token is spent.
fn preflight(v: &Validated) -> Result<()> {
    if let Some(path) = &v.bash_env {
        files::check_appendable(path)
            .context("cannot write the credentials to $BASH_ENV (--bash-env)")?;
    }
    if let Some(path) = &v.dotenv {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                bail!(
                    "cannot write {}: its directory does not exist (--output dotenv)",
                    path.display()
                );
            }
        }
    }
    if let Some((files, _)) = &v.profile {
        profile::preflight(files)?;
    }
    Ok(())
}

/// Warns when keys in the environment would hide the profile we write.
fn warn_if_shadowed(v: &Validated) {
    let Some((_, write)) = &v.profile else { return };
    if v.bash_env.is_some() || env("AWS_ACCESS_KEY_ID").is_none() {
        return;
    }
    eprintln!(
        "aws-oidc: warning: AWS_ACCESS_KEY_ID is set in this environment, and AWS tools use it before any \
         profile, so profile {:?} is ignored wherever it stays set. If an earlier step exported keys \
         (orb: set_aws_env_vars), set set_aws_env_vars: false there, or `unset AWS_ACCESS_KEY_ID \
         AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN` before using the profile.",
        write.name.as_str()
    );
}

/// Runs `aws-oidc assume`.
pub fn run(args: AssumeArgs) -> Result<()> {
    let v = validate(args)?;
    preflight(&v)?;
    warn_if_shadowed(&v);

    let minter = CircleCiCli::from_path(env("PATH").as_deref());
    let token = token::obtain(&v.token_opts, &env, &minter, SystemTime::now())?;
    let fresh = || {
        let opts = TokenOptions {
            token_file: None,
            ..v.token_opts.clone()
        };
        let aud = token.claims.audiences().first().map(|a| a.to_string());
        let opts = TokenOptions {
            audience: opts.audience.or(aud),
            ..opts
        };
        token::obtain(&opts, &|_| None, &minter, SystemTime::now())
    };

    let sts = Sts::new(v.settings.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(aws_oidc::assume::run(&v.plan, &sts, token.clone(), &fresh));
    let outcome = match outcome {
        Ok(o) => o,
        Err(AssumeError::Token(e)) => return Err(e.into()),
        Err(AssumeError::Sts(failure, used)) => {
            let ctx = diagnose::Context {
                role_arn: &v.plan.request.role_arn,
                chain_role_arn: v.plan.chain.as_ref().map(|c| &c.role_arn),
                claims: &used.claims,
                token_source: used.source.to_string(),
                region: &v.region,
                endpoint: v.settings.endpoint_description(),
                duration: v.plan.request.duration.secs(),
            };
            bail!("{}", diagnose::explain(&failure, &ctx));
        }
    };

    let creds = &outcome.assumed.credentials;
    let mut wrote = Vec::new();
    if let Some((files, write)) = &v.profile {
        profile::write(files, write, creds)?;
        wrote.push(format!("profile {:?}", write.name.as_str()));
    }
    if let Some(path) = &v.dotenv {
        shell::write_dotenv(path, creds, Some(&v.region))?;
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &v.bash_env {
        let header = format!(
            "aws-oidc: credentials for {}",
            outcome.assumed.assumed_role_arn
        );
        shell::append_bash_env(path, creds, Some(&v.region), &header)?;
        wrote.push(if env("BASH_ENV").as_deref() == path.to_str() {
            "$BASH_ENV".into()
        } else {
            path.display().to_string()
        });
    }
    if v.json {
        println!("{}", sinks::process_json(creds));
        wrote.push("stdout".into());
    }
    let verified = match &outcome.verified_arn {
        Some(arn) => format!("; verified as {arn}"),
        None => String::new(),
    };
    let via = match &outcome.first_role_arn {
        Some(first) => format!(" (via {first})"),
        None => String::new(),
    };
    eprintln!(
        "aws-oidc: assumed {}{via}; credentials expire {} ({}); wrote {}{verified}",
        outcome.assumed.assumed_role_arn,
        creds.expiration_rfc3339(),
        humanize_from_now(creds.expiration),
        wrote.join(", "),
    );
    Ok(())
}
