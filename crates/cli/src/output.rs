//! What the binary prints: credentials on stdout, messages on stderr.
//!
//! Every message passes through [`scrub`] on its way out, the last line of
//! defence: the job's token and keys from the environment, and anything
//! shaped like a token or key, never reach a log.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, Result};

/// Set when a message could not be written to stderr.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// Prints `text` and a newline on stdout, failing cleanly (not panicking,
/// as `println!` does) on a closed pipe or a full disk.
pub(crate) fn print_stdout(text: &str) -> Result<()> {
    write_stdout(&format!("{text}\n"))
}

/// Writes `text` as it is on stdout, failing cleanly.
pub(crate) fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Prints a message line on stderr.  Unlike `eprintln!`, a stderr that
/// cannot be written (a full disk, `/dev/full`) is no panic: the message
/// is lost, which is remembered, and the process exits non-zero at the end
/// ([`stderr_failed`]).  Messages are what the user reads, so a command
/// does not stop half-way for one that could not be shown.
pub(crate) fn message(text: &str) {
    let text = scrub(text);
    let mut err = std::io::stderr().lock();
    if writeln!(err, "{text}").and_then(|()| err.flush()).is_err() {
        STDERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// Whether a message could not be written to stderr.
pub(crate) fn stderr_failed() -> bool {
    STDERR_FAILED.load(Ordering::Relaxed)
}

/// [`message`] with `format!`'s arguments.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::message(&format!($($arg)*))
    };
}
pub(crate) use say;

/// `text` with the secrets of this environment (the job's OIDC tokens, AWS
/// keys) and anything token-shaped replaced by `***`.
pub(crate) fn scrub(text: &str) -> String {
    let mut secrets = aws_oidc::Secrets::default();
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
/// its parent already holds (an OS error repeated) is not repeated.  Each
/// is worded with the flag its value came from ([`crate::wording`]).
pub(crate) fn error_message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in crate::wording::causes(e.chain()) {
        let text = crate::wording::describe(cause);
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
pub(crate) fn warn(text: &str) {
    message(&format!("aws-oidc: warning: {text}"));
}

/// The library's notes and warnings, printed as they happen.
pub(crate) struct Printer;

impl aws_oidc::Report for Printer {
    fn note(&mut self, note: &str) {
        say!("aws-oidc: note: {note}");
    }

    fn warn(&mut self, warning: &str) {
        warn(warning);
    }
}
