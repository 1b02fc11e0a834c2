//! kubectl against EKS without the AWS CLI: bearer tokens and kubeconfig entries.
//!
//! - `token`: the bearer token EKS takes (a presigned STS
//!   `GetCallerIdentity`), as an `ExecCredential`, cached while it has time left;
//! - `cluster`: `DescribeCluster` for the endpoint and CA, and how EKS and
//!   STS are reached ([`EksSettings`]);
//! - `kubeconfig`: the cluster, user (an exec plugin running
//!   `aws-oidc eks-token`) and context, merged into the kubeconfig, and
//!   taken back by `cleanup`.
//!
//! Credentials come from a [`CredentialSource`], as ECR's do.
//! Minting a token and updating a kubeconfig are the two flows
//! ([`eks_token`](crate::eks_token), [`eks_kubeconfig`](crate::eks_kubeconfig)),
//! each validated before any network call by its caller building the inputs.

pub(crate) mod cluster;
pub(crate) mod kubeconfig;
mod splice;
pub(crate) mod token;

use std::path::Path;
use std::time::{Instant, SystemTime};

pub use crate::ledger::Merged;
pub use cluster::{ClusterError, ClusterInfo, EksSettings, EksSetupError};
pub use kubeconfig::path as kubeconfig_path;
pub(crate) use kubeconfig::Entries;
pub use kubeconfig::{ExecPlugin, KubeconfigError};
pub(crate) use token::TokenCache;
pub use token::{ClusterName, EksInputError, EksToken, ExecApiVersion, PresignError};

use crate::cache::{CacheError, CredentialCache};
use crate::credential_source::{CredentialSource, CredentialSourceError};
use crate::env::Env;
use crate::ledger::Written;
use crate::sts::EndpointError;

crate::error_debug::debug_by_display!(EksError);
/// Why an EKS command failed.
#[derive(thiserror::Error)]
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
pub(crate) struct ClusterAccess<'a> {
    /// The cluster.
    pub cluster: &'a ClusterName,
    /// Where the credentials come from.
    pub source: &'a CredentialSource,
    /// How EKS and STS are reached.
    pub settings: &'a EksSettings,
}

/// A cluster, its region, and where the credentials come from: the options
/// of `eks-token` and `eks-kubeconfig`, resolved before any network call.
#[derive(Debug)]
pub(crate) struct Cluster {
    /// The cluster.
    pub name: ClusterName,
    /// Its region.
    pub region: String,
    /// Where the credentials come from.
    pub source: CredentialSource,
    /// How EKS and STS are reached.
    pub settings: EksSettings,
}

impl Cluster {
    /// What the flows take.
    pub(crate) fn access(&self) -> ClusterAccess<'_> {
        ClusterAccess {
            cluster: &self.name,
            source: &self.source,
            settings: &self.settings,
        }
    }

    /// The arguments of `aws-oidc eks-token` that get a token for this
    /// cluster from the same credentials later: the profile (so a
    /// self-refreshing one keeps working in long jobs), the role options
    /// when a role is assumed, else none (the environment at kubectl's time).
    pub(crate) fn token_args(&self) -> Vec<String> {
        let mut args = vec![
            "eks-token".to_string(),
            "--cluster-name".to_string(),
            self.name.to_string(),
        ];
        match &self.source {
            // Includes --region: the exchange was resolved for it.
            CredentialSource::AssumeRole(x) => {
                args.extend(x.role_words().into_iter().map(|(_, w)| w));
            }
            CredentialSource::Profile(p) => {
                args.extend(["--region".into(), self.region.clone()]);
                args.extend(["--profile".into(), p.as_str().to_string()]);
            }
            CredentialSource::Environment => {
                args.extend(["--region".into(), self.region.clone()]);
            }
        }
        args
    }

    /// How kubectl's tokens will be signed, for messages.
    pub(crate) fn how(&self) -> String {
        match &self.source {
            CredentialSource::AssumeRole(x) => format!("by assuming {}", x.request().role_arn),
            CredentialSource::Profile(p) => format!("with profile {:?}", p.as_str()),
            CredentialSource::Environment => "with the credentials in its environment".into(),
        }
    }
}

/// A token for the cluster: from `cache` while one has time left, else
/// signed now with credentials from the source (then cached).  Without a
/// cache, or credentials to name without resolving them, every call
/// signs.  A cache that could not be used is returned beside the token
/// (worth a warning).
pub(crate) fn mint_token(
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
pub(crate) fn update_kubeconfig(
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
            merged: merged.clone(),
        });
    }
    Ok((info, merged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn kubectls_later_tokens_come_from_the_same_credentials() {
        let env = env_of(&[]);
        let cluster = |source| Cluster {
            name: ClusterName::parse("prod").unwrap(),
            region: "eu-west-1".into(),
            source,
            settings: EksSettings::from_env("eu-west-1", &env, 60).unwrap(),
        };
        let profile = cluster(CredentialSource::Profile(
            crate::shared_files::ProfileName::parse("ci").unwrap(),
        ));
        assert_eq!(
            profile.token_args(),
            [
                "eks-token",
                "--cluster-name",
                "prod",
                "--region",
                "eu-west-1",
                "--profile",
                "ci"
            ]
        );
        assert_eq!(profile.how(), "with profile \"ci\"");
        let environment = cluster(CredentialSource::Environment);
        assert_eq!(environment.token_args().len(), 5);
        assert_eq!(environment.how(), "with the credentials in its environment");
    }
}
