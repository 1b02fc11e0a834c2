//! What the binary prints on stdout.

use anyhow::{Context as _, Result};

/// Prints credentials on stdout, failing cleanly (not panicking) on a closed pipe.
pub fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .context("cannot write the credentials to stdout")
}
