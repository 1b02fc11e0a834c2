//! Trade a CircleCI OIDC token for short-lived AWS credentials, and deliver
//! them (and what they open: registry logins, kubeconfig entries, fetched
//! secrets, package-tool settings) where a CI job's tools read them.
//!
//! Each subcommand of the `aws-oidc` binary is one call here: [`assume`],
//! [`exec`], [`credential_process`], [`cleanup`], [`check`], and with their
//! features [`ecr_login`], [`docker_credential`], [`eks_token`],
//! [`eks_kubeconfig`], [`fetch_secrets`], [`codeartifact_login`],
//! [`issuer_thumbprint`], [`plan_migration`].  A request of values the caller
//! resolved from its flags goes in; a report whose `Display` is the closing
//! sentence comes out; notes and warnings of the moment go to the caller's
//! [`Report`] as they happen, so the library prints nothing.  Errors name
//! what is wrong in AWS's and CircleCI's terms; a caller with flags of its
//! own names its flags through [`Names`].
//!
//! Underneath, one private module per step: `token` (find, mint or read the
//! job's token) -> `request` (role ARN, session name, duration, policies) ->
//! STS (AssumeRoleWithWebIdentity, an optional chained AssumeRole and
//! GetCallerIdentity, retrying only what can pass) -> [`Credentials`], the
//! one credentials type, with its [`Origin`].  [`Exchange::resolve`] checks
//! the role, token and STS options before any network call.  `deliver`
//! checks every target (`$BASH_ENV`, a profile of the shared files, a dotenv
//! file, stdout) before anything is spent, then writes them and records
//! each write in the job's `ledger` (in one call), so [`cleanup`]
//! can ask each writer to take its own back.  The leaves below all of it:
//! the injected environment ([`process_env`] is the real one), the shared
//! AWS files, the HTTPS transport, files and the platform.
//!
//! Other services keep a namespace of their own, with credentials from a
//! [`CredentialSource`] (the environment, a profile, or a role assumed
//! now): [`ecr`] and [`credential_helper`] (feature `ecr`), [`eks`] (feature
//! `eks`), [`secrets`] (feature `secrets`); [`trust`] writes and checks the
//! role's trust policy, and [`migrate`] and [`thumbprint`] are setup-time
//! tools (feature `setup-tools`).
#![warn(missing_docs)]

mod answer;
mod assume;
#[cfg(any(
    feature = "ecr",
    feature = "eks",
    feature = "secrets",
    feature = "codeartifact"
))]
mod aws_call;
mod ca_bundle;
mod cache;
mod canned_answer;
mod cleanup;
#[cfg(feature = "codeartifact")]
mod codeartifact;
mod commands;
#[cfg(feature = "ecr")]
pub mod credential_helper;
mod credential_source;
mod credentials;
mod deliver;
mod diagnose;
#[cfg(feature = "ecr")]
mod docker_config;
#[cfg(feature = "ecr")]
pub mod ecr;
#[cfg(feature = "eks")]
pub mod eks;
mod env;
mod error_debug;
mod exchange;
mod expand;
mod failure;
mod files;
mod ini;
mod ledger;
#[cfg(feature = "setup-tools")]
pub mod migrate;
mod names;
mod platform;
mod redact;
mod request;
mod retry;
#[cfg(feature = "secrets")]
pub mod secrets;
mod settings;
mod shared_files;
mod sinks;
mod static_keys;
mod sts;
#[cfg(feature = "setup-tools")]
pub mod thumbprint;
mod token;
mod transport;
pub mod trust;

// The API, in groups.  Every module is private but the service and
// setup-time namespaces kept below; what the binary, the tests and the
// fuzz targets need is re-exported here, so that `unreachable_pub` and the
// dead-code lint see the rest.

/// The exchange and its credentials: [`Exchange::resolve`] checks the
/// role, token and STS options; the job's OIDC token ([`discover_in_job`])
/// is traded for an [`Outcome`] holding [`Credentials`], which a private
/// on-disk [`CredentialCache`] keeps for `credential_process` ([`Served`]).
/// [`Credentials`] is the one credentials type: a role's, a
/// [`CredentialSource`]'s, or the long-lived keys of an aws-cli/setup
/// config ([`Credentials::from_key_variables`]), each with its [`Origin`].
/// Settings such as the region are read the way the AWS CLI reads them
/// ([`region`]), from an injected environment ([`process_env`] is the real
/// one), and orb parameters are [`expand`]ed first.
pub use answer::Assumed;
pub use assume::Outcome;
pub use cache::{CredentialCache, Served};
pub use credential_source::CredentialSource;
pub use credentials::{
    humanize_from_now, rfc3339, Credentials, KeySource, Origin, ProfileVia, Which,
};
pub use env::process_env;
pub use exchange::{Exchange, RoleOptions};
pub use expand::expand;
pub use request::{AccountId, RoleArn};
pub use settings::{region, required_region};
pub use token::{discover_in_job, Claims, OidcToken, TokenSource};

