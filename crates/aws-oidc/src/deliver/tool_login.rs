//! A CodeArtifact repository where a package tool reads it: the tool's
//! settings files edited, its variables exported to `$BASH_ENV`, each
//! write recorded for `cleanup`.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::codeartifact::tools::{self, Tool, ToolError};
use crate::codeartifact::{
    self, CodeArtifactInputError, CodeArtifactLoginError, CodeArtifactSettings,
    CodeArtifactSetupError, Repository,
};
use crate::credentials::Credentials;
use crate::credentials::Secret;
use crate::env::Env;
use crate::files::FileError;
use crate::ledger::{Ledger, Written};
use crate::names::{Input, Names};
use crate::settings::{self, SettingsError};
use crate::sinks::shell::{self, ShellSinkError};

use super::{absolute, bash_env_path};

/// The login, as the options say (values taken as given).
#[derive(Debug, Clone, Default)]
pub struct ToolLoginOptions {
    /// The tool: npm, pip, uv, poetry, twine, maven, gradle, cargo or env.
    pub tool: String,
    /// The CodeArtifact domain.
    pub domain: String,
    /// The account that owns the domain (none: the credentials' own).
    pub domain_owner: Option<String>,
    /// The repository.
    pub repository: String,
    /// How long the token lasts, in seconds (0: as long as the credentials).
    pub duration: String,
    /// npm: only this scope comes from the repository.
    pub namespace: Option<String>,
    /// pip, uv: beside the default index rather than instead of it.
    pub extra_index: bool,
    /// `env`: the repository format whose endpoint is exported.
    pub format: Option<String>,
    /// The file for `export` lines (none: `$BASH_ENV`).
    pub bash_env: Option<PathBuf>,
    /// `--region` (else the region chain): CodeArtifact is regional.
    pub region: Option<String>,
    /// How long both calls may take, in seconds.
    pub timeout_secs: u64,
}

/// A login, validated, with every file and `$BASH_ENV` checked.
#[derive(Debug, Clone)]
pub(crate) struct ToolLogin {
    tool: Tool,
    name: String,
    repo: Repository,
    format: String,
    duration: u32,
    scope: Option<String>,
    extra_index: bool,
    bash_env: Option<PathBuf>,
    region: String,
    settings: CodeArtifactSettings,
}

/// What [`ToolLogin::run`] did.
#[derive(Debug)]
pub(crate) struct ToolLoginReport {
    /// The tool, as named.
    pub tool: String,
    /// The repository's endpoint.
    pub endpoint: String,
    /// The repository.
    pub repo: Repository,
    /// When the token stops working, if CodeArtifact said.
    pub expiration: Option<SystemTime>,
    /// What was written: files, and the variables exported.
    pub wrote: Vec<String>,
    /// How to use the repository with the tool.
    pub notes: Vec<String>,
    /// Writes the ledger could not record (cleanup will leave them): warnings.
    pub warnings: Vec<String>,
}

