//! `aws-oidc assume`: token -> STS -> credentials -> sinks, as one CircleCI step.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _, Result};
use aws_oidc::credentials::humanize_from_now;
use aws_oidc::ledger::{fingerprint, Grant, Ledger, Written};
use aws_oidc::settings::{process_env, Shadow};
use aws_oidc::sinks::profile::{self, ProfileContent};
use aws_oidc::sinks::{self, shell};
use aws_oidc::trust::TrustPolicy;
use aws_oidc::{CachedExchange, Exchange, ValidUntil};
use clap::Args;

use crate::output::{print_stdout, say};
use crate::role::{open_cache, RoleArgs};
use crate::targets::{TargetArgs, Targets};

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

    #[command(flatten)]
    targets: TargetArgs,

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

    /// Do nothing when the targets already hold credentials for this role valid for more than MINUTES (a rerun, a second setup in the same job)
    #[arg(
        long,
        env = "AWS_OIDC_SKIP_IF_VALID",
        hide_env_values = true,
        value_name = "MINUTES"
    )]
    skip_if_valid: Option<u32>,
}

/// Everything validated, before any network call or file change.
struct Validated {
    exchange: Exchange,
    targets: Targets,
    json: bool,
    dotenv: Option<PathBuf>,
    refresh: bool,
    skip_if_valid: Option<u32>,
}

