//! `aws-oidc migrate-config`: moves a CircleCI config from the circleci/aws-cli orb to aws-oidc's, in place.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::output::{print_stdout, say};

pub(crate) const LONG_ABOUT: &str = "\
Rewrite a CircleCI config that uses the circleci/aws-cli orb (v3, v4 or v5) to use aws-oidc's orb: \
each `circleci/aws-cli@X` in `orbs:` becomes `aws-oidc/aws-oidc` of this release, under the same \
alias. aws-oidc's orb takes every command and parameter of aws-cli in both spellings, so that is all \
a config needs; the rest gives v3's names the v5 spelling its documentation uses: role-arn-setup and \
assume-role-with-web-identity become role_arn_setup and assume_role_with_web_identity, and kebab-case \
parameters (role-arn, profile-name, install-dir, ...) their snake_case names. v3's aws-region named a \
variable, so `aws-region: AWS_REGION` becomes `region: ${AWS_REGION}`. Nothing else changes: \
comments, quoting and layout stay byte for byte, in flow collections ([...], {...}) too. Each \
changed line is printed (line number, before -> after), and notes (such as the default executor's \
python-version, which picks no image any more) on stderr.

A file that is not YAML this can read, that uses what neither orb has (a command, a parameter, an \
executor other than default), or that holds a step in a flow collection this cannot rewrite safely \
(rewrite that step in block style) is left untouched and the error names each line. The file is \
replaced atomically, keeping its mode.

Exit status: 0 when the file was rewritten or needed nothing; with --check, 1 when it would change.";

/// Options of `aws-oidc migrate-config`.
#[derive(Debug, Args)]
pub(crate) struct MigrateConfigArgs {
    /// The CircleCI config to rewrite
    #[arg(value_name = "FILE", default_value = ".circleci/config.yml")]
    file: PathBuf,

    /// Only print what would change, and exit 1 if anything would; write nothing
    #[arg(long)]
    check: bool,
}

/// Runs `aws-oidc migrate-config`.
pub(crate) fn run(a: MigrateConfigArgs) -> Result<()> {
    let plan = aws_oidc::plan_migration(a.file).inspect_err(|e| {
        for line in e.unsupported_lines() {
            say!("aws-oidc: {line}");
        }
    })?;
    for change in plan.changes() {
        print_stdout(&change)?;
    }
    for note in plan.notes() {
        say!("aws-oidc: {note}");
    }
    let migrated = plan.apply(a.check)?;
    say!("aws-oidc: {migrated}");
    Ok(())
}
