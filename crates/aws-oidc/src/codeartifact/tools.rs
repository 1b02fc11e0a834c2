//! Where each package tool reads a CodeArtifact registry and its token, and
//! the edits that put them there and take them back.
//!
//! | tool | registry | token |
//! |---|---|---|
//! | npm | `registry=` (or `@scope:registry=`) in the user's `.npmrc` | `//host/path/:_authToken=` beside it |
//! | pip, uv | `PIP_INDEX_URL` / `UV_DEFAULT_INDEX` (`--extra-index`: `PIP_EXTRA_INDEX_URL` / `UV_INDEX`), exported | a `machine` line in `~/.netrc` (`$NETRC`), which both read: never in a URL they print |
//! | poetry | `POETRY_REPOSITORIES_CODEARTIFACT_URL` | `POETRY_HTTP_BASIC_CODEARTIFACT_USERNAME`/`_PASSWORD` |
//! | twine | `[codeartifact]` in `~/.pypirc` (0600), named in `index-servers` | the same section |
//! | maven | `CODEARTIFACT_REPOSITORY_URL` | `CODEARTIFACT_AUTH_TOKEN`, read by a `<server>` `codeartifact` in `~/.m2/settings.xml` |
//! | gradle, env | `CODEARTIFACT_REPOSITORY_URL` | `CODEARTIFACT_AUTH_TOKEN` |
//! | cargo | `CARGO_REGISTRIES_CODEARTIFACT_INDEX` (sparse) | `CARGO_REGISTRIES_CODEARTIFACT_TOKEN` |
//!
//! Files are edited line by line, every line that is not ours kept byte for
//! byte, and replaced atomically under a lock (0600); a file that cannot be
//! read as what it should be is refused and left as it is.  What was
//! changed is returned as a [`RegistryEdit`] for the job's ledger, holding
//! no token, so `cleanup` can take it back ([`take_back`]).

use std::path::{Path, PathBuf};

use crate::credentials::Secret;
use crate::env::Env;
use crate::files::{FileError, UpdateLock};
use crate::ini::IniDoc;
use crate::ledger::RegistryEdit;

/// A package tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// npm (and pnpm, yarn 1, which read `.npmrc`).
    Npm,
    /// pip.
    Pip,
    /// uv.
    Uv,
    /// Poetry.
    Poetry,
    /// twine.
    Twine,
    /// Maven.
    Maven,
    /// Gradle.
    Gradle,
    /// cargo.
    Cargo,
    /// Only the variables.
    Env,
}

/// The tools, as `--tool` names them.
pub(crate) const TOOLS: [(&str, Tool); 9] = [
    ("npm", Tool::Npm),
    ("pip", Tool::Pip),
    ("uv", Tool::Uv),
    ("poetry", Tool::Poetry),
    ("twine", Tool::Twine),
    ("maven", Tool::Maven),
    ("gradle", Tool::Gradle),
    ("cargo", Tool::Cargo),
    ("env", Tool::Env),
];

/// The section, server id and registry name the settings use.
pub(crate) const NAME: &str = "codeartifact";

/// The `<server>` Maven reads the token through (no token in it).
const MAVEN_SERVER: &str = "    <server>
      <id>codeartifact</id>
      <username>aws</username>
      <password>${env.CODEARTIFACT_AUTH_TOKEN}</password>
    </server>
";

/// The largest settings file read.
const FILE_LIMIT: usize = 1024 * 1024;

impl Tool {
    /// The tool `--tool` names.
    pub(crate) fn parse(raw: &str) -> Result<Tool, super::CodeArtifactInputError> {
        TOOLS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(raw.trim()))
            .map(|(_, t)| *t)
            .ok_or_else(|| super::CodeArtifactInputError::Tool {
                raw: raw.to_string(),
                known: TOOLS.iter().map(|(n, _)| *n).collect(),
            })
    }

    /// The repository format whose endpoint the tool needs (`env`: `generic` unless asked).
    pub(crate) fn format(self) -> &'static str {
        match self {
            Tool::Npm => "npm",
            Tool::Pip | Tool::Uv | Tool::Poetry | Tool::Twine => "pypi",
            Tool::Maven | Tool::Gradle => "maven",
            Tool::Cargo => "cargo",
            Tool::Env => "generic",
        }
    }
}

