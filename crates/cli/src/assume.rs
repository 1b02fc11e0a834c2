//! `aws-oidc assume`: token -> STS -> credentials -> sinks, as one CircleCI step.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::credentials::humanize_from_now;
use aws_oidc::settings::{option_value, process_env};
use aws_oidc::sinks::profile::{self, ProfileContent};
use aws_oidc::sinks::{self, shell};
use aws_oidc::trust::TrustPolicy;
use aws_oidc::{CachedExchange, Exchange};
use clap::Args;

use crate::output::print_stdout;
use crate::role::{open_cache, RoleArgs};

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
    #[command(flatten)]
    role: RoleArgs,

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

    /// With --profile: write a self-refreshing profile (credential_process = aws-oidc credential-process ...) instead of static keys, for jobs that outlast the credentials
    #[arg(long, requires = "profile")]
    refresh: bool,

    /// The role's trust policy (JSON): on AccessDenied, check it against the token and show the failing conditions (as `aws-oidc check`)
    #[arg(long, value_name = "FILE")]
    trust_policy: Option<PathBuf>,
}

/// Everything validated, before any network call or file change.
struct Validated {
    exchange: Exchange,
    bash_env: Option<PathBuf>,
    profile: Option<(profile::SharedFiles, profile::ProfileWrite)>,
    json: bool,
    dotenv: Option<PathBuf>,
    refresh: bool,
}

fn validate(a: AssumeArgs) -> Result<Validated> {
    let env = &process_env;
    let profile_name = option_value(a.profile, a.role.expand_env, "--profile", env)?;
    let mut exchange = Exchange::resolve(a.role.options(a.verify), env)?;
    if let Some(path) = a.trust_policy {
        let policy = TrustPolicy::read(&path)?;
        exchange = exchange.explain_with_trust_policy(path, policy);
    }
    let region = exchange.region().map(String::from);

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
    let profile = match &profile_name {
        None => None,
        Some(name) => {
            let files = profile::SharedFiles::from_env(env)?;
            let write = profile::ProfileWrite {
                name: profile::ProfileName::parse(name)?,
                region,
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
    if a.refresh && (bash_env.is_some() || json || dotenv.is_some()) {
        bail!(
            "--refresh writes a profile that refreshes itself; exported or printed keys would expire \
             and, in the environment, shadow it: use --refresh with --profile alone \
             (orb: set_aws_env_vars: false)"
        );
    }
    Ok(Validated {
        exchange,
        bash_env,
        profile,
        json,
        dotenv,
        refresh: a.refresh,
    })
}

/// Checks every sink can be written, changing nothing, before a token is spent.
fn preflight(v: &Validated) -> Result<()> {
    if let Some(path) = &v.bash_env {
        shell::check_bash_env(path)
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
    if v.bash_env.is_some() || process_env("AWS_ACCESS_KEY_ID").is_none() {
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
    for note in v.exchange.notes() {
        eprintln!("aws-oidc: note: {note}");
    }
    preflight(&v)?;
    warn_if_shadowed(&v);
    let issued_at = SystemTime::now();
    let outcome = v.exchange.run(&process_env)?;
    let region = v.exchange.region();

    let creds = &outcome.assumed.credentials;
    let mut wrote = Vec::new();
    if let Some((files, write)) = &v.profile {
        if v.refresh {
            let exe =
                std::env::current_exe().context("cannot find the path of this aws-oidc binary")?;
            let command = v.exchange.process_command(&exe)?;
            CachedExchange::new(&v.exchange, open_cache()).prime(creds, issued_at)?;
            profile::write(files, write, &ProfileContent::Process(command))?;
            wrote.push(format!(
                "profile {:?} (refreshes itself through credential_process)",
                write.name.as_str()
            ));
        } else {
            profile::write(files, write, &ProfileContent::Keys(creds))?;
            wrote.push(format!("profile {:?}", write.name.as_str()));
        }
    }
    if let Some(path) = &v.dotenv {
        shell::write_dotenv(path, creds, region)?;
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &v.bash_env {
        let header = format!(
            "aws-oidc: credentials for {}",
            outcome.assumed.assumed_role_arn
        );
        shell::append_bash_env(path, creds, region, &header)?;
        wrote.push(if process_env("BASH_ENV").as_deref() == path.to_str() {
            "$BASH_ENV".into()
        } else {
            path.display().to_string()
        });
    }
    if v.json {
        print_stdout(&sinks::process_json(creds))?;
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
    let global = match region {
        Some(_) => String::new(),
        None => format!(
            "; no region given, so STS's global endpoint ({}) was used and no region written",
            v.exchange.sts_settings().endpoint_description()
        ),
    };
    eprintln!(
        "aws-oidc: assumed {}{via} with the token from {}; credentials expire {} ({}); wrote {}{verified}{global}",
        outcome.assumed.assumed_role_arn,
        outcome.token.source,
        creds.expiration_rfc3339(),
        humanize_from_now(creds.expiration),
        wrote.join(", "),
    );
    Ok(())
}
