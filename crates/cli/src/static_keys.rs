//! `aws-oidc static-keys`: the long-lived keys of an aws-cli/setup config, written as it writes them.

use anyhow::Result;
use aws_oidc::process_env;
use aws_oidc::StaticKeys;
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
    let keys = StaticKeys::from_env(id_var, secret_var, env)?;
    let v = Values::new(a.expand_env);
    let region = v.region(a.region)?;
    let targets = Targets::resolve(a.targets.options(v)?, region.as_deref(), env)?;
    targets.preflight()?;
    let (id_from, secret_from) = (format!("${id_var}"), format!("${secret_var}"));
    let payload = Payload::StaticKeys {
        keys: &keys,
        id_from: &id_from,
        secret_from: &secret_from,
    };
    let delivered = targets.deliver(payload, open_cache().as_ref(), env)?;
    summary(&delivered, &id_from, &secret_from, region.as_deref());
    Ok(())
}

/// What was written, and the hint to move to OIDC.
pub(crate) fn summary(
    delivered: &Delivered,
    id_from: &str,
    secret_from: &str,
    region: Option<&str>,
) {
    let wrote: Vec<String> = delivered.wrote.iter().map(ToString::to_string).collect();
    say!(
        "aws-oidc: wrote the static keys from {id_from} and {secret_from} to {}{}",
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