crate::error_debug::debug_by_display!(ToolLoginError);
/// Why the login could not be made or written.
#[derive(thiserror::Error)]
pub enum ToolLoginError {
    /// An option is not valid.
    Input(#[from] CodeArtifactInputError),
    /// A namespace (an npm scope) for another tool.
    NamespaceNeedsNpm,
    /// An extra index for another tool.
    ExtraIndexNeedsPip,
    /// A package format CodeArtifact does not have.
    Format(String),
    /// A package format for a tool that knows its own.
    FormatNeedsEnv,
    /// Variables to export (the tool named), and no `$BASH_ENV`.
    NoBashEnv(String),
    /// `$BASH_ENV` cannot be appended to.
    BashEnv(#[source] FileError),
    /// A tool's file cannot be used.
    #[error(transparent)]
    Tool(#[from] ToolError),
    /// CodeArtifact refused.
    #[error(transparent)]
    Login(#[from] CodeArtifactLoginError),
    /// The export lines could not be written.
    #[error(transparent)]
    Shell(#[from] ShellSinkError),
    /// No region, or CodeArtifact cannot be reached with these settings.
    Settings(#[from] SettingsError),
    /// CodeArtifact cannot be reached with these settings.
    Setup(#[from] CodeArtifactSetupError),
}

impl ToolLoginError {
    /// The message, naming each option the way `names` calls it (or in
    /// the tools' terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        // "the npm tool", or "--tool npm".
        let tool = |t: &str| {
            names
                .name(Input::Tool)
                .map_or_else(|| format!("the {t} tool"), |n| format!("{n} {t}"))
        };
        match self {
            ToolLoginError::Input(e) => e.describe(names),
            ToolLoginError::NamespaceNeedsNpm => format!(
                "{} is an npm scope, and goes with {}",
                names.or(Input::Namespace, "a namespace"),
                tool("npm")
            ),
            ToolLoginError::ExtraIndexNeedsPip => format!(
                "{} goes with {}",
                names.or(Input::ExtraIndex, "an extra index"),
                tool("pip or uv")
            ),
            ToolLoginError::Format(raw) => format!(
                "{}{raw:?} is not a CodeArtifact package format (npm, pypi, maven, nuget, \
                 generic, swift, ruby, cargo)",
                names.around(Input::Format, "", " ")
            ),
            ToolLoginError::FormatNeedsEnv => format!(
                "{} goes with {}; the other tools know their format",
                names.or(Input::Format, "a package format"),
                tool("env")
            ),
            ToolLoginError::NoBashEnv(t) => format!(
                "{}{t} exports variables, and $BASH_ENV (set in every CircleCI job) is not set: {}",
                names.around(Input::Tool, "", " "),
                names.with_or(
                    Input::BashEnv,
                    |n| format!("pass {n} PATH"),
                    "name the file later steps read"
                )
            ),
            ToolLoginError::BashEnv(_) => "cannot write the variables to $BASH_ENV".into(),
            ToolLoginError::Tool(e) => e.to_string(),
            ToolLoginError::Login(e) => e.to_string(),
            ToolLoginError::Shell(e) => e.to_string(),
            ToolLoginError::Settings(e) => e.describe(names),
            ToolLoginError::Setup(e) => e.to_string(),
        }
    }
}

crate::names::display_by_describe!(ToolLoginError);
impl ToolLogin {
    /// Validates the options and checks, changing nothing, that every file
    /// the tool reads and `$BASH_ENV` can be written: a token is fetched
    /// only when it can be put somewhere.
    pub(crate) fn resolve(opts: ToolLoginOptions, env: Env) -> Result<Self, ToolLoginError> {
        let tool = Tool::parse(&opts.tool)?;
        let repo = Repository::parse(&opts.domain, opts.domain_owner.as_deref(), &opts.repository)?;
        let duration = codeartifact::parse_duration(&opts.duration)?;
        let scope = opts
            .namespace
            .as_deref()
            .map(tools::parse_scope)
            .transpose()?;
        if scope.is_some() && tool != Tool::Npm {
            return Err(ToolLoginError::NamespaceNeedsNpm);
        }
        if opts.extra_index && !matches!(tool, Tool::Pip | Tool::Uv) {
            return Err(ToolLoginError::ExtraIndexNeedsPip);
        }
        let format = match opts.format {
            Some(f) if tool == Tool::Env => {
                let f = f.to_ascii_lowercase();
                if !f.chars().all(|c| c.is_ascii_lowercase()) || f.is_empty() || f.len() > 16 {
                    return Err(ToolLoginError::Format(f));
                }
                f
            }
            Some(_) => return Err(ToolLoginError::FormatNeedsEnv),
            None => tool.format().to_string(),
        };
        let region = settings::required_region(opts.region.as_deref(), env, "CodeArtifact is")?;
        let settings = CodeArtifactSettings::from_env(&region, env, opts.timeout_secs)?;
        let login = ToolLogin {
            tool,
            name: opts.tool,
            repo,
            format,
            duration,
            scope,
            extra_index: opts.extra_index,
            bash_env: None,
            region,
            settings,
        };
        // What the tool needs, planned with a stand-in endpoint and token.
        let plan = login.plan("https://probe.invalid/p/", &Secret::new("probe"), env)?;
        let bash_env = if plan.exports.is_empty() {
            None
        } else {
            let path = match opts.bash_env {
                Some(p) => p,
                None => bash_env_path(env)
                    .ok_or_else(|| ToolLoginError::NoBashEnv(login.name.clone()))?,
            };
            shell::check_bash_env(&path).map_err(ToolLoginError::BashEnv)?;
            Some(path)
        };
        for (path, kind) in &plan.files {
            tools::preflight(path, kind)?;
        }
        Ok(ToolLogin { bash_env, ..login })
    }

    /// The region CodeArtifact is asked in (a role assumed for it is assumed there).
    pub(crate) fn region(&self) -> &str {
        &self.region
    }

    fn plan(&self, endpoint: &str, token: &Secret, env: Env) -> Result<tools::Plan, ToolError> {
        tools::plan(
            self.tool,
            endpoint,
            token,
            self.scope.as_deref(),
            self.extra_index,
            env,
        )
    }

    /// Asks CodeArtifact for a token and the repository's endpoint with
    /// `creds`, writes them where the tool reads them, and records each
    /// write in `ledger` (a write it cannot record is a warning).
    pub(crate) fn run(
        &self,
        creds: &Credentials,
        ledger: Option<&Ledger>,
        env: Env,
    ) -> Result<ToolLoginReport, ToolLoginError> {
        let login = codeartifact::login(
            &self.repo,
            &self.format,
            self.duration,
            creds,
            &self.settings,
        )?;
        let plan = self.plan(&login.endpoint, &login.token, env)?;
        let mut wrote = Vec::new();
        let mut warnings = Vec::new();
        for (path, kind) in &plan.files {
            let edit = tools::edit(path, kind, &login.endpoint, &login.token)?;
            if let Some(Err(e)) = ledger.map(|l| {
                l.record(Written::RegistryConfig {
                    path: absolute(path),
                    edit,
                })
            }) {
                warnings.push(format!("aws-oidc cleanup will not take this back: {e}"));
            }
            wrote.push(path.display().to_string());
        }
        if let Some(path) = &self.bash_env {
            let pairs: Vec<(&str, &[u8])> = plan
                .exports
                .iter()
                .map(|(n, v)| (n.as_str(), v.expose().as_bytes()))
                .collect();
            shell::append_exports(path, &pairs, "aws-oidc: codeartifact-login")?;
            let names: Vec<String> = plan.exports.iter().map(|(n, _)| n.clone()).collect();
            let written = Written::SecretExports {
                path: path.clone(),
                vars: names.clone(),
            };
            if let Some(Err(e)) = ledger.map(|l| l.record(written)) {
                warnings.push(format!("aws-oidc cleanup will not unset these: {e}"));
            }
            wrote.push(format!("{} in $BASH_ENV", names.join(", ")));
        }
        Ok(ToolLoginReport {
            tool: self.name.to_ascii_lowercase(),
            endpoint: login.endpoint,
            repo: self.repo.clone(),
            expiration: login.expiration,
            wrote,
            notes: plan.notes,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn option_errors_name_the_tool_in_its_terms_or_the_caller_s() {
        let no_bash_env = ToolLoginError::NoBashEnv("gradle".into());
        assert_eq!(
            no_bash_env.to_string(),
            "gradle exports variables, and $BASH_ENV (set in every CircleCI job) is not set: \
             name the file later steps read"
        );
        assert_eq!(
            no_bash_env.describe(&crate::names::Marked),
            "<Tool> gradle exports variables, and $BASH_ENV (set in every CircleCI job) is not \
             set: pass <BashEnv> PATH"
        );
        assert_eq!(
            ToolLoginError::NamespaceNeedsNpm.to_string(),
            "a namespace is an npm scope, and goes with the npm tool"
        );
    }

    fn opts(tool: &str) -> ToolLoginOptions {
        ToolLoginOptions {
            tool: tool.into(),
            domain: "acme".into(),
            repository: "store".into(),
            duration: "0".into(),
            region: Some("eu-west-1".into()),
            timeout_secs: 60,
            ..ToolLoginOptions::default()
        }
    }

    #[test]
    fn options_that_do_not_go_with_the_tool_are_refused() {
        let env = env_of(&[("HOME", "/nonexistent-home"), ("BASH_ENV", "/tmp/x")]);
        let namespace = ToolLoginOptions {
            namespace: Some("@acme".into()),
            ..opts("pip")
        };
        assert!(matches!(
            ToolLogin::resolve(namespace, &env),
            Err(ToolLoginError::NamespaceNeedsNpm)
        ));
        let extra = ToolLoginOptions {
            extra_index: true,
            ..opts("npm")
        };
        assert!(matches!(
            ToolLogin::resolve(extra, &env),
            Err(ToolLoginError::ExtraIndexNeedsPip)
        ));
        let format = ToolLoginOptions {
            format: Some("pypi".into()),
            ..opts("npm")
        };
        assert!(matches!(
            ToolLogin::resolve(format, &env),
            Err(ToolLoginError::FormatNeedsEnv)
        ));
        let bad = ToolLoginOptions {
            format: Some("not a format".into()),
            ..opts("env")
        };
        assert!(matches!(
            ToolLogin::resolve(bad, &env),
            Err(ToolLoginError::Format(_))
        ));
    }

    #[test]
    fn a_tool_that_exports_needs_somewhere_to_export_to() {
        let err = ToolLogin::resolve(opts("Gradle"), &env_of(&[])).unwrap_err();
        assert!(
            matches!(&err, ToolLoginError::NoBashEnv(tool) if tool == "Gradle"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("HOME", dir.path().to_str().unwrap())]);
        let npm = ToolLogin::resolve(opts("npm"), &env).unwrap();
        assert_eq!(npm.bash_env, None);
    }
}
