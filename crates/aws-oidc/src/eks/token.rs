//! The EKS bearer token: a presigned STS `GetCallerIdentity` URL.
//!
//! What `aws eks get-token` and aws-iam-authenticator emit: the URL of a
//! `GetCallerIdentity` GET, signed in its query string (SigV4, the SDK's
//! signer) with the extra signed header `x-k8s-aws-id: <cluster name>` and
//! `X-Amz-Expires=60`; the token is `k8s-aws-v1.` and the URL in base64url
//! without padding.  EKS calls the URL (adding the header), and takes the
//! ARN STS answers as the caller; it accepts the token for 15 minutes from
//! `X-Amz-Date`.  The `ExecCredential` says 14, as the AWS CLI does, so
//! kubectl asks again a minute before EKS would refuse it.
//!
//! kubectl runs the exec plugin before every command, so [`TokenCache`]
//! keeps the token in the credential cache (its entries, locks and rules:
//! 0700, 0600, owner checks, bounded reads, untrusted entries ignored)
//! until [`REFRESH_MARGIN`] before it expires, and records it in the job's
//! ledger so that `cleanup` removes it.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningError, SigningSettings,
};
use aws_sigv4::sign::v4;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::cache::{CacheError, CredentialCache};
use crate::credentials::Credentials;
use crate::credentials::{rfc3339, unix, Secret};
use crate::env::Env;
use crate::ledger::Written;

/// What every token starts with.
pub(crate) const TOKEN_PREFIX: &str = "k8s-aws-v1.";
/// The signed header that binds a token to one cluster.
pub(crate) const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";
/// How long the presigned URL says it is valid (EKS ignores it and allows 15 minutes).
pub(crate) const PRESIGN_EXPIRES: Duration = Duration::from_secs(60);
/// The `expirationTimestamp` given to kubectl, from signing: 14 minutes, a
/// minute short of the 15 EKS allows.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(14 * 60);
/// A cached token is served while more than this is left, so a kubectl
/// command never starts with a token about to expire.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// An EKS cluster's name: 1-100 letters, digits, `-` and `_`, starting
/// with a letter or digit (EKS's own rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterName(String);

/// The longest cluster name EKS allows.
pub(crate) const MAX_CLUSTER_NAME_LEN: usize = 100;

crate::error_debug::debug_by_display!(EksInputError);
/// A value that cannot be used.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum EksInputError {
    /// Not a cluster name by EKS's rule (an ARN, say).
    #[error(
        "invalid cluster name {name:?}: EKS names are 1-{MAX_CLUSTER_NAME_LEN} letters, digits, \
         '-' and '_', starting with a letter or digit (pass the name, not the ARN)"
    )]
    ClusterName {
        /// The name given.
        name: String,
    },
    /// An `ExecCredential` API version kubectl does not speak.
    #[error("unknown ExecCredential version {version:?}: use v1beta1 or v1")]
    ExecApiVersion {
        /// The version given.
        version: String,
    },
}

