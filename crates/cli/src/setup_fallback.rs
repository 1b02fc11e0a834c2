//! aws-cli/setup's other branch, for `aws-oidc assume` given the stored-key
//! options and no role: the stored keys into the profile, or with neither
//! a role nor keys, a note and the region alone.

use anyhow::{bail, Result};
use aws_oidc::process_env;
use aws_oidc::{Credentials, Input, Names, Payload, TargetOptions, Targets};

use crate::output::say;
use crate::static_keys::{key_error, summary};
use crate::targets::TargetArgs;
use crate::values::{open_cache, Values};

/// The keys' parameters as messages name them (never their values):
/// aws-cli/setup's names, and the options of `assume` that carry them.
struct Parameters;

impl Names for Parameters {
    fn name(&self, input: Input) -> Option<&str> {
        match input {
            Input::AccessKeyId => Some("aws_access_key_id (--stored-access-key-id)"),
            Input::SecretAccessKey => Some("aws_secret_access_key (--stored-secret-access-key)"),
            other => crate::wording::Flags.name(other),
        }
    }
}

/// What `assume` hands over when no role ARN was given.
#[derive(Debug)]
pub(crate) struct SetupFallback {
    /// `--stored-access-key-id`, raw.
    pub id: String,
    /// `--stored-secret-access-key`, raw.
    pub secret: String,
    /// `--region`, raw.
    pub region: Option<String>,
    /// The profile options (`--bash-env` is not used: see [`run`]).
    pub targets: TargetArgs,
    /// How option values are read (`--expand-env`).
    pub values: Values,
}

/// Writes the stored keys to the profile as circleci/aws-cli writes them:
/// not exported (the job's environment holds them already, and circleci/
/// aws-cli exports none), region from the usual chain.  With no keys, the
/// note circleci/aws-cli users know, and the region alone, as its
/// `aws configure set` would write it, but without the AWS CLI.
pub(crate) fn run(f: SetupFallback) -> Result<()> {
    let env = &process_env;
    let is_set = |name: &str| std::env::var_os(name).is_some();
    let stored = Credentials::from_setup_parameters(&f.id, &f.secret, env, &is_set)
        .map_err(|e| key_error(e, &Parameters))?;
    let options = TargetOptions {
        bash_env: None,
        ..f.targets.options(f.values)?
    };
    let Some(stored) = stored else {
        say!(
            "aws-oidc: no role_arn and no stored keys (aws_access_key_id and aws_secret_access_key \
             are empty): no credentials written. For OIDC, set role_arn."
        );
        return region_only(options, f.values.opt(f.region, "--region")?);
    };
    if options.profile.is_none() {
        bail!(
            "stored keys are written to a profile, as circleci/aws-cli writes them: pass --profile \
             NAME (or --role-arn, to assume a role instead)"
        );
    }
    let region = f.values.region(f.region)?;
    let targets = Targets::resolve(options, region.as_deref(), env)?;
    targets.preflight()?;
    let payload = Payload::StaticKeys { keys: &stored };
    let delivered = targets.deliver(payload, open_cache().as_ref(), env)?;
    summary(&delivered, &stored, &Parameters, region.as_deref());
    Ok(())
}

/// The region parameter alone (not the environment's chain: circleci/
/// aws-cli writes what its `region` parameter expands to), into the
/// profile's config sections.  Not recorded for `cleanup`, which would
/// take the profile back whole and cannot tell this region from an
/// earlier one: it stays, as circleci/aws-cli's does.
fn region_only(options: TargetOptions, region: Option<String>) -> Result<()> {
    let (Some(region), Some(_)) = (region, &options.profile) else {
        return Ok(());
    };
    let targets = Targets::resolve(options, Some(&region), &process_env)?;
    targets.preflight()?;
    if let Some(wrote) = targets.write_region()? {
        say!(
            "aws-oidc: wrote the region {region} for {wrote} into the AWS config file (cleanup leaves it)"
        );
    }
    Ok(())
}
