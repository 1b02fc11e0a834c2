//! Where credentials are written: the `$BASH_ENV` and profile options that
//! `assume` and `static-keys` share, resolved and checked before any work.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use aws_oidc::ledger::{Grant, Ledger, Target, Written};
use aws_oidc::platform;
use aws_oidc::settings::{option_value, process_env};
use aws_oidc::sinks::profile::{self, ProfileName, ProfileWrite, SharedFiles};
use aws_oidc::sinks::shell;
use clap::Args;

/// The `$BASH_ENV` and profile options.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
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

/// The resolved targets.
#[derive(Debug)]
pub struct Targets {
    /// The `$BASH_ENV` file to append to.
    pub bash_env: Option<PathBuf>,
    /// The profile to write.
    pub profile: Option<(SharedFiles, ProfileWrite)>,
    /// Whether `$BASH_ENV` gets the region with the keys.
    pub export_region: bool,
}

impl TargetArgs {
    /// Resolves the targets.  `region` is written with the keys; `others`
    /// says whether the command writes elsewhere too (then `$BASH_ENV` is
    /// not implied) and `alternatives` names those options for the error.
    pub fn resolve(
        self,
        expand_env: bool,
        region: Option<String>,
        others: bool,
        alternatives: &str,
    ) -> Result<Targets> {
        let env = &process_env;
        let profile_name = option_value(self.profile, expand_env, "--profile", env)?;
        let profile = match &profile_name {
            None => None,
            Some(name) => Some((
                SharedFiles::from_env(env)?,
                ProfileWrite {
                    name: ProfileName::parse(name)?,
                    region,
                    profile_region: !self.no_profile_region,
                    default_region: self.default_region,
                },
            )),
        };
        let bash_env = match &self.bash_env {
            Some(Some(path)) => Some(path.clone()),
            Some(None) => Some(bash_env_path(env("BASH_ENV").ok_or_else(|| {
                anyhow!("--bash-env without a path needs $BASH_ENV, which is not set: pass --bash-env PATH")
            })?)),
            None if profile.is_none() && !others => match env("BASH_ENV") {
                Some(p) => Some(bash_env_path(p)),
                None => bail!(
                    "nowhere to write the credentials: pass --bash-env PATH, --profile NAME{alternatives} \
                     ($BASH_ENV, used by default in CircleCI, is not set)"
                ),
            },
            None => None,
        };
        if self.default_region && profile.is_none() {
            bail!("--default-region writes to ~/.aws/config and goes with --profile NAME");
        }
        Ok(Targets {
            bash_env,
            profile,
            export_region: !self.no_region_export,
        })
    }
}

impl Targets {
    /// Checks every target can be written, changing nothing.
    pub fn preflight(&self) -> Result<()> {
        if let Some(path) = &self.bash_env {
            shell::check_bash_env(path)
                .context("cannot write the credentials to $BASH_ENV (--bash-env)")?;
        }
        if let Some((files, _)) = &self.profile {
            profile::preflight(files)?;
        }
        Ok(())
    }

    /// The region to export with the keys: `region`, unless --no-region-export.
    pub fn exported_region<'a>(&self, region: Option<&'a str>) -> Option<&'a str> {
        region.filter(|_| self.export_region)
    }

    /// How to name the `$BASH_ENV` target in the one-line output.
    pub fn bash_env_label(&self) -> Option<String> {
        let path = self.bash_env.as_ref()?;
        Some(
            if process_env("BASH_ENV").map(bash_env_path).as_ref() == Some(path) {
                "$BASH_ENV".into()
            } else {
                path.display().to_string()
            },
        )
    }
}

impl Targets {
    /// Records in the job's ledger what was written, for `cleanup` and
    /// `--skip-if-valid`: the variables exported, the profile and its
    /// credentials (`grant`), or the role a self-refreshing profile assumes.
    pub fn record(
        &self,
        ledger: &Ledger,
        exported: &[&str],
        grant: Option<Grant>,
        process_role: Option<String>,
    ) -> Result<()> {
        if let Some(path) = &self.bash_env {
            ledger.record(Written::BashEnv {
                path: path.clone(),
                vars: exported.iter().map(|v| v.to_string()).collect(),
                grant: grant.clone(),
            })?;
        }
        if let Some((files, write)) = &self.profile {
            ledger.record(Written::Profile {
                credentials: files.credentials.clone(),
                config: files.config.clone(),
                name: write.name.as_str().to_string(),
                region: write.region.is_some(),
                profile_region: write.profile_region,
                default_region: write.default_region,
                grant: if process_role.is_some() { None } else { grant },
                process_role,
            })?;
        }
        Ok(())
    }

    /// The targets to check for `--skip-if-valid`.
    pub fn ledger_targets(&self) -> Vec<(Target, String)> {
        let mut out = Vec::new();
        if let (Some(path), Some(label)) = (&self.bash_env, self.bash_env_label()) {
            out.push((Target::BashEnv(path.clone()), label));
        }
        if let Some((files, write)) = &self.profile {
            out.push((
                Target::Profile(files.clone(), write.name.clone()),
                format!("profile {:?}", write.name.as_str()),
            ));
        }
        out
    }
}

/// `$BASH_ENV` as a path: on Windows, Git Bash passes it in its own form
/// (`/c/Users/...`), which becomes `C:\Users\...`.
fn bash_env_path(value: String) -> PathBuf {
    PathBuf::from(platform::native_path(&value))
}
