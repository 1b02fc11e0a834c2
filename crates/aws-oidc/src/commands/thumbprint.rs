//! `thumbprint`: the issuer certificate thumbprint for an IAM OIDC provider.

use std::time::Duration;

use super::CommandError;
use crate::env::Env;
use crate::thumbprint::{for_issuer, CertificateChain, IssuerCertificates};

/// The thumbprints found, and where they came from.
#[derive(Debug)]
pub struct ThumbprintReport(pub IssuerCertificates);

/// Where a chain's thumbprint came from, as a message line.
fn describe(what: &str, c: &CertificateChain) -> String {
    format!(
        "{what} {}:{}: certificate {n} of {n} it sends (the top intermediate CA): {}",
        c.host,
        c.port,
        c.thumbprint(),
        n = c.certificates.len()
    )
}

impl ThumbprintReport {
    /// What the chains were verified against and reached through, and the
    /// JWKS URI: message lines before the thumbprints.
    pub fn preamble(&self) -> Vec<String> {
        let found = &self.0;
        let mut lines = Vec::new();
        if let Some(bundle) = &found.ca_bundle {
            lines.push(format!(
                "verified against the CA bundle {} (AWS_CA_BUNDLE), not this machine's CAs",
                bundle.display()
            ));
        }
        if let Some(proxy) = &found.proxy {
            lines.push(format!(
                "through the proxy {proxy} (HTTPS_PROXY or ALL_PROXY); if it intercepts TLS, \
                 these are its certificates, not the issuer's: list the issuer's host in NO_PROXY"
            ));
        }
        lines.push(format!("jwks_uri is {}", found.jwks_uri));
        lines
    }

    /// Each host's message line and thumbprint: the JWKS host's, then the
    /// issuer host's when it is another (AWS wants both then).
    pub fn hosts(&self) -> Vec<(String, String)> {
        let found = &self.0;
        let mut hosts = vec![(describe("JWKS host", &found.jwks), found.jwks.thumbprint())];
        if (&found.issuer.host, found.issuer.port) != (&found.jwks.host, found.jwks.port) {
            hosts.push((
                describe("issuer host", &found.issuer),
                found.issuer.thumbprint(),
            ));
        }
        hosts
    }
}

/// Follows AWS's procedure for the issuer at `url`, within `timeout`.
pub fn issuer_thumbprint(
    url: &str,
    timeout: Duration,
    env: Env,
) -> Result<ThumbprintReport, CommandError> {
    Ok(ThumbprintReport(for_issuer(url, timeout, env)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(host: &str) -> CertificateChain {
        CertificateChain {
            host: host.into(),
            port: 443,
            certificates: vec![b"leaf".to_vec(), b"ca".to_vec()],
        }
    }

    #[test]
    fn a_second_host_is_described_only_when_it_differs() {
        let found = IssuerCertificates {
            jwks_uri: "https://oidc.example/keys".into(),
            jwks: chain("oidc.example"),
            issuer: chain("oidc.example"),
            ca_bundle: None,
            proxy: None,
        };
        let report = ThumbprintReport(found.clone());
        assert_eq!(report.preamble(), ["jwks_uri is https://oidc.example/keys"]);
        let hosts = report.hosts();
        assert_eq!(hosts.len(), 1);
        assert!(hosts[0]
            .0
            .starts_with("JWKS host oidc.example:443: certificate 2 of 2 it sends"));
        let two = ThumbprintReport(IssuerCertificates {
            issuer: chain("issuer.example"),
            ..found
        });
        assert!(two.hosts()[1]
            .0
            .starts_with("issuer host issuer.example:443"));
    }
}
