//! `aws-oidc cleanup`: take back what aws-oidc wrote in this job.

use anyhow::{bail, Result};
use aws_oidc::settings::process_env;
use clap::Args;

use crate::output::say;
use crate::role::open_cache;

pub const LONG_ABOUT: &str = "\
Take back what aws-oidc wrote in this job: `unset` lines in $BASH_ENV for every variable it \
exported (so later steps, and `when: always` steps after a failure, run without them), the keys, \
credential_process and region it put in profiles (and sections left empty), the registry \
logins ecr-login wrote into Docker's config.json (auths, or credHelpers naming aws-oidc), the \
kubeconfig entries eks-kubeconfig added (the current context put back), and the dotenv files, \
cached credentials, registry tokens and EKS tokens it created. Everything else in those files \
stays byte for byte.

What was written is recorded in the private cache directory ($AWS_OIDC_CACHE_DIR, else \
$XDG_CACHE_HOME/aws-oidc, else ~/.cache/aws-oidc), per job ($CIRCLE_WORKFLOW_JOB_ID); keys are \
never recorded. The orb's aws-oidc/cleanup runs this with `when: always`.";

/// Options of `aws-oidc cleanup` (none: it takes back everything recorded).
#[derive(Debug, Args)]
pub struct CleanupArgs {}

/// Runs `aws-oidc cleanup`.
pub fn run(_args: CleanupArgs) -> Result<()> {
    let Some(cache) = open_cache() else {
        say!("aws-oidc: cleanup: no cache directory, so nothing was recorded: nothing to do");
        return Ok(());
    };
    let cleaned = cache.ledger(&process_env).cleanup()?;
    if cleaned.unset_in.is_empty()
        && cleaned.profiles.is_empty()
        && cleaned.files == 0
        && cleaned.registries.is_empty()
        && cleaned.left.is_empty()
        && cleaned.kubeconfigs.is_empty()
        && cleaned.registry_files.is_empty()
    {
        say!("aws-oidc: cleanup: nothing recorded in this job: nothing to do");
        return Ok(());
    }
    let mut did = Vec::new();
    if !cleaned.unset_in.is_empty() {
        did.push(format!(
            "unset the exported variables in {}",
            cleaned
                .unset_in
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !cleaned.profiles.is_empty() {
        did.push(format!(
            "removed profile{} {}",
            if cleaned.profiles.len() == 1 { "" } else { "s" },
            cleaned
                .profiles
                .iter()
                .map(|p| format!("{p:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if cleaned.files > 0 {
        did.push(format!(
            "deleted {} file{} of credentials",
            cleaned.files,
            if cleaned.files == 1 { "" } else { "s" }
        ));
    }
    if !cleaned.registries.is_empty() {
        did.push(format!(
            "removed the logins to {} from Docker's config file",
            cleaned.registries.join(", ")
        ));
    }
    for k in &cleaned.kubeconfigs {
        did.push(format!("kubeconfig {k}"));
    }
    for r in &cleaned.registry_files {
        did.push(r.clone());
    }
    if !did.is_empty() {
        say!("aws-oidc: cleanup: {}", did.join("; "));
    }
    for what in &cleaned.left {
        say!("aws-oidc: cleanup: could not take back {what}");
    }
    if !cleaned.left.is_empty() {
        // What was not taken back stays recorded: once the file is fixed (or
        // the entries taken out by hand), running cleanup again finishes.
        bail!(
            "cleanup took back everything else, but not what is named above: fix those files \
             (or remove aws-oidc's entries by hand) and run cleanup again"
        );
    }
    Ok(())
}