/// What one login changes: variables to export, files to edit.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Variables for later steps (names, values: the token among them).
    pub exports: Vec<(String, Secret)>,
    /// Files to edit.
    pub files: Vec<(PathBuf, FileKind)>,
    /// Notes for the user (no token).
    pub notes: Vec<String>,
}

/// Which edit a file gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// `.npmrc`: the registry (for `scope`, if any) and the token for its path.
    Npmrc {
        /// `@scope`, or none for the default registry.
        scope: Option<String>,
    },
    /// `.netrc`: a `machine` line for the endpoint's host.
    Netrc,
    /// `.pypirc`: the `[codeartifact]` section.
    Pypirc,
    /// `~/.m2/settings.xml`: the `<server>` reading `$CODEARTIFACT_AUTH_TOKEN`.
    MavenSettings,
}

crate::error_debug::debug_by_display!(ToolError);
/// A file or variable that cannot be written as planned.
#[derive(thiserror::Error)]
pub enum ToolError {
    /// Reading or replacing the file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not what it should be; it was left as it is.
    #[error("{} was left as it is: {why}", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
    /// A setting cannot be used.
    #[error("{0}")]
    Input(String),
}

/// `scope` checked: `@name` with npm's characters, or `name` (the `@` is added).
pub(crate) fn parse_scope(raw: &str) -> Result<String, super::CodeArtifactInputError> {
    let name = raw.trim().trim_start_matches('@');
    let ok = !name.is_empty()
        && name.len() <= 214
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~".contains(c));
    if !ok {
        return Err(super::CodeArtifactInputError::Scope {
            raw: raw.to_string(),
        });
    }
    Ok(format!("@{name}"))
}

/// The file `name` under the home directory.
fn in_home(env: Env, name: &str) -> Result<PathBuf, ToolError> {
    crate::platform::home_dir(env)
        .map(|h| Path::new(&h).join(name))
        .ok_or_else(|| {
            ToolError::Input(format!(
                "the home directory is not known (HOME is not set), so {name} has no place: set HOME"
            ))
        })
}

