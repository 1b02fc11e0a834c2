//! The orb source tree: the root `@orb.yml`, one file per component, and the
//! two kinds of whole-value directives a string may be (`<<include(..)>>` and
//! the release placeholders).

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use crate::{PackError, Release};

/// The root document of the orb source tree.
const ROOT: &str = "@orb.yml";

/// Component directories, in the order their sections appear in the packed orb.
const KINDS: [&str; 4] = ["commands", "jobs", "executors", "examples"];

/// What the packed file says about itself; CircleCI ignores comments.
const HEADER: &str =
    "# Packed by orb-pack from the orb source tree: edit the source, not this file.\n";

/// Packs the tree at `src` into one orb YAML document.
///
/// Without a `release`, a source that uses a release placeholder is an error.
pub fn pack(src: &Path, release: Option<&Release>) -> Result<String, PackError> {
    let root_path = src.join(ROOT);
    let mut root = load(src, &root_path, release)?;

    let mut packed = Mapping::new();
    let mut sections = Vec::new();
    for (key, value) in std::mem::take(&mut root) {
        match key.as_str() {
            Some(kind) if KINDS.contains(&kind) => sections.push((kind.to_string(), value)),
            _ => {
                packed.insert(key, value);
            }
        }
    }

    let mut defined_in: HashMap<(String, String), PathBuf> = HashMap::new();
    for kind in KINDS {
        let mut section = match sections.iter().position(|(k, _)| k == kind) {
            Some(i) => match sections.swap_remove(i).1 {
                Value::Mapping(m) => m,
                Value::Null => Mapping::new(),
                _ => return Err(PackError::NotAMapping { path: root_path }),
            },
            None => Mapping::new(),
        };
        for name in section.keys() {
            let name = name.as_str().unwrap_or_default().to_string();
            defined_in.insert((kind.to_string(), name), root_path.clone());
        }
        for (name, path) in component_files(&src.join(kind))? {
            if let Some(first) = defined_in.get(&(kind.to_string(), name.clone())) {
                return Err(PackError::DuplicateComponent {
                    path,
                    kind: kind.to_string(),
                    name,
                    first: first.clone(),
                });
            }
            let component = load(src, &path, release)?;
            defined_in.insert((kind.to_string(), name.clone()), path);
            section.insert(Value::String(name), Value::Mapping(component));
        }
        if !section.is_empty() {
            packed.insert(Value::String(kind.to_string()), Value::Mapping(section));
        }
    }

    let yaml = serde_yaml_ng::to_string(&Value::Mapping(packed)).map_err(PackError::Serialize)?;
    Ok(format!("{HEADER}{yaml}"))
}

