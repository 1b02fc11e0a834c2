//! `aws-oidc assume`: token -> STS -> credentials -> sinks, as one CircleCI step.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use aws_oidc::process_env;
use aws_oidc::{AssumeReport, AssumeRequest, TargetOptions};
use clap::Args;

use crate::output::{print_stdout, say, Printer};
use crate::role::Role;
use crate::setup_fallback::{self, SetupFallback};
use crate::targets::TargetArgs;

pub(crate) const LONG_ABOUT: &str = "\
Assume an IAM role with the job's CircleCI OIDC token (AssumeRoleWithWebIdentity) and write the \
temporary credentials where AWS tools read them.

The token is taken from --token-file, else $CIRCLE_OIDC_TOKEN_V2, else $CIRCLE_OIDC_TOKEN, else \
minted with `circleci run oidc get` (always when --audience is given). Every input is checked \
before any network call; failures explain what to change in IAM or in the step.

Where credentials go (any combination): --bash-env (export lines for later CircleCI steps), \
--profile (~/.aws/credentials and ~/.aws/config), --output json (credential_process format on \
stdout), --output dotenv FILE. With none of these and $BASH_ENV set, --bash-env is implied.

Keys, session tokens and OIDC tokens are never printed, except on stdout for --output json.

As circleci/aws-cli's setup (the orb's setup calls this once): given --stored-access-key-id or \
--stored-secret-access-key, the role is the --role-arn on the command line alone ($AWS_ROLE_ARN, \
which circleci/aws-cli never reads, does not count), and when it is missing or empty after \
expansion no role is assumed: the stored keys (the values of aws-cli/setup's aws_access_key_id and \
aws_secret_access_key: $NAME, ${NAME}, a bare NAME that is set, or any other template or the key \
itself) are written to --profile, unexported, with the region; with no keys either, a note, and \
the --region value alone into the profile's config sections, without the AWS CLI. The role \
options are then unused. One command decides, so that the decision is tested where the rest is.";

/// Options of `aws-oidc assume`.
#[derive(Debug, Args)]
pub(crate) struct AssumeArgs {
    #[command(flatten)]
    role: Role,

    #[command(flatten)]
    targets: TargetArgs,

    /// `json`: credential_process JSON on stdout; `dotenv FILE`: KEY=value lines in FILE (0600)
    #[arg(long, num_args = 1..=2, value_names = ["FORMAT", "FILE"])]
    output: Option<Vec<String>>,

    /// After assuming, check the credentials with sts:GetCallerIdentity
    #[arg(long, env = "AWS_OIDC_VERIFY", hide_env_values = true)]
    verify: bool,

    /// With --profile: write a self-refreshing profile (credential_process = aws-oidc credential-process ...) instead of static keys, for jobs that outlast the credentials
    #[arg(long, requires = "profile")]
    refresh: bool,

    /// The role's trust policy (JSON): on AccessDenied, check it against the token and show the failing conditions (as `aws-oidc check`)
    #[arg(long, value_name = "FILE")]
    trust_policy: Option<PathBuf>,

    /// Do nothing when the targets already hold credentials for this role valid for more than MINUTES (a rerun, a second setup in the same job)
    #[arg(
        long,
        env = "AWS_OIDC_SKIP_IF_VALID",
        hide_env_values = true,
        value_name = "MINUTES"
    )]
    skip_if_valid: Option<u32>,

    /// aws-cli/setup's aws_access_key_id value ($NAME, ${NAME}, NAME, a template, or the key): used only when no --role-arn is given on the command line (see below)
    #[arg(long, value_name = "VALUE")]
    stored_access_key_id: Option<String>,

    /// aws-cli/setup's aws_secret_access_key value, read as --stored-access-key-id
    #[arg(long, value_name = "VALUE")]
    stored_secret_access_key: Option<String>,

    /// With --bash-env: also export circleci/aws-cli's copies AWS_CLI_STR_ACCESS_KEY_ID, AWS_CLI_STR_SECRET_ACCESS_KEY and AWS_CLI_STR_SESSION_TOKEN (4.1.2 on), which some configs read (the orb's setup uses this)
    #[arg(long)]
    aws_cli_exports: bool,

    /// With --bash-env: this step's shell does not read $BASH_ENV (dash, busybox), so say how later steps get the keys (the orb's setup passes this, as only the shell can tell)
    #[arg(long)]
    bash_env_unread: bool,
}

