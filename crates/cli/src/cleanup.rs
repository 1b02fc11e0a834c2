//! `aws-oidc cleanup`: take back what aws-oidc wrote in this job.

use anyhow::{bail, Result};
use aws_oidc::process_env;
use clap::Args;

use crate::output::{say, Printer};

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
    let report = aws_oidc::cleanup(&process_env, &mut Printer)?;
    for line in report.lines() {
        say!("aws-oidc: {line}");
    }
    if report.incomplete() {
        // What was not taken back stays recorded: once the file is fixed (or
        // the entries taken out by hand), running cleanup again finishes.
        bail!(
            "cleanup took back everything else, but not what is named above: fix those files \
             (or remove aws-oidc's entries by hand) and run cleanup again"
        );
    }
    Ok(())
}
