//! `aws-oidc static-keys`: the long-lived keys of an aws-cli/setup config, written as it writes them.

use anyhow::{anyhow, Result};
use aws_oidc::process_env;
use aws_oidc::{Credentials, Input, KeySource, Names, Origin, StaticKeysError, Which};
use aws_oidc::{Delivered, Payload, Targets};
use clap::Args;

use crate::output::say;
use crate::targets::TargetArgs;
use crate::values::{open_cache, Values};

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
    let env = &process_env;
    let (id_var, secret_var) = (&a.access_key_id_var, &a.secret_access_key_var);
    let keys = Credentials::from_key_variables(id_var, secret_var, env)
        .map_err(|e| key_error(e, &Options))?;
    let v = Values::new(a.expand_env);
    let region = v.region(a.region)?;
    let targets = Targets::resolve(a.targets.options(v)?, region.as_deref(), env)?;
    targets.preflight()?;
    let delivered = targets.deliver(
        Payload::StaticKeys { keys: &keys },
        open_cache().as_ref(),
        env,
    )?;
    summary(&delivered, &keys, &Options, region.as_deref());
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

/// Why the stored keys could not be read, with `names` naming the option
/// (or parameter) that gave each key.
pub(crate) fn key_error(e: StaticKeysError, names: &dyn Names) -> anyhow::Error {
    anyhow!(e.describe(names))
}

/// Where a stored key came from, as the summary names it: `$NAME`, or
/// the value of the parameter `names` names.
fn key_from(source: &KeySource, names: &dyn Names) -> String {
    match source {
        KeySource::Variable(name) => format!("${name}"),
        KeySource::Parameter(which) => {
            let input = match which {
                Which::AccessKeyId => Input::AccessKeyId,
                Which::SecretAccessKey => Input::SecretAccessKey,
            };
            format!(
                "the value of {}",
                names.name(input).unwrap_or(which.parameter())
            )
        }
    }
}

/// What was written, and the hint to move to OIDC; `names` names the
/// option or parameter a key given as a value came from.
pub(crate) fn summary(
    delivered: &Delivered,
    keys: &Credentials,
    names: &dyn Names,
    region: Option<&str>,
) {
    let from = match &keys.origin {
        Origin::StoredKeys {
            access_key_id,
            secret_access_key,
        } => format!(
            "{} and {}",
            key_from(access_key_id, names),
            key_from(secret_access_key, names)
        ),
        other => other.to_string(),
    };
    let wrote: Vec<String> = delivered.wrote.iter().map(ToString::to_string).collect();
    say!(
        "aws-oidc: wrote the static keys from {from} to {}{}",
        wrote.join(", "),
        match region {
            Some(r) => format!(" (region {r})"),
            None => String::new(),
        }
    );
    say!(
        "aws-oidc: hint: OIDC needs no stored keys: let a role trust CircleCI (aws-oidc trust-policy) \
         and set role_arn instead; then delete these keys"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_errors_name_this_commands_options() {
        let empty = StaticKeysError::Empty {
            var: "CI_KEY".into(),
            which: Which::SecretAccessKey,
        };
        assert_eq!(
            crate::output::error_message(&key_error(empty, &Options)),
            "$CI_KEY is empty: set it (for example in a CircleCI context) or name another variable \
             with --secret-access-key-var; better, drop the stored keys and assume a role with OIDC \
             (--role-arn)"
        );
        let bad = StaticKeysError::BadName {
            which: Which::AccessKeyId,
        };
        assert!(key_error(bad, &Options)
            .to_string()
            .starts_with("--access-key-id-var takes the name of an environment variable"));
    }
}
