//! `aws-oidc eks-kubeconfig`: kubectl's entries for an EKS cluster, as `aws eks update-kubeconfig` writes them.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use aws_oidc::process_env;
use aws_oidc::KubeconfigRequest;
use clap::Args;

use crate::cluster::ClusterArgs;
use crate::output::{say, Printer};

pub(crate) const LONG_ABOUT: &str = "\
Describe an EKS cluster (DescribeCluster) and merge it into the kubeconfig as `aws eks \
update-kubeconfig` does: the cluster (endpoint and CA) and a user named by the cluster's ARN, a \
context (--alias, else the ARN) joining them, made the current context. The user's exec plugin \
runs `aws-oidc eks-token` with the same credential options, so kubectl and helm need no AWS CLI. \
Every other entry is kept; the file is replaced atomically, 0600, under a lock, and a file that \
is not a kubeconfig (not valid YAML) is refused and left as it was.

The file: --kubeconfig, else the first path in $KUBECONFIG (separated by ':', on Windows ';'), \
else ~/.kube/config.

Credentials: $AWS_ACCESS_KEY_ID and friends (what aws-oidc/setup exports; kubectl's later calls \
use those in their own environment), else the profile $AWS_PROFILE; --profile NAME, which the \
exec plugin uses too (a profile written by `assume --refresh` keeps working in long jobs); or \
--role-arn, which assumes the role with the job's OIDC token now and for each later token.

The exec command is `aws-oidc` when this binary is the aws-oidc on PATH, so a kubeconfig carried \
to another job keeps working wherever aws-oidc is installed there; otherwise its absolute path. \
`aws-oidc cleanup` removes the entries this job added and puts the current context back.";

pub(crate) const AFTER_HELP: &str = "\
Examples:
  # After aws-oidc/setup: kubectl and helm then reach the cluster
  aws-oidc eks-kubeconfig --cluster-name prod --region eu-west-1
  kubectl get pods

  # A context named `prod`, in a kubeconfig of its own
  aws-oidc eks-kubeconfig --cluster-name prod --alias prod --kubeconfig ./kubeconfig

  # Assume the deploy role in this step (and for each token kubectl asks for)
  aws-oidc eks-kubeconfig --cluster-name prod --role-arn arn:aws:iam::123456789012:role/deploy";

/// Options of `aws-oidc eks-kubeconfig`.
#[derive(Debug, Args)]
pub(crate) struct EksKubeconfigArgs {
    #[command(flatten)]
    cluster: ClusterArgs,

    /// The context's name [default: the cluster's ARN]
    #[arg(long, value_name = "NAME")]
    alias: Option<String>,

    /// The kubeconfig to write [default: the first file in $KUBECONFIG, else ~/.kube/config]
    #[arg(long, value_name = "PATH")]
    kubeconfig: Option<String>,
}

/// Runs `aws-oidc eks-kubeconfig`.
pub(crate) fn run(a: EksKubeconfigArgs) -> Result<()> {
    let v = a.cluster.role.values();
    let request = KubeconfigRequest {
        alias: v.opt(a.alias, "--alias")?,
        kubeconfig: v.opt(a.kubeconfig, "--kubeconfig")?.map(PathBuf::from),
        cluster: a.cluster.resolve()?,
        exe: std::env::current_exe().context("cannot find the path of this aws-oidc binary")?,
    };
    let report = aws_oidc::eks_kubeconfig(request, &process_env, &mut Printer)?;
    say!("aws-oidc: {report}");
    Ok(())
}
