//! `aws-oidc ecr-login`: ECR registry logins where Docker, skopeo, buildah, crane and kaniko read them.

use anyhow::Result;
use aws_oidc::process_env;
use aws_oidc::{DockerMode, EcrLoginRequest};
use clap::Args;

use crate::output::{say, Printer};
use crate::role::Role;

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
    let v = a.role.values();
    let request = EcrLoginRequest {
        region: v.region(a.role.args.region.clone())?,
        credentials: a.role.credentials(a.profile)?,
        mode: match (a.helper, a.docker_login) {
            (true, _) => DockerMode::Helper,
            (false, true) => DockerMode::DockerLogin,
            (false, false) => DockerMode::Auths,
        },
        registries: v.each(&a.registries, "REGISTRY")?,
        public: a.public,
        timeout_secs: a.role.args.timeout,
    };
    let report = aws_oidc::ecr_login(request, &process_env, &mut Printer)?;
    say!("aws-oidc: {report}");
    Ok(())
}
