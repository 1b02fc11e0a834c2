//! Trade a CircleCI OIDC token for short-lived AWS credentials.
//!
//! The entry point is [`Exchange`]: [`Exchange::resolve`] validates the role,
//! token and STS options ([`RoleOptions`]) before any network call, and
//! [`Exchange::run`] does the whole exchange, returning an [`Outcome`] or an
//! [`ExchangeError`] whose STS failure is already explained.
//! [`CachedExchange`] wraps it with a private on-disk cache for
//! `credential_process`.
//!
//! The flow, one module per step:
//! [`token`] (find, mint or read the job's token; decode its claims) ->
//! [`request`] (role ARN, session name, duration, policies) -> STS
//! (AssumeRoleWithWebIdentity, optional chained AssumeRole and
//! GetCallerIdentity, retrying only what can pass) -> [`Credentials`] ->
//! [`sinks`] (`$BASH_ENV`, AWS profile files, `credential_process` JSON,
//! dotenv).  [`deliver`] resolves where credentials (and fetched values,
//! registry logins, package-tool settings) go, checks every target before
//! anything is spent, then writes them and records each write in the job's
//! [`ledger`] in one call ([`Targets::deliver`]), so `cleanup` can take it
//! back.  [`settings`] says where each setting comes from; a failure is
//! explained for this token and this role beside the flow; [`trust`] writes
//! and checks the role's trust policy, and [`thumbprint`] finds the issuer's
//! certificate thumbprint for the IAM provider.
//!
//! Other services, with credentials from a [`credential_source`] (the
//! environment, a profile, or a role assumed now): [`ecr`] logs in to ECR
//! registries, [`docker_config`] writes the logins where registry clients
//! read them, and [`credential_helper`] answers Docker's credential-helper
//! protocol (feature `ecr`); [`eks`] gives kubectl its EKS bearer tokens
//! and kubeconfig entries (feature `eks`).
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
pub mod cache;
mod canned_answer;
mod cleanup;
#[cfg(feature = "codeartifact")]
pub mod codeartifact;
#[cfg(feature = "ecr")]
pub mod credential_helper;
pub mod credential_source;
pub mod credentials;
pub mod deliver;
mod diagnose;
#[cfg(feature = "ecr")]
pub mod docker_config;
#[cfg(feature = "ecr")]
pub mod ecr;
#[cfg(feature = "eks")]
pub mod eks;
mod env;
pub mod exchange;
pub mod expand;
mod failure;
mod files;
pub mod ini;
pub mod ledger;
#[cfg(feature = "setup-tools")]
pub mod migrate;
pub mod platform;
pub mod redact;
pub mod request;
mod retry;
#[cfg(feature = "secrets")]
pub mod secrets;
pub mod settings;
pub mod sinks;
pub mod static_keys;
mod sts;
#[cfg(feature = "setup-tools")]
pub mod thumbprint;
pub mod token;
mod transport;
pub mod trust;

pub use answer::{Assumed, MAX_ANSWER};
pub use assume::Outcome;
pub use ca_bundle::{CaBundle, CaBundleError};
pub use cache::{CachedError, CachedExchange, CredentialCache, Served};
pub use canned_answer::read_answer;
pub use cleanup::Cleaned;
pub use credentials::Credentials;
pub use deliver::{DeliverError, Delivered, Payload, StillValid, TargetOptions, Targets, Wrote};
pub use exchange::{Exchange, ExchangeError, RoleOptions};
pub use failure::{FailureKind, StsFailure};
pub use files::FileError;
pub use ledger::ValidUntil;
pub use settings::SettingsError;
pub use sts::{EndpointError, StsSettings};
