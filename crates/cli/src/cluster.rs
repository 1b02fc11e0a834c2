//! The options `eks-token` and `eks-kubeconfig` share: the cluster, its
//! region, and where the credentials come from (as `ecr-login` takes them).

use anyhow::{bail, Context as _, Result};
use aws_oidc::credential_source::CredentialSource;
use aws_oidc::eks::{ClusterAccess, ClusterName, EksSettings};
use aws_oidc::request::parse_region;
use aws_oidc::settings::{self, option_value, process_env};
use clap::Args;

use crate::role::{credential_source, RoleArgs};

/// The cluster and credential options.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// The EKS cluster's name (not its ARN)
    #[arg(long, value_name = "NAME")]
    pub cluster_name: String,

    /// Take the credentials from this profile (its keys or credential_process) instead of the environment
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub role: RoleArgs,
}

/// The options resolved, before any network call.
#[derive(Debug)]
pub struct Cluster {
    pub name: ClusterName,
    pub region: String,
    pub source: CredentialSource,
    pub settings: EksSettings,
}

impl ClusterArgs {
    /// Resolves the options.  `role_on_command_line`: `--role-arn` was given
    /// as a flag, so the role is assumed in this step.
    pub fn resolve(mut self, role_on_command_line: bool) -> Result<Cluster> {
        let env = &process_env;
        let x = self.role.expand_env;
        let name = option_value(Some(self.cluster_name.clone()), x, "--cluster-name", env)?
            .context("--cluster-name is empty: pass the EKS cluster's name")?;
        let name = ClusterName::parse(&name)?;
        let region_flag = option_value(self.role.region.clone(), x, "--region", env)?;
        let Some((region, _)) = settings::REGION.resolve(region_flag.as_deref(), env) else {
            bail!(
                "EKS clusters are regional, and no region is set: pass --region (orb: region) or set \
                 AWS_REGION or AWS_DEFAULT_REGION"
            );
        };
        let region = parse_region(&region)?;
        // A role assumed now is assumed through the cluster's region.
        self.role.region = Some(region.clone());
        let (source, _) =
            credential_source(self.profile.clone(), &self.role, role_on_command_line)?;
        let settings = EksSettings::from_env(&region, env, self.role.timeout)?;
        Ok(Cluster {
            name,
            region,
            source,
            settings,
        })
    }
}

impl Cluster {
    /// What the library's flows take.
    pub fn access(&self) -> ClusterAccess<'_> {
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
    pub fn token_args(&self) -> Vec<String> {
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
    pub fn how(&self) -> String {
        match &self.source {
            CredentialSource::AssumeRole(x) => format!("by assuming {}", x.request().role_arn),
            CredentialSource::Profile(p) => format!("with profile {:?}", p.as_str()),
            CredentialSource::Environment => "with the credentials in its environment".into(),
        }
    }
}
