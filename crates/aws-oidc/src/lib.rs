//! Trade a CircleCI OIDC token for short-lived AWS credentials.
//!
//! The flow, one module per step:
//! [`token`] (find, mint or read the job's token; decode its claims) ->
//! [`request`] (role ARN, session name, duration, policies; validated before
//! any network call) -> [`sts`] (AssumeRoleWithWebIdentity, optional chained
//! AssumeRole and GetCallerIdentity, with [`retry`] for errors that can pass)
//! -> [`credentials`] -> [`sinks`] (`$BASH_ENV`, AWS profile files,
//! `credential_process` JSON, dotenv).  [`diagnose`] sits beside the flow and
//! explains a failure for this token and this role; [`trust`] writes and
//! checks the role's trust policy, and [`thumbprint`] finds the issuer's
//! certificate thumbprint for the IAM provider.

pub mod assume;
pub mod cache;
pub mod credentials;
pub mod diagnose;
pub mod expand;
pub mod files;
pub mod ini;
pub mod request;
pub mod retry;
pub mod sinks;
pub mod sts;
pub mod thumbprint;
pub mod token;
pub mod trust;

pub use credentials::Credentials;
