//! `orb-pack`: packs the orb source tree into one orb YAML with the
//! release's version and checksums written in (see the library docs).
//!
//! `orb-pack orb/src --version 0.1.0 --sums dist/SHA256SUMS -o dist/orb.yml`

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use orb_pack::{pack, Release, TARGETS};

/// Packs an orb source tree like `circleci orb pack`, pinning a release.
#[derive(Parser)]
#[command(name = "orb-pack")]
struct Args {
    /// The orb source directory (holds `@orb.yml`).
    src: PathBuf,

    /// The release version written into the orb.
    #[arg(long, requires = "sums")]
    version: Option<String>,

    /// The release's `sha256sum` output naming `aws-oidc-<version>-<target>.tar.{zst,gz}`.
    #[arg(long, requires = "version")]
    sums: Option<PathBuf>,

    /// A target the orb must pin (repeatable; a release passes each it ships).
    /// Default: every release target the sums file lists for the version.
    #[arg(long = "target", value_name = "TARGET")]
    targets: Vec<String>,

    /// Where to write the packed orb (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The message already carries its cause; no backtrace, no repeats.
            eprintln!("orb-pack: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let release = match (&args.version, &args.sums) {
        (Some(version), Some(sums)) => Some(Release::from_sums_file(version, sums, &args.targets)?),
        _ => None,
    };
    if let Some(release) = &release {
        let pinned: Vec<&str> = release.targets.iter().map(String::as_str).collect();
        let missing: Vec<&str> = TARGETS
            .iter()
            .copied()
            .filter(|t| !pinned.contains(t))
            .collect();
        if !missing.is_empty() {
            // Fine for a local build; a release should pin every target.
            eprintln!(
                "orb-pack: note: pins aws-oidc {} for {} only, not {}",
                release.version,
                pinned.join(", "),
                missing.join(", ")
            );
        }
    }
    let orb = pack(&args.src, release.as_ref())?;
    match args.output {
        None => print!("{orb}"),
        Some(out) => {
            if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            // Written beside and renamed, so a failed run never leaves half an orb.
            let tmp = out.with_extension("yml.tmp");
            fs::write(&tmp, orb).with_context(|| format!("writing {}", tmp.display()))?;
            fs::rename(&tmp, &out).with_context(|| format!("writing {}", out.display()))?;
        }
    }
    Ok(())
}