fn validate(a: AssumeArgs) -> Result<Validated> {
    let expand_env = a.role.expand_env;
    let mut exchange = Exchange::resolve(a.role.options(a.verify), &process_env)?;
    if let Some(path) = a.trust_policy {
        let policy = TrustPolicy::read(&path)?;
        exchange = exchange.explain_with_trust_policy(path, policy);
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
    let targets = a.targets.resolve(
        expand_env,
        exchange.region().map(String::from),
        json || dotenv.is_some(),
        ", --output json or --output dotenv FILE",
    )?;
    if a.refresh && (targets.bash_env.is_some() || json || dotenv.is_some()) {
        bail!(
            "--refresh writes a profile that refreshes itself; exported or printed keys would expire \
             and, in the environment, shadow it: use --refresh with --profile alone \
             (orb: set_aws_env_vars: false)"
        );
    }
    if a.skip_if_valid.is_some() && (json || dotenv.is_some()) {
        bail!(
            "--skip-if-valid checks what --bash-env and --profile hold; --output json or dotenv \
             always needs fresh credentials: drop one of them"
        );
    }
    Ok(Validated {
        exchange,
        targets,
        json,
        dotenv,
        refresh: a.refresh,
        skip_if_valid: a.skip_if_valid,
    })
}

/// Checks every sink can be written, changing nothing, before a token is spent.
fn preflight(v: &Validated) -> Result<()> {
    v.targets.preflight()?;
    if let Some(path) = &v.dotenv {
        shell::check_dotenv(path).context("cannot write the dotenv file (--output dotenv)")?;
    }
    Ok(())
}

/// Warns when what later steps inherit would hide the profile we write.
fn warn_if_shadowed(v: &Validated) {
    let Some((_, write)) = &v.targets.profile else {
        return;
    };
    if v.targets.bash_env.is_some() {
        return; // the exported keys are what later steps use
    }
    if let Some(shadow) = Shadow::of(write.name.as_str(), &process_env) {
        say!("aws-oidc: warning: {}", shadow.warning(write.name.as_str()));
    }
}

/// The role the credentials act as: the chained one, if any.
fn final_role(x: &Exchange) -> String {
    x.chain()
        .map(|c| c.role_arn.to_string())
        .unwrap_or_else(|| x.request().role_arn.to_string())
}

/// With --skip-if-valid: whether every target still holds credentials for
/// this role valid for longer than asked; then says so.
fn already_valid(v: &Validated, ledger: Option<&Ledger>) -> bool {
    let (Some(minutes), Some(ledger)) = (v.skip_if_valid, ledger) else {
        return false;
    };
    let role = final_role(&v.exchange);
    let min_left = Duration::from_secs(u64::from(minutes) * 60);
    let targets = v.targets.ledger_targets();
    let mut until = Vec::new();
    for (target, _) in &targets {
        match ledger.still_valid(target, &role, min_left, SystemTime::now(), &process_env) {
            Some(t) => until.push(t),
            None => return false,
        }
    }
    let Some(first) = until.into_iter().min() else {
        return false;
    };
    let labels: Vec<&str> = targets.iter().map(|(_, l)| l.as_str()).collect();
    say!(
        "aws-oidc: {} already hold credentials for {role}, valid {} (more than --skip-if-valid {minutes} min): nothing to do",
        labels.join(" and "),
        match first {
            ValidUntil::Refreshes => "for as long as the profile refreshes itself".to_string(),
            ValidUntil::At(t) => format!("until {}", aws_oidc::credentials::rfc3339(t)),
        }
    );
    true
}

/// Runs `aws-oidc assume`.
pub fn run(args: AssumeArgs) -> Result<()> {
    let v = validate(args)?;
    for note in v.exchange.notes() {
        say!("aws-oidc: note: {note}");
    }
    preflight(&v)?;
    let cache = open_cache();
    let ledger = cache.as_ref().map(|c| c.ledger(&process_env));
    if already_valid(&v, ledger.as_ref()) {
        return Ok(());
    }
    warn_if_shadowed(&v);
    let issued_at = SystemTime::now();
    let outcome = v.exchange.run(&process_env)?;
    let region = v.exchange.region();

    let creds = &outcome.assumed.credentials;
    let mut wrote = Vec::new();
    if let Some((files, write)) = &v.targets.profile {
        if v.refresh {
            let exe =
                std::env::current_exe().context("cannot find the path of this aws-oidc binary")?;
            let command = v.exchange.process_command(&exe)?;
            // A cache that cannot be used only costs the first refresh an STS call.
            let cached = CachedExchange::new(&v.exchange, cache.clone());
            if let Err(e) = cached.prime(creds, issued_at, &process_env) {
                crate::output::warn(&format!("credentials not cached: {e}"));
            }
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
    if let (Some(path), Some(label)) = (&v.targets.bash_env, v.targets.bash_env_label()) {
        let header = format!(
            "aws-oidc: credentials for {}",
            outcome.assumed.assumed_role_arn
        );
        shell::append_bash_env(path, creds, v.targets.exported_region(region), &header)?;
        wrote.push(label);
    }
    if let Some(ledger) = &ledger {
        let grant = Grant {
            role_arn: final_role(&v.exchange),
            key: fingerprint(creds.access_key_id.expose()),
            expires_at: creds
                .expiration
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        };
        let expiration = creds.expiration_rfc3339();
        let exported: Vec<&str> =
            shell::credential_vars(creds, v.targets.exported_region(region), &expiration)
                .into_iter()
                .map(|(name, _)| name)
                .collect();
        let process_role = v.refresh.then(|| final_role(&v.exchange));
        v.targets
            .record(ledger, &exported, Some(grant), process_role)?;
        if let Some(path) = &v.dotenv {
            ledger.record(Written::created(path.clone()))?;
        }
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
    let sts = v.exchange.sts_settings();
    let global = match (region, &sts.endpoint_url) {
        (Some(_), _) => String::new(),
        (None, Some(_)) => "; no region given, so no region written".to_string(),
        (None, None) => format!(
            "; no region given, so STS's global endpoint ({}) was used and no region written",
            sts.endpoint_description()
        ),
    };
    say!(
        "aws-oidc: assumed {}{via} with the token from {}; credentials expire {} ({}); wrote {}{verified}{global}",
        outcome.assumed.assumed_role_arn,
        outcome.token.source,
        creds.expiration_rfc3339(),
        humanize_from_now(creds.expiration),
        wrote.join(", "),
    );
    Ok(())
}
