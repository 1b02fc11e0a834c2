//! `docker-credential-aws-oidc` (or `aws-oidc docker-credential`): Docker's credential helper for ECR.
//!
//! Docker runs it with `get`, `store`, `erase` or `list`; the library
//! answers.  As the protocol says, an answer or an error goes to stdout,
//! and an error exits 1.

use std::process::ExitCode;

use aws_oidc::process_env;
use clap::Args;

use crate::output::{print_stdout, say, scrub, Printer};

/// The name Docker runs it by: `credHelpers` value `aws-oidc`.
pub(crate) const HELPER_BINARY: &str = "docker-credential-aws-oidc";

pub(crate) const LONG_ABOUT: &str = "\
Docker's credential-helper protocol for ECR: `get` reads a registry host on stdin and prints \
{\"ServerURL\", \"Username\", \"Secret\"} with a token from ECR's GetAuthorizationToken, cached \
until shortly before it expires. Docker runs it as docker-credential-aws-oidc (a link to aws-oidc) \
for the hosts that `aws-oidc ecr-login --helper` listed in credHelpers. `list` prints those hosts; \
`store` and `erase` are refused: the tokens are minted, not stored.";

/// Options of `aws-oidc docker-credential`.
#[derive(Debug, Args)]
pub(crate) struct DockerCredentialArgs {
    /// get, store, erase or list
    #[arg(value_parser = ["get", "store", "erase", "list"])]
    action: String,
}

/// Runs `aws-oidc docker-credential ACTION`.
pub(crate) fn run(args: DockerCredentialArgs) -> ExitCode {
    answer(&args.action)
}

/// Runs as `docker-credential-aws-oidc ACTION`: the one argument Docker gives.
pub(crate) fn run_as_helper(args: &[String]) -> ExitCode {
    match args {
        [a] if a == "version" || a == "--version" => reply(
            &format!("{HELPER_BINARY} (aws-oidc {})", env!("CARGO_PKG_VERSION")),
            true,
        ),
        [action] => answer(action),
        _ => {
            say!(
                "usage: {HELPER_BINARY} get|store|erase|list (Docker's credential-helper protocol)"
            );
            ExitCode::FAILURE
        }
    }
}

/// Prints an answer (or, as the protocol says, an error) on stdout; a
/// stdout that cannot be written fails the call instead of panicking.
fn reply(text: &str, ok: bool) -> ExitCode {
    match print_stdout(text) {
        Ok(()) if ok && !crate::output::stderr_failed() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Answers `action`, reading the host from stdin for `get`.
fn answer(action: &str) -> ExitCode {
    match aws_oidc::docker_credential(action, std::io::stdin(), &process_env, &mut Printer) {
        Ok(text) => reply(&text, true),
        // The protocol reads errors from stdout, scrubbed as every message is.
        Err(e) => reply(&scrub(&crate::wording::describe_top(&e)), false),
    }
}