/// What `tool` needs for `login`, before anything is written.
pub(crate) fn plan(
    tool: Tool,
    endpoint: &str,
    token: &Secret,
    scope: Option<&str>,
    extra_index: bool,
    env: Env,
) -> Result<Plan, ToolError> {
    let var = |name: &str, value: &str| (name.to_string(), Secret::new(value));
    let simple = format!("{endpoint}simple/");
    let mut notes = Vec::new();
    let (exports, files) = match tool {
        Tool::Npm => {
            let path = match env("NPM_CONFIG_USERCONFIG").filter(|p| !p.is_empty()) {
                Some(p) => PathBuf::from(p),
                None => in_home(env, ".npmrc")?,
            };
            let scope = scope.map(str::to_string);
            (vec![], vec![(path, FileKind::Npmrc { scope })])
        }
        Tool::Pip | Tool::Uv => {
            let name = match (tool, extra_index) {
                (Tool::Pip, false) => "PIP_INDEX_URL",
                (Tool::Pip, true) => "PIP_EXTRA_INDEX_URL",
                (_, false) => "UV_DEFAULT_INDEX",
                (_, true) => "UV_INDEX",
            };
            (
                vec![var(name, &simple)],
                vec![(netrc_path(env)?, FileKind::Netrc)],
            )
        }
        Tool::Poetry => {
            notes.push(format!(
                "Poetry uses the repository when pyproject.toml names a source {NAME:?} (poetry \
                 source add --priority=primary {NAME} {simple}); publish with poetry publish -r {NAME}"
            ));
            (
                vec![
                    var("POETRY_REPOSITORIES_CODEARTIFACT_URL", &simple),
                    var("POETRY_HTTP_BASIC_CODEARTIFACT_USERNAME", "aws"),
                    (
                        "POETRY_HTTP_BASIC_CODEARTIFACT_PASSWORD".into(),
                        token.clone(),
                    ),
                ],
                vec![],
            )
        }
        Tool::Twine => {
            notes.push(format!(
                "upload with twine upload --repository {NAME} dist/*"
            ));
            let path = match env("TWINE_CONFIG_FILE").filter(|p| !p.is_empty()) {
                Some(p) => PathBuf::from(p),
                None => in_home(env, ".pypirc")?,
            };
            (vec![], vec![(path, FileKind::Pypirc)])
        }
        Tool::Maven | Tool::Gradle | Tool::Env => {
            let exports = vec![
                ("CODEARTIFACT_AUTH_TOKEN".to_string(), token.clone()),
                var("CODEARTIFACT_REPOSITORY_URL", endpoint),
            ];
            let files = if tool == Tool::Maven {
                notes.push(format!(
                    "name the repository <id>{NAME}</id> in pom.xml (or a <mirror>), with \
                     <url>$CODEARTIFACT_REPOSITORY_URL</url>'s value"
                ));
                vec![(in_home(env, ".m2/settings.xml")?, FileKind::MavenSettings)]
            } else {
                vec![]
            };
            (exports, files)
        }
        Tool::Cargo => {
            notes.push(format!(
                "cargo uses the registry as {NAME}: cargo publish --registry {NAME}, or \
                 registry = \"{NAME}\" in a dependency"
            ));
            (
                vec![
                    var(
                        "CARGO_REGISTRIES_CODEARTIFACT_INDEX",
                        &format!("sparse+{endpoint}"),
                    ),
                    var(
                        "CARGO_REGISTRIES_CODEARTIFACT_CREDENTIAL_PROVIDER",
                        "cargo:token",
                    ),
                    (
                        "CARGO_REGISTRIES_CODEARTIFACT_TOKEN".into(),
                        Secret::new(format!("Bearer {}", token.expose())),
                    ),
                ],
                vec![],
            )
        }
    };
    Ok(Plan {
        exports,
        files,
        notes,
    })
}

/// `$NETRC`, else `~/.netrc`, where pip (through requests) and uv look.
fn netrc_path(env: Env) -> Result<PathBuf, ToolError> {
    match env("NETRC").filter(|p| !p.is_empty()) {
        Some(p) => Ok(PathBuf::from(p)),
        None => in_home(env, ".netrc"),
    }
}

/// The endpoint's host (without port) and its `//host[:port]/path/`.
fn host_and_prefix(endpoint: &str) -> Result<(String, String), ToolError> {
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|_| ToolError::Input(format!("{endpoint:?} is not a URL")))?;
    let host = uri.host().unwrap_or_default().to_string();
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    Ok((host, format!("//{authority}{}", uri.path())))
}

/// Checks, changing nothing, that `path` can be edited as `kind`: it can
/// be written, and what is there reads as what it should be.
pub(crate) fn preflight(path: &Path, kind: &FileKind) -> Result<(), ToolError> {
    crate::files::check_writable(path, false, true)?;
    let text = match crate::files::read_regular_bounded(path, FILE_LIMIT as u64) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ToolError::Unusable {
                path: path.to_path_buf(),
                why: format!("it cannot be read: {e}"),
            })
        }
    };
    let Some(bytes) = text else {
        return Ok(());
    };
    let unusable = |why: String| ToolError::Unusable {
        path: path.to_path_buf(),
        why,
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| unusable("it is not UTF-8 text; fix or move the file".into()))?;
    if text.len() > FILE_LIMIT || text.contains('\0') {
        return Err(unusable(
            "it is larger than 1 MiB or holds a NUL byte".into(),
        ));
    }
    match kind {
        FileKind::Pypirc => IniDoc::parse(&text)
            .map(|_| ())
            .map_err(|e| unusable(format!("it is not INI that twine reads ({e})"))),
        FileKind::MavenSettings => maven_set(Some(&text)).map(|_| ()).map_err(unusable),
        FileKind::Npmrc { .. } | FileKind::Netrc => Ok(()),
    }
}

