//! One call per subcommand: the orchestration between resolved flags and
//! what is printed at the end.
//!
//! Each command takes a request of values its caller has already resolved
//! from the command line (expanded and defaulted: plain data, no argument
//! parser), does the whole step, and returns a report whose `Display` (or
//! `lines`) is the sentence that says what was done.  What the user should
//! see while the step still runs (a note before a network call, a warning)
//! goes, at that moment, to a [`Report`] the caller implements: the library
//! prints nothing, so every message still passes the caller's one printer.
//! Exit codes, and running a command in place of this process, stay with
//! the caller.

mod assume;
mod check;
mod cleanup;
#[cfg(feature = "codeartifact")]
mod codeartifact_login;
mod credential_process;
#[cfg(feature = "ecr")]
mod docker_credential;
#[cfg(feature = "ecr")]
mod ecr_login;
#[cfg(feature = "eks")]
mod eks;
mod exec;
#[cfg(feature = "setup-tools")]
mod migrate_config;
#[cfg(feature = "secrets")]
mod secrets;
mod static_keys;
#[cfg(feature = "setup-tools")]
mod thumbprint;

pub use assume::{assume, AlreadyValid, AssumeReport, AssumeRequest, AssumedReport, NoRegion};
pub use check::{check, CheckReport, CheckRequest};
pub use cleanup::{cleanup, CleanupReport};
#[cfg(feature = "codeartifact")]
pub use codeartifact_login::{codeartifact_login, CodeArtifactReport, CodeArtifactRequest};
pub use credential_process::{credential_process, CredentialProcessRequest};
#[cfg(feature = "ecr")]
pub use docker_credential::{docker_credential, DockerCredentialError};
#[cfg(feature = "ecr")]
pub use ecr_login::{ecr_login, EcrLoginReport, EcrLoginRequest};
#[cfg(feature = "eks")]
pub use eks::{eks_kubeconfig, eks_token, ClusterRequest, KubeconfigReport, KubeconfigRequest};
pub use exec::{exec, ExecReport, ExecRequest};
#[cfg(feature = "setup-tools")]
pub use migrate_config::{plan_migration, MigrateConfigError, Migrated, MigrationPlan};
#[cfg(feature = "secrets")]
pub use secrets::{fetch_secrets, Fetched, SecretsReport, SecretsRequest, SecretsSink};
pub use static_keys::{
    static_keys, stored_keys, KeysWritten, StaticKeysRequest, StoredKeysReport, StoredKeysRequest,
    STATIC_KEYS_HINT,
};
#[cfg(feature = "setup-tools")]
pub use thumbprint::{issuer_thumbprint, ThumbprintReport};

use crate::cache::CredentialCache;
use crate::credential_source::ChooseError;
use crate::env::Env;
use crate::exchange::RoleOptions;

/// Where a command's messages go while it runs, in the order they happen.
/// The caller prints them (the binary: `aws-oidc: note: ...` and
/// `aws-oidc: warning: ...`, scrubbed).
pub trait Report {
    /// Something worth knowing that changes nothing.
    fn note(&mut self, note: &str);
    /// Something went less well than asked, and the step goes on.
    fn warn(&mut self, warning: &str);
}

