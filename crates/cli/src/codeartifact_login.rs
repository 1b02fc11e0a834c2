//! `aws-oidc codeartifact-login`: a CodeArtifact repository where npm, pip, uv, Poetry, twine, Maven, Gradle and cargo read it.

use std::path::PathBuf;

use anyhow::Result;
use aws_oidc::process_env;
use aws_oidc::{CodeArtifactRequest, ToolLoginOptions};
use clap::Args;

use crate::output::{say, Printer};
use crate::role::Role;

pub(crate) const LONG_ABOUT: &str = "\
Log a package tool in to a CodeArtifact repository, as `aws codeartifact login` does but without \
the AWS CLI: GetAuthorizationToken and GetRepositoryEndpoint, then the tool's own settings.

  --tool npm      registry= (or @scope:registry= with --namespace) and //host/path/:_authToken= in \
the user's .npmrc ($NPM_CONFIG_USERCONFIG), every other line kept
  --tool pip, uv  PIP_INDEX_URL / UV_DEFAULT_INDEX exported (--extra-index: PIP_EXTRA_INDEX_URL / \
UV_INDEX), the token in ~/.netrc ($NETRC), which both read: never in a URL they print
  --tool poetry   POETRY_REPOSITORIES_CODEARTIFACT_URL and POETRY_HTTP_BASIC_CODEARTIFACT_* exported
  --tool twine    a [codeartifact] section in ~/.pypirc (0600), named in index-servers
  --tool maven    CODEARTIFACT_AUTH_TOKEN and CODEARTIFACT_REPOSITORY_URL exported, and a <server> \
codeartifact in ~/.m2/settings.xml that reads the token from the variable
  --tool gradle, env   CODEARTIFACT_AUTH_TOKEN and CODEARTIFACT_REPOSITORY_URL exported
  --tool cargo    CARGO_REGISTRIES_CODEARTIFACT_INDEX (sparse) and _TOKEN exported

Variables go to later steps through $BASH_ENV (--bash-env PATH for another file). Files are \
replaced atomically under a lock, 0600; one that cannot be read as what it should be is refused \
and left as it was, before any network call. `aws-oidc cleanup` takes back what was written and \
unsets what was exported. The token is never printed.

Credentials: $AWS_ACCESS_KEY_ID and friends (what aws-oidc/setup exports), else the profile \
$AWS_PROFILE; --profile NAME; or --role-arn, which assumes the role with the job's OIDC token in \
this step (--role-duration sets that session's length). They need \
codeartifact:GetAuthorizationToken, sts:GetServiceBearerToken and \
codeartifact:GetRepositoryEndpoint, codeartifact:ReadFromRepository to install.";

pub(crate) const AFTER_HELP: &str = "\
Examples:
  # After aws-oidc/setup: npm install and npm publish against the repository
  aws-oidc codeartifact-login --tool npm --domain acme --domain-owner 123456789012 --repository npm-store

  # Only @acme packages from CodeArtifact
  aws-oidc codeartifact-login --tool npm --namespace @acme --domain acme --repository npm-store

  # pip install from CodeArtifact, PyPI packages from the repository's upstream
  aws-oidc codeartifact-login --tool pip --domain acme --repository pypi-store";

/// Options of `aws-oidc codeartifact-login`.
#[derive(Debug, Args)]
#[command(mut_arg("duration", |a| a.long("role-duration")))]
pub(crate) struct CodeArtifactLoginArgs {
    /// The tool to configure: npm, pip, uv, poetry, twine, maven, gradle, cargo, or env (only the variables)
    #[arg(long, value_name = "TOOL")]
    tool: String,

    /// The CodeArtifact domain
    #[arg(long, value_name = "DOMAIN")]
    domain: String,

    /// The AWS account that owns the domain [default: the credentials' own]
    #[arg(long, value_name = "ACCOUNT_ID")]
    domain_owner: Option<String>,

    /// The repository
    #[arg(long, value_name = "NAME")]
    repository: String,

    /// How long the token lasts: 900-43200 seconds, or 0 for as long as the credentials asking for it
    #[arg(
        long = "duration",
        id = "token_duration",
        value_name = "SECONDS",
        default_value = "0"
    )]
    token_duration: String,

    /// npm: only this scope (@acme) comes from the repository
    #[arg(long, value_name = "SCOPE")]
    namespace: Option<String>,

    /// pip, uv: add the repository beside the default index instead of replacing it
    #[arg(long)]
    extra_index: bool,

    /// The repository format whose endpoint --tool env exports [default: generic]
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,

    /// Append the `export` lines to this file [default: $BASH_ENV]
    #[arg(long, value_name = "PATH")]
    bash_env: Option<PathBuf>,

    /// Take the credentials from this profile (its keys or credential_process) instead of the environment
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,

    #[command(flatten)]
    role: Role,
}

/// Runs `aws-oidc codeartifact-login`.
pub(crate) fn run(a: CodeArtifactLoginArgs) -> Result<()> {
    let v = a.role.values();
    // Blank is left for the library to refuse.
    let required =
        |value, option| Ok::<_, anyhow::Error>(v.opt(Some(value), option)?.unwrap_or_default());
    let login = ToolLoginOptions {
        tool: required(a.tool, "--tool")?,
        domain: required(a.domain, "--domain")?,
        domain_owner: v.opt(a.domain_owner, "--domain-owner")?,
        repository: required(a.repository, "--repository")?,
        duration: a.token_duration,
        namespace: v.opt(a.namespace, "--namespace")?,
        extra_index: a.extra_index,
        format: v.opt(a.format, "--format")?,
        bash_env: a.bash_env,
        region: v.opt(a.role.args.region.clone(), "--region")?,
        timeout_secs: a.role.args.timeout,
    };
    let credentials = a.role.credentials(a.profile)?;
    let request = CodeArtifactRequest { login, credentials };
    let report = aws_oidc::codeartifact_login(request, &process_env, &mut Printer)?;
    say!("aws-oidc: {report}");
    for note in report.notes() {
        say!("aws-oidc: note: {note}");
    }
    Ok(())
}
