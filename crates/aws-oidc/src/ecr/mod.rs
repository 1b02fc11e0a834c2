//! Registry logins from ECR: what `ecr-login` and the Docker credential helper share.
//!
//! [`Registry`] says which registries, validated before any network call
//! (`registry`); [`EcrSettings`] how ECR is reached (endpoints, retries,
//! timeouts: the same HTTP client and retry policy as STS); [`login`] asks
//! ECR's `GetAuthorizationToken` (private registries: one call per region;
//! ECR Public: service `ecr-public` in us-east-1) with credentials from a
//! [`CredentialSource`](crate::CredentialSource), and returns one
//! [`RegistryLogin`] per registry, its password never printed.  Where the
//! logins go is the Docker target's business (`deliver`, through
//! [`ecr_login`](crate::ecr_login)).
//!
//! Expiry: ECR issues tokens for 12 hours and says until when.  An answer
//! whose expiry is already past (moto answers 2015-01-01; a machine whose
//! clock is far ahead would see the same) is taken at its word that the
//! expiry is unknown: [`Expiry::Unknown`] is reported as such, and never
//! cached, so the next `get` asks ECR again rather than trusting a date
//! that cannot be right.  A token is also never cached past the expiry of
//! the credentials that fetched it.

mod authorization;
pub(crate) mod registry;

pub use authorization::{login, EcrError, EcrSettings, Expiry, RegistryLogin};
pub(crate) use registry::PUBLIC_HOST;
pub use registry::{Registry, RegistryError};
