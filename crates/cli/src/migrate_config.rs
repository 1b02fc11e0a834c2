//! `aws-oidc migrate-config`: moves a CircleCI config from the circleci/aws-cli orb to aws-oidc's, in place.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use aws_oidc::migrate::{migrate, read_config, write_config, MigrateError, ORB};
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
    let shown = a.file.display();
    let bytes = read_config(&a.file).with_context(|| format!("cannot read {shown}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{shown} is not UTF-8 text, so not a CircleCI config"))?;
    let version = env!("CARGO_PKG_VERSION");
    let migration = match migrate(&text, version) {
        Ok(m) => m,
        Err(MigrateError::Syntax(e)) => bail!(
            "{shown}:{}: {}; it was left as it is (`circleci config validate` says more)",
            e.line,
            e.reason
        ),
        Err(MigrateError::Unsupported(notes)) => {
            for n in &notes {
                say!("aws-oidc: {shown}:{}: {}", n.line, n.message);
            }
            bail!(
                "{shown} has what this cannot migrate ({} line{} above); it was left as it is",
                notes.len(),
                if notes.len() == 1 { "" } else { "s" }
            );
        }
    };
    for c in &migration.changes {
        print_stdout(&format!("{shown}:{}: {} -> {}", c.line, c.before, c.after))?;
    }
    for n in &migration.notes {
        say!("aws-oidc: {shown}:{}: note: {}", n.line, n.message);
    }
    let count = migration.changes.len();
    let lines = if count == 1 { "line" } else { "lines" };
    if count == 0 {
        say!("aws-oidc: {shown} needs no change for {ORB}@{version}");
    } else if a.check {
        bail!("{count} {lines} of {shown} would change: run without --check to write them");
    } else {
        // The error names the file and why.
        write_config(&a.file, &migration.text)?;
        say!(
            "aws-oidc: rewrote {count} {lines} of {shown} for {ORB}@{version}; \
             `circleci config validate` checks the result"
        );
    }
    Ok(())
}