impl ClusterName {
    /// Checks a name before any network call.
    pub fn parse(raw: &str) -> Result<Self, EksInputError> {
        let ok = (1..=MAX_CLUSTER_NAME_LEN).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(EksInputError::ClusterName {
                name: raw.to_string(),
            });
        }
        Ok(ClusterName(raw.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ClusterName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `ExecCredential` API versions kubectl speaks to exec plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecApiVersion {
    /// `client.authentication.k8s.io/v1beta1`: what kubeconfigs name, and the default.
    V1beta1,
    /// `client.authentication.k8s.io/v1`.
    V1,
}

impl ExecApiVersion {
    /// The full `apiVersion`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecApiVersion::V1beta1 => "client.authentication.k8s.io/v1beta1",
            ExecApiVersion::V1 => "client.authentication.k8s.io/v1",
        }
    }

    /// From a flag value (`v1`, `v1beta1`, or the full name).
    pub fn parse(raw: &str) -> Result<Self, EksInputError> {
        match raw
            .trim()
            .trim_start_matches("client.authentication.k8s.io/")
        {
            "v1beta1" => Ok(ExecApiVersion::V1beta1),
            "v1" => Ok(ExecApiVersion::V1),
            _ => Err(EksInputError::ExecApiVersion {
                version: raw.to_string(),
            }),
        }
    }

    /// What kubectl asks for in `$KUBERNETES_EXEC_INFO` (it runs the plugin
    /// with the version its kubeconfig names), else v1beta1.
    pub fn from_exec_info(info: Option<&str>) -> Self {
        info.and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
            .and_then(|v| v.get("apiVersion")?.as_str().map(str::to_string))
            .and_then(|v| Self::parse(&v).ok())
            .unwrap_or(ExecApiVersion::V1beta1)
    }
}

/// A bearer token for one cluster.  `Debug` does not show it.
#[derive(Clone)]
pub struct EksToken {
    /// `k8s-aws-v1.` + base64url of the presigned URL.
    pub token: Secret,
    /// When kubectl should ask for a new one.
    pub expiration: SystemTime,
}

impl std::fmt::Debug for EksToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EksToken(*** until {})", rfc3339(self.expiration))
    }
}

impl EksToken {
    /// The `ExecCredential` kubectl reads on the plugin's stdout.
    pub fn exec_credential(&self, version: ExecApiVersion) -> String {
        serde_json::json!({
            "kind": "ExecCredential",
            "apiVersion": version.as_str(),
            "spec": {},
            "status": {
                "expirationTimestamp": rfc3339(self.expiration),
                "token": self.token.expose(),
            },
        })
        .to_string()
    }
}

crate::error_debug::debug_by_display!(PresignError);
/// The token could not be signed: the SigV4 signer refused a part of it.
#[derive(thiserror::Error)]
pub enum PresignError {
    /// The signing parameters (identity, region, service, time) are incomplete.
    #[error("cannot sign the EKS token: {0}")]
    Params(#[source] v4::signing_params::BuildError),
    /// The `GetCallerIdentity` request cannot be signed (its URL or a header).
    #[error("cannot sign the EKS token: {0}")]
    Request(#[source] SigningError),
    /// Signing itself failed (the credentials are not ones SigV4 signs with).
    #[error("cannot sign the EKS token: {0}")]
    Sign(#[source] SigningError),
}

/// Percent-encodes a query value as SigV4 does: everything but `A-Za-z0-9-_.~`.
fn uri_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Signs the token for `cluster` with `creds` at `now`: a GET of
/// `GetCallerIdentity` at `sts_endpoint` (as the SDK's resolver names it),
/// signed for `region`.  Expires 14 minutes from `now`, or when the
/// credentials do, if sooner.
pub(crate) fn presign(
    creds: &Credentials,
    cluster: &ClusterName,
    sts_endpoint: &str,
    region: &str,
    now: SystemTime,
) -> Result<EksToken, PresignError> {
    let url = format!(
        "{}/?Action=GetCallerIdentity&Version=2011-06-15",
        sts_endpoint.trim_end_matches('/')
    );
    let identity = creds.identity();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGN_EXPIRES);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(PresignError::Params)?
        .into();
    let request = SignableRequest::new(
        "GET",
        Cow::Borrowed(url.as_str()),
        [(CLUSTER_ID_HEADER, cluster.as_str())].into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(PresignError::Request)?;
    let (instructions, _signature) = sign(request, &params)
        .map_err(PresignError::Sign)?
        .into_parts();
    let mut presigned = url;
    // The signature last, as the AWS CLI and aws-iam-authenticator write it.
    let mut params = instructions.params().to_vec();
    params.sort_by_key(|(name, _)| *name == "X-Amz-Signature");
    for (name, value) in &params {
        presigned.push('&');
        presigned.push_str(name);
        presigned.push('=');
        presigned.push_str(&uri_encode(value));
    }
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(presigned)
    );
    // From the whole second X-Amz-Date names, as a cached copy says it.
    let mut expiration = UNIX_EPOCH + Duration::from_secs(unix(now)) + TOKEN_LIFETIME;
    if let Some(until) = creds.expiration {
        expiration = expiration.min(until.max(now));
    }
    Ok(EksToken {
        token: Secret::new(token),
        expiration,
    })
}

/// One cached token.
#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    token: String,
    signed_at: u64,
    expires_at: u64,
}

/// Tokens kept in the credential cache's directory, one entry per cluster,
/// region, STS endpoint and credentials (named, never their secret).
#[derive(Debug)]
pub(crate) struct TokenCache {
    cache: CredentialCache,
}

impl TokenCache {
    /// Tokens in `cache`.
    pub(crate) fn new(cache: CredentialCache) -> Self {
        TokenCache { cache }
    }

