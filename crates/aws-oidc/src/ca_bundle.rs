//! CA certificates to trust instead of the system's (`AWS_CA_BUNDLE`, the
//! profile's `ca_bundle`), read and checked once: a leaf that the settings
//! resolve and the transport trusts, below both.

use std::fmt;

/// The largest CA bundle read (Debian's whole system bundle is about 200 KB).
const CA_BUNDLE_LIMIT: u64 = 4 * 1024 * 1024;

/// CA certificates (PEM) to trust instead of the system's, as the AWS CLI
/// takes them from `AWS_CA_BUNDLE`: for self-hosted runners behind a
/// TLS-intercepting proxy.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CaBundle {
    path: std::path::PathBuf,
    pem: Vec<u8>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaBundle({})", self.path.display())
    }
}

crate::error_debug::debug_by_display!(CaBundleError);
/// A CA bundle that cannot be used.
#[derive(thiserror::Error)]
#[error("cannot use the CA bundle {} (AWS_CA_BUNDLE): {why}; point AWS_CA_BUNDLE at a PEM file of CA certificates", path.display())]
pub struct CaBundleError {
    /// The file.
    pub path: std::path::PathBuf,
    /// What is wrong.
    pub why: String,
}

impl CaBundle {
    /// Reads and checks a PEM bundle: at most 4 MiB, at least one
    /// certificate, every certificate well-formed.
    pub(crate) fn read(path: &std::path::Path) -> Result<Self, CaBundleError> {
        use rustls::pki_types::pem::PemObject as _;
        use std::io::Read as _;
        let fail = |why: String| CaBundleError {
            path: path.to_path_buf(),
            why,
        };
        let mut pem = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(CA_BUNDLE_LIMIT + 1).read_to_end(&mut pem))
            .map_err(|e| fail(e.to_string()))?;
        if pem.len() as u64 > CA_BUNDLE_LIMIT {
            return Err(fail("it is larger than 4 MiB".into()));
        }
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(format!("it is not valid PEM ({e:?})")))?;
        if certs.is_empty() {
            return Err(fail("it holds no certificate".into()));
        }
        Ok(CaBundle {
            path: path.to_path_buf(),
            pem,
        })
    }

    #[cfg(feature = "setup-tools")]
    /// Where it was read from.
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Its certificates (checked well-formed by [`CaBundle::read`]).
    pub(crate) fn certificates(&self) -> Vec<rustls::pki_types::CertificateDer<'static>> {
        use rustls::pki_types::pem::PemObject as _;
        rustls::pki_types::CertificateDer::pem_slice_iter(&self.pem)
            .filter_map(Result::ok)
            .collect()
    }
}