/// The subcommands, one call each: a request of values resolved from the
/// command line -> the whole step -> a report whose `Display` is the
/// closing sentence.  Notes and warnings that belong to the moment they
/// happen go to the caller's [`Report`] as they happen; the library prints
/// nothing.
pub use commands::{
    assume, check, cleanup, credential_process, exec, open_cache, AlreadyValid, AssumeReport,
    AssumeRequest, AssumedReport, CheckReport, CheckRequest, CleanupReport, CommandError,
    CredentialProcessRequest, ExecReport, ExecRequest, NoRegion, Report, SourceOptions,
};
#[cfg(feature = "codeartifact")]
pub use commands::{codeartifact_login, CodeArtifactReport, CodeArtifactRequest};
#[cfg(feature = "ecr")]
pub use commands::{
    docker_credential, ecr_login, DockerCredentialError, EcrLoginReport, EcrLoginRequest,
};
#[cfg(feature = "eks")]
pub use commands::{
    eks_kubeconfig, eks_token, ClusterRequest, KubeconfigReport, KubeconfigRequest,
};
#[cfg(feature = "secrets")]
pub use commands::{fetch_secrets, Fetched, SecretsReport, SecretsRequest, SecretsSink};
#[cfg(feature = "setup-tools")]
pub use commands::{
    issuer_thumbprint, plan_migration, MigrateConfigError, Migrated, MigrationPlan,
    ThumbprintReport,
};
pub use commands::{
    static_keys, stored_keys, KeysWritten, StaticKeysRequest, StoredKeysReport, StoredKeysRequest,
    STATIC_KEYS_HINT,
};

/// Delivering, inside the commands: where credentials go
/// ([`TargetOptions`]: `$BASH_ENV`, a profile, a dotenv file, stdout), an
/// [`ExecTarget`] that gives values to one command only, registry logins
/// ([`DockerMode`]) and package-tool settings ([`ToolLoginOptions`]); each
/// write recorded in the job's ledger, so `cleanup` ([`Cleaned`]) can take
/// it back ([`ValidUntil`]: until when what it recorded holds).
pub use cleanup::Cleaned;
#[cfg(feature = "codeartifact")]
pub use codeartifact::Repository;
#[cfg(feature = "ecr")]
pub use deliver::DockerMode;
#[cfg(feature = "codeartifact")]
pub use deliver::ToolLoginOptions;
pub use deliver::{ExecTarget, TargetOptions};
pub use ledger::ValidUntil;

/// Sinks: the text AWS tools read, for callers that print it themselves:
/// the `credential_process` document and the variables a shell exports.
/// [`Secrets`] scrubs the values in hand out of anything printed.
pub use redact::Secrets;
pub use shared_files::ProfileName;
pub use sinks::process_json;
pub use sinks::shell::credential_vars;

/// The platform: the name this binary was run by (`docker-credential-…`
/// picks the credential helper).
pub use platform::program_name;

pub use ca_bundle::CaBundleError;
pub use cache::{CacheError, CachedError};
#[cfg(feature = "codeartifact")]
pub use codeartifact::tools::ToolError;
#[cfg(feature = "codeartifact")]
pub use codeartifact::{CodeArtifactInputError, CodeArtifactLoginError, CodeArtifactSetupError};
pub use credential_source::{ChooseError, CredentialSourceError};
#[cfg(feature = "ecr")]
pub use deliver::DockerError;
#[cfg(feature = "codeartifact")]
pub use deliver::ToolLoginError;
pub use deliver::{DeliverError, ExecError, VarsError};
#[cfg(feature = "ecr")]
pub use docker_config::DockerConfigError;
pub use exchange::ExchangeError;
pub use expand::ExpandError;
pub use failure::{CallFailure, FailureKind};
pub use files::FileError;
pub use ledger::CleanupError;
/// Errors, each an enum or struct a caller can branch on.  Those about a
/// value the caller gave have a `describe` that words the message with the
/// caller's [`Names`] for each [`Input`].
pub use names::{Input, Names};
pub use request::{AccountField, InputError, PolicyArnProblem, RoleArnProblem};
pub use settings::SettingsError;
pub use shared_files::ProfileError;
pub use sinks::shell::{QuoteError, ShellSinkError};
pub use static_keys::StaticKeysError;
pub use sts::EndpointError;
pub use token::{MintError, TokenError};

/// Inner parts the fuzz targets (`fuzz/`) and the property tests
/// (`tests/`) reach into: not part of the API, and free to change.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::cache::{parse_entry, Cached};
    pub use crate::canned_answer::read_answer;
    pub use crate::credentials::Secret;
    #[cfg(feature = "ecr")]
    pub use crate::docker_config::{DockerConfig, Entry};
    #[cfg(feature = "ecr")]
    pub use crate::ecr::registry::host_of;
    #[cfg(feature = "eks")]
    pub use crate::eks::kubeconfig::{merge, unmerge, Entries, TakenBack};
    pub use crate::ini::{IniDoc, IniError};
    pub use crate::ledger::{
        read_ledger, write_ledger, Grant, Ledger, Merged, RegistryEdit, Target, Written,
    };
    pub use crate::redact::printable;
    pub use crate::shared_files::SharedFiles;
    pub use crate::sinks::shell::render;
    pub use crate::token::{decode_claims, DecodeError, JwtPart};
    pub use crate::trust::evaluate::{Principal, Request};
}
