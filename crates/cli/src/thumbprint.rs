//! `aws-oidc thumbprint`: the issuer certificate thumbprint for an IAM OIDC provider.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::Args;

use crate::output::{print_stdout, say};

pub(crate) const LONG_ABOUT: &str = "\
Print the SHA-1 thumbprint IAM lists for an OIDC provider (ThumbprintList), found by the \
procedure AWS documents: fetch <URL>/.well-known/openid-configuration, take the host of its \
jwks_uri, open TLS to it, and hash the last certificate the server sends (the top intermediate \
CA). The chain is verified first, so no one in the middle can substitute a chain: against \
this machine's CAs (and SSL_CERT_FILE), or only the CAs in AWS_CA_BUNDLE (or the profile's \
ca_bundle) when set, as the AWS CLI takes them. Connections go through the proxy in HTTPS_PROXY \
(or ALL_PROXY) as a CONNECT tunnel, unless NO_PROXY lists the host. Stdout has the thumbprint \
alone (two lines when the issuer and JWKS hosts differ: AWS wants both then); stderr says where \
it came from.

Behind a TLS-intercepting proxy, the chain a server seems to send is the proxy's own: its \
thumbprint is of no use to IAM, which reaches the issuer directly. Take the thumbprint where \
the issuer is reached without interception (list its host in NO_PROXY, or run it elsewhere).

When AWS no longer needs it: IAM verifies the JWKS host's TLS certificate against its own \
library of trusted root CAs, and uses thumbprints only when that certificate is not signed by one \
of them (e.g. a self-hosted issuer, such as CircleCI server, with a private CA) or when it falls \
back to thumbprint verification. ThumbprintList is optional in CreateOpenIDConnectProvider (IAM \
fetches a thumbprint itself when it is left out), and the Terraform and CloudFormation resources \
no longer require one. CircleCI's cloud issuer, oidc.circleci.com, chains to a public CA, so it \
needs none.";

/// Options of `aws-oidc thumbprint`.
#[derive(Debug, Args)]
pub(crate) struct ThumbprintArgs {
    /// The issuer URL, e.g. https://oidc.circleci.com/org/<org-id>
    #[arg(value_name = "URL")]
    url: String,

    /// Give up after this many seconds, all connections and reads included
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    timeout: u64,
}

/// Runs `aws-oidc thumbprint`.
pub(crate) fn run(args: ThumbprintArgs) -> Result<()> {
    if args.timeout == 0 || args.timeout > 300 {
        bail!("--timeout must be 1 to 300 seconds");
    }
    let timeout = Duration::from_secs(args.timeout);
    let found = aws_oidc::issuer_thumbprint(&args.url, timeout, &aws_oidc::process_env)?;
    for line in found.preamble() {
        say!("aws-oidc: {line}");
    }
    for (line, thumbprint) in found.hosts() {
        say!("aws-oidc: {line}");
        print_stdout(&thumbprint)?;
    }
    Ok(())
}
