//! Short-lived AWS credentials, which never print their secrets.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::names::{Input, Names};

/// A secret string: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: only sinks that are meant to hold it call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// AWS credentials, whatever gave them: temporary ones from STS (with a
/// session token and an expiry, always), or long-lived keys (neither).
/// `Debug` and `Display` never show a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`ASIA...`, `AKIA...`): not secret on its own, but we treat it as such.
    pub access_key_id: Secret,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials.
    pub session_token: Option<Secret>,
    /// When they stop working, if known.
    pub expiration: Option<SystemTime>,
    /// Where they came from, for messages.
    pub origin: Origin,
}

/// Where credentials came from.  `Display` names it as messages do:
/// `role arn:...`, `$AWS_ACCESS_KEY_ID`, `profile "ci" (credential_process)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A role assumed through STS.
    AssumedRole {
        /// `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
        arn: String,
    },
    /// aws-oidc's credential cache, holding a role's credentials from an earlier run.
    Cache,
    /// `$AWS_ACCESS_KEY_ID` and `$AWS_SECRET_ACCESS_KEY` (and `$AWS_SESSION_TOKEN`).
    Environment,
    /// A profile of the shared files.
    Profile {
        /// The profile's name.
        name: String,
        /// What in it gave the credentials.
        via: ProfileVia,
    },
    /// The long-lived keys an aws-cli/setup config stores.
    StoredKeys {
        /// Where the access key id came from.
        access_key_id: KeySource,
        /// Where the secret access key came from.
        secret_access_key: KeySource,
    },
}

/// What in a profile gave its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileVia {
    /// Keys in the credentials file.
    CredentialsFile,
    /// Keys in the config file.
    ConfigFile,
    /// The config file's `credential_process`.
    CredentialProcess,
}

/// One of the two parts of an access key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The access key id.
    AccessKeyId,
    /// The secret access key.
    SecretAccessKey,
}

impl Which {
    /// aws-cli/setup's parameter for it: `aws_access_key_id`, `aws_secret_access_key`.
    pub fn parameter(self) -> &'static str {
        match self {
            Which::AccessKeyId => "aws_access_key_id",
            Which::SecretAccessKey => "aws_secret_access_key",
        }
    }

    /// The input that gives it, for a caller's [`Names`].
    pub(crate) fn input(self) -> Input {
        match self {
            Which::AccessKeyId => Input::AccessKeyId,
            Which::SecretAccessKey => Input::SecretAccessKey,
        }
    }
}

/// Where a stored key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable: `$NAME`, `${NAME}`, or a bare `NAME` that is set.
    Variable(String),
    /// aws-cli/setup's parameter's own value, expanded: a composite template or a literal.
    Parameter(Which),
}

impl KeySource {
    /// `$NAME`, or the value of the parameter, named as `names` names it
    /// (aws-cli/setup's parameter when it does not).
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            KeySource::Variable(name) => format!("${name}"),
            KeySource::Parameter(which) => {
                format!(
                    "the value of {}",
                    names.or(which.input(), which.parameter())
                )
            }
        }
    }
}

crate::names::display_by_describe!(KeySource);

impl fmt::Display for ProfileVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProfileVia::CredentialsFile => "keys in the credentials file",
            ProfileVia::ConfigFile => "keys in the config file",
            ProfileVia::CredentialProcess => "credential_process",
        })
    }
}

impl Origin {
    /// Where the credentials came from, a key given as a parameter's value
    /// named as `names` names that parameter.
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            Origin::AssumedRole { arn } => format!("role {arn}"),
            Origin::Cache => "the credential cache".into(),
            Origin::Environment => "$AWS_ACCESS_KEY_ID".into(),
            Origin::Profile { name, via } => format!("profile {name:?} ({via})"),
            Origin::StoredKeys {
                access_key_id,
                secret_access_key,
            } => format!(
                "{} and {}",
                access_key_id.describe(names),
                secret_access_key.describe(names)
            ),
        }
    }
}

crate::names::display_by_describe!(Origin);

impl Origin {
    /// The account the credentials belong to, when the origin names it
    /// (an assumed role's ARN does).
    pub fn account(&self) -> Option<&str> {
        let Origin::AssumedRole { arn } = self else {
            return None;
        };
        arn.split("::")
            .nth(1)
            .and_then(|rest| rest.split(':').next())
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl Credentials {
    /// Temporary credentials, as STS issues them: a session token and an
    /// expiry, always.
    pub fn temporary(
        access_key_id: Secret,
        secret_access_key: Secret,
        session_token: Secret,
        expiration: SystemTime,
        origin: Origin,
    ) -> Self {
        Credentials {
            access_key_id,
            secret_access_key,
            session_token: Some(session_token),
            expiration: Some(expiration),
            origin,
        }
    }

    /// Long-lived keys: no session token, no expiry.
    pub fn long_lived(access_key_id: Secret, secret_access_key: Secret, origin: Origin) -> Self {
        Credentials {
            access_key_id,
            secret_access_key,
            session_token: None,
            expiration: None,
            origin,
        }
    }

    /// The expiry in RFC 3339 UTC, e.g. `2026-11-25T22:33:00Z`; `None`
    /// when it is not known (long-lived keys).
    pub fn expiration_rfc3339(&self) -> Option<String> {
        self.expiration.map(rfc3339)
    }

    /// The identity the SDK's SigV4 signer signs with.
    #[cfg(any(
        feature = "ecr",
        feature = "eks",
        feature = "secrets",
        feature = "codeartifact"
    ))]
    pub(crate) fn identity(&self) -> aws_smithy_runtime_api::client::identity::Identity {
        aws_credential_types::Credentials::new(
            self.access_key_id.expose(),
            self.secret_access_key.expose(),
            self.session_token.as_ref().map(|t| t.expose().to_string()),
            self.expiration,
            "aws-oidc",
        )
        .into()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration_rfc3339())
            .field("origin", &self.origin)
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expiration_rfc3339() {
            Some(at) => write!(f, "credentials (redacted) expiring {at}"),
            None => write!(f, "long-lived credentials (redacted) from {}", self.origin),
        }
    }
}

