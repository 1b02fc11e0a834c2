//! `aws-oidc eks-token`: kubectl's EKS bearer token, as `aws eks get-token` prints it.

use anyhow::Result;
use aws_oidc::eks::ExecApiVersion;
use aws_oidc::process_env;
use clap::Args;

use crate::cluster::ClusterArgs;
use crate::output::{print_stdout, Printer};

pub(crate) const LONG_ABOUT: &str = "\
Print an ExecCredential for kubectl with a bearer token for an EKS cluster: a presigned STS \
GetCallerIdentity URL bound to the cluster's name, as `aws eks get-token` and \
aws-iam-authenticator make it. EKS accepts it for 15 minutes; expirationTimestamp says 14, so \
kubectl asks again in time. `aws-oidc eks-kubeconfig` writes a kubeconfig whose user runs this.

Credentials: $AWS_ACCESS_KEY_ID and friends (what aws-oidc/setup exports), else the profile \
$AWS_PROFILE; --profile NAME (keys, or its credential_process: a profile that `assume --refresh` \
wrote works in long jobs); or --role-arn, which assumes the role with the job's OIDC token.

kubectl runs this before every command, so the token is cached in the credential cache's private \
directory ($AWS_OIDC_CACHE_DIR, else $XDG_CACHE_HOME/aws-oidc, else ~/.cache/aws-oidc) until a \
minute before it expires: a repeated call reads one file. `aws-oidc cleanup` removes it. The \
token is a credential: it is printed on stdout only, for kubectl.

--token-only prints the bare token (k8s-aws-v1....) and a newline instead of the ExecCredential, \
as `aws-iam-authenticator token --token-only` does, for tools that take a bearer token \
themselves: curl's `Authorization: Bearer`, the Helm and Terraform Kubernetes providers' `token`. \
It comes from the same cache, so it is the token kubectl is using.";

pub(crate) const AFTER_HELP: &str = "\
Examples:
  # What kubectl runs (eks-kubeconfig writes this into the kubeconfig)
  aws-oidc eks-token --cluster-name prod --region eu-west-1

  # With a profile that refreshes itself (written by `aws-oidc assume --profile ci --refresh`)
  aws-oidc eks-token --cluster-name prod --region eu-west-1 --profile ci

  # client.authentication.k8s.io/v1 instead of v1beta1
  aws-oidc eks-token --cluster-name prod --region eu-west-1 --api-version v1

  # The bare token, for curl or a Terraform/Helm provider (keep it out of logs: no `set -x`)
  TOKEN=\"$(aws-oidc eks-token --cluster-name prod --region eu-west-1 --token-only)\"
  curl --cacert ca.pem -H \"Authorization: Bearer $TOKEN\" \"$API_SERVER/version\"";

/// Options of `aws-oidc eks-token`.
#[derive(Debug, Args)]
pub(crate) struct EksTokenArgs {
    #[command(flatten)]
    cluster: ClusterArgs,

    /// The ExecCredential's apiVersion: v1beta1 or v1 [default: what kubectl asks for in $KUBERNETES_EXEC_INFO, else v1beta1]
    #[arg(long, value_name = "VERSION")]
    api_version: Option<String>,

    /// Print only the bearer token (k8s-aws-v1....), not an ExecCredential: for curl, Helm and Terraform providers
    #[arg(long, conflicts_with = "api_version")]
    token_only: bool,

    /// Sign a new token, ignoring and not writing the cache
    #[arg(long)]
    no_cache: bool,
}

/// Runs `aws-oidc eks-token`.
pub(crate) fn run(a: EksTokenArgs) -> Result<()> {
    let version = match &a.api_version {
        Some(v) => ExecApiVersion::parse(v)?,
        None => ExecApiVersion::from_exec_info(process_env("KUBERNETES_EXEC_INFO").as_deref()),
    };
    let cluster = a.cluster.resolve()?;
    let token = aws_oidc::eks_token(cluster, a.no_cache, &process_env, &mut Printer)?;
    match a.token_only {
        true => print_stdout(token.token.expose()),
        false => print_stdout(&token.exec_credential(version)),
    }
}
