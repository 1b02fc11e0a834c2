//! Where credentials are written: the `$BASH_ENV` and profile options that
//! `assume` and `static-keys` share, as the library's [`TargetOptions`].
//!
//! [`TargetOptions`]: aws_oidc::TargetOptions

use std::path::PathBuf;

use anyhow::Result;
use aws_oidc::TargetOptions;
use clap::Args;

use crate::values::Values;

/// The `$BASH_ENV` and profile options.
#[derive(Debug, Clone, Args)]
pub(crate) struct TargetArgs {
    /// Append `export` lines (keys, AWS_REGION, AWS_DEFAULT_REGION, AWS_CREDENTIAL_EXPIRATION) to this file [default: $BASH_ENV]
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub bash_env: Option<Option<PathBuf>>,

    /// Write the credentials as this profile in ~/.aws/credentials, and the region in ~/.aws/config (honours AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE)
    #[arg(
        long,
        env = "AWS_OIDC_PROFILE",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub profile: Option<String>,

    /// With --profile: do not write the region into the profile's section of ~/.aws/config
    #[arg(long)]
    pub no_profile_region: bool,

    /// Also write the region into the [default] section of ~/.aws/config
    #[arg(long)]
    pub default_region: bool,

    /// With --bash-env: export the keys only, not AWS_REGION and AWS_DEFAULT_REGION (as circleci/aws-cli's setup, which leaves each profile's region to decide; the orb's setup uses this)
    #[arg(long)]
    pub no_region_export: bool,
}

impl TargetArgs {
    /// The options, `--profile` read as `values` say; the command adds its own.
    pub(crate) fn options(self, values: Values) -> Result<TargetOptions> {
        Ok(TargetOptions {
            bash_env: self.bash_env,
            profile: values.opt(self.profile, "--profile")?,
            profile_region: !self.no_profile_region,
            default_region: self.default_region,
            export_region: !self.no_region_export,
            ..TargetOptions::default()
        })
    }
}