/// Checks and edits one file under its lock, returning what to record.
pub(crate) fn edit(
    path: &Path,
    kind: &FileKind,
    endpoint: &str,
    token: &Secret,
) -> Result<RegistryEdit, ToolError> {
    let lock = UpdateLock::acquire(path)?;
    let before = lock.read()?;
    let text = before.clone().unwrap_or_default();
    let unusable = |why: String| ToolError::Unusable {
        path: lock.path().to_path_buf(),
        why,
    };
    if text.len() > FILE_LIMIT || text.contains('\0') {
        return Err(unusable(
            "it is larger than 1 MiB or holds a NUL byte".into(),
        ));
    }
    let (after, record) = match kind {
        FileKind::Npmrc { scope } => npmrc_set(&text, endpoint, token, scope.as_deref())?,
        FileKind::Netrc => netrc_set(&text, endpoint, token).map_err(unusable)?,
        FileKind::Pypirc => pypirc_set(&text, endpoint, token).map_err(unusable)?,
        FileKind::MavenSettings => maven_set(before.as_deref()).map_err(unusable)?,
    };
    if before.as_deref() != Some(after.as_str()) {
        lock.replace(after.as_bytes(), 0o600)?;
    }
    Ok(record)
}

/// The key of an npmrc line (`key=value`, spaces around `=` allowed).
fn npmrc_key(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if t.starts_with(['#', ';']) {
        return None;
    }
    t.split_once('=').map(|(k, _)| k.trim())
}

/// Sets `key=value` in npmrc `text`: the first line for the key is
/// replaced, later ones removed; none: appended.  Returns the old value.
fn npmrc_put(lines: &mut Vec<String>, key: &str, value: &str) -> Option<String> {
    let mut old = None;
    let mut at = None;
    let mut i = 0;
    while i < lines.len() {
        if npmrc_key(&lines[i]) == Some(key) {
            if at.is_none() {
                old = lines[i].split_once('=').map(|(_, v)| v.trim().to_string());
                lines[i] = format!("{key}={value}");
                at = Some(i);
            } else {
                lines.remove(i);
                continue;
            }
        }
        i += 1;
    }
    if at.is_none() {
        lines.push(format!("{key}={value}"));
    }
    old
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn join_lines(lines: &[String]) -> String {
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn npmrc_set(
    text: &str,
    endpoint: &str,
    token: &Secret,
    scope: Option<&str>,
) -> Result<(String, RegistryEdit), ToolError> {
    let (_, prefix) = host_and_prefix(endpoint)?;
    let registry_key = match scope {
        Some(s) => format!("{s}:registry"),
        None => "registry".to_string(),
    };
    let auth_key = format!("{prefix}:_authToken");
    let mut lines = split_lines(text);
    let previous = npmrc_put(&mut lines, &registry_key, endpoint);
    npmrc_put(&mut lines, &auth_key, token.expose());
    Ok((
        join_lines(&lines),
        RegistryEdit::Npmrc {
            registry_key,
            auth_key,
            previous_registry: previous.filter(|p| p != endpoint),
        },
    ))
}

/// The `machine HOST login aws password TOKEN` line aws-oidc writes, one line.
fn is_our_netrc_line(line: &str, host: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    matches!(words.as_slice(), ["machine", h, "login", "aws", "password", _] if *h == host)
}

fn netrc_set(text: &str, endpoint: &str, token: &Secret) -> Result<(String, RegistryEdit), String> {
    let (host, _) = host_and_prefix(endpoint).map_err(|e| e.to_string())?;
    let mut lines = split_lines(text);
    lines.retain(|l| !is_our_netrc_line(l, &host));
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    if words.windows(2).any(|w| w[0] == "machine" && w[1] == host) {
        return Err(format!(
            "it already holds credentials for {host}, not written by aws-oidc: remove that \
             machine entry, and run this again"
        ));
    }
    // Before a `default` entry, which ends the file for curl and ftp.
    let at = lines
        .iter()
        .position(|l| l.split_whitespace().next() == Some("default"))
        .unwrap_or(lines.len());
    lines.insert(
        at,
        format!("machine {host} login aws password {}", token.expose()),
    );
    Ok((join_lines(&lines), RegistryEdit::Netrc { machine: host }))
}

fn pypirc_set(
    text: &str,
    endpoint: &str,
    token: &Secret,
) -> Result<(String, RegistryEdit), String> {
    let mut doc =
        IniDoc::parse(text).map_err(|e| format!("it is not INI that twine reads ({e})"))?;
    let before = doc.get_multiline("distutils", "index-servers");
    let servers: Vec<&str> = match &before {
        Some(v) => v.split_whitespace().collect(),
        // twine's default when none are named.
        None => vec!["pypi", "testpypi"],
    };
    let changed = !servers.contains(&NAME);
    if changed {
        let mut all = servers.clone();
        all.push(NAME);
        doc.set("distutils", "index-servers", &all.join(" "))
            .map_err(|e| e.to_string())?;
    }
    for (k, v) in [
        ("repository", endpoint),
        ("username", "aws"),
        ("password", token.expose()),
    ] {
        doc.set(NAME, k, v).map_err(|e| e.to_string())?;
    }
    Ok((
        doc.to_string(),
        RegistryEdit::Pypirc {
            index_servers_before: before
                .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" ")),
            index_servers_changed: changed,
        },
    ))
}

