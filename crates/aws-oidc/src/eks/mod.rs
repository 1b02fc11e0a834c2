//! kubectl against EKS without the AWS CLI: bearer tokens and kubeconfig entries.
//!
//! - [`token`]: the bearer token EKS takes (a presigned STS
//!   `GetCallerIdentity`), as an `ExecCredential`, cached while it has time left;
//! - [`cluster`]: `DescribeCluster` for the endpoint and CA, and how EKS and
//!   STS are reached ([`EksSettings`]);
//! - [`kubeconfig`]: the cluster, user (an exec plugin running
//!   `aws-oidc eks-token`) and context, merged into the kubeconfig, and
//!   taken back by `cleanup`.
//!
//! Credentials come from a [`crate::credential_source`], as ECR's do.
//! [`mint_token`] and [`update_kubeconfig`] are the two flows, each
//! validated before any network call by its caller building the inputs.

pub mod cluster;
pub mod kubeconfig;
mod splice;
pub mod token;

use std::path::Path;
use std::time::{Instant, SystemTime};

pub use cluster::{ClusterError, ClusterInfo, EksSettings, EksSetupError};
pub use kubeconfig::{Entries, ExecPlugin, KubeconfigError, Merged};
pub use token::{ClusterName, EksInputError, EksToken, ExecApiVersion, TokenCache};

use crate::cache::{CacheError, CredentialCache};
use crate::credential_source::{CredentialSource, CredentialSourceError};
use crate::env::Env;
use crate::ledger::Written;
use crate::sts::EndpointError;

/// Why an EKS command failed.
#[derive(Debug, thiserror::Error)]
pub enum EksError {
    /// No credentials.
    #[error(transparent)]
    Source(#[from] CredentialSourceError),
    /// No STS endpoint for these settings.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The token could not be signed.
    #[error(transparent)]
    Presign(#[from] token::PresignError),
    /// The cache could not be locked or written.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// `DescribeCluster` failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The kubeconfig could not be updated.
    #[error(transparent)]
    Kubeconfig(#[from] KubeconfigError),
}

/// Which cluster, with which credentials, reached how: what both flows take.
#[derive(Debug, Clone, Copy)]
pub struct ClusterAccess<'a> {
    /// The cluster.
    pub cluster: &'a ClusterName,
    /// Where the credentials come from.
    pub source: &'a CredentialSource,
    /// How EKS and STS are reached.
    pub settings: &'a EksSettings,
}

/// A token for the cluster: from `cache` while one has time left, else
/// signed now with credentials from the source (then cached).  Without a
/// cache, or credentials to name without resolving them, every call
/// signs.  A cache that could not be used is returned beside the token
/// (worth a warning).
pub fn mint_token(
    access: ClusterAccess,
    cache: Option<CredentialCache>,
    env: Env,
) -> Result<(EksToken, Option<CacheError>), EksError> {
    let ClusterAccess {
        cluster,
        source,
        settings,
    } = access;
    let endpoint = settings.sts_endpoint()?;
    let sign = || -> Result<EksToken, EksError> {
        let creds = source.resolve(env)?;
        Ok(token::presign(
            &creds,
            cluster,
            &endpoint,
            settings.region(),
            SystemTime::now(),
        )?)
    };
    match (cache, source.cache_identity(env)) {
        (Some(cache), Some(identity)) => {
            let key = TokenCache::key(cluster, settings.region(), &endpoint, &identity);
            let deadline = Instant::now() + settings.time_limit();
            TokenCache::new(cache).get_or_mint(&key, SystemTime::now(), deadline, env, sign)
        }
        _ => Ok((sign()?, None)),
    }
}

/// Describes the cluster with credentials from the source and merges its
/// entries into the kubeconfig at `path`, the context named `context`
/// (else the cluster ARN) made current.  What was added is recorded in the
/// job's ledger (in `cache`), so `cleanup` can take it back.  Returns the
/// cluster and what changed.
pub fn update_kubeconfig(
    access: ClusterAccess,
    cache: Option<&CredentialCache>,
    env: Env,
    path: &Path,
    context: Option<&str>,
    exec: ExecPlugin,
) -> Result<(ClusterInfo, Merged), EksError> {
    // The kubeconfig is checked before the cluster is described.
    crate::files::check_editable(path).map_err(kubeconfig::KubeconfigError::from)?;
    let creds = access.source.resolve(env)?;
    let info = cluster::describe(access.cluster, &creds, access.settings)?;
    let entries = Entries {
        cluster: &info,
        context: context.unwrap_or(&info.arn).to_string(),
        exec,
    };
    let merged = kubeconfig::write(path, &entries)?;
    if let Some(cache) = cache {
        // A ledger that cannot be written only means cleanup leaves the entries.
        let _ = cache.ledger(env).record(Written::Kubeconfig {
            path: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            added_clusters: merged.added_clusters.clone(),
            added_users: merged.added_users.clone(),
            added_contexts: merged.added_contexts.clone(),
            current_context: merged.current_context.clone(),
            previous_context: merged.previous_context.clone(),
        });
    }
    Ok((info, merged))
}
