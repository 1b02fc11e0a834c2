//! The release written into the packed orb: its version and the SHA-256 of
//! each target's archives, read from the release's `SHA256SUMS`.
//!
//! The orb's install step checks every download against this table, so a
//! packed orb can only install the binaries it was released with.  Each
//! target ships the same tar twice: zstd-compressed, which the install step
//! takes where the image has `zstd` (every `cimg` image: it unpacks in half
//! gzip's time and is 13% smaller), and gzip-compressed for the rest (macOS
//! has no zstd by default; Windows' own `tar.exe` and Git Bash read it).

use std::path::Path;

use crate::PackError;

/// The targets a release ships, in the order the table lists them: static
/// Linux builds, macOS on Apple silicon and Intel, Windows on x86_64.
pub const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
    "x86_64-pc-windows-gnu",
];

/// The archive formats of each target, in the order the table lists them.
pub const FORMATS: [&str; 2] = ["tar.zst", "tar.gz"];

/// One release: a version and the pinned SHA-256 of each target's archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    /// The targets pinned, in the order they were asked for.
    pub targets: Vec<String>,
    /// `(archive name, sha256 in lower-case hex)`: each target's archives in
    /// [`FORMATS`] order.
    pub sums: Vec<(String, String)>,
}

/// The archive name the release workflow gives a target's build in `format`.
pub fn archive_name(version: &str, target: &str, format: &str) -> String {
    format!("aws-oidc-{version}-{target}.{format}")
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
                    FORMATS.iter().any(|f| {
                        listed
                            .iter()
                            .any(|(name, _)| *name == archive_name(version, t, f))
                    })
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
            .flat_map(|target| FORMATS.iter().map(move |format| (target, format)))
            .map(|(target, format)| {
                let archive = archive_name(version, target, format);
                listed
                    .iter()
                    .find(|(name, _)| *name == archive)
                    .map(|(_, sum)| (archive.clone(), sum.clone()))
                    .ok_or_else(|| PackError::MissingTarget {
                        path: sums_path.to_path_buf(),
                        target: target.clone(),
                        archive,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Release {
            version: version.to_string(),
            targets: targets.to_vec(),
            sums,
        })
    }

    /// The table the install script reads, in `sha256sum`'s own format:
    /// `<sha256>  <archive name>` per line.
    pub fn sums_table(&self) -> String {
        self.sums
            .iter()
            .map(|(archive, sum)| format!("{sum}  {archive}\n"))
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
    const X86Z: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const ARMZ: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    /// The two Linux targets, which `sums_text` lists.
    fn targets() -> Vec<String> {
        TARGETS[..2].iter().map(|t| t.to_string()).collect()
    }

    fn sums_text() -> String {
        format!(
            "{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n\
             {X86Z}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.zst\n\
             {ARM} *aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.gz\n\
             {ARMZ}  aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.zst\n\
             {ARM}  aws-oidc-0.0.9-x86_64-unknown-linux-musl.tar.gz\n"
        )
    }

    fn x86_only() -> String {
        format!(
            "{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n\
             {X86Z}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.zst\n"
        )
    }

    #[test]
    fn pins_both_archives_of_each_target_of_the_version() {
        let release =
            Release::from_sums("0.1.0", &sums_text(), Path::new("SHA256SUMS"), &targets()).unwrap();
        assert_eq!(
            release.sums_table(),
            format!(
                "{X86Z}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.zst\n\
                 {X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n\
                 {ARMZ}  aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.zst\n\
                 {ARM}  aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.gz\n"
            )
        );
        assert_eq!(release.targets, targets());
    }

    #[test]
    fn without_asked_targets_every_listed_one_is_pinned() {
        let release = Release::from_sums("0.1.0", &x86_only(), Path::new("S"), &[]).unwrap();
        assert_eq!(release.targets, vec![TARGETS[0].to_string()]);
        assert_eq!(
            release.sums,
            vec![
                (
                    "aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.zst".to_string(),
                    X86Z.to_string()
                ),
                (
                    "aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz".to_string(),
                    X86.to_string()
                ),
            ]
        );
        let both = Release::from_sums("0.1.0", &sums_text(), Path::new("S"), &[]).unwrap();
        assert_eq!(both.sums.len(), 4);
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
        let err = Release::from_sums(
            "0.1.0",
            &x86_only(),
            Path::new("dist/SHA256SUMS"),
            &targets(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("dist/SHA256SUMS: "), "{err}");
        assert!(
            err.contains("aws-oidc-0.1.0-aarch64-unknown-linux-musl.tar.zst"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_format_is_an_error_too() {
        let text = format!("{X86}  aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.gz\n");
        let err = Release::from_sums("0.1.0", &text, Path::new("S"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("aws-oidc-0.1.0-x86_64-unknown-linux-musl.tar.zst"),
            "{err}"
        );
    }

    #[test]
    fn only_the_asked_targets_are_required() {
        let only_x86 = vec![TARGETS[0].to_string()];
        let release =
            Release::from_sums("0.1.0", &x86_only(), Path::new("SHA256SUMS"), &only_x86).unwrap();
        assert_eq!(release.sums.len(), 2);
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

    #[test]
    fn a_full_release_pins_every_platform() {
        let text: String = TARGETS
            .iter()
            .flat_map(|t| {
                FORMATS
                    .iter()
                    .map(move |f| format!("{X86}  {}\n", archive_name("0.1.0", t, f)))
            })
            .collect();
        let release = Release::from_sums("0.1.0", &text, Path::new("S"), &[]).unwrap();
        assert_eq!(release.targets, TARGETS.map(String::from));
        assert_eq!(release.sums.len(), TARGETS.len() * FORMATS.len());
        assert!(release
            .sums_table()
            .contains("  aws-oidc-0.1.0-x86_64-pc-windows-gnu.tar.gz\n"));
    }
}
