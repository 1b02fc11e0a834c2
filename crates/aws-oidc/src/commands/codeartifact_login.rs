//! `codeartifact-login`: a CodeArtifact repository where a package tool reads it.

use std::fmt;

use super::{open_cache, CommandError, Report, SourceOptions};
use crate::credentials::rfc3339;
use crate::deliver::{ToolLogin, ToolLoginOptions, ToolLoginReport};
use crate::env::Env;

/// What `codeartifact-login` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct CodeArtifactRequest {
    /// The tool, repository and where its settings go.
    pub login: ToolLoginOptions,
    /// Where the credentials come from.
    pub credentials: SourceOptions,
}

/// What `codeartifact-login` did.
#[derive(Debug)]
pub struct CodeArtifactReport {
    /// The login, and what was written.
    pub(crate) login: ToolLoginReport,
    /// Where the credentials came from.
    pub origin: String,
}

impl fmt::Display for CodeArtifactReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = &self.login;
        let until = match done.expiration {
            Some(t) => format!("until {}", rfc3339(t)),
            None => "for as long as CodeArtifact allows".into(),
        };
        write!(
            f,
            "logged {} in to {} ({}/{}) with the credentials of {}, {until}; wrote {}",
            done.tool,
            done.endpoint,
            done.repo.domain,
            done.repo.repository,
            self.origin,
            done.wrote.join(", ")
        )
    }
}

impl CodeArtifactReport {
    /// Notes for after the summary: how to use the repository with the tool.
    pub fn notes(&self) -> &[String] {
        &self.login.notes
    }
}

/// Logs the tool in: where everything goes is checked before any network
/// call, so a token is fetched only when it can be put somewhere.
pub fn codeartifact_login(
    req: CodeArtifactRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<CodeArtifactReport, CommandError> {
    let login = ToolLogin::resolve(req.login, env)?;
    let source = req.credentials.choose(Some(login.region()), env, report)?;
    let creds = source.resolve(env)?;
    let cache = open_cache(env, report);
    let ledger = cache.as_ref().map(|c| c.ledger(env));
    let done = login.run(&creds, ledger.as_ref(), env)?;
    for warning in &done.warnings {
        report.warn(warning);
    }
    Ok(CodeArtifactReport {
        login: done,
        origin: creds.origin.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codeartifact::Repository;

    #[test]
    fn the_summary_names_tool_repository_credentials_and_expiry() {
        let report = CodeArtifactReport {
            login: ToolLoginReport {
                tool: "npm".into(),
                endpoint: "https://acme-1.d.codeartifact.eu-west-1.amazonaws.com/npm/store/".into(),
                repo: Repository {
                    domain: "acme".into(),
                    owner: None,
                    repository: "store".into(),
                },
                expiration: None,
                wrote: vec!["~/.npmrc".into()],
                notes: vec!["npm install now reads the repository".into()],
                warnings: Vec::new(),
            },
            origin: "$AWS_ACCESS_KEY_ID".into(),
        };
        assert_eq!(
            report.to_string(),
            "logged npm in to https://acme-1.d.codeartifact.eu-west-1.amazonaws.com/npm/store/ \
             (acme/store) with the credentials of $AWS_ACCESS_KEY_ID, for as long as \
             CodeArtifact allows; wrote ~/.npmrc"
        );
        assert_eq!(report.notes().len(), 1);
    }
}
