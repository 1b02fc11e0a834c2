//! The options `eks-token` and `eks-kubeconfig` share: the cluster, its
//! region, and where the credentials come from (as `ecr-login` takes them).

use anyhow::{Context as _, Result};
use aws_oidc::eks::ClusterName;
use aws_oidc::ClusterRequest;
use clap::Args;

use crate::role::Role;

/// The cluster and credential options.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClusterArgs {
    /// The EKS cluster's name (not its ARN)
    #[arg(long, value_name = "NAME")]
    pub cluster_name: String,

    /// Take the credentials from this profile (its keys or credential_process) instead of the environment
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub role: Role,
}

impl ClusterArgs {
    /// The cluster options, resolved before any network call.
    pub(crate) fn resolve(self) -> Result<ClusterRequest> {
        let v = self.role.values();
        let name = v
            .opt(Some(self.cluster_name), "--cluster-name")?
            .context("--cluster-name is empty: pass the EKS cluster's name")?;
        let name = ClusterName::parse(&name)?;
        let region = v.required_region(self.role.args.region.clone(), "EKS clusters are")?;
        Ok(ClusterRequest {
            name,
            region,
            credentials: self.role.credentials(self.profile)?,
            timeout_secs: self.role.args.timeout,
        })
    }
}
