//! The release written into the packed orb: its version and the SHA-256 of
//! each target's archive, read from the release's `SHA256SUMS`.
//!
//! The orb's install step checks every download against this table, so a
//! packed orb can only install the binaries it was released with.

use std::path::Path;

use crate::PackError;

/// The targets a release ships, in the order the table lists them.
pub const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];

/// One release: a version and the pinned SHA-256 of each target's archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    /// `(target, sha256 in lower-case hex)`, in the order the targets were asked for.
    pub sums: Vec<(String, String)>,
}

/// The archive name the release workflow gives a target's build.
pub fn archive_name(version: &str, target: &str) -> String {
    format!("aws-oidc-{version}-{target}.tar.gz")
}

impl Release {
    /// Reads `sums_path` (`sha256sum` output) and pins each of `targets`;
    /// with no `targets`, every release target the file lists for `version`
    /// (a local build has one, a release all of [`TARGETS`]).
    pub fn from_sums_file(
        version: &str,
        sums_path: &Path,
        targets: &[String],
    ) -> Result<Self, PackError> {
        let text = std::fs::read_to_string(sums_path).map_err(|source| PackError::Read {
            path: sums_path.to_path_buf(),
            source,
        })?;
        Self::from_sums(version, &text, sums_path, targets)
    }

    /// Like [`Release::from_sums_file`], with the file's text already read.
    pub fn from_sums(
        version: &str,
        text: &str,
        sums_path: &Path,
        targets: &[String],
    ) -> Result<Self, PackError> {
        check_version(version)?;
        let listed = parse_sums(text, sums_path)?;
        let listed_targets: Vec<String>;
        let targets = if targets.is_empty() {
            listed_targets = TARGETS
                .iter()
                .filter(|t| {
                    listed
                        .iter()
                        .any(|(name, _)| *name == archive_name(version, t))
                })
                .map(|t| t.to_string())
                .collect();
            if listed_targets.is_empty() {
                return Err(PackError::NoArchives {
                    path: sums_path.to_path_buf(),
                    version: version.to_string(),
                });
            }
            &listed_targets
        } else {
            targets
        };
        let sums = targets
            .iter()
            .map(|target| {
                let archive = archive_name(version, target);
                listed
                    .iter()
                    .find(|(name, _)| *name == archive)
                    .map(|(_, sum)| (target.clone(), sum.clone()))
                    .ok_or_else(|| PackError::MissingTarget {
                        path: sums_path.to_path_buf(),
                        target: target.clone(),
                        archive,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Release {
            version: version.to_string(),
            sums,
        })
    }

    /// The table the install script reads: one `<version> <target> <sha256>` per line.
    pub fn sums_table(&self) -> String {
        self.sums
            .iter()
            .map(|(target, sum)| format!("{} {target} {sum}\n", self.version))
            .collect()
    }
}

/// A version goes into URLs and file names, so only release-like ones pass.
fn check_version(version: &str) -> Result<(), PackError> {
    let ok = version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if ok {
        Ok(())
    } else {
        Err(PackError::BadVersion {
            version: version.to_string(),
        })
    }
}

/// Parses `sha256sum` output into `(file name, sum)` pairs.
fn parse_sums(text: &str, path: &Path) -> Result<Vec<(String, String)>, PackError> {
    let mut listed: Vec<(String, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let bad = |reason: &str| PackError::SumsSyntax {
            path: path.to_path_buf(),
            line: index + 1,
            reason: reason.to_string(),
        };
        if line.trim().is_empty() {
            continue;
        }
        let (sum, rest) = line.split_once(' ').ok_or_else(|| bad("no file name"))?;
        // `sha256sum` writes two spaces, or a space and `*` in binary mode.
        let name = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(|| bad("expected two spaces or ` *` after the sum"))?;
        if sum.len() != 64 || !sum.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad("the sum is not 64 hex digits"));
        }
        if name.is_empty() {
            return Err(bad("no file name"));
        }
        let sum = sum.to_ascii_lowercase();
        match listed.iter().find(|(seen, _)| seen == name) {
            Some((_, seen_sum)) if *seen_sum != sum => {
                return Err(bad(&format!("{name} is listed twice with different sums")))
            }
            Some(_) => {}
            None => listed.push((name.to_string(), sum)),
        }
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86: &str = "a3f1c0d2e4b5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff";
    const ARM: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn targets() -> Vec<String> {
        TARGETS.iter().map(|t| t.to_string()).collect()
    }

    fn sums_text() -> String {
        format!(
            "{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n\
             {ARM} *aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.gz\n\
             {ARM}  aws-oidc-0.0.9-x86_64-unknown-linux-musl.tar.gz\n"
        )
    }

    #[test]
    fn pins_each_target_of_the_version() {
        let release =
            Release::from_sums("0.1.0", &sums_text(), Path::new("SHA256SUMS"), &targets()).unwrap();
        assert_eq!(
            release.sums_table(),
            format!(
                "0.1.0 x86_64-unknown-linux-musl {X86}\n0.1.0 aarch64-unknown-linux-musl {ARM}\n"
            )
        );
    }

    #[test]
    fn without_asked_targets_every_listed_one_is_pinned() {
        let text = format!("{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n");
        let release = Release::from_sums("0.1.0", &text, Path::new("S"), &[]).unwrap();
        assert_eq!(
            release.sums,
            vec![(TARGETS[0].to_string(), X86.to_string())]
        );
        let both = Release::from_sums("0.1.0", &sums_text(), Path::new("S"), &[]).unwrap();
        assert_eq!(both.sums.len(), 2);
    }

    #[test]
    fn a_file_without_the_version_is_an_error() {
        let err = Release::from_sums("0.2.0", &sums_text(), Path::new("dist/SHA256SUMS"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("dist/SHA256SUMS: "), "{err}");
        assert!(err.contains("0.2.0"), "{err}");
    }

    #[test]
    fn missing_target_names_the_file_and_archive() {
        let text = format!("{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n");
        let err = Release::from_sums("0.1.0", &text, Path::new("dist/SHA256SUMS"), &targets())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("dist/SHA256SUMS: "), "{err}");
        assert!(
            err.contains("aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.gz"),
            "{err}"
        );
    }

    #[test]
    fn only_the_asked_targets_are_required() {
        let text = format!("{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n");
        let only_x86 = vec![TARGETS[0].to_string()];
        let release =
            Release::from_sums("0.1.0", &text, Path::new("SHA256SUMS"), &only_x86).unwrap();
        assert_eq!(release.sums.len(), 1);
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let text = format!("\n{X86}  ok.tar.gz\nnot-a-sum  x.tar.gz\n");
        let err = Release::from_sums("0.1.0", &text, Path::new("S"), &targets())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("S:3: the sum is not 64 hex digits"),
            "{err}"
        );
    }

    #[test]
    fn conflicting_duplicates_are_errors() {
        let text = format!("{X86}  a.tar.gz\n{ARM}  a.tar.gz\n");
        let err = Release::from_sums("0.1.0", &text, Path::new("S"), &targets()).unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }

    #[test]
    fn versions_must_look_like_releases() {
        for bad in ["v0.1.0", "", "0.1.0/../x", "latest"] {
            let err = Release::from_sums(bad, &sums_text(), Path::new("S"), &targets());
            assert!(matches!(err, Err(PackError::BadVersion { .. })), "{bad}");
        }
    }
}
