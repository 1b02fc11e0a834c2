//! Trade a CircleCI OIDC token for short-lived AWS credentials.
//!
//! The entry point is [`Exchange`]: [`Exchange::resolve`] validates the role,
//! token and STS options ([`RoleOptions`]) before any network call, and
//! [`Exchange::run`] does the whole exchange, returning an [`Outcome`] or an
//! [`ExchangeError`] whose STS failure is already explained.
//! [`CachedExchange`] wraps it with a private on-disk cache for
//! `credential_process`.
//!
//! The flow, one private module per step: `token` (find, mint or read the
//! job's token; decode its claims) -> `request` (role ARN, session name,
//! duration, policies) -> STS (AssumeRoleWithWebIdentity, optional chained
//! AssumeRole and GetCallerIdentity, retrying only what can pass) ->
//! [`Credentials`] -> `sinks` (`$BASH_ENV`, AWS profile files,
//! `credential_process` JSON, dotenv).  `deliver` resolves where credentials
//! (and fetched values, registry logins, package-tool settings) go, checks
//! every target before anything is spent, then writes them and records each
//! write in the job's `ledger` in one call ([`Targets::deliver`]), so
//! `cleanup` can take it back.  `settings` says where each setting comes
//! from; a failure is explained for this token and this role beside the flow.
//!
//! Each subcommand of the binary is one call here ([`assume`], [`exec`],
//! [`cleanup`], ...: private module `commands`): a request of values the
//! caller resolved from its flags in, a report whose `Display` is the
//! closing sentence out, and the notes and warnings of the moment handed to
//! the caller's [`Report`] as they happen, so the library prints nothing.
//!
//! What callers use is re-exported here, in groups (commands, exchange and
//! credentials, delivering, sinks, the platform, errors).  Other services
//! and the setup-time tools keep a namespace of their own, with credentials
//! from a [`CredentialSource`] (the environment, a profile, or a role assumed
//! now): [`ecr`] logs in to ECR registries and [`credential_helper`] answers
//! Docker's credential-helper protocol (feature `ecr`); [`eks`] gives kubectl
//! its EKS bearer tokens and kubeconfig entries (feature `eks`); [`secrets`]
//! fetches Secrets Manager secrets and SSM parameters (feature `secrets`);
//! CodeArtifact logins go through [`ToolLogin`] (feature `codeartifact`).
//! [`trust`] writes and checks the role's trust policy; [`migrate`] rewrites
//! a CircleCI config from the circleci/aws-cli orb and [`thumbprint`] finds
//! the issuer's certificate thumbprint for the IAM provider (feature
//! `setup-tools`).
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
/// role, token and STS options, [`Exchange::run`] trades the job's OIDC
/// token ([`discover_in_job`]) for [`Credentials`], and [`CachedExchange`]
/// keeps them in a private on-disk [`CredentialCache`].  [`Credentials`]
/// is the one credentials type: a role's, a [`CredentialSource`]'s, or the
/// long-lived keys of an aws-cli/setup config
/// ([`Credentials::from_key_variables`]), each with its [`Origin`].  Settings such as
/// the region are read the way the AWS CLI reads them ([`region`]), from
/// an injected environment ([`process_env`] is the real one), and orb
/// parameters are [`expand`]ed first.
pub use assume::Outcome;
pub use cache::{Cached, CachedExchange, CredentialCache, EntryLock, Served};
pub use credential_source::CredentialSource;
pub use credentials::{
    humanize_from_now, rfc3339, Credentials, KeySource, Origin, ProfileVia, Which,
};
pub use env::process_env;
pub use exchange::{Exchange, RoleOptions};
pub use expand::expand;
pub use request::{AccountId, RoleArn};
pub use retry::RetryPolicy;
pub use settings::{region, required_region};
pub use sts::StsSettings;
pub use token::{discover_in_job, Claims, OidcToken, TokenSource};
pub use {answer::Assumed, ca_bundle::CaBundle};

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

/// Delivering: [`Targets`] writes credentials (a [`Payload`]) to
/// `$BASH_ENV`, a profile, a dotenv file or stdout and records each write
/// in the job's ledger, so `cleanup` ([`Cleaned`]) can take it back;
/// [`VarTargets`] does the same for fetched variables, [`ExecTarget`] gives
/// them to one command only, [`DockerTarget`] (feature `ecr`) writes
/// registry logins and [`ToolLogin`] (feature `codeartifact`) a package
/// tool's settings.
pub use cleanup::Cleaned;
#[cfg(feature = "codeartifact")]
pub use codeartifact::Repository;
pub use deliver::{
    Delivered, ExecTarget, Payload, StillValid, TargetOptions, Targets, VarTargets, VarsDelivered,
    Wrote,
};
#[cfg(feature = "ecr")]
pub use deliver::{DockerDelivered, DockerMode, DockerTarget, DockerWrote};
#[cfg(feature = "codeartifact")]
pub use deliver::{ToolLogin, ToolLoginOptions, ToolLoginReport};
pub use ledger::ValidUntil;

/// Sinks: the text AWS tools read, for callers that print it themselves:
/// the `credential_process` document and the variables a shell exports.
/// [`Secrets`] scrubs the values in hand out of anything printed.
pub use redact::Secrets;
pub use sinks::process_json;
pub use sinks::profile::ProfileName;
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
pub use sinks::profile::ProfileError;
pub use sinks::shell::{QuoteError, ShellSinkError};
pub use static_keys::StaticKeysError;
pub use sts::EndpointError;
pub use token::{MintError, TokenError};

/// Inner parts the fuzz targets (`fuzz/`) and the property tests
/// (`tests/`) reach into: not part of the API, and free to change.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::cache::parse_entry;
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
    pub use crate::sinks::profile::SharedFiles;
    pub use crate::sinks::shell::render;
    pub use crate::token::{decode_claims, DecodeError, JwtPart};
    pub use crate::trust::evaluate::{Principal, Request};
}
