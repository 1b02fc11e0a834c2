//! `eks-token` and `eks-kubeconfig`: kubectl against an EKS cluster.

use std::fmt;
use std::path::PathBuf;

use super::{open_cache, CommandError, Report, SourceOptions};
use crate::eks::{
    kubeconfig_path, mint_token, update_kubeconfig, Cluster, ClusterName, EksSettings, EksToken,
    ExecPlugin,
};
use crate::env::Env;

/// The cluster, as both commands take it, resolved from their options.
#[derive(Debug, Clone)]
pub struct ClusterRequest {
    /// The cluster's name.
    pub name: ClusterName,
    /// Its region.
    pub region: String,
    /// Where the credentials come from.
    pub credentials: SourceOptions,
    /// The time limit, in seconds.
    pub timeout_secs: u64,
}

impl ClusterRequest {
    /// The cluster, a role assumed now assumed through its region.
    fn resolve(self, env: Env, report: &mut dyn Report) -> Result<Cluster, CommandError> {
        let source = self.credentials.choose(Some(&self.region), env, report)?;
        let settings = EksSettings::from_env(&self.region, env, self.timeout_secs)?;
        Ok(Cluster {
            name: self.name,
            region: self.region,
            source,
            settings,
        })
    }
}

/// kubectl's token for the cluster: from the cache while one has time left
/// (unless `no_cache`), else signed now.  A cache that could not be used is
/// a warning: each kubectl command then signs anew.
pub fn eks_token(
    cluster: ClusterRequest,
    no_cache: bool,
    env: Env,
    report: &mut dyn Report,
) -> Result<EksToken, CommandError> {
    let c = cluster.resolve(env, report)?;
    let cache = match no_cache {
        true => None,
        false => open_cache(env, report),
    };
    let (token, cache_problem) = mint_token(c.access(), cache, env)?;
    if let Some(problem) = cache_problem {
        report.warn(&format!(
            "token not cached (each kubectl command signs anew): {problem}"
        ));
    }
    Ok(token)
}

/// What `eks-kubeconfig` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct KubeconfigRequest {
    /// The cluster.
    pub cluster: ClusterRequest,
    /// The context's name, if not the cluster's ARN.
    pub alias: Option<String>,
    /// The kubeconfig named, if any.
    pub kubeconfig: Option<PathBuf>,
    /// This binary, which the user's exec plugin runs.
    pub exe: PathBuf,
}

/// What `eks-kubeconfig` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigReport {
    /// The cluster's ARN.
    pub arn: String,
    /// Its API endpoint.
    pub endpoint: String,
    /// The kubeconfig written.
    pub path: PathBuf,
    /// The context now current.
    pub current_context: String,
    /// How the exec plugin gets credentials, as a phrase.
    pub how: String,
}

impl fmt::Display for KubeconfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote cluster {} ({}) to {}; context {:?} is current; kubectl gets its tokens from \
             `aws-oidc eks-token` {}",
            self.arn,
            self.endpoint,
            self.path.display(),
            self.current_context,
            self.how
        )
    }
}

/// Describes the cluster and merges it into the kubeconfig, its context
/// made current; the file is checked before the cluster is described.
pub fn eks_kubeconfig(
    req: KubeconfigRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<KubeconfigReport, CommandError> {
    let path = kubeconfig_path(req.kubeconfig.as_deref(), env)?;
    let c = req.cluster.resolve(env, report)?;
    let exec = ExecPlugin::for_binary(&req.exe, c.token_args(), env);
    let cache = open_cache(env, report);
    let (info, merged) = update_kubeconfig(
        c.access(),
        cache.as_ref(),
        env,
        &path,
        req.alias.as_deref(),
        exec,
    )?;
    Ok(KubeconfigReport {
        arn: info.arn,
        endpoint: info.endpoint,
        path,
        current_context: merged.current_context,
        how: c.how(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_cluster_file_and_context() {
        let report = KubeconfigReport {
            arn: "arn:aws:eks:eu-west-1:1:cluster/prod".into(),
            endpoint: "https://ABC.eks.amazonaws.com".into(),
            path: PathBuf::from("kubeconfig"),
            current_context: "prod".into(),
            how: "with the credentials of the environment".into(),
        };
        assert_eq!(
            report.to_string(),
            "wrote cluster arn:aws:eks:eu-west-1:1:cluster/prod (https://ABC.eks.amazonaws.com) \
             to kubeconfig; context \"prod\" is current; kubectl gets its tokens from `aws-oidc \
             eks-token` with the credentials of the environment"
        );
    }
}
