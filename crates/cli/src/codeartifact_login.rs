//! `aws-oidc codeartifact-login`: a CodeArtifact repository where npm, pip, uv, Poetry, twine, Maven, Gradle and cargo read it.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::codeartifact::tools::{self, Tool};
use aws_oidc::codeartifact::{self, CodeArtifactSettings, Repository};
use aws_oidc::credentials::rfc3339;
use aws_oidc::ledger::Written;
use aws_oidc::request::parse_region;
use aws_oidc::settings::{self, option_value, process_env};
use aws_oidc::sinks::shell;
use clap::Args;

use crate::output::say;
use crate::role::{credential_source, open_cache, RoleArgs};

pub const LONG_ABOUT: &str = "\
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

pub const AFTER_HELP: &str = "\
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
pub struct CodeArtifactLoginArgs {
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
    role: RoleArgs,
}

/// Runs `aws-oidc codeartifact-login`.  `role_on_command_line`: `--role-arn`
/// was given as a flag ($AWS_ROLE_ARN alone names the role setup assumed).
pub fn run(mut a: CodeArtifactLoginArgs, role_on_command_line: bool) -> Result<()> {
    let env = &process_env;
    let x = a.role.expand_env;
    let value = |v: Option<String>, name: &'static str| option_value(v, x, name, env);
    let tool = Tool::parse(&value(Some(a.tool.clone()), "--tool")?.unwrap_or_default())?;
    let domain = value(Some(a.domain.clone()), "--domain")?.unwrap_or_default();
    let owner = value(a.domain_owner.clone(), "--domain-owner")?;
    let repository = value(Some(a.repository.clone()), "--repository")?.unwrap_or_default();
    let repo = Repository::parse(&domain, owner.as_deref(), &repository)?;
    let duration = codeartifact::parse_duration(&a.token_duration)?;
    let scope = value(a.namespace.clone(), "--namespace")?
        .map(|s| tools::parse_scope(&s))
        .transpose()?;
    if scope.is_some() && tool != Tool::Npm {
        bail!("--namespace is an npm scope, and goes with --tool npm");
    }
    if a.extra_index && !matches!(tool, Tool::Pip | Tool::Uv) {
        bail!("--extra-index goes with --tool pip or uv");
    }
    let format = match value(a.format.clone(), "--format")? {
        Some(f) if tool == Tool::Env => {
            let f = f.to_ascii_lowercase();
            if !f.chars().all(|c| c.is_ascii_lowercase()) || f.is_empty() || f.len() > 16 {
                bail!("--format {f:?} is not a CodeArtifact package format (npm, pypi, maven, nuget, generic, swift, ruby, cargo)");
            }
            f
        }
        Some(_) => bail!("--format goes with --tool env; the other tools know their format"),
        None => tool.format().to_string(),
    };
    let region_flag = value(a.role.region.clone(), "--region")?;
    let Some((region, _)) = settings::REGION.resolve(region_flag.as_deref(), env) else {
        bail!(
            "CodeArtifact is regional, and no region is set: pass --region (orb: region) or set \
             AWS_REGION or AWS_DEFAULT_REGION"
        );
    };
    let region = parse_region(&region)?;
    a.role.region = Some(region.clone());
    let settings = CodeArtifactSettings::from_env(&region, env, a.role.timeout)?;

    // Where everything goes, checked before any network call: a token is
    // fetched only when it can be put somewhere.
    let probe = aws_oidc::credentials::Secret::new("probe");
    let plan = tools::plan(
        tool,
        "https://probe.invalid/p/",
        &probe,
        scope.as_deref(),
        a.extra_index,
        env,
    )?;
    let bash_env = if plan.exports.is_empty() {
        None
    } else {
        let path = match &a.bash_env {
            Some(p) => p.clone(),
            None => PathBuf::from(aws_oidc::platform::native_path(
                &process_env("BASH_ENV").ok_or_else(|| {
                    anyhow!(
                        "--tool {} exports variables, and $BASH_ENV (set in every CircleCI job) is \
                         not set: pass --bash-env PATH",
                        a.tool
                    )
                })?,
            )),
        };
        shell::check_bash_env(&path).context("cannot write the variables to $BASH_ENV")?;
        Some(path)
    };
    for (path, kind) in &plan.files {
        tools::preflight(path, kind)?;
    }

    let (source, _) = credential_source(a.profile.clone(), &a.role, role_on_command_line)?;
    let creds = source.resolve(env)?;
    let login = codeartifact::login(&repo, &format, duration, &creds, &settings)?;
    let plan = tools::plan(
        tool,
        &login.endpoint,
        &login.token,
        scope.as_deref(),
        a.extra_index,
        env,
    )?;
    let cache = open_cache();
    let ledger = cache.as_ref().map(|c| c.ledger(env));
    let mut wrote = Vec::new();
    for (path, kind) in &plan.files {
        let edit = tools::edit(path, kind, &login.endpoint, &login.token)?;
        if let Some(l) = &ledger {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            if let Err(e) = l.record(Written::RegistryConfig { path, edit }) {
                say!("aws-oidc: warning: aws-oidc cleanup will not take this back: {e}");
            }
        }
        wrote.push(path.display().to_string());
    }
    if let Some(path) = &bash_env {
        let pairs: Vec<(&str, &[u8])> = plan
            .exports
            .iter()
            .map(|(n, v)| (n.as_str(), v.expose().as_bytes()))
            .collect();
        shell::append_exports(path, &pairs, "aws-oidc: codeartifact-login")?;
        if let Some(l) = &ledger {
            let vars = plan.exports.iter().map(|(n, _)| n.clone()).collect();
            if let Err(e) = l.record(Written::SecretExports {
                path: path.clone(),
                vars,
            }) {
                say!("aws-oidc: warning: aws-oidc cleanup will not unset these: {e}");
            }
        }
        let names: Vec<&str> = plan.exports.iter().map(|(n, _)| n.as_str()).collect();
        wrote.push(format!("{} in $BASH_ENV", names.join(", ")));
    }
    let until = match login.expiration {
        Some(t) => format!("until {}", rfc3339(t)),
        None => "for as long as CodeArtifact allows".into(),
    };
    say!(
        "aws-oidc: logged {} in to {} ({}/{}) with the credentials of {}, {until}; wrote {}",
        a.tool.to_ascii_lowercase(),
        login.endpoint,
        repo.domain,
        repo.repository,
        creds.origin,
        wrote.join(", ")
    );
    for note in &plan.notes {
        say!("aws-oidc: note: {note}");
    }
    Ok(())
}
