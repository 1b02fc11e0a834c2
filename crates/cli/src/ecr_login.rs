//! `aws-oidc ecr-login`: ECR registry logins where Docker, skopeo, buildah, crane and kaniko read them.

use std::time::SystemTime;

use anyhow::Result;
use aws_oidc::ecr::{self, EcrSettings, Registry};
use aws_oidc::process_env;
use aws_oidc::{DockerMode, DockerTarget};
use clap::Args;

use crate::output::{say, warn};
use crate::role::Role;
use crate::values::open_cache;

pub(crate) const LONG_ABOUT: &str = "\
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
pub(crate) struct EcrLoginArgs {
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
    role: Role,
}

/// Runs `aws-oidc ecr-login`.
pub(crate) fn run(a: EcrLoginArgs) -> Result<()> {
    let env = &process_env;
    let v = a.role.values();
    let region = v.region(a.role.args.region.clone())?;
    let source = a.role.source(a.profile, region.as_deref())?;
    let mode = match (a.helper, a.docker_login) {
        (true, _) => DockerMode::Helper,
        (false, true) => DockerMode::DockerLogin,
        (false, false) => DockerMode::Auths,
    };
    let registries = Registry::parse_all(
        &v.each(&a.registries, "REGISTRY")?,
        a.public,
        region.as_deref(),
    )?;
    let settings = EcrSettings::from_env(env, a.role.args.timeout)?;
    // Everything that can fail without the network fails here.
    let target = DockerTarget::resolve(mode, &source, env)?;
    for note in &target.notes {
        say!("aws-oidc: note: {note}");
    }
    for warning in &target.warnings {
        warn(warning);
    }
    let creds = source.resolve(env)?;
    let issued = SystemTime::now();
    let logins = ecr::login(&registries, &creds, &settings)?;
    let cache = open_cache();
    let done = target.deliver(
        &logins,
        &creds,
        source.profile(),
        &settings,
        issued,
        cache.as_ref(),
        env,
    )?;
    for note in &done.notes {
        say!("aws-oidc: note: {note}");
    }
    for warning in &done.warnings {
        warn(warning);
    }
    let hosts: Vec<&str> = logins.iter().map(|l| l.host.as_str()).collect();
    let mut expiries: Vec<String> = logins.iter().map(|l| l.expiry.to_string()).collect();
    expiries.dedup();
    say!(
        "aws-oidc: logged in to {} with the credentials of {}; the login expires {}; {}",
        hosts.join(", "),
        creds.origin,
        expiries.join("; "),
        done.wrote,
    );
    Ok(())
}
