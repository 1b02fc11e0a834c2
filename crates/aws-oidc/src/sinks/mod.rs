//! Where credentials go: the places AWS tools read them from.
//!
//! - [`shell`]: `export` lines appended to `$BASH_ENV`, or a dotenv file;
//! - a named profile in `~/.aws/credentials` and `~/.aws/config`: the
//!   shared files' own module (`shared_files`), which lower floors read too;
//! - [`process_json`]: the `credential_process` JSON on stdout.

pub(crate) mod shell;

use crate::credentials::Credentials;

/// The `credential_process` document: `Version` 1, keys, and the
/// `SessionToken` and `Expiration` of temporary credentials (both left
/// out for long-lived keys, as the format allows).
pub fn process_json(creds: &Credentials) -> String {
    let mut doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id.expose(),
        "SecretAccessKey": creds.secret_access_key.expose(),
    });
    if let Some(token) = &creds.session_token {
        doc["SessionToken"] = token.expose().into();
    }
    if let Some(at) = creds.expiration_rfc3339() {
        doc["Expiration"] = at.into();
    }
    serde_json::to_string_pretty(&doc).expect("JSON of strings serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Origin, Secret};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn process_json_has_the_fields_sdks_read() {
        let c = Credentials::temporary(
            Secret::new("AKID"),
            Secret::new("SECRET\"quote"),
            Secret::new("TOKEN"),
            UNIX_EPOCH + Duration::from_secs(1_764_108_000),
            Origin::Cache,
        );
        let v: serde_json::Value = serde_json::from_str(&process_json(&c)).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "AKID");
        assert_eq!(v["SecretAccessKey"], "SECRET\"quote");
        assert_eq!(v["SessionToken"], "TOKEN");
        assert_eq!(v["Expiration"], "2025-11-25T22:00:00Z");
        let keys =
            Credentials::long_lived(Secret::new("AKID"), Secret::new("S"), Origin::Environment);
        let v: serde_json::Value = serde_json::from_str(&process_json(&keys)).unwrap();
        assert!(v.get("SessionToken").is_none() && v.get("Expiration").is_none());
    }
}
