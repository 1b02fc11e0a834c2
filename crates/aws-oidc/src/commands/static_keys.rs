//! `static-keys`, and `assume`'s aws-cli/setup branch without a role: the
//! long-lived keys of an aws-cli/setup config, written as it writes them.

use std::fmt;

use super::{open_cache, CommandError, Report};
use crate::credentials::{Credentials, Origin};
use crate::deliver::{Payload, TargetOptions, Targets};
use crate::env::Env;
use crate::names::{LibraryTerms, Names};
use crate::static_keys::StaticKeysError;

/// What `static-keys` was asked: the variables holding the keys, the
/// region (already read from its chain) and where the keys go.
#[derive(Debug, Clone)]
pub struct StaticKeysRequest {
    /// The variable holding the access key id.
    pub access_key_id_var: String,
    /// The variable holding the secret access key.
    pub secret_access_key_var: String,
    /// The region written with the keys.
    pub region: Option<String>,
    /// Where the keys go.
    pub targets: TargetOptions,
}

/// What aws-cli/setup's `aws_access_key_id` and `aws_secret_access_key`
/// held (raw: `$NAME`, `${NAME}`, a bare name, a template or a key), for
/// the branch of its setup that writes them when no role is given.
#[derive(Debug, Clone)]
pub struct StoredKeysRequest {
    /// `aws_access_key_id`'s value.
    pub access_key_id: String,
    /// `aws_secret_access_key`'s value.
    pub secret_access_key: String,
    /// The region parameter's value alone, what circleci/aws-cli writes
    /// when there are no keys.
    pub region_parameter: Option<String>,
    /// The region read from its chain, written with the keys.
    pub region: Option<String>,
    /// Where the keys go: a profile (they are never exported).
    pub targets: TargetOptions,
}

/// Keys written: from where, to where, with which region.
#[derive(Debug, Clone)]
pub struct KeysWritten {
    /// Where the keys came from.
    pub origin: Origin,
    /// What was written, one phrase each.
    pub wrote: Vec<String>,
    /// The region written with them.
    pub region: Option<String>,
}

/// What the aws-cli/setup branch without a role did.
#[derive(Debug, Clone)]
pub enum StoredKeysReport {
    /// The stored keys, written to the profile.
    Wrote(KeysWritten),
    /// No keys either: nothing but, when there is a profile and a region
    /// parameter, the region, into the profile's config sections.
    NoKeys {
        /// The region and what it was written for.
        region: Option<(String, String)>,
    },
}

impl KeysWritten {
    /// The closing sentence, `names` naming the option or parameter a key
    /// given as a value came from.
    pub fn describe(&self, names: &dyn Names) -> String {
        let region = match &self.region {
            Some(r) => format!(" (region {r})"),
            None => String::new(),
        };
        format!(
            "wrote the static keys from {} to {}{region}",
            self.origin.describe(names),
            self.wrote.join(", ")
        )
    }
}

/// The way off stored keys, said after every write of them.
pub const STATIC_KEYS_HINT: &str = "OIDC needs no stored keys: let a role trust CircleCI \
     (aws-oidc trust-policy) and set role_arn instead; then delete these keys";

impl fmt::Display for StoredKeysReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredKeysReport::Wrote(keys) => f.write_str(&keys.describe(&LibraryTerms)),
            StoredKeysReport::NoKeys { .. } => f.write_str(
                "no role_arn and no stored keys (aws_access_key_id and aws_secret_access_key \
                 are empty): no credentials written. For OIDC, set role_arn.",
            ),
        }
    }
}

/// Writes `keys` to the targets, checked first, and records them for
/// `cleanup`.
fn write(
    keys: Credentials,
    region: Option<String>,
    targets: TargetOptions,
    env: Env,
    report: &mut dyn Report,
) -> Result<KeysWritten, CommandError> {
    let targets = Targets::resolve(targets, region.as_deref(), env)?;
    targets.preflight()?;
    let cache = open_cache(env, report);
    let delivered = targets.deliver(Payload::StaticKeys { keys: &keys }, cache.as_ref(), env)?;
    Ok(KeysWritten {
        origin: keys.origin,
        wrote: delivered.wrote.iter().map(ToString::to_string).collect(),
        region,
    })
}