    /// The entry's name for these parts.
    pub(crate) fn key(
        cluster: &ClusterName,
        region: &str,
        sts_endpoint: &str,
        identity: &str,
    ) -> String {
        CredentialCache::key(&[
            "eks-token",
            cluster.as_str(),
            region,
            sts_endpoint,
            identity,
        ])
    }

    /// A cached token with more than [`REFRESH_MARGIN`] left at `now`, or
    /// a new one from `mint` (then cached, and recorded for `cleanup`).
    /// Parallel callers wait for the one signing, until `deadline`.  A
    /// cache that cannot be used means no cache: the token still comes,
    /// with the reason beside it.
    pub(crate) fn get_or_mint<E: From<CacheError>>(
        &self,
        key: &str,
        now: SystemTime,
        deadline: Instant,
        env: Env,
        mint: impl FnOnce() -> Result<EksToken, E>,
    ) -> Result<(EksToken, Option<CacheError>), E> {
        let entry = match self.cache.lock(key, deadline) {
            Ok(entry) => entry,
            Err(busy @ CacheError::Busy { .. }) => return Err(busy.into()),
            Err(problem) => return Ok((mint()?, Some(problem))),
        };
        if let Some(token) = entry.load_bytes().and_then(|b| parse_entry(&b, now)) {
            return Ok((token, None));
        }
        let token = mint()?;
        let text = serde_json::to_vec(&Entry {
            version: 1,
            token: token.token.expose().to_string(),
            signed_at: unix(now),
            expires_at: unix(token.expiration),
        })
        .unwrap_or_default();
        let problem = entry.store_bytes(&text).err();
        if problem.is_none() {
            // The token is a credential: `cleanup` removes it with the rest.
            // A ledger that cannot be written only means cleanup leaves it.
            let _ = self
                .cache
                .ledger(env)
                .record(Written::created(entry.path().to_path_buf()));
        }
        Ok((token, problem))
    }
}

/// A cached token, if `bytes` are a well-formed entry (signed no later than
/// `now`, living no longer than a token may) with more than
/// [`REFRESH_MARGIN`] left at `now`.
fn parse_entry(bytes: &[u8], now: SystemTime) -> Option<EksToken> {
    let e: Entry = serde_json::from_slice(bytes).ok()?;
    let now = unix(now);
    let usable = e.version == 1
        && e.token.starts_with(TOKEN_PREFIX)
        && e.signed_at <= now
        && e.expires_at <= e.signed_at.checked_add(TOKEN_LIFETIME.as_secs())?
        && e.expires_at > now.checked_add(REFRESH_MARGIN.as_secs())?;
    usable.then(|| EksToken {
        token: Secret::new(e.token),
        expiration: UNIX_EPOCH + Duration::from_secs(e.expires_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: Secret::new("AKIDEXAMPLE"),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: Some(Secret::new("session/token+value=")),
            expiration: None,
            origin: crate::credentials::Origin::Environment,
        }
    }

    fn decode(token: &EksToken) -> String {
        let b64 = token.token.expose().strip_prefix(TOKEN_PREFIX).unwrap();
        assert!(!b64.contains('=') && !b64.contains('+') && !b64.contains('/'));
        String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(b64)
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn the_token_is_a_presigned_get_caller_identity_bound_to_the_cluster() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_108_000); // 2025-11-25T22:00:00Z
        let cluster = ClusterName::parse("demo").unwrap();
        let t = presign(
            &creds(),
            &cluster,
            "https://sts.eu-west-1.amazonaws.com",
            "eu-west-1",
            now,
        )
        .unwrap();
        let url = decode(&t);
        assert!(
            url.starts_with(
                "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        for part in [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=AKIDEXAMPLE%2F20251125%2Feu-west-1%2Fsts%2Faws4_request",
            "X-Amz-Date=20251125T220000Z",
            "X-Amz-Expires=60",
            "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
            "X-Amz-Security-Token=session%2Ftoken%2Bvalue%3D",
        ] {
            assert!(url.contains(part), "{part} missing from {url}");
        }
        assert!(!url.contains("wJalr"), "the secret is never in the URL");
        let last = url.rsplit('&').next().unwrap();
        assert!(last.starts_with("X-Amz-Signature="), "{url}");
        assert_eq!(t.expiration, now + TOKEN_LIFETIME);
        assert!(!format!("{t:?}").contains("k8s-aws-v1"));
        // Another cluster, another signature.
        let other = presign(
            &creds(),
            &ClusterName::parse("other").unwrap(),
            "https://sts.eu-west-1.amazonaws.com",
            "eu-west-1",
            now,
        )
        .unwrap();
        let sig = |u: &str| u.rsplit("X-Amz-Signature=").next().unwrap()[..64].to_string();
        assert_ne!(sig(&url), sig(&decode(&other)));
    }

    #[test]
    fn the_token_expires_with_its_credentials() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_108_000);
        let soon = Credentials {
            expiration: Some(now + Duration::from_secs(300)),
            ..creds()
        };
        let t = presign(
            &soon,
            &ClusterName::parse("demo").unwrap(),
            "https://sts.amazonaws.com",
            "us-east-1",
            now,
        )
        .unwrap();
        assert_eq!(t.expiration, now + Duration::from_secs(300));
    }