/// The `.yml`/`.yaml` files of a component directory as `(name, path)`,
/// sorted by file name; a missing directory has none.
fn component_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, PackError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(PackError::Read {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| PackError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        );
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if is_yaml && path.is_file() && !stem.starts_with('.') {
            files.push((stem.to_string(), path.clone()));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

/// Reads one source file: parse, apply merge keys, resolve directives.
fn load(src: &Path, path: &Path, release: Option<&Release>) -> Result<Mapping, PackError> {
    let text = fs::read_to_string(path).map_err(|source| PackError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut value: Value = serde_yaml_ng::from_str(&text).map_err(|source| PackError::Syntax {
        path: path.to_path_buf(),
        source,
    })?;
    value.apply_merge().map_err(|source| PackError::Merge {
        path: path.to_path_buf(),
        source,
    })?;
    resolve(&mut value, &Context { src, path, release })?;
    match value {
        Value::Mapping(mapping) => Ok(mapping),
        _ => Err(PackError::NotAMapping {
            path: path.to_path_buf(),
        }),
    }
}

struct Context<'a> {
    src: &'a Path,
    path: &'a Path,
    release: Option<&'a Release>,
}

/// Replaces every string value that is a directive; keys are left alone.
fn resolve(value: &mut Value, cx: &Context) -> Result<(), PackError> {
    match value {
        Value::String(s) => {
            if let Some(include) = include_target(s) {
                *s = read_include(include, cx)?.replace("<<", "\\<<");
            } else if s.contains("<<orb-pack:") || s.contains("<< orb-pack:") {
                *s = placeholder_value(s, cx)?;
            }
        }
        Value::Sequence(items) => {
            for item in items {
                resolve(item, cx)?;
            }
        }
        Value::Mapping(mapping) => {
            for (_, item) in mapping.iter_mut() {
                resolve(item, cx)?;
            }
        }
        Value::Tagged(tagged) => resolve(&mut tagged.value, cx)?,
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

/// The inside of `<<` .. `>>` when `s` is wholly such a directive.
fn directive(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("<<")?.strip_suffix(">>")?.trim();
    (!inner.contains("<<") && !inner.contains(">>")).then_some(inner)
}

/// The path of `<<include(path)>>`, as `circleci orb pack` reads it.
fn include_target(s: &str) -> Option<&str> {
    let path = directive(s)?
        .strip_prefix("include(")?
        .strip_suffix(')')?
        .trim();
    (!path.is_empty()).then_some(path)
}

/// The line that, inside an included script, stands for the text of another
/// file of the source tree: `# orb-pack:include(scripts/lib/x.sh)`. A comment
/// to the shell and to shellcheck, so the script stays runnable as it is;
/// the steps' scripts share their prelude this way instead of each carrying
/// a copy. One level only: an inlined file holds no such line.
const INLINE: &str = "# orb-pack:include(";

/// The text of `<<include(path)>>`, with its `# orb-pack:include(..)` lines
/// replaced by the files they name.
fn read_include(include: &str, cx: &Context) -> Result<String, PackError> {
    let text = read_source_file(include, cx)?;
    if !text.contains(INLINE) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let Some(inner) = inline_target(line) else {
            out.push_str(line);
            continue;
        };
        let inlined = read_source_file(inner, cx)?;
        if inlined.lines().any(|l| inline_target(l).is_some()) {
            return Err(PackError::NestedInline {
                path: cx.path.to_path_buf(),
                include: inner.to_string(),
            });
        }
        out.push_str(&inlined);
        if !inlined.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The path of a `# orb-pack:include(path)` line (leading blanks allowed).
fn inline_target(line: &str) -> Option<&str> {
    let path = line.trim().strip_prefix(INLINE)?.strip_suffix(')')?.trim();
    (!path.is_empty()).then_some(path)
}

fn read_source_file(include: &str, cx: &Context) -> Result<String, PackError> {
    let relative = Path::new(include);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(PackError::IncludeOutsideSource {
            path: cx.path.to_path_buf(),
            include: include.to_string(),
        });
    }
    fs::read_to_string(cx.src.join(relative)).map_err(|source| PackError::MissingInclude {
        path: cx.path.to_path_buf(),
        include: include.to_string(),
        source,
    })
}

fn placeholder_value(s: &str, cx: &Context) -> Result<String, PackError> {
    let name = directive(s).and_then(|inner| inner.strip_prefix("orb-pack:"));
    let bad = || PackError::BadPlaceholder {
        path: cx.path.to_path_buf(),
        value: s.to_string(),
    };
    let name = name.ok_or_else(bad)?;
    if !matches!(name, "version" | "sha256sums") {
        return Err(bad());
    }
    let release = cx.release.ok_or_else(|| PackError::NoRelease {
        path: cx.path.to_path_buf(),
        placeholder: format!("<<orb-pack:{name}>>"),
    })?;
    Ok(match name {
        "version" => release.version.clone(),
        _ => release.sums_table(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` (path, text) under a fresh directory.
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn packed(files: &[(&str, &str)], release: Option<&Release>) -> Result<Value, PackError> {
        let dir = tree(files);
        let text = pack(dir.path(), release)?;
        assert!(text.starts_with("# Packed by orb-pack"));
        Ok(serde_yaml_ng::from_str(&text).unwrap())
    }

    fn release() -> Release {
        Release {
            version: "1.2.3".into(),
            targets: vec!["x86_64-unknown-linux-musl".into()],
            sums: vec![(
                "aws-oidc-1.2.3-x86_64-unknown-linux-musl.tar.gz".into(),
                "ab".repeat(32),
            )],
        }
    }

    const ROOT_YML: &str = "version: 2.1\ndescription: an orb\n";

    #[test]
    fn components_are_named_by_directory_and_file_stem() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("commands/setup.yml", "description: s\nsteps: []\n"),
                ("commands/install.yaml", "description: i\nsteps: []\n"),
                (
                    "examples/basic.yml",
                    "description: e\nusage: {version: 2.1}\n",
                ),
                ("commands/notes.txt", "not yaml"),
                ("scripts/x.sh", "echo\n"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(orb["version"], Value::from(2.1));
        assert_eq!(orb["commands"]["setup"]["description"], "s");
        assert_eq!(orb["commands"]["install"]["description"], "i");
        assert_eq!(orb["examples"]["basic"]["description"], "e");
        assert_eq!(orb["commands"].as_mapping().unwrap().len(), 2);
        assert!(orb.get("jobs").is_none());
        assert!(orb.get("scripts").is_none());
    }

    #[test]
    fn includes_become_the_file_text_with_parameters_escaped() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                (
                    "commands/run.yml",
                    "description: r\nsteps:\n  - run:\n      name: r\n      command: <<include(scripts/r.sh)>>\n",
                ),
                ("scripts/r.sh", "cat <<EOF\n<< parameters.x >> and \\<<\nEOF\n"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            orb["commands"]["run"]["steps"][0]["run"]["command"],
            "cat \\<<EOF\n\\<< parameters.x >> and \\\\<<\nEOF\n"
        );
    }

    #[test]
    fn inline_lines_in_an_included_script_become_the_named_file() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                (
                    "commands/run.yml",
                    "description: r\nsteps:\n  - run:\n      name: r\n      command: <<include(scripts/r.sh)>>\n",
                ),
                (
                    "scripts/r.sh",
                    "#!/bin/sh\n  # orb-pack:include(scripts/lib/p.sh)\nmain <<EOF\nEOF\n",
                ),
                ("scripts/lib/p.sh", "main() { cat; }"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            orb["commands"]["run"]["steps"][0]["run"]["command"],
            "#!/bin/sh\nmain() { cat; }\nmain \\<<EOF\nEOF\n"
        );
    }

    #[test]
    fn inlined_files_stay_one_level_deep_and_inside_the_tree() {
        let command = "description: r\nsteps:\n  - run:\n      name: r\n      command: <<include(scripts/r.sh)>>\n";
        let nested = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("commands/run.yml", command),
                ("scripts/r.sh", "# orb-pack:include(scripts/a.sh)\n"),
                ("scripts/a.sh", "# orb-pack:include(scripts/b.sh)\n"),
                ("scripts/b.sh", "b\n"),
            ],
            None,
        )
        .unwrap_err();
        assert!(nested.to_string().contains("scripts/a.sh"), "{nested}");
        let outside = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("commands/run.yml", command),
                ("scripts/r.sh", "# orb-pack:include(../secret)\n"),
            ],
            None,
        )
        .unwrap_err();
        assert!(
            matches!(outside, PackError::IncludeOutsideSource { .. }),
            "{outside}"
        );
    }

    #[test]
    fn only_whole_values_are_includes() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("commands/c.yml", "description: 'see <<include(x)>> here'\n"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            orb["commands"]["c"]["description"],
            "see <<include(x)>> here"
        );
    }

    #[test]
    fn a_missing_include_names_the_including_file() {
        let err = packed(
            &[
                ("@orb.yml", ROOT_YML),
                (
                    "commands/c.yml",
                    "description: c\nx: <<include(scripts/gone.sh)>>\n",
                ),
            ],
            None,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, PackError::MissingInclude { .. }));
        assert!(
            msg.contains("commands/c.yml") && msg.contains("scripts/gone.sh"),
            "{msg}"
        );
    }

    #[test]
    fn includes_stay_inside_the_source_tree() {
        for include in ["../secret", "/etc/passwd"] {
            let yml = format!("description: c\nx: <<include({include})>>\n");
            let err = packed(&[("@orb.yml", ROOT_YML), ("commands/c.yml", &yml)], None);
            assert!(
                matches!(err, Err(PackError::IncludeOutsideSource { .. })),
                "{include}"
            );
        }
    }

    #[test]
    fn merge_keys_are_applied_before_packing() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                (
                    "commands/c.yml",
                    "description: c\nparameters:\n  a: &p {type: string, default: x, description: d}\n  b:\n    <<: *p\n    default: y\n",
                ),
            ],
            None,
        )
        .unwrap();
        let b = &orb["commands"]["c"]["parameters"]["b"];
        assert_eq!(b["type"], "string");
        assert_eq!(b["default"], "y");
        assert!(b.get("<<").is_none());
    }

    #[test]
    fn yaml_syntax_errors_name_the_file() {
        let err = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("jobs/broken.yml", "description: [unclosed\n"),
            ],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, PackError::Syntax { .. }));
        assert!(err.to_string().contains("jobs/broken.yml"), "{err}");
    }

    #[test]
    fn duplicate_component_names_are_errors() {
        let err = packed(
            &[
                ("@orb.yml", ROOT_YML),
                ("commands/setup.yml", "description: a\n"),
                ("commands/setup.yaml", "description: b\n"),
            ],
            None,
        )
        .unwrap_err();
        assert!(matches!(err, PackError::DuplicateComponent { .. }), "{err}");

        let root = "version: 2.1\ncommands:\n  setup: {description: inline}\n";
        let err = packed(
            &[
                ("@orb.yml", root),
                ("commands/setup.yml", "description: a\n"),
            ],
            None,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("commands.setup") && msg.contains("@orb.yml"),
            "{msg}"
        );
    }

    #[test]
    fn release_placeholders_are_written_in() {
        let orb = packed(
            &[
                ("@orb.yml", ROOT_YML),
                (
                    "commands/install.yml",
                    "description: i\nparameters:\n  version: {type: string, default: <<orb-pack:version>>}\nsteps:\n  - run:\n      environment:\n        SUMS: << orb-pack:sha256sums >>\n",
                ),
            ],
            Some(&release()),
        )
        .unwrap();
        let install = &orb["commands"]["install"];
        assert_eq!(install["parameters"]["version"]["default"], "1.2.3");
        assert_eq!(
            install["steps"][0]["run"]["environment"]["SUMS"],
            Value::String(format!(
                "{}  aws-oidc-1.2.3-x86_64-unknown-linux-musl.tar.gz\n",
                "ab".repeat(32)
            ))
        );
    }

    #[test]
    fn placeholders_without_a_release_or_inside_text_are_errors() {
        let files = [
            ("@orb.yml", ROOT_YML),
            ("commands/c.yml", "default: <<orb-pack:version>>\n"),
        ];
        let err = packed(&files, None).unwrap_err();
        assert!(matches!(err, PackError::NoRelease { .. }), "{err}");

        for value in ["v<<orb-pack:version>>", "<<orb-pack:colour>>"] {
            let yml = format!("default: '{value}'\n");
            let err = packed(
                &[("@orb.yml", ROOT_YML), ("commands/c.yml", &yml)],
                Some(&release()),
            );
            assert!(
                matches!(err, Err(PackError::BadPlaceholder { .. })),
                "{value}"
            );
        }
    }

    #[test]
    fn a_missing_root_is_an_error_naming_it() {
        let err = packed(&[("commands/c.yml", "description: c\n")], None).unwrap_err();
        assert!(err.to_string().contains("@orb.yml"), "{err}");
    }
}
