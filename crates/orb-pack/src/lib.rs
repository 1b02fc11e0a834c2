//! Packs an orb source tree (the orb-template layout) into one orb YAML
//! document, the way `circleci orb pack` does, and writes the release in.
//!
//! - `@orb.yml` is the root document ([`source`]);
//! - each `<kind>/<name>.yml` under `commands/`, `jobs/`, `executors/` and
//!   `examples/` becomes `<kind>.<name>`;
//! - a string that is wholly `<<include(path)>>` becomes the text of `path`
//!   (relative to the source directory) with `<<` escaped as `\<<`, so that
//!   CircleCI does not read a script's `<<` as a parameter;
//! - inside such a script, a line `# orb-pack:include(path)` becomes the
//!   text of `path`: the steps' scripts share one prelude (one level deep);
//! - merge keys (`<<: *anchor`) are resolved in every file before packing;
//! - a string that is wholly `<<orb-pack:version>>` or
//!   `<<orb-pack:sha256sums>>` becomes the release's version or its table of
//!   pinned checksums ([`release`]).
//!
//! Every error names the file it is about.

pub mod release;
pub mod source;

use std::io;
use std::path::PathBuf;

pub use release::{Release, TARGETS};
pub use source::pack;

/// Why packing failed; each variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },

    #[error("{}: YAML syntax error: {source}", path.display())]
    Syntax {
        path: PathBuf,
        source: serde_yaml_ng::Error,
    },

    #[error("{}: cannot apply merge keys (<<: *anchor): {source}", path.display())]
    Merge {
        path: PathBuf,
        source: serde_yaml_ng::Error,
    },

    #[error("{}: expected a mapping at the top level", path.display())]
    NotAMapping { path: PathBuf },

    #[error(
        "{}: include of {include:?} failed: {source} (include paths are relative to the orb source directory)", path.display())]
    MissingInclude {
        path: PathBuf,
        include: String,
        source: io::Error,
    },

    #[error(
        "{}: include path {include:?} must be relative and stay inside the orb source directory", path.display())]
    IncludeOutsideSource { path: PathBuf, include: String },

    #[error(
        "{}: {include:?} holds an `# orb-pack:include(..)` line itself: inlined files go one level deep", path.display())]
    NestedInline { path: PathBuf, include: String },

    #[error("{}: {kind}.{name} is defined twice (also in {})", path.display(), first.display())]
    DuplicateComponent {
        path: PathBuf,
        kind: String,
        name: String,
        first: PathBuf,
    },

    #[error("{}: {placeholder} needs a release: pass --version and --sums", path.display())]
    NoRelease { path: PathBuf, placeholder: String },

    #[error(
        "{}: bad placeholder in {value:?}: a placeholder is a whole value, one of <<orb-pack:version>>, <<orb-pack:sha256sums>>", path.display())]
    BadPlaceholder { path: PathBuf, value: String },

    #[error(
        "version {version:?} does not look like a release version such as 0.1.0 (no leading v)"
    )]
    BadVersion { version: String },

    #[error("{}:{line}: {reason} (expected `sha256sum` output: <64 hex digits>  <file name>)", path.display())]
    SumsSyntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    #[error(
        "{}: no SHA-256 for {archive} (target {target}): build that target first, or pass --target for each target the release ships", path.display())]
    MissingTarget {
        path: PathBuf,
        target: String,
        archive: String,
    },

    #[error(
        "{}: lists no archive of aws-oidc {version} (aws-oidc-{version}-<target>.tar.zst and .tar.gz): build the release first", path.display()
    )]
    NoArchives { path: PathBuf, version: String },

    #[error("cannot write the packed orb: {0}")]
    Serialize(serde_yaml_ng::Error),
}
