//! `aws-oidc`: keyless AWS credentials for CircleCI jobs.
//!
//! The binary only parses arguments and wires the `aws_oidc` library
//! together; each subcommand lives in its own module.

mod assume;
mod credential_process;
mod role;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const ABOUT: &str = "Keyless AWS credentials for CircleCI jobs: trade the job's OIDC token for \
short-lived AWS credentials and write them where AWS tools read them.";

const AFTER_HELP: &str = "\
Examples:
  # In a CircleCI job: export credentials for the following steps (via $BASH_ENV)
  aws-oidc assume --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1

  # Write a named profile instead (and use it with `aws --profile prod ...`)
  aws-oidc assume --role-arn arn:aws:iam::123456789012:role/deploy --profile prod

Docs: https://github.com/aws-oidc/aws-oidc";

#[derive(Debug, Parser)]
#[command(name = "aws-oidc", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Assume an IAM role with the job's OIDC token and write the credentials
    #[command(long_about = assume::LONG_ABOUT)]
    Assume(Box<assume::AssumeArgs>),
    /// Print credentials for a profile's credential_process, cached and refreshed as needed
    #[command(long_about = credential_process::LONG_ABOUT)]
    CredentialProcess(Box<credential_process::CredentialProcessArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Assume(args) => assume::run(*args),
        Command::CredentialProcess(args) => credential_process::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aws-oidc: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
