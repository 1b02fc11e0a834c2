//! `aws-oidc ecr-login`: ECR registry logins where Docker, skopeo, buildah, crane and kaniko read them.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{bail, Context as _, Result};
use aws_oidc::credential_helper::{CachedLogins, HelperSettings, HELPER_NAME};
use aws_oidc::credential_source::CredentialSource;
use aws_oidc::docker_config::{DockerConfig, Entry};
use aws_oidc::ecr::{self, EcrSettings, Registry, RegistryLogin};
use aws_oidc::ledger::Written;
use aws_oidc::request::parse_region;
use aws_oidc::settings::{self, option_value, process_env};
use clap::Args;

use crate::output::say;
use crate::role::{credential_source, open_cache, RoleArgs};

pub const LONG_ABOUT: &str = "\
Log in to ECR registries with a token from ECR's GetAuthorizationToken, without the AWS CLI or \
Docker: the logins are written as auths entries in Docker's config.json ($DOCKER_CONFIG, else \
~/.docker), which Docker, kaniko, buildah, crane and skopeo read. Every other entry is kept; the \
file is replaced atomically, 0600, under a lock. The tokens last 12 hours and are never printed.

Registries: account IDs (that account's registry in the region), ECR hosts \
(ACCOUNT.dkr.ecr.REGION.amazonaws.com), public.ecr.aws (or --public), several at once. Another host \
is refused unless given as HOST=ACCOUNT_ID. None: this account's registry in the region.

Credentials: $AWS_ACCESS_KEY_ID and friends (what aws-oidc/setup exports), else the profile \
$AWS_PROFILE; --profile NAME (keys, or its credential_process: a profile that `assume --refresh` \
wrote works); or --role-arn, which assumes the role with the job's OIDC token in this step.

--helper writes credHelpers entries instead, so Docker runs docker-credential-aws-oidc for a fresh \
token on every pull and push: long jobs never meet an expired login. --docker-login runs \
`docker login --password-stdin` instead, for those who want Docker to store the login.";

/// Options of `aws-oidc ecr-login`.
#[derive(Debug, Args)]
pub struct EcrLoginArgs {
    /// Registries: account IDs, ECR hosts, public.ecr.aws, or HOST=ACCOUNT_ID; commas or spaces separate several [default: this account's registry in the region]
    #[arg(value_name = "REGISTRY")]
    registries: Vec<String>,

    /// Also log in to ECR Public (public.ecr.aws; its tokens come from us-east-1)
    #[arg(long)]
    public: bool,

    /// Take the credentials from this profile (its keys or credential_process) instead of the environment
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    /// Write credHelpers entries: Docker then runs docker-credential-aws-oidc for a fresh token on every pull and push
    #[arg(long, conflicts_with = "docker_login")]
    helper: bool,

    /// Run `docker login --password-stdin` for each registry instead of writing config.json
    #[arg(long)]
    docker_login: bool,

    #[command(flatten)]
    role: RoleArgs,
}

/// Where the logins go.
enum Target {
    Auths(DockerConfig),
    Helper(DockerConfig),
    DockerLogin(std::path::PathBuf),
}

/// `name` on `$PATH`, if executable there (on Windows, with `PATHEXT`'s extensions).
fn on_path(name: &str) -> Option<std::path::PathBuf> {
    aws_oidc::platform::find_program(&process_env("PATH")?, name, &process_env)
}

/// Runs `aws-oidc ecr-login`.  `role_on_command_line`: `--role-arn` was
/// given as a flag ($AWS_ROLE_ARN alone names the role setup already assumed).
pub fn run(a: EcrLoginArgs, role_on_command_line: bool) -> Result<()> {
    let env = &process_env;
    let x = a.role.expand_env;
    let (source, profile) = credential_source(a.profile.clone(), &a.role, role_on_command_line)?;
    if a.helper && matches!(source, CredentialSource::AssumeRole(_)) {
        bail!(
            "--helper fetches a token whenever Docker asks, long after this step: it needs credentials \
             that outlast it. Write a profile that refreshes itself first (`aws-oidc assume --profile \
             NAME --refresh`; orb: setup with refresh: true) and pass --profile NAME"
        );
    }
    let region_flag = option_value(a.role.region.clone(), x, "--region", env)?;
    let region = settings::REGION
        .resolve(region_flag.as_deref(), env)
        .map(|(raw, _)| parse_region(&raw))
        .transpose()?;
    let mut raw = Vec::new();
    for r in &a.registries {
        raw.extend(option_value(Some(r.clone()), x, "REGISTRY", env)?);
    }
    let registries = Registry::parse_all(&raw, a.public, region.as_deref())?;
    let ecr_settings = EcrSettings::from_env(env, a.role.timeout)?;

    // Everything that can fail without the network fails here.
    let target = if a.docker_login {
        let docker = on_path("docker").context(
            "--docker-login runs `docker login`, and there is no docker on PATH: leave --docker-login \
             out (aws-oidc writes Docker's config.json itself) or install the Docker CLI",
        )?;
        Target::DockerLogin(docker)
    } else {
        let config = DockerConfig::from_env(env)?;
        for note in config.check()? {
            if !a.helper {
                say!("aws-oidc: note: {note}");
            }
        }
        if a.helper {
            HelperSettings::beside(&config).check()?;
            if on_path("docker-credential-aws-oidc").is_none() {
                say!(
                    "aws-oidc: warning: docker-credential-aws-oidc is not on PATH, and Docker runs it \
                     from there: link it to aws-oidc (`ln -s aws-oidc docker-credential-aws-oidc` in \
                     aws-oidc's directory; the orb's install step does)"
                );
            }
            Target::Helper(config)
        } else {
            Target::Auths(config)
        }
    };
    let creds = source.resolve(env)?;
    let issued = SystemTime::now();
    let logins = ecr::login(&registries, &creds, &ecr_settings)?;

    let wrote = match &target {
        Target::Auths(config) => {
            let entries: Vec<Entry> = logins
                .iter()
                .map(|l| Entry::Auth {
                    host: &l.host,
                    username: &l.username,
                    password: &l.password,
                })
                .collect();
            for note in config.update(&entries)? {
                say!("aws-oidc: note: {note}");
            }
            record_for_cleanup(config, &logins, false);
            format!("wrote auths in {}", config.path().display())
        }
        Target::Helper(config) => {
            let hosts: Vec<_> = logins
                .iter()
                .map(|l| (l.host.as_str(), &l.registry, profile.as_ref()))
                .collect();
            HelperSettings::beside(config).record(&hosts)?;
            let entries: Vec<Entry> = logins
                .iter()
                .map(|l| Entry::Helper {
                    host: &l.host,
                    helper: HELPER_NAME,
                })
                .collect();
            config.update(&entries)?;
            record_for_cleanup(config, &logins, true);
            let cache = open_cache();
            CachedLogins {
                settings: &ecr_settings,
                ledger: cache.as_ref().map(|c| c.ledger(env)),
                cache,
            }
            .prime(&logins, &creds, issued)?;
            format!(
                "wrote credHelpers in {}: docker-credential-aws-oidc fetches a fresh token whenever one is due",
                config.path().display()
            )
        }
        Target::DockerLogin(docker) => {
            for login in &logins {
                docker_login(docker, login)?;
            }
            "`docker login` stored them".into()
        }
    };
    let hosts: Vec<&str> = logins.iter().map(|l| l.host.as_str()).collect();
    let mut expiries: Vec<String> = logins.iter().map(|l| l.expiry.to_string()).collect();
    expiries.dedup();
    say!(
        "aws-oidc: logged in to {} with the credentials of {}; the login expires {}; {wrote}",
        hosts.join(", "),
        creds.origin,
        expiries.join("; "),
    );
    Ok(())
}

/// Records the logins written for `aws-oidc cleanup`; one that cannot be
/// recorded is a warning, not a failed login.
fn record_for_cleanup(config: &DockerConfig, logins: &[RegistryLogin], helper: bool) {
    let Some(cache) = open_cache() else {
        return;
    };
    let written = Written::DockerLogins {
        config: config.path().to_path_buf(),
        hosts: logins.iter().map(|l| l.host.clone()).collect(),
        helper,
    };
    if let Err(e) = cache.ledger(&process_env).record(written) {
        say!("aws-oidc: warning: aws-oidc cleanup will not remove these logins: {e}");
    }
}

/// `docker login --username USER --password-stdin -- HOST`, the password on
/// stdin only.  The host comes after `--`, and is checked again here, so a
/// host that starts with `-` can never reach docker as an option.
fn docker_login(docker: &std::path::Path, login: &RegistryLogin) -> Result<()> {
    if let Some(why) = ecr::registry::host_problem(&login.host) {
        bail!("not running `docker login` for {:?}: {why}", login.host);
    }
    let mut child = Command::new(docker)
        .args([
            "login",
            "--username",
            &login.username,
            "--password-stdin",
            "--",
            &login.host,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", docker.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A docker that exits early closes the pipe; its status says why.
        let _ = stdin.write_all(login.password.expose().as_bytes());
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("cannot run {}", docker.display()))?;
    if !out.status.success() {
        bail!(
            "`docker login {}` failed ({}): {}",
            login.host,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