impl AssumeArgs {
    /// aws-cli/setup's other branch, when the stored-key options are given
    /// and the command line names no role: the decision follows the
    /// `role_arn` the caller passed, never `$AWS_ROLE_ARN`.
    fn setup_fallback(&mut self) -> Result<Option<SetupFallback>> {
        if self.stored_access_key_id.is_none() && self.stored_secret_access_key.is_none() {
            return Ok(None);
        }
        let values = self.role.values();
        if self.role.on_command_line
            && values
                .opt(self.role.args.role_arn.clone(), "--role-arn")?
                .is_some()
        {
            return Ok(None);
        }
        Ok(Some(SetupFallback {
            id: self.stored_access_key_id.take().unwrap_or_default(),
            secret: self.stored_secret_access_key.take().unwrap_or_default(),
            region: self.role.args.region.take(),
            targets: self.targets.clone(),
            values,
        }))
    }
}

/// `--output`: the credential_process JSON on stdout, and a dotenv file.
fn output(spec: Option<Vec<String>>) -> Result<(bool, Option<PathBuf>)> {
    Ok(match spec.as_deref() {
        None => (false, None),
        Some([f]) if f == "json" => (true, None),
        Some([f, path]) if f == "dotenv" => (false, Some(PathBuf::from(path))),
        Some([f]) if f == "dotenv" => bail!("--output dotenv needs a file: --output dotenv PATH"),
        Some(other) => bail!(
            "unknown --output {:?}: use `--output json` or `--output dotenv FILE`",
            other.join(" ")
        ),
    })
}

/// Runs `aws-oidc assume`.
pub(crate) fn run(mut a: AssumeArgs) -> Result<()> {
    if let Some(fallback) = a.setup_fallback()? {
        // Said, not silently dropped: these act on assumed credentials only.
        let unused: Vec<&str> = [
            (a.verify, "--verify"),
            (a.refresh, "--refresh"),
            (a.skip_if_valid.is_some(), "--skip-if-valid"),
            (a.output.is_some(), "--output"),
            (a.trust_policy.is_some(), "--trust-policy"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect();
        if !unused.is_empty() {
            say!(
                "aws-oidc: note: no role ARN was given, so {} (for assumed credentials) did nothing",
                unused.join(", ")
            );
        }
        return setup_fallback::run(fallback);
    }
    let (json, dotenv) = output(a.output)?;
    let refresh = match a.refresh {
        true => {
            Some(std::env::current_exe().context("cannot find the path of this aws-oidc binary")?)
        }
        false => None,
    };
    let request = AssumeRequest {
        role: a.role.options(a.verify)?,
        trust_policy: a.trust_policy,
        targets: TargetOptions {
            dotenv,
            json,
            refresh,
            skip_if_valid: a.skip_if_valid,
            outputs: true,
            aws_cli_copies: a.aws_cli_exports,
            ..a.targets.options(a.role.values())?
        },
        bash_env_unread: a.bash_env_unread,
    };
    let assumed = match aws_oidc::assume(request, &process_env, &mut Printer)? {
        AssumeReport::AlreadyValid(valid) => {
            say!("aws-oidc: {valid}");
            return Ok(());
        }
        AssumeReport::Assumed(assumed) => assumed,
    };
    if let Some(document) = &assumed.stdout {
        print_stdout(document.expose())?;
    }
    say!("aws-oidc: {assumed}");
    for note in &assumed.notes {
        say!("aws-oidc: note: {note}");
    }
    Ok(())
}
