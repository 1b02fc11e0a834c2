//! Shell sinks: `export` lines for `$BASH_ENV`, and dotenv files.
//!
//! Values are single-quoted for POSIX `sh`, so any value (quotes, `$`,
//! backticks, newlines, non-UTF-8 bytes) reads back unchanged through `sh`,
//! `bash`, `dash` and busybox `sh`.  Only NUL, which no shell variable can
//! hold, is refused.

use std::path::Path;

use crate::credentials::Credentials;
use crate::files::{self, FileError};

crate::error_debug::debug_by_display!(QuoteError);
/// A value a shell cannot hold.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value of {name} contains a NUL byte, which no shell variable can hold")]
pub struct QuoteError {
    /// The variable.
    pub name: String,
}

/// Quotes `value` for POSIX `sh`.  Plain words stay bare for readability.
pub(crate) fn quote(value: &[u8]) -> Option<Vec<u8>> {
    if value.contains(&0) {
        return None;
    }
    let plain = !value.is_empty()
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b));
    if plain {
        return Some(value.to_vec());
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'\'');
    for &b in value {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    Some(out)
}

/// Quotes text for POSIX `sh` (and the AWS CLI's shlex-style splitting);
/// `name` says what the value is, for the error.
pub(crate) fn quote_str(value: &str, name: &str) -> Result<String, QuoteError> {
    quote(value.as_bytes())
        .map(|q| String::from_utf8_lossy(&q).into_owned())
        .ok_or_else(|| QuoteError {
            name: name.to_string(),
        })
}

/// Renders `NAME=value` lines (with `prefix`, e.g. `export `).
pub fn render(vars: &[(&str, &[u8])], prefix: &str) -> Result<Vec<u8>, QuoteError> {
    let mut out = Vec::new();
    for (name, value) in vars {
        let quoted = quote(value).ok_or_else(|| QuoteError {
            name: name.to_string(),
        })?;
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(&quoted);
        out.push(b'\n');
    }
    Ok(out)
}

/// The variables AWS SDKs and the AWS CLI read, for these credentials:
/// the keys, the session token when there is one, the expiry when
/// `expiration` (its RFC 3339 text) is not empty, and the region when given.
/// Long-lived keys come out as the keys (and region) alone.
pub fn credential_vars<'a>(
    creds: &'a Credentials,
    region: Option<&'a str>,
    expiration: &'a str,
) -> Vec<(&'static str, &'a [u8])> {
    let mut vars: Vec<(&'static str, &'a [u8])> = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.expose().as_bytes()),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds.secret_access_key.expose().as_bytes(),
        ),
    ];
    if let Some(token) = &creds.session_token {
        vars.push(("AWS_SESSION_TOKEN", token.expose().as_bytes()));
    }
    if !expiration.is_empty() {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", expiration.as_bytes()));
    }
    if let Some(r) = region {
        vars.push(("AWS_REGION", r.as_bytes()));
        vars.push(("AWS_DEFAULT_REGION", r.as_bytes()));
    }
    vars
}

crate::error_debug::debug_by_display!(ShellSinkError);
/// Why a shell sink failed.
#[derive(thiserror::Error)]
pub enum ShellSinkError {
    /// A value could not be quoted.
    #[error(transparent)]
    Quote(#[from] QuoteError),
    /// The file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// Checks, changing nothing, that export lines can be appended to `path`.
pub(crate) fn check_bash_env(path: &Path) -> Result<(), FileError> {
    files::check_appendable(path)
}

/// circleci/aws-cli's copies of the exported keys (4.1.2 on): they copy
/// the variables when `$BASH_ENV` is read, so no key is in them.
const AWS_CLI_COPIES: &str = "\
export AWS_CLI_STR_ACCESS_KEY_ID=\"${AWS_ACCESS_KEY_ID}\"
export AWS_CLI_STR_SECRET_ACCESS_KEY=\"${AWS_SECRET_ACCESS_KEY}\"
export AWS_CLI_STR_SESSION_TOKEN=\"${AWS_SESSION_TOKEN}\"
";

/// Appends `export` lines to a `$BASH_ENV` file, in one write.  Without
/// a session token (long-lived keys), a session token and expiry an
/// earlier step may have exported are unset: with these keys the token
/// would make every call fail.  With `aws_cli_copies`, circleci/aws-cli's
/// `AWS_CLI_STR_*` copies come last.
pub(crate) fn append_bash_env(
    path: &Path,
    creds: &Credentials,
    region: Option<&str>,
    header: &str,
    aws_cli_copies: bool,
) -> Result<(), ShellSinkError> {
    let exp = creds.expiration_rfc3339().unwrap_or_default();
    let mut text = format!("# {}\n", header.replace('\n', " ")).into_bytes();
    text.extend(render(&credential_vars(creds, region, &exp), "export ")?);
    if creds.session_token.is_none() {
        text.extend_from_slice(b"unset AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION\n");
    }
    if aws_cli_copies {
        text.extend_from_slice(AWS_CLI_COPIES.as_bytes());
    }
    files::append(path, &text)?;
    Ok(())
}

/// Appends `export` lines for any `vars` (the fetched secrets of `aws-oidc
/// secrets`) to a `$BASH_ENV` file, in one write.
pub(crate) fn append_exports(
    path: &Path,
    vars: &[(&str, &[u8])],
    header: &str,
) -> Result<(), ShellSinkError> {
    let mut text = format!("# {}\n", header.replace('\n', " ")).into_bytes();
    text.extend(render(vars, "export ")?);
    files::append(path, &text)?;
    Ok(())
}

/// Writes `vars` as a dotenv file: a regular file is replaced atomically
/// (mode 0600); a named pipe or character device (`/dev/stdout`) is written through.
pub(crate) fn write_dotenv_vars(path: &Path, vars: &[(&str, &[u8])]) -> Result<(), ShellSinkError> {
    let text = render(vars, "")?;
    files::write_target(path, &text, 0o600)?;
    Ok(())
}

/// Checks, changing nothing, that a dotenv file can be written at `path`.
pub(crate) fn check_dotenv(path: &Path) -> Result<(), FileError> {
    files::check_writable(path, true, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote(b"ASIA123/+=").unwrap(), b"ASIA123/+=");
        assert_eq!(quote(b"").unwrap(), b"''");
        assert_eq!(quote(b"a b").unwrap(), b"'a b'");
        assert_eq!(quote(b"it's").unwrap(), b"'it'\\''s'");
        assert_eq!(quote(b"$HOME `x` \"y\"\n").unwrap(), b"'$HOME `x` \"y\"\n'");
        assert_eq!(quote(b"a\0b"), None);
    }

    #[test]
    fn long_lived_keys_export_no_token_and_unset_an_earlier_one() {
        use crate::credentials::{Origin, Secret};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bash_env");
        let keys =
            Credentials::long_lived(Secret::new("AKIA1"), Secret::new("s"), Origin::Environment);
        append_bash_env(&path, &keys, Some("eu-west-1"), "keys", false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# keys\nexport AWS_ACCESS_KEY_ID=AKIA1\nexport AWS_SECRET_ACCESS_KEY=s\n\
             export AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1\n\
             unset AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION\n"
        );
    }

    #[test]
    fn renders_export_lines() {
        let out = render(&[("A", b"1"), ("B", b"x y")], "export ").unwrap();
        assert_eq!(out, b"export A=1\nexport B='x y'\n");
        let err = render(&[("BAD", b"\0")], "").unwrap_err();
        assert!(err.to_string().contains("BAD"));
    }
}