/// A settings file with only the server, for a user who has none.
fn maven_new_file() -> String {
    format!(
        "<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <servers>\n{MAVEN_SERVER}  </servers>\n</settings>\n"
    )
}

fn maven_set(before: Option<&str>) -> Result<(String, RegistryEdit), String> {
    let Some(text) = before else {
        let new = maven_new_file();
        return Ok((
            new.clone(),
            RegistryEdit::MavenSettings {
                inserted: new,
                created: true,
            },
        ));
    };
    if !text.contains("<settings") || !text.contains("</settings>") {
        return Err(
            "it is not a Maven settings file (no <settings> ... </settings>): fix or move it"
                .into(),
        );
    }
    if text.contains("<id>codeartifact</id>") {
        // The user's own server (or an earlier login's) already reads the token.
        return Ok((
            text.to_string(),
            RegistryEdit::MavenSettings {
                inserted: String::new(),
                created: false,
            },
        ));
    }
    let (at, inserted) = if let Some(i) = text.find("</servers>") {
        (i, MAVEN_SERVER.to_string())
    } else if text.contains("<servers") {
        return Err("its <servers> element could not be read (an empty <servers/>?): write it as <servers></servers>".into());
    } else {
        let i = text.rfind("</settings>").unwrap_or(text.len());
        (i, format!("  <servers>\n{MAVEN_SERVER}  </servers>\n"))
    };
    let mut out = String::with_capacity(text.len() + inserted.len());
    out.push_str(&text[..at]);
    // Start the block on a line of its own.
    let inserted = if at > 0 && !text[..at].ends_with('\n') {
        format!("\n{inserted}")
    } else {
        inserted
    };
    out.push_str(&inserted);
    out.push_str(&text[at..]);
    Ok((
        out,
        RegistryEdit::MavenSettings {
            inserted,
            created: false,
        },
    ))
}

