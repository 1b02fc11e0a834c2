//! Where credentials go: the places AWS tools read them from.
//!
//! - [`shell`]: `export` lines appended to `$BASH_ENV`, or a dotenv file;
//! - [`profile`]: a named profile in `~/.aws/credentials` and `~/.aws/config`;
//! - [`process_json`]: the `credential_process` JSON on stdout.

pub(crate) mod profile;
pub(crate) mod shell;

use crate::credentials::Credentials;

/// The `credential_process` document: `Version` 1, keys and `Expiration`.
pub fn process_json(creds: &Credentials) -> String {
    let doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id.expose(),
        "SecretAccessKey": creds.secret_access_key.expose(),
        "SessionToken": creds.session_token.expose(),
        "Expiration": creds.expiration_rfc3339(),
    });
    serde_json::to_string_pretty(&doc).expect("JSON of strings serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn process_json_has_the_fields_sdks_read() {
        let c = Credentials {
            access_key_id: Secret::new("AKID"),
            secret_access_key: Secret::new("SECRET\"quote"),
            session_token: Secret::new("TOKEN"),
            expiration: UNIX_EPOCH + Duration::from_secs(1_764_108_000),
        };
        let v: serde_json::Value = serde_json::from_str(&process_json(&c)).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["AccessKeyId"], "AKID");
        assert_eq!(v["SecretAccessKey"], "SECRET\"quote");
        assert_eq!(v["SessionToken"], "TOKEN");
        assert_eq!(v["Expiration"], "2025-11-25T22:00:00Z");
    }
}
