//! `aws-oidc`: keyless AWS credentials for CircleCI jobs.
//!
//! The binary only parses arguments and wires the `aws_oidc` library
//! together; each subcommand lives in its own module.

mod assume;
mod check;
mod claims;
mod cleanup;
#[cfg(feature = "eks")]
mod cluster;
#[cfg(feature = "codeartifact")]
mod codeartifact_login;
mod credential_process;
#[cfg(feature = "ecr")]
mod docker_credential;
#[cfg(feature = "ecr")]
mod ecr_login;
#[cfg(feature = "eks")]
mod eks_kubeconfig;
#[cfg(feature = "eks")]
mod eks_token;
mod exec;
#[cfg(feature = "setup-tools")]
mod migrate_config;
mod output;
mod role;
#[cfg(feature = "secrets")]
mod secrets;
mod setup_fallback;
mod static_keys;
mod targets;
#[cfg(feature = "setup-tools")]
mod thumbprint;
#[cfg(feature = "setup-tools")]
mod trust_policy;
mod values;
mod wording;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The commands only the full build has (`setup-tools`): what sets up the
/// AWS side and the CircleCI config, run once from a workstation, not in jobs.
#[cfg(not(feature = "setup-tools"))]
const SETUP_TOOLS: [&str; 3] = ["trust-policy", "migrate-config", "thumbprint"];

/// The error for a command this build does not have.
#[cfg(not(feature = "setup-tools"))]
fn not_in_this_build(args: &[String]) -> anyhow::Error {
    let name = args.first().map(String::as_str).unwrap_or_default();
    if SETUP_TOOLS.contains(&name) {
        anyhow::anyhow!(
            "{name} is in the full build of aws-oidc, not in this one (the build CI jobs \
             download, which leaves out the setup-time tools: {}): download \
             aws-oidc-full-{}-<target>.tar.gz (or .tar.zst) from the same release",
            SETUP_TOOLS.join(", "),
            env!("CARGO_PKG_VERSION")
        )
    } else {
        anyhow::anyhow!(
            "unrecognized subcommand '{}': `aws-oidc --help` lists them",
            name
        )
    }
}

const ABOUT: &str = "Keyless AWS credentials for CircleCI jobs: trade the job's OIDC token for \
short-lived AWS credentials and write them where AWS tools read them.";

/// The examples after `--help` (a macro, so that the build without the
/// setup-time tools can add to it at compile time).
macro_rules! after_help {
    () => {
        "\
Examples:
  # In a CircleCI job: export credentials for the following steps (via $BASH_ENV)
  aws-oidc assume --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1

  # Write a named profile instead (and use it with `aws --profile prod ...`)
  aws-oidc assume --role-arn arn:aws:iam::123456789012:role/deploy --profile prod

Docs: https://github.com/aws-oidc/aws-oidc"
    };
}
#[cfg(feature = "setup-tools")]
const AFTER_HELP: &str = after_help!();

/// The same, and where the setup-time tools are (the build CI jobs download).
#[cfg(not(feature = "setup-tools"))]
const AFTER_HELP_CI: &str = concat!(
    after_help!(),
    "\n\nThis build is the one CI jobs download: trust-policy, migrate-config and thumbprint, \
     which set up AWS and the CircleCI config once, are in aws-oidc-full-",
    env!("CARGO_PKG_VERSION"),
    "-<target>.tar.gz of the same release.",
);