/// Runs `static-keys`: the keys in the variables named, to the targets.
pub fn static_keys(
    req: StaticKeysRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<KeysWritten, CommandError> {
    let keys =
        Credentials::from_key_variables(&req.access_key_id_var, &req.secret_access_key_var, env)?;
    write(keys, req.region, req.targets, env, report)
}

/// aws-cli/setup without a role: the stored keys into the profile, not
/// exported (the job's environment holds them already, and circleci/
/// aws-cli exports none).  With no keys either, the region parameter alone
/// into the profile's config sections, as its `aws configure set` would
/// write it, but without the AWS CLI; not recorded for `cleanup`, which
/// could not tell it from a region the job's config held before.
/// `is_set`: whether a variable is set (a bare name counts as one only then).
pub fn stored_keys(
    req: StoredKeysRequest,
    env: Env,
    is_set: &dyn Fn(&str) -> bool,
    report: &mut dyn Report,
) -> Result<StoredKeysReport, CommandError> {
    let stored = Credentials::from_setup_parameters(
        &req.access_key_id,
        &req.secret_access_key,
        env,
        is_set,
    )?;
    let targets = TargetOptions {
        bash_env: None,
        ..req.targets
    };
    let Some(keys) = stored else {
        let (Some(region), Some(_)) = (req.region_parameter, &targets.profile) else {
            return Ok(StoredKeysReport::NoKeys { region: None });
        };
        let targets = Targets::resolve(targets, Some(&region), env)?;
        targets.preflight()?;
        let wrote = targets.write_region()?.map(|w| (region, w.to_string()));
        return Ok(StoredKeysReport::NoKeys { region: wrote });
    };
    if targets.profile.is_none() {
        return Err(StaticKeysError::NoProfile.into());
    }
    Ok(StoredKeysReport::Wrote(write(
        keys, req.region, targets, env, report,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{KeySource, Which};
    use crate::names::Input;

    fn written(origin: Origin, region: Option<&str>) -> KeysWritten {
        KeysWritten {
            origin,
            wrote: vec!["profile \"ci\"".into()],
            region: region.map(str::to_string),
        }
    }

    #[test]
    fn the_summary_names_where_each_key_came_from() {
        let from_vars = written(
            Origin::StoredKeys {
                access_key_id: KeySource::Variable("CI_ID".into()),
                secret_access_key: KeySource::Variable("CI_SECRET".into()),
            },
            Some("eu-west-1"),
        );
        assert_eq!(
            from_vars.describe(&LibraryTerms),
            "wrote the static keys from $CI_ID and $CI_SECRET to profile \"ci\" (region eu-west-1)"
        );
        let from_values = written(
            Origin::StoredKeys {
                access_key_id: KeySource::Parameter(Which::AccessKeyId),
                secret_access_key: KeySource::Variable("S".into()),
            },
            None,
        );
        assert_eq!(
            from_values.describe(&LibraryTerms),
            "wrote the static keys from the value of aws_access_key_id and $S to profile \"ci\""
        );
        struct Flag;
        impl Names for Flag {
            fn name(&self, input: Input) -> Option<&str> {
                (input == Input::AccessKeyId).then_some("--id")
            }
        }
        assert!(from_values
            .describe(&Flag)
            .starts_with("wrote the static keys from the value of --id and $S"));
    }

    #[test]
    fn without_keys_or_a_profile_nothing_is_written() {
        let req = StoredKeysRequest {
            access_key_id: String::new(),
            secret_access_key: String::new(),
            region_parameter: Some("eu-west-1".into()),
            region: Some("eu-west-1".into()),
            targets: TargetOptions::default(),
        };
        struct Quiet;
        impl Report for Quiet {
            fn note(&mut self, _: &str) {}
            fn warn(&mut self, _: &str) {}
        }
        let report = stored_keys(req, &|_| None, &|_| false, &mut Quiet).unwrap();
        assert!(matches!(report, StoredKeysReport::NoKeys { region: None }));
    }
}
