//! `ecr-login`: ECR registry logins where Docker, skopeo, buildah, crane and kaniko read them.

use std::fmt;
use std::time::SystemTime;

use super::{open_cache, CommandError, Report, SourceOptions};
use crate::deliver::{DockerMode, DockerTarget};
use crate::ecr::{login, EcrSettings, Registry};
use crate::env::Env;

/// What `ecr-login` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct EcrLoginRequest {
    /// The registries named (account IDs, hosts, `HOST=ACCOUNT_ID`).
    pub registries: Vec<String>,
    /// Also ECR Public.
    pub public: bool,
    /// The region, if any.
    pub region: Option<String>,
    /// How the logins are written.
    pub mode: DockerMode,
    /// Where the credentials come from.
    pub credentials: SourceOptions,
    /// The time limit, in seconds.
    pub timeout_secs: u64,
}

/// What `ecr-login` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrLoginReport {
    /// The registry hosts logged in to.
    pub hosts: Vec<String>,
    /// Where the credentials came from.
    pub origin: String,
    /// When the logins expire, each said once in a row.
    pub expiries: Vec<String>,
    /// What was written, as a phrase.
    pub wrote: String,
}

impl fmt::Display for EcrLoginReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "logged in to {} with the credentials of {}; the login expires {}; {}",
            self.hosts.join(", "),
            self.origin,
            self.expiries.join("; "),
            self.wrote
        )
    }
}

/// Logs in to the registries: every name and the target are checked
/// before any network call.
pub fn ecr_login(
    req: EcrLoginRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<EcrLoginReport, CommandError> {
    let region = req.region.as_deref();
    let source = req.credentials.choose(region, env, report)?;
    let registries = Registry::parse_all(&req.registries, req.public, region)?;
    let settings = EcrSettings::from_env(env, req.timeout_secs)?;
    let target = DockerTarget::resolve(req.mode, &source, env)?;
    for note in &target.notes {
        report.note(note);
    }
    for warning in &target.warnings {
        report.warn(warning);
    }
    let creds = source.resolve(env)?;
    let issued = SystemTime::now();
    let logins = login(&registries, &creds, &settings)?;
    let cache = open_cache(env, report);
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
        report.note(note);
    }
    for warning in &done.warnings {
        report.warn(warning);
    }
    let mut expiries: Vec<String> = logins.iter().map(|l| l.expiry.to_string()).collect();
    expiries.dedup();
    Ok(EcrLoginReport {
        hosts: logins.iter().map(|l| l.host.clone()).collect(),
        origin: creds.origin.to_string(),
        expiries,
        wrote: done.wrote.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_hosts_credentials_and_expiry() {
        let report = EcrLoginReport {
            hosts: vec![
                "1.dkr.ecr.eu-west-1.amazonaws.com".into(),
                "public.ecr.aws".into(),
            ],
            origin: "profile \"ci\"".into(),
            expiries: vec!["2026-12-05T15:00:00Z".into()],
            wrote: "wrote auths in ~/.docker/config.json".into(),
        };
        assert_eq!(
            report.to_string(),
            "logged in to 1.dkr.ecr.eu-west-1.amazonaws.com, public.ecr.aws with the credentials \
             of profile \"ci\"; the login expires 2026-12-05T15:00:00Z; wrote auths in \
             ~/.docker/config.json"
        );
    }
}
