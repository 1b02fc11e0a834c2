//! `aws-oidc thumbprint`: the issuer certificate thumbprint for an IAM OIDC provider.

use std::time::Duration;

use anyhow::{bail, Result};
use aws_oidc::thumbprint::for_issuer;
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
    let found = for_issuer(
        &args.url,
        Duration::from_secs(args.timeout),
        &aws_oidc::process_env,
    )?;
    let describe = |what: &str, c: &aws_oidc::thumbprint::CertificateChain| {
        say!(
            "aws-oidc: {what} {}:{}: certificate {n} of {n} it sends (the top intermediate CA): {}",
            c.host,
            c.port,
            c.thumbprint(),
            n = c.certificates.len()
        );
    };
    if let Some(bundle) = &found.ca_bundle {
        say!(
            "aws-oidc: verified against the CA bundle {} (AWS_CA_BUNDLE), not this machine's CAs",
            bundle.display()
        );
    }
    if let Some(proxy) = &found.proxy {
        say!(
            "aws-oidc: through the proxy {proxy} (HTTPS_PROXY or ALL_PROXY); if it intercepts TLS, these are \
             its certificates, not the issuer's: list the issuer's host in NO_PROXY"
        );
    }
    say!("aws-oidc: jwks_uri is {}", found.jwks_uri);
    describe("JWKS host", &found.jwks);
    print_stdout(&found.jwks.thumbprint())?;
    if (&found.issuer.host, found.issuer.port) != (&found.jwks.host, found.jwks.port) {
        describe("issuer host", &found.issuer);
        print_stdout(&found.issuer.thumbprint())?;
    }
    Ok(())
}