/// Formats a time as RFC 3339 UTC with second precision.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339_from_unix(secs)
}

/// Formats seconds since the epoch as RFC 3339 UTC; a time no calendar
/// date can hold (a hostile token's `exp`, say) is written as its number.
pub(crate) fn rfc3339_from_unix(secs: i64) -> String {
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("{secs} seconds after 1970-01-01T00:00:00Z"))
}

/// Seconds since the epoch (0 before it): how cache entries, the ledger and
/// cached logins and tokens store times.
pub(crate) fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// "in 59 min", "in 2 h 5 min", "3 min ago": for humans reading a log.
pub fn humanize_from_now(t: SystemTime) -> String {
    let now = SystemTime::now();
    let (secs, future) = match t.duration_since(now) {
        Ok(d) => (d.as_secs(), true),
        Err(e) => (e.duration().as_secs(), false),
    };
    let text = if secs < 120 {
        format!("{secs} s")
    } else if secs < 3 * 3600 {
        let (h, m) = (secs / 3600, (secs % 3600) / 60);
        if h == 0 {
            format!("{m} min")
        } else {
            format!("{h} h {m} min")
        }
    } else {
        format!("{} h", secs / 3600)
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample() -> Credentials {
        Credentials::temporary(
            Secret::new("ASIAEXAMPLEKEYID0001"),
            Secret::new("very-secret-value"),
            Secret::new("session-token-value"),
            UNIX_EPOCH + Duration::from_secs(1_764_108_000),
            Origin::AssumedRole {
                arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci".into(),
            },
        )
    }

    #[test]
    fn debug_and_display_redact_every_secret() {
        let c = sample();
        for text in [
            format!("{c:?}"),
            format!("{c}"),
            format!("{:?}", c.secret_access_key),
        ] {
            assert!(!text.contains("very-secret-value"), "{text}");
            assert!(!text.contains("session-token-value"), "{text}");
            assert!(!text.contains("ASIAEXAMPLEKEYID0001"), "{text}");
        }
        assert!(format!("{c:?}").contains("2025-11-25T22:00:00Z"));
        let keys = Credentials::long_lived(
            Secret::new("AKIAEXAMPLE"),
            Secret::new("very-secret-value"),
            Origin::Environment,
        );
        for text in [format!("{keys:?}"), format!("{keys}")] {
            assert!(!text.contains("very-secret-value") && !text.contains("AKIAEXAMPLE"));
        }
        assert_eq!(keys.expiration_rfc3339(), None);
    }

    #[test]
    fn origins_read_as_messages_name_them() {
        let profile = |via| Origin::Profile {
            name: "ci".into(),
            via,
        };
        assert_eq!(
            profile(ProfileVia::CredentialProcess).to_string(),
            "profile \"ci\" (credential_process)"
        );
        assert_eq!(
            profile(ProfileVia::CredentialsFile).to_string(),
            "profile \"ci\" (keys in the credentials file)"
        );
        assert_eq!(Origin::Environment.to_string(), "$AWS_ACCESS_KEY_ID");
        let stored = Origin::StoredKeys {
            access_key_id: KeySource::Variable("CI_KEY".into()),
            secret_access_key: KeySource::Parameter(Which::SecretAccessKey),
        };
        assert_eq!(
            stored.to_string(),
            "$CI_KEY and the value of aws_secret_access_key"
        );
        let role = sample().origin;
        assert_eq!(role.account(), Some("123456789012"));
        assert_eq!(
            role.to_string(),
            "role arn:aws:sts::123456789012:assumed-role/deploy/ci"
        );
        assert_eq!(Origin::Environment.account(), None);
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_764_108_000), "2025-11-25T22:00:00Z");
        assert_eq!(rfc3339_from_unix(4_102_444_799), "2099-12-31T23:59:59Z");
        assert!(rfc3339_from_unix(i64::MIN).contains(&i64::MIN.to_string()));
        assert!(rfc3339_from_unix(i64::MAX).contains(&i64::MAX.to_string()));
    }

    #[test]
    fn humanize_reads_naturally() {
        let now = SystemTime::now();
        assert!(humanize_from_now(now + Duration::from_secs(3599)).starts_with("in 59 min"));
        assert_eq!(
            humanize_from_now(now + Duration::from_secs(7300)),
            "in 2 h 1 min"
        );
        assert!(humanize_from_now(now - Duration::from_secs(600)).ends_with("ago"));
    }
}