    #[test]
    fn the_exec_credential_has_what_kubectl_reads() {
        let t = EksToken {
            token: Secret::new("k8s-aws-v1.abc"),
            expiration: UNIX_EPOCH + Duration::from_secs(1_764_108_840),
        };
        let v: serde_json::Value =
            serde_json::from_str(&t.exec_credential(ExecApiVersion::V1beta1)).unwrap();
        assert_eq!(v["kind"], "ExecCredential");
        assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");
        assert_eq!(v["status"]["expirationTimestamp"], "2025-11-25T22:14:00Z");
        assert_eq!(v["status"]["token"], "k8s-aws-v1.abc");
        let info = r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#;
        assert_eq!(
            ExecApiVersion::from_exec_info(Some(info)),
            ExecApiVersion::V1
        );
        assert_eq!(
            ExecApiVersion::from_exec_info(Some("not json")),
            ExecApiVersion::V1beta1
        );
    }

    #[test]
    fn cluster_names_follow_eks_rules() {
        for ok in ["demo", "a", "prod_eu-1", &"x".repeat(100)] {
            ClusterName::parse(ok).unwrap();
        }
        for bad in [
            "",
            "-x",
            "arn:aws:eks:us-east-1:123456789012:cluster/demo",
            "a b",
            &"x".repeat(101),
        ] {
            assert_eq!(
                ClusterName::parse(bad),
                Err(EksInputError::ClusterName { name: bad.into() }),
                "{bad:?}"
            );
        }
        assert_eq!(
            ClusterName::parse("a b").unwrap_err().to_string(),
            "invalid cluster name \"a b\": EKS names are 1-100 letters, digits, '-' and '_', \
             starting with a letter or digit (pass the name, not the ARN)"
        );
    }