#[derive(Debug, Parser)]
#[command(name = "aws-oidc", version, about = ABOUT, propagate_version = true, max_term_width = 100)]
#[cfg_attr(feature = "setup-tools", command(after_help = AFTER_HELP))]
#[cfg_attr(not(feature = "setup-tools"), command(after_help = AFTER_HELP_CI))]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Assume an IAM role with the job's OIDC token and write the credentials
    #[command(long_about = assume::LONG_ABOUT)]
    Assume(Box<assume::AssumeArgs>),
    /// Run one command with the role's credentials in its environment only; nothing is written
    #[command(long_about = exec::LONG_ABOUT)]
    Exec(Box<exec::ExecArgs>),
    /// Print credentials for a profile's credential_process, cached and refreshed as needed
    #[command(long_about = credential_process::LONG_ABOUT)]
    CredentialProcess(Box<credential_process::CredentialProcessArgs>),
    /// Take back what aws-oidc wrote in this job: unset exports, remove profiles and cached credentials
    #[command(long_about = cleanup::LONG_ABOUT)]
    Cleanup(cleanup::CleanupArgs),
    /// Print the claims of the job's OIDC token (never the token itself)
    #[command(long_about = claims::LONG_ABOUT)]
    Claims(claims::ClaimsArgs),
    #[cfg(feature = "setup-tools")]
    /// Generate a role trust policy (or Terraform, CloudFormation, AWS CLI) for CircleCI jobs
    #[command(long_about = trust_policy::LONG_ABOUT)]
    TrustPolicy(Box<trust_policy::TrustPolicyArgs>),
    /// Explain whether a trust policy lets the job's token in, condition by condition
    #[command(long_about = check::LONG_ABOUT)]
    Check(Box<check::CheckArgs>),
    #[cfg(feature = "setup-tools")]
    /// Rewrite a CircleCI config from the circleci/aws-cli orb (v3 to v5) to aws-oidc's
    #[command(long_about = migrate_config::LONG_ABOUT)]
    MigrateConfig(migrate_config::MigrateConfigArgs),
    #[cfg(feature = "setup-tools")]
    /// Print the issuer's TLS certificate thumbprint for an IAM OIDC provider
    #[command(long_about = thumbprint::LONG_ABOUT)]
    Thumbprint(thumbprint::ThumbprintArgs),
    /// The setup-time tools, which the build CI jobs download leaves out
    #[cfg(not(feature = "setup-tools"))]
    #[command(external_subcommand)]
    Other(Vec<String>),
    /// Write long-lived keys from the environment to a profile and $BASH_ENV (aws-cli/setup without a role)
    #[command(long_about = static_keys::LONG_ABOUT)]
    StaticKeys(Box<static_keys::StaticKeysArgs>),
    #[cfg(feature = "ecr")]
    /// Log in to ECR registries: auths (or credHelpers) in Docker's config.json, no AWS CLI or Docker needed
    #[command(long_about = ecr_login::LONG_ABOUT)]
    EcrLogin(Box<ecr_login::EcrLoginArgs>),
    #[cfg(feature = "ecr")]
    /// Docker's credential-helper protocol for ECR (what docker-credential-aws-oidc runs)
    #[command(long_about = docker_credential::LONG_ABOUT)]
    DockerCredential(docker_credential::DockerCredentialArgs),
    #[cfg(feature = "eks")]
    /// Print kubectl's EKS bearer token (an ExecCredential), as `aws eks get-token` does
    #[command(long_about = eks_token::LONG_ABOUT, after_help = eks_token::AFTER_HELP)]
    EksToken(Box<eks_token::EksTokenArgs>),
    #[cfg(feature = "eks")]
    /// Write an EKS cluster into the kubeconfig, its user getting tokens from aws-oidc
    #[command(long_about = eks_kubeconfig::LONG_ABOUT, after_help = eks_kubeconfig::AFTER_HELP)]
    EksKubeconfig(Box<eks_kubeconfig::EksKubeconfigArgs>),
    #[cfg(feature = "secrets")]
    /// Fetch Secrets Manager secrets and SSM parameters into variables: $BASH_ENV, a dotenv file, or one command
    #[command(long_about = secrets::LONG_ABOUT, after_help = secrets::AFTER_HELP)]
    Secrets(Box<secrets::SecretsArgs>),
    #[cfg(feature = "codeartifact")]
    /// Log npm, pip, uv, Poetry, twine, Maven, Gradle or cargo in to a CodeArtifact repository
    #[command(long_about = codeartifact_login::LONG_ABOUT, after_help = codeartifact_login::AFTER_HELP)]
    CodeartifactLogin(Box<codeartifact_login::CodeArtifactLoginArgs>),
}

/// Prints clap's help, version or usage error, and its exit status; unlike
/// `clap::Error::exit`, help that cannot be written (a full stdout) fails.
/// A usage error quotes what was typed, which may be a token or key put in
/// the wrong place: one that would show a secret goes through the one
/// printer, scrubbed (and uncoloured).
fn clap_exit(e: &clap::Error) -> ExitCode {
    let status = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1));
    if e.use_stderr() {
        let text = e.render().to_string();
        if output::scrub(&text) != text {
            output::message(text.trim_end());
            return if output::stderr_failed() {
                ExitCode::FAILURE
            } else {
                status
            };
        }
    }
    match e.print() {
        Ok(()) => status,
        Err(_) => ExitCode::FAILURE,
    }
}

fn main() -> ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away
    // (`aws-oidc claims | head`) instead of panicking on the write.
    // SAFETY: setting a signal's disposition to its default is always sound.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Docker runs credential helpers as `docker-credential-<name>`: a link
    // of that name to this binary is the helper.
    #[cfg(feature = "ecr")]
    {
        let argv: Vec<String> = std::env::args().collect();
        let name = argv.first().map(|a| aws_oidc::program_name(a));
        if name == Some(docker_credential::HELPER_BINARY) {
            return docker_credential::run_as_helper(&argv[1..]);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(&e),
    };
    let result = match cli.command {
        Command::Assume(args) => assume::run(*args),
        Command::Exec(args) => exec::run(*args),
        Command::CredentialProcess(args) => credential_process::run(*args),
        Command::Claims(args) => claims::run(args),
        Command::Cleanup(args) => cleanup::run(args),
        #[cfg(feature = "setup-tools")]
        Command::TrustPolicy(args) => trust_policy::run(*args),
        Command::Check(args) => check::run(*args),
        #[cfg(feature = "setup-tools")]
        Command::Thumbprint(args) => thumbprint::run(args),
        #[cfg(feature = "setup-tools")]
        Command::MigrateConfig(args) => migrate_config::run(args),
        #[cfg(not(feature = "setup-tools"))]
        Command::Other(args) => Err(not_in_this_build(&args)),
        Command::StaticKeys(args) => static_keys::run(*args),
        #[cfg(feature = "ecr")]
        Command::EcrLogin(args) => ecr_login::run(*args),
        #[cfg(feature = "ecr")]
        Command::DockerCredential(args) => return docker_credential::run(args),
        #[cfg(feature = "eks")]
        Command::EksToken(args) => eks_token::run(*args),
        #[cfg(feature = "eks")]
        Command::EksKubeconfig(args) => eks_kubeconfig::run(*args),
        #[cfg(feature = "secrets")]
        Command::Secrets(args) => secrets::run(*args),
        #[cfg(feature = "codeartifact")]
        Command::CodeartifactLogin(args) => codeartifact_login::run(*args),
    };
    match result {
        // A message that could not be written (stderr on a full disk) fails
        // the step: a log that lost what happened is no success to report.
        Ok(()) if output::stderr_failed() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::message(&format!("aws-oidc: error: {}", output::error_message(&e)));
            ExitCode::FAILURE
        }
    }
}