crate::error_debug::debug_by_display!(CommandError);
/// Why a command failed: the error of the step that failed, as it is.
/// Each variant shows the inner error's message and has it as its source,
/// so a caller walking the causes (the binary, which adds the flag a value
/// came from) finds the inner error itself.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The role, token or STS options.
    Settings(#[from] crate::settings::SettingsError),
    /// The exchange with STS.
    Exchange(#[from] crate::exchange::ExchangeError),
    /// The trust policy file given to explain a refusal.
    PolicyFile(#[from] crate::trust::PolicyFileError),
    /// Writing the credentials.
    Deliver(#[from] crate::deliver::DeliverError),
    /// Stored keys that cannot be read.
    StaticKeys(#[from] crate::static_keys::StaticKeysError),
    /// The command to run.
    Exec(#[from] crate::deliver::ExecError),
    /// The cache of a `credential_process`.
    Cached(#[from] crate::cache::CachedError),
    /// The job's token.
    Token(#[from] crate::token::TokenError),
    /// A token without an issuer, which no provider matches.
    NoIssuer(#[from] crate::trust::NoIssuer),
    /// The issuer's certificates.
    #[cfg(feature = "setup-tools")]
    Thumbprint(#[from] crate::thumbprint::ThumbprintError),
    /// Which credentials a service is called with.
    Choose(#[from] ChooseError),
    /// Getting those credentials.
    Source(#[from] crate::credential_source::CredentialSourceError),
    /// Taking back what this job wrote.
    Cleanup(#[from] crate::ledger::CleanupError),
    /// The fetched variables' files.
    Vars(#[from] crate::deliver::VarsError),
    /// Secrets Manager and SSM settings.
    #[cfg(feature = "secrets")]
    SecretsSetup(#[from] crate::secrets::SecretsSetupError),
    /// Fetching secrets and parameters.
    #[cfg(feature = "secrets")]
    Secrets(#[from] crate::secrets::SecretsError),
    /// A registry named.
    #[cfg(feature = "ecr")]
    Registry(#[from] crate::ecr::RegistryError),
    /// ECR's GetAuthorizationToken.
    #[cfg(feature = "ecr")]
    Ecr(#[from] crate::ecr::EcrError),
    /// Docker's config, or `docker login`.
    #[cfg(feature = "ecr")]
    Docker(#[from] crate::deliver::DockerError),
    /// A CodeArtifact login.
    #[cfg(feature = "codeartifact")]
    ToolLogin(#[from] crate::deliver::ToolLoginError),
    /// EKS settings.
    #[cfg(feature = "eks")]
    EksSetup(#[from] crate::eks::EksSetupError),
    /// An EKS call or token.
    #[cfg(feature = "eks")]
    Eks(#[from] crate::eks::EksError),
    /// The kubeconfig.
    #[cfg(feature = "eks")]
    Kubeconfig(#[from] crate::eks::KubeconfigError),
}

// Written by hand rather than with `#[error("{0}")]` on each variant: the
// variant's source is its inner error, so one `write!` serves them all,
// where the derive writes one per variant (0.5 KB in the binary every CI
// job downloads). The message is the same.
impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match std::error::Error::source(self) {
            Some(inner) => write!(f, "{inner}"),
            None => Ok(()),
        }
    }
}

/// Where a command that calls another service takes its credentials from,
/// as the caller resolved its options: a profile, or a role to assume in
/// this step (only one named on the command line: a role in the
/// environment alone is the one setup already assumed); neither: the
/// environment.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// The profile named.
    pub profile: Option<String>,
    /// The role to assume now.
    pub role: Option<RoleOptions>,
}

#[cfg(any(
    feature = "ecr",
    feature = "eks",
    feature = "secrets",
    feature = "codeartifact"
))]
impl SourceOptions {
    /// The source, a role assumed through `region` (the service's) when it
    /// has one; its notes are reported.
    fn choose(
        self,
        region: Option<&str>,
        env: Env,
        report: &mut dyn Report,
    ) -> Result<crate::credential_source::CredentialSource, ChooseError> {
        let mut role = self.role;
        if let (Some(role), Some(region)) = (&mut role, region) {
            role.region = Some(region.to_string());
        }
        let source =
            crate::credential_source::CredentialSource::choose(self.profile.as_deref(), role, env)?;
        for note in source.notes() {
            report.note(note);
        }
        Ok(source)
    }
}

/// The job's credential cache, or `None` (with a warning) where no safe one
/// can be had: the command still works, only without a cache.
pub fn open_cache(env: Env, report: &mut dyn Report) -> Option<CredentialCache> {
    match CredentialCache::open_default(env)? {
        Ok(c) => Some(c),
        Err(e) => {
            report.warn(&format!("not caching credentials: {e}"));
            None
        }
    }
}

/// "1 value" or "values", and the like: `one` for a count of one, else `many`.
#[cfg(any(feature = "secrets", feature = "setup-tools"))]
fn one_or<'a>(count: usize, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// A [`Report`] that keeps what it is told, for the tests.
#[cfg(all(test, feature = "ecr"))]
#[derive(Debug, Default)]
pub(crate) struct Kept(pub(crate) Vec<String>);

#[cfg(all(test, feature = "ecr"))]
impl Report for Kept {
    fn note(&mut self, note: &str) {
        self.0.push(format!("note: {note}"));
    }
    fn warn(&mut self, warning: &str) {
        self.0.push(format!("warning: {warning}"));
    }
}

#[cfg(all(test, feature = "ecr"))]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn a_profile_or_the_environment_is_chosen_quietly_and_both_are_refused() {
        let env = env_of(&[]);
        let mut kept = Kept::default();
        let profile = SourceOptions {
            profile: Some("ci".into()),
            role: None,
        };
        let source = profile.choose(Some("eu-west-1"), &env, &mut kept).unwrap();
        assert_eq!(source.profile().map(|p| p.as_str()), Some("ci"));
        let source = SourceOptions::default()
            .choose(None, &env, &mut kept)
            .unwrap();
        assert!(matches!(
            source,
            crate::credential_source::CredentialSource::Environment
        ));
        assert!(kept.0.is_empty(), "{kept:?}");
        let both = SourceOptions {
            profile: Some("ci".into()),
            role: Some(RoleOptions::default()),
        };
        assert!(matches!(
            both.choose(None, &env, &mut kept),
            Err(ChooseError::Both)
        ));
    }

    #[test]
    fn a_command_error_says_its_inner_error_and_has_it_as_source() {
        use std::error::Error as _;
        let inner = crate::settings::SettingsError::TagsNeedChain;
        let message = inner.to_string();
        let e = CommandError::from(inner);
        assert_eq!(e.to_string(), message);
        let source = e.source().expect("the inner error");
        assert!(source.is::<crate::settings::SettingsError>());
        assert_eq!(source.to_string(), message);
    }
}