    #[test]
    fn an_unknown_exec_api_version_is_named() {
        assert_eq!(
            ExecApiVersion::parse("client.authentication.k8s.io/v1").unwrap(),
            ExecApiVersion::V1
        );
        let e = ExecApiVersion::parse("v1alpha1").unwrap_err();
        assert_eq!(
            e,
            EksInputError::ExecApiVersion {
                version: "v1alpha1".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "unknown ExecCredential version \"v1alpha1\": use v1beta1 or v1"
        );
    }

    #[test]
    fn a_url_the_signer_cannot_parse_is_a_request_error_without_the_secret() {
        let e = presign(
            &creds(),
            &ClusterName::parse("demo").unwrap(),
            "https://sts amazonaws com",
            "us-east-1",
            SystemTime::now(),
        )
        .unwrap_err();
        assert!(matches!(e, PresignError::Request(_)), "{e:?}");
        let text = format!("{e} {e:?}");
        assert!(text.starts_with("cannot sign the EKS token: "), "{text}");
        assert!(std::error::Error::source(&e).is_some());
        for secret in ["wJalr", "session/token", "AKIDEXAMPLE"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn cached_tokens_are_served_until_their_expiration() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(CredentialCache::open(dir.path().join("c")).unwrap());
        let cluster = ClusterName::parse("demo").unwrap();
        let key = TokenCache::key(&cluster, "us-east-1", "https://sts", "env\nAKID");
        let now = SystemTime::now();
        let mint = |at: SystemTime| {
            let cluster = cluster.clone();
            move || -> Result<EksToken, CacheError> {
                presign(&creds(), &cluster, "https://sts", "us-east-1", at)
                    .map_err(|e| panic!("{e}"))
            }
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let env = |_: &str| None;
        let (first, problem) = cache
            .get_or_mint(&key, now, deadline, &env, mint(now))
            .unwrap();
        assert!(problem.is_none());
        let (again, _) = cache
            .get_or_mint(
                &key,
                now + Duration::from_secs(60),
                deadline,
                &env,
                || -> Result<_, CacheError> { panic!("served from the cache") },
            )
            .unwrap();
        assert_eq!(first.token, again.token);
        assert_eq!(first.expiration, again.expiration);
        // Shortly before it expires, a new one is signed.
        let later = now + TOKEN_LIFETIME - REFRESH_MARGIN;
        let (renewed, _) = cache
            .get_or_mint(&key, later, deadline, &env, mint(later))
            .unwrap();
        assert_ne!(first.token, renewed.token);
    }

    #[test]
    fn an_entry_is_served_only_when_its_times_are_possible() {
        let now = UNIX_EPOCH + Duration::from_secs(1_764_108_000);
        let entry = |signed: u64, expires: u64, token: &str| {
            format!(
                r#"{{"version":1,"token":"{token}","signed_at":{signed},"expires_at":{expires}}}"#
            )
        };
        let t = 1_764_108_000;
        assert!(parse_entry(entry(t, t + 840, "k8s-aws-v1.x").as_bytes(), now).is_some());
        for bad in [
            entry(t, t + 841, "k8s-aws-v1.x"), // lives longer than a token may
            entry(t + 1, t + 840, "k8s-aws-v1.x"), // signed in the future
            entry(t - 800, t + 40, "k8s-aws-v1.x"), // within the margin
            entry(t, t + 840, "Bearer x"),     // not a token
            entry(u64::MAX, u64::MAX, "k8s-aws-v1.x"),
            "not json".into(),
        ] {
            assert!(parse_entry(bad.as_bytes(), now).is_none(), "{bad}");
        }
    }
}
