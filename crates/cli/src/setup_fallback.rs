//! aws-cli/setup's other branch, for `aws-oidc assume` given the stored-key
//! options and no role: the stored keys into the profile, or with neither
//! a role nor keys, a note and the region alone.

use anyhow::Result;
use aws_oidc::{process_env, Input, Names, StoredKeysReport, StoredKeysRequest};

use crate::output::{say, Printer};
use crate::static_keys::{key_error, say_written};
use crate::targets::TargetArgs;
use crate::values::Values;

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

/// aws-cli/setup's branch without a role: the stored keys into the
/// profile, or with no keys either, the note circleci/aws-cli users know,
/// and the region parameter alone (the library's [`aws_oidc::stored_keys`]).
pub(crate) fn run(f: SetupFallback) -> Result<()> {
    // Expanded once: the parameter alone, and the region read through its chain.
    let region_parameter = f.values.opt(f.region, "--region")?;
    let request = StoredKeysRequest {
        access_key_id: f.id,
        secret_access_key: f.secret,
        region: aws_oidc::region(region_parameter.as_deref(), &process_env)?,
        region_parameter,
        targets: f.targets.options(f.values)?,
    };
    let is_set = |name: &str| std::env::var_os(name).is_some();
    let report = aws_oidc::stored_keys(request, &process_env, &is_set, &mut Printer)
        .map_err(|e| key_error(e, &Parameters))?;
    match &report {
        StoredKeysReport::Wrote(written) => say_written(written, &Parameters),
        StoredKeysReport::NoKeys { region } => {
            say!("aws-oidc: {report}");
            if let Some((region, wrote)) = region {
                say!(
                    "aws-oidc: wrote the region {region} for {wrote} into the AWS config file \
                     (cleanup leaves it)"
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_oidc::{StaticKeysError, Which};

    #[test]
    fn stored_key_errors_name_the_parameter_and_the_option_that_carries_it() {
        let said =
            |e: StaticKeysError| crate::output::error_message(&key_error(e.into(), &Parameters));
        assert_eq!(
            said(StaticKeysError::NoProfile),
            "stored keys are written to a profile, as circleci/aws-cli writes them: pass --profile \
             NAME (or --role-arn, to assume a role instead)"
        );
        assert!(said(StaticKeysError::MalformedValue {
            which: Which::SecretAccessKey
        })
        .starts_with(
            "the value given for aws_secret_access_key (--stored-secret-access-key), expanded, \
             does not hold an AWS key (not shown)"
        ));
    }
}
