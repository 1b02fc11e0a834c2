//! `aws-oidc static-keys`: the long-lived keys of an aws-cli/setup config, written as it writes them.

use anyhow::{anyhow, Result};
use aws_oidc::{process_env, CommandError, Input, KeysWritten, Names};
use aws_oidc::{StaticKeysRequest, STATIC_KEYS_HINT};
use clap::Args;

use crate::output::{say, Printer};
use crate::targets::TargetArgs;
use crate::values::Values;

pub(crate) const LONG_ABOUT: &str = "\
Write long-lived access keys, read from the environment variables named, to a profile and/or \
$BASH_ENV, as circleci/aws-cli's setup does when it is given keys instead of a role ARN. The keys \
are never printed. (The orb's setup makes that choice with `aws-oidc assume \
--stored-access-key-id VALUE --stored-secret-access-key VALUE`, which also reads aws-cli/setup's \
templates and values.)

Stored keys are what attackers steal from CI: OIDC needs none. Create a role that trusts CircleCI \
(`aws-oidc trust-policy`), delete the keys, and call setup with role_arn.";

/// Options of `aws-oidc static-keys`.
#[derive(Debug, Args)]
pub(crate) struct StaticKeysArgs {
    /// The environment variable holding the access key id
    #[arg(long, value_name = "NAME", default_value = "AWS_ACCESS_KEY_ID")]
    access_key_id_var: String,

    /// The environment variable holding the secret access key
    #[arg(long, value_name = "NAME", default_value = "AWS_SECRET_ACCESS_KEY")]
    secret_access_key_var: String,

    /// AWS region to write with the keys [default: $AWS_REGION, then $AWS_DEFAULT_REGION, then the profile's region; none: no region written]
    #[arg(long, value_name = "REGION")]
    region: Option<String>,

    #[command(flatten)]
    targets: TargetArgs,

    /// Expand $VAR and ${VAR} in --region and --profile from the environment (the orb uses this)
    #[arg(long)]
    expand_env: bool,
}

/// Runs `aws-oidc static-keys`.
pub(crate) fn run(a: StaticKeysArgs) -> Result<()> {
    let v = Values::new(a.expand_env);
    let request = StaticKeysRequest {
        region: v.region(a.region)?,
        targets: a.targets.options(v)?,
        access_key_id_var: a.access_key_id_var,
        secret_access_key_var: a.secret_access_key_var,
    };
    let written = aws_oidc::static_keys(request, &process_env, &mut Printer)
        .map_err(|e| key_error(e, &Options))?;
    say_written(&written, &Options);
    Ok(())
}

/// The options of `static-keys` that name the variables holding the keys.
struct Options;

impl Names for Options {
    fn name(&self, input: Input) -> Option<&str> {
        match input {
            Input::AccessKeyId => Some("--access-key-id-var"),
            Input::SecretAccessKey => Some("--secret-access-key-var"),
            other => crate::wording::Flags.name(other),
        }
    }
}

/// A command's error, stored keys that cannot be read worded with `names`
/// (the option or parameter that gave each key).
pub(crate) fn key_error(e: CommandError, names: &dyn Names) -> anyhow::Error {
    match e {
        CommandError::StaticKeys(e) => anyhow!(e.describe(names)),
        other => other.into(),
    }
}

/// What was written, and the way off stored keys.
pub(crate) fn say_written(written: &KeysWritten, names: &dyn Names) {
    say!("aws-oidc: {}", written.describe(names));
    say!("aws-oidc: hint: {STATIC_KEYS_HINT}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_oidc::{StaticKeysError, Which};

    #[test]
    fn key_errors_name_this_commands_options() {
        let empty = StaticKeysError::Empty {
            var: "CI_KEY".into(),
            which: Which::SecretAccessKey,
        };
        assert_eq!(
            crate::output::error_message(&key_error(empty.into(), &Options)),
            "$CI_KEY is empty: set it (for example in a CircleCI context) or name another variable \
             with --secret-access-key-var; better, drop the stored keys and assume a role with OIDC \
             (--role-arn)"
        );
        let bad = StaticKeysError::BadName {
            which: Which::AccessKeyId,
        };
        assert!(key_error(bad.into(), &Options)
            .to_string()
            .starts_with("--access-key-id-var takes the name of an environment variable"));
    }
}
