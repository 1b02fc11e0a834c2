//! `aws-oidc cleanup`: take back what aws-oidc wrote in this job.

use anyhow::{bail, Result};
use aws_oidc::process_env;
use clap::Args;

use crate::output::say;
use crate::values::open_cache;

pub(crate) const LONG_ABOUT: &str = "\
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
pub(crate) struct CleanupArgs {}

/// Runs `aws-oidc cleanup`.
pub(crate) fn run(_args: CleanupArgs) -> Result<()> {
    let Some(cache) = open_cache() else {
        say!("aws-oidc: cleanup: no cache directory, so nothing was recorded: nothing to do");
        return Ok(());
    };
    let cleaned = cache.ledger(&process_env).cleanup()?;
    if cleaned.is_empty() {
        say!("aws-oidc: cleanup: nothing recorded in this job: nothing to do");
        return Ok(());
    }
    let did = cleaned.done();
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
