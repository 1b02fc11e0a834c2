//! Short-lived AWS credentials, which never print their secrets.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};

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

/// Temporary credentials from STS.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`ASIA...`): not secret on its own, but we treat it as such.
    pub access_key_id: Secret,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token.
    pub session_token: Secret,
    /// When STS says they stop working.
    pub expiration: SystemTime,
}

impl Credentials {
    /// The expiry in RFC 3339 UTC, e.g. `2026-11-25T22:33:00Z`.
    pub fn expiration_rfc3339(&self) -> String {
        rfc3339(self.expiration)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration_rfc3339())
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "credentials (redacted) expiring {}",
            self.expiration_rfc3339()
        )
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
        Credentials {
            access_key_id: Secret::new("ASIAEXAMPLEKEYID0001"),
            secret_access_key: Secret::new("very-secret-value"),
            session_token: Secret::new("session-token-value"),
            expiration: UNIX_EPOCH + Duration::from_secs(1_764_108_000),
        }
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