/// Takes back `edit` from the file at `path`: what aws-oidc wrote goes,
/// what was there before comes back.  Returns what was done, for `cleanup`.
pub(crate) fn take_back(path: &Path, edit: &RegistryEdit) -> Result<Option<String>, ToolError> {
    let lock = UpdateLock::acquire(path)?;
    let Some(text) = lock.read()? else {
        return Ok(None);
    };
    let unusable = |why: String| ToolError::Unusable {
        path: lock.path().to_path_buf(),
        why,
    };
    let (after, said) = match edit {
        RegistryEdit::Npmrc {
            registry_key,
            auth_key,
            previous_registry,
        } => {
            let mut lines = split_lines(&text);
            lines.retain(|l| npmrc_key(l) != Some(auth_key.as_str()));
            match previous_registry {
                Some(p) => {
                    npmrc_put(&mut lines, registry_key, p);
                }
                None => lines.retain(|l| npmrc_key(l) != Some(registry_key.as_str())),
            }
            (
                join_lines(&lines),
                format!("removed {auth_key} and {registry_key}"),
            )
        }
        RegistryEdit::Netrc { machine } => {
            let mut lines = split_lines(&text);
            lines.retain(|l| !is_our_netrc_line(l, machine));
            (join_lines(&lines), format!("removed machine {machine}"))
        }
        RegistryEdit::Pypirc {
            index_servers_before,
            index_servers_changed,
        } => {
            let mut doc = IniDoc::parse(&text).map_err(|e| unusable(e.to_string()))?;
            for k in ["repository", "username", "password"] {
                doc.remove(NAME, k);
            }
            doc.remove_section_if_empty(NAME);
            if *index_servers_changed {
                match index_servers_before {
                    Some(b) => doc
                        .set("distutils", "index-servers", b)
                        .map_err(|e| unusable(e.to_string()))?,
                    None => {
                        doc.remove("distutils", "index-servers");
                        doc.remove_section_if_empty("distutils");
                    }
                }
            }
            (doc.to_string(), format!("removed [{NAME}]"))
        }
        RegistryEdit::MavenSettings { inserted, created } => {
            if *created && text == *inserted {
                std::fs::remove_file(lock.path())
                    .map_err(|e| unusable(format!("cannot remove it: {e}")))?;
                return Ok(Some("removed the file aws-oidc created".into()));
            }
            if inserted.is_empty() || !text.contains(inserted.as_str()) {
                return Ok(None);
            }
            (
                text.replacen(inserted.as_str(), "", 1),
                format!("removed the <server> {NAME}"),
            )
        }
    };
    if after != text {
        lock.replace(after.as_bytes(), 0o600)?;
        return Ok(Some(said));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EP: &str = "https://d-123456789012.d.codeartifact.eu-west-1.amazonaws.com/npm/r/";

    fn tok() -> Secret {
        Secret::new("TOKEN.abc")
    }

    #[test]
    fn npmrc_keeps_every_other_line_and_takes_back_to_the_original() {
        let text =
            "# mine\nsave-exact=true\nregistry=https://registry.example/\n@other:registry=x\n";
        let (after, edit) = npmrc_set(text, EP, &tok(), None).unwrap();
        assert_eq!(
            after,
            format!(
                "# mine\nsave-exact=true\nregistry={EP}\n@other:registry=x\n//d-123456789012.d.codeartifact.eu-west-1.amazonaws.com/npm/r/:_authToken=TOKEN.abc\n"
            )
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".npmrc");
        std::fs::write(&path, &after).unwrap();
        take_back(&path, &edit).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A scope sets only its own registry.
        let (scoped, _) = npmrc_set("", EP, &tok(), Some("@acme")).unwrap();
        assert!(scoped.starts_with(&format!("@acme:registry={EP}\n")));
        assert!(parse_scope("Bad Scope").is_err() && parse_scope("acme").unwrap() == "@acme");
    }

    #[test]
    fn netrc_gets_one_line_and_refuses_a_host_it_did_not_write() {
        let ep = "https://h.example/pypi/r/";
        let (after, edit) = netrc_set("machine other login u password p\n", ep, &tok()).unwrap();
        assert_eq!(
            after,
            "machine other login u password p\nmachine h.example login aws password TOKEN.abc\n"
        );
        // A second login replaces the first.
        let (again, _) = netrc_set(&after, ep, &Secret::new("T2")).unwrap();
        assert!(again.ends_with("password T2\n") && !again.contains("TOKEN.abc"));
        let e = netrc_set("machine h.example\n  login me\n  password x\n", ep, &tok()).unwrap_err();
        assert!(e.contains("not written by aws-oidc") && !e.contains("TOKEN"));
        assert_eq!(
            edit,
            RegistryEdit::Netrc {
                machine: "h.example".into()
            }
        );
        let (with_default, _) = netrc_set("default login a password b\n", ep, &tok()).unwrap();
        assert!(with_default.starts_with("machine h.example "));
        assert!(with_default.ends_with("default login a password b\n"));
    }

    #[test]
    fn pypirc_names_the_server_and_takes_it_back() {
        let text = "[distutils]\nindex-servers =\n    pypi\n    private\n\n[private]\nrepository = https://p.example/\n";
        let (after, edit) = pypirc_set(text, "https://h.example/pypi/r/", &tok()).unwrap();
        let doc = IniDoc::parse(&after).unwrap();
        assert_eq!(
            doc.get("distutils", "index-servers").unwrap(),
            "pypi private codeartifact"
        );
        assert_eq!(doc.get(NAME, "username").unwrap(), "aws");
        assert_eq!(
            doc.get("private", "repository").unwrap(),
            "https://p.example/"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pypirc");
        std::fs::write(&path, &after).unwrap();
        take_back(&path, &edit).unwrap();
        let back = IniDoc::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            back.get("distutils", "index-servers").unwrap(),
            "pypi private"
        );
        assert!(!back.has_section(NAME));
        // No file yet: twine's defaults stay named.
        let (fresh, _) = pypirc_set("", "https://h.example/pypi/r/", &tok()).unwrap();
        assert!(fresh.contains("index-servers = pypi testpypi codeartifact"));
        assert!(pypirc_set("not ini\n", "https://h.example/", &tok()).is_err());
    }

    #[test]
    fn maven_settings_get_a_server_reading_the_variable() {
        let (new, edit) = maven_set(None).unwrap();
        assert!(new.contains("${env.CODEARTIFACT_AUTH_TOKEN}"));
        assert!(matches!(
            edit,
            RegistryEdit::MavenSettings { created: true, .. }
        ));
        let theirs =
            "<settings>\n  <servers>\n    <server><id>x</id></server>\n  </servers>\n</settings>\n";
        let (after, edit) = maven_set(Some(theirs)).unwrap();
        assert!(after.contains("<id>x</id>") && after.contains("<id>codeartifact</id>"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.xml");
        std::fs::write(&path, &after).unwrap();
        take_back(&path, &edit).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs);
        let none = "<settings>\n</settings>\n";
        let (after, _) = maven_set(Some(none)).unwrap();
        assert!(after.contains("<servers>\n    <server>"));
        assert!(maven_set(Some("{\"not\": \"xml\"}")).is_err());
    }

    #[test]
    fn plans_put_the_token_only_where_the_tool_reads_it() {
        let env = crate::env::env_of(&[("HOME", "/home/ci")]);
        let p = plan(
            Tool::Pip,
            "https://h.example/pypi/r/",
            &tok(),
            None,
            false,
            &env,
        )
        .unwrap();
        assert_eq!(p.exports.len(), 1);
        assert_eq!(p.exports[0].0, "PIP_INDEX_URL");
        assert_eq!(p.exports[0].1.expose(), "https://h.example/pypi/r/simple/");
        assert_eq!(
            p.files,
            vec![(PathBuf::from("/home/ci/.netrc"), FileKind::Netrc)]
        );
        let c = plan(
            Tool::Cargo,
            "https://h.example/cargo/r/",
            &tok(),
            None,
            false,
            &env,
        )
        .unwrap();
        assert!(c
            .exports
            .iter()
            .any(|(n, v)| n == "CARGO_REGISTRIES_CODEARTIFACT_INDEX"
                && v.expose() == "sparse+https://h.example/cargo/r/"));
        assert!(Tool::parse("NPM").is_ok() && Tool::parse("bundler").is_err());
    }
}
