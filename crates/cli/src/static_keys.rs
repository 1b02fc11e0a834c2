//! `aws-oidc static-keys`: the long-lived keys of an aws-cli/setup config, written as it writes them.

use anyhow::Result;
use aws_oidc::settings::{self, option_value, process_env};
use aws_oidc::sinks::profile::{self, ProfileContent};
use aws_oidc::sinks::shell;
use aws_oidc::static_keys::StaticKeys;
use clap::Args;

use crate::output::say;
use crate::role::open_cache;
use crate::targets::TargetArgs;

pub const LONG_ABOUT: &str = "\
Write long-lived access keys, read from the environment variables named, to a profile and/or \
$BASH_ENV, as circleci/aws-cli's setup does when it is given keys instead of a role ARN (the orb's \
setup runs this when role_arn is empty). The keys are never printed.

Stored keys are what attackers steal from CI: OIDC needs none. Create a role that trusts CircleCI \
(`aws-oidc trust-policy`), delete the keys, and call setup with role_arn.";

/// Options of `aws-oidc static-keys`.
#[derive(Debug, Args)]
pub struct StaticKeysArgs {
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
pub fn run(a: StaticKeysArgs) -> Result<()> {
    let env = &process_env;
    let keys = StaticKeys::from_env(&a.access_key_id_var, &a.secret_access_key_var, env)?;
    let region_flag = option_value(a.region, a.expand_env, "--region", env)?;
    let region = settings::REGION
        .resolve(region_flag.as_deref(), env)
        .map(|(raw, _)| aws_oidc::request::parse_region(&raw))
        .transpose()?;
    let targets = a.targets.resolve(a.expand_env, region.clone(), false, "")?;
    targets.preflight()?;

    let mut wrote = Vec::new();
    if let Some((files, write)) = &targets.profile {
        profile::write(files, write, &ProfileContent::StaticKeys(&keys))?;
        wrote.push(format!("profile {:?}", write.name.as_str()));
    }
    if let (Some(path), Some(label)) = (&targets.bash_env, targets.bash_env_label()) {
        let header = format!(
            "aws-oidc: static keys from ${} and ${}",
            a.access_key_id_var, a.secret_access_key_var
        );
        shell::append_static_keys(
            path,
            &keys,
            targets.exported_region(region.as_deref()),
            &header,
        )?;
        wrote.push(label);
    }
    if let Some(cache) = open_cache() {
        let mut exported = vec!["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
        if targets.exported_region(region.as_deref()).is_some() {
            exported.extend(["AWS_REGION", "AWS_DEFAULT_REGION"]);
        }
        targets.record(&cache.ledger(env), &exported, None, None)?;
    }
    say!(
        "aws-oidc: wrote the static keys from ${} and ${} to {}{}",
        a.access_key_id_var,
        a.secret_access_key_var,
        wrote.join(", "),
        match &region {
            Some(r) => format!(" (region {r})"),
            None => String::new(),
        }
    );
    say!(
        "aws-oidc: hint: OIDC needs no stored keys: let a role trust CircleCI (aws-oidc trust-policy) \
         and set role_arn instead; then delete these keys"
    );
    Ok(())
}
