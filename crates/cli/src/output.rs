//! What the binary prints: credentials on stdout, messages on stderr.
//!
//! Every message passes through [`scrub`] on its way out, the last line of
//! defence: the job's token and keys from the environment, and anything
//! shaped like a token or key, never reach a log.

use anyhow::{Context as _, Result};

/// Prints credentials on stdout, failing cleanly (not panicking) on a closed pipe.
pub fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .context("cannot write the credentials to stdout")
}

/// `text` with the secrets of this environment (the job's OIDC tokens, AWS
/// keys) and anything token-shaped replaced by `***`.
pub fn scrub(text: &str) -> String {
    let mut secrets = aws_oidc::redact::Secrets::default();
    for var in [
        "CIRCLE_OIDC_TOKEN_V2",
        "CIRCLE_OIDC_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if let Ok(value) = std::env::var(var) {
            secrets.add(&value);
        }
    }
    secrets.scrub(text)
}

/// An error and its causes on one line, each said once: a cause whose text
/// its parent already holds (an OS error repeated) is not repeated.
pub fn error_message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    scrub(&out)
}

/// Prints a warning on stderr.
pub fn warn(text: &str) {
    eprintln!("aws-oidc: warning: {}", scrub(text));
}
