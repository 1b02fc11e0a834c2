//! Docker's config file: registry logins where every registry client reads them.
//!
//! `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, is read by
//! Docker, and by kaniko, buildah, crane and skopeo.  A login is an
//! `auths.<host>.auth` entry (base64 of `user:password`); a credential
//! helper is a `credHelpers.<host>` entry naming `docker-credential-<name>`.
//! An update keeps every other entry byte for byte (key order aside: the
//! file is written sorted, with Docker's tab indentation): an entry it does
//! not change is copied as written, so a number such as
//! `12345678901234567890123` or `-0` is never rewritten.  It is atomic,
//! 0600, and made under a lock, so parallel steps cannot lose each other's
//! entries.  A file that is not a JSON object, or that names a key twice
//! (Docker would silently drop one of the two), is refused and left exactly
//! as it was: a guess would lose what it holds.  `"auths": null` is an
//! empty section, as Docker reads it.  For one host
//! the two kinds exclude each other (Docker asks a helper first), so writing
//! one removes the other.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::credentials::Secret;
use crate::ecr::registry::host_of;
use crate::env::Env;
use crate::files::{FileError, UpdateLock, MAX_PROFILE_FILE};

/// The config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerConfig {
    path: PathBuf,
}

/// One entry to write.
#[derive(Debug, Clone)]
pub enum Entry<'a> {
    /// `auths.<host>`: the login itself.
    Auth {
        /// The registry host.
        host: &'a str,
        /// The user name.
        username: &'a str,
        /// The password.
        password: &'a Secret,
    },
    /// `credHelpers.<host>`: Docker runs `docker-credential-<helper>` for it.
    Helper {
        /// The registry host.
        host: &'a str,
        /// The helper's name, e.g. `aws-oidc`.
        helper: &'a str,
    },
}

crate::error_debug::debug_by_display!(DockerConfigError);
/// Why the config file cannot be used.
#[derive(thiserror::Error)]
pub enum DockerConfigError {
    /// Neither `$DOCKER_CONFIG` nor `$HOME`.
    #[error("cannot find Docker's config file: set DOCKER_CONFIG (a directory) or HOME")]
    NoHome,
    /// The file holds what Docker could not read either, or could read
    /// only by dropping part of it.
    #[error(
        "cannot update {}: {why}. Fix it (or move it away) and run again; nothing was changed",
        path.display()
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never its contents).
        why: String,
    },
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

/// One value of the document: as read (its text kept byte for byte), a
/// section being edited, or a value written now.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Item {
    /// Untouched: written back exactly as it was read.
    Raw(Box<RawValue>),
    /// `auths` or `credHelpers`, its entries kept as read.
    Section(Object),
    /// A new entry.
    New(Value),
}

/// A JSON object whose values are kept as read, and whose keys are unique:
/// serde_json's maps keep the last of two equal keys, silently.
#[derive(Debug, Default, Serialize)]
#[serde(transparent)]
struct Object(BTreeMap<String, Item>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Unique;
        impl<'de> Visitor<'de> for Unique {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value: Box<RawValue> = map.next_value()?;
                    if out.contains_key(&key) {
                        return Err(de::Error::custom(format!(
                            "the key {key:?} appears twice, and Docker would silently use only \
                             one of the two"
                        )));
                    }
                    out.insert(key, Item::Raw(value));
                }
                Ok(Object(out))
            }
        }
        d.deserialize_map(Unique)
    }
}

type Doc = Object;

/// The sections aws-oidc edits.
const SECTIONS: [&str; 2] = ["auths", "credHelpers"];

/// A raw value's string, if it is one.
fn as_str(item: &Item) -> Option<String> {
    match item {
        Item::Raw(raw) => serde_json::from_str::<String>(raw.get()).ok(),
        Item::New(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

impl DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (on
    /// Windows, `%USERPROFILE%` when `HOME` is unset).
    pub fn from_env(env: Env) -> Result<Self, DockerConfigError> {
        let dir = match (env("DOCKER_CONFIG"), crate::platform::home_dir(env)) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(home)) => Path::new(&home).join(".docker"),
            (None, None) => return Err(DockerConfigError::NoHome),
        };
        Ok(DockerConfig {
            path: dir.join("config.json"),
        })
    }

    /// The config file at `path`.
    pub fn at(path: PathBuf) -> Self {
        DockerConfig { path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory it is in.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    fn invalid(&self, why: impl Into<String>) -> DockerConfigError {
        DockerConfigError::Invalid {
            path: self.path.clone(),
            why: why.into(),
        }
    }

    /// Parses the file's text (`None`: no file): an object with no key
    /// twice, whose `auths` and `credHelpers` are objects (or `null`) too.
    fn parse(&self, text: Option<&str>) -> Result<Doc, DockerConfigError> {
        let text = text.unwrap_or("");
        // JSON's whitespace only: Docker reads a file of nothing else as
        // empty, and refuses one holding a no-break space, say.
        if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
            return Ok(Doc::default());
        }
        let syntax = |e: serde_json::Error| {
            self.invalid(format!(
                "it is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        };
        // Syntax first, so that an object's own faults are told apart.
        let whole: Box<RawValue> = serde_json::from_str(text).map_err(syntax)?;
        if !whole.get().starts_with('{') {
            return Err(self.invalid("it is JSON, but not an object"));
        }
        let mut doc: Doc =
            serde_json::from_str(whole.get()).map_err(|e| self.invalid(without_position(&e)))?;
        for key in SECTIONS {
            let Some(Item::Raw(raw)) = doc.0.get(key) else {
                continue;
            };
            if raw.get() == "null" {
                continue;
            }
            let section = match serde_json::from_str::<Object>(raw.get()) {
                Ok(section) => section,
                Err(e) if e.is_data() && !raw.get().starts_with('{') => {
                    return Err(self.invalid(format!("its {key:?} is not an object")))
                }
                Err(e) => {
                    return Err(self.invalid(format!("in its {key:?}, {}", without_position(&e))))
                }
            };
            doc.0.insert(key.to_string(), Item::Section(section));
        }
        Ok(doc)
    }

    /// The file's text (`None`: no file), at most [`MAX_PROFILE_FILE`]
    /// bytes of a regular file: a larger one, a named pipe or a device is
    /// refused before any network call, not read until memory runs out.
    fn read(&self) -> Result<Option<String>, DockerConfigError> {
        crate::files::read_existing(&self.path, MAX_PROFILE_FILE)?
            .map(String::from_utf8)
            .transpose()
            .map_err(|_| self.invalid("it is not UTF-8 text"))
    }

    /// Checks the file can be updated, changing nothing: run before any
    /// network call.  Returns what the user should know (a `credsStore`
    /// that Docker asks instead of `auths`).
    pub fn check(&self) -> Result<Vec<String>, DockerConfigError> {
        crate::files::check_editable(&self.path)?;
        let doc = self.parse(self.read()?.as_deref())?;
        Ok(creds_store_note(&doc).into_iter().collect())
    }

    /// The hosts whose `credHelpers` entry is `helper`.
    pub fn helper_hosts(&self, helper: &str) -> Result<Vec<String>, DockerConfigError> {
        let doc = self.parse(self.read()?.as_deref())?;
        Ok(match doc.0.get("credHelpers") {
            Some(Item::Section(m)) => {
                m.0.iter()
                    .filter(|(_, v)| as_str(v).as_deref() == Some(helper))
                    .map(|(k, _)| k.clone())
                    .collect()
            }
            _ => Vec::new(),
        })
    }

    /// Writes `entries`, keeping everything else; returns notes for the user.
    pub fn update(&self, entries: &[Entry]) -> Result<Vec<String>, DockerConfigError> {
        let lock = UpdateLock::acquire(&self.path)?;
        let (text, notes) = self.merge_into(lock.read()?.as_deref(), entries)?;
        lock.replace(&text, 0o600)?;
        Ok(notes)
    }

    /// What [`DockerConfig::update`] writes over the file's `text` (`None`:
    /// no file), and its notes; nothing is read or written here.
    pub fn merge_into(
        &self,
        text: Option<&str>,
        entries: &[Entry],
    ) -> Result<(Vec<u8>, Vec<String>), DockerConfigError> {
        let mut doc = self.parse(text)?;
        let mut notes = Vec::new();
        for entry in entries {
            match entry {
                Entry::Auth {
                    host,
                    username,
                    password,
                } => {
                    if remove_host(&mut doc, "credHelpers", host) {
                        notes.push(format!(
                            "removed the credHelpers entry for {host}, which Docker would have asked instead"
                        ));
                    }
                    remove_host(&mut doc, "auths", host);
                    let auth = base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{}", password.expose()));
                    section(&mut doc, "auths").insert(
                        host.to_string(),
                        Item::New(serde_json::json!({ "auth": auth })),
                    );
                }
                Entry::Helper { host, helper } => {
                    remove_host(&mut doc, "auths", host);
                    section(&mut doc, "credHelpers").insert(
                        host.to_string(),
                        Item::New(Value::String(helper.to_string())),
                    );
                }
            }
        }
        if entries.iter().any(|e| matches!(e, Entry::Auth { .. })) {
            notes.extend(creds_store_note(&doc));
        }
        Ok((serialise(&doc), notes))
    }

    /// Removes the logins for `hosts` that aws-oidc wrote: their `auths`
    /// entries, or (with `helper`) their `credHelpers` entries naming that
    /// helper; keeps everything else.  Returns the hosts whose entry went.
    /// A missing file has nothing to remove.
    pub fn remove(
        &self,
        hosts: &[String],
        helper: Option<&str>,
    ) -> Result<Vec<String>, DockerConfigError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let lock = UpdateLock::acquire(&self.path)?;
        let Some(text) = lock.read()? else {
            return Ok(Vec::new());
        };
        let (text, removed) = self.take_back_from(&text, hosts, helper)?;
        if let Some(text) = text {
            lock.replace(&text, 0o600)?;
        }
        Ok(removed)
    }

    /// What [`DockerConfig::remove`] does to the file's `text`: the new
    /// text (`None` when nothing went) and the hosts whose entry went;
    /// nothing is read or written here.
    pub fn take_back_from(
        &self,
        text: &str,
        hosts: &[String],
        helper: Option<&str>,
    ) -> Result<(Option<Vec<u8>>, Vec<String>), DockerConfigError> {
        let mut doc = self.parse(Some(text))?;
        let mut removed = Vec::new();
        for host in hosts {
            let gone = match helper {
                None => remove_host(&mut doc, "auths", host),
                // Only the entry written, under the host itself: other
                // spellings of it are someone else's (Docker looks
                // credHelpers up by the bare host, and `update` kept them).
                Some(helper) => match doc.0.get_mut("credHelpers") {
                    Some(Item::Section(m))
                        if m.0.get(host.as_str()).and_then(as_str).as_deref() == Some(helper) =>
                    {
                        m.0.remove(host.as_str()).is_some()
                    }
                    _ => false,
                },
            };
            if gone {
                removed.push(host.clone());
            }
        }
        let text = (!removed.is_empty()).then(|| serialise(&doc));
        Ok((text, removed))
    }
}

/// The file's text: sorted keys, Docker's tab indentation, a final newline.
fn serialise(doc: &Doc) -> Vec<u8> {
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut text, formatter);
    serde::Serialize::serialize(doc, &mut ser).expect("a JSON value serialises");
    text.push(b'\n');
    text
}

/// `doc[key]` as a section, created if missing or `null` (parse made sure
/// it is one or the other).
fn section<'a>(doc: &'a mut Doc, key: &str) -> &'a mut BTreeMap<String, Item> {
    let item = doc
        .0
        .entry(key.to_string())
        .or_insert_with(|| Item::Section(Object::default()));
    if !matches!(item, Item::Section(_)) {
        *item = Item::Section(Object::default());
    }
    match item {
        Item::Section(section) => &mut section.0,
        _ => unreachable!("made a section just above"),
    }
}

/// Removes every entry of `doc[key]` for `host` (also `https://host/...`
/// spellings from older `docker login`s); whether one was there.
fn remove_host(doc: &mut Doc, key: &str, host: &str) -> bool {
    let Some(Item::Section(map)) = doc.0.get_mut(key) else {
        return false;
    };
    let stale: Vec<String> = map
        .0
        .keys()
        .filter(|k| host_of(k) == host)
        .cloned()
        .collect();
    for k in &stale {
        map.0.remove(k);
    }
    !stale.is_empty()
}

/// serde_json's message without its " at line L column C": a position in
/// a value read on its own is not the file's.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn creds_store_note(doc: &Doc) -> Option<String> {
    let store = as_str(doc.0.get("credsStore")?)?;
    Some(format!(
        "the config sets credsStore {store:?}, which Docker asks instead of auths entries: use \
         --helper (credHelpers win over credsStore) or --docker-login"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn config(dir: &Path, text: Option<&str>) -> DockerConfig {
        let path = dir.join("config.json");
        if let Some(t) = text {
            std::fs::write(&path, t).unwrap();
        }
        DockerConfig::at(path)
    }

    #[test]
    fn entries_are_added_and_every_other_key_kept() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(
            dir.path(),
            Some(
                r#"{"auths": {"ghcr.io": {"auth": "a2VlcA=="}, "https://1.dkr.ecr.x": {}}, "proxies": {"default": {"httpProxy": "p"}}, "credHelpers": {"h.example": "other"}}"#,
            ),
        );
        let pw = Secret::new("pass");
        let notes = c
            .update(&[
                Entry::Auth {
                    host: "111111111111.dkr.ecr.us-east-1.amazonaws.com",
                    username: "AWS",
                    password: &pw,
                },
                Entry::Helper {
                    host: "public.ecr.aws",
                    helper: "aws-oidc",
                },
            ])
            .unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(c.path()).unwrap()).unwrap();
        assert_eq!(v["auths"]["ghcr.io"]["auth"], "a2VlcA==");
        assert_eq!(v["proxies"]["default"]["httpProxy"], "p");
        assert_eq!(v["credHelpers"]["h.example"], "other");
        assert_eq!(v["credHelpers"]["public.ecr.aws"], "aws-oidc");
        assert_eq!(
            v["auths"]["111111111111.dkr.ecr.us-east-1.amazonaws.com"]["auth"],
            "QVdTOnBhc3M="
        );
        let mode = std::fs::metadata(c.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(c.helper_hosts("aws-oidc").unwrap(), vec!["public.ecr.aws"]);
        // A login replaces a helper for the same host, and the other way round.
        c.update(&[Entry::Auth {
            host: "public.ecr.aws",
            username: "AWS",
            password: &pw,
        }])
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(c.path()).unwrap()).unwrap();
        assert!(v["credHelpers"].get("public.ecr.aws").is_none());
        assert!(v["auths"].get("public.ecr.aws").is_some());
    }

    #[test]
    fn remove_takes_only_what_aws_oidc_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let before = r#"{"auths": {"a.example": {"auth": "eDp5"}, "b.example": {"auth": "eDp5"}},
            "credHelpers": {"c.example": "aws-oidc", "d.example": "gcloud"}, "other": 1}"#;
        let cfg = config(dir.path(), Some(before));
        let hosts = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cfg.remove(&hosts(&["a.example", "z.example"]), None)
                .unwrap(),
            hosts(&["a.example"])
        );
        // A helper entry goes only when it names aws-oidc.
        assert_eq!(
            cfg.remove(&hosts(&["c.example", "d.example"]), Some("aws-oidc"))
                .unwrap(),
            hosts(&["c.example"])
        );
        let after: Value =
            serde_json::from_str(&std::fs::read_to_string(cfg.path()).unwrap()).unwrap();
        assert_eq!(
            after,
            serde_json::json!({"auths": {"b.example": {"auth": "eDp5"}},
                "credHelpers": {"d.example": "gcloud"}, "other": 1})
        );
        let missing = config(&dir.path().join("none"), None);
        assert!(missing
            .remove(&hosts(&["a.example"]), None)
            .unwrap()
            .is_empty());
        assert!(!missing.path().parent().unwrap().exists(), "nothing made");
    }

    #[test]
    fn taking_back_a_helper_entry_leaves_other_spellings_of_its_host() {
        let dir = tempfile::tempdir().unwrap();
        let before = r#"{"credHelpers": {"https://public.ecr.aws/v1/": "gcloud", "PUBLIC.ECR.AWS": "other"}}"#;
        let c = config(dir.path(), Some(before));
        c.update(&[Entry::Helper {
            host: "public.ecr.aws",
            helper: "aws-oidc",
        }])
        .unwrap();
        let host = vec!["public.ecr.aws".to_string()];
        assert_eq!(c.remove(&host, Some("aws-oidc")).unwrap(), host);
        let after: Value =
            serde_json::from_str(&std::fs::read_to_string(c.path()).unwrap()).unwrap();
        assert_eq!(after, serde_json::from_str::<Value>(before).unwrap());
    }

    #[test]
    fn invalid_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "{\"auths\": {",
            "[1, 2]",
            "{\"auths\": []}",
            "{\"credHelpers\": 1}",
        ] {
            let c = config(dir.path(), Some(bad));
            let err = c.check().unwrap_err();
            assert!(err.to_string().contains("nothing was changed"), "{err}");
            let pw = Secret::new("secret-password");
            let err = c
                .update(&[Entry::Auth {
                    host: "h",
                    username: "AWS",
                    password: &pw,
                }])
                .unwrap_err();
            assert!(!err.to_string().contains("secret-password"));
            assert_eq!(std::fs::read_to_string(c.path()).unwrap(), bad);
        }
        // An empty file is an empty config, as Docker reads it.
        let c = config(dir.path(), Some(""));
        assert!(c.check().unwrap().is_empty());
    }

    #[test]
    fn a_file_of_other_unicode_spaces_is_refused_not_taken_for_an_empty_one() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), Some(" \n\t\r\n"));
        assert!(c.check().unwrap().is_empty());
        for not_json in ["\u{a0}", "\u{2028}\n", "\u{feff}"] {
            let c = config(dir.path(), Some(not_json));
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains("not valid JSON"), "{not_json:?}: {err}");
        }
    }

    #[test]
    fn entries_it_does_not_change_keep_their_bytes_big_numbers_and_minus_zero_included() {
        let dir = tempfile::tempdir().unwrap();
        let kept = [
            r#""big": 12345678901234567890123"#,
            r#""zero": -0"#,
            r#""float": 1.50e3"#,
            r#""nested": {"n": [1.0, -0.0, 1e400], "s": "\u00e9"}"#,
            r#""ghcr.io": {"auth": "a2VlcA==", "identitytoken": 99999999999999999999}"#,
        ];
        let text = format!(
            r#"{{{}, {}, {}, {}, "auths": {{{}}}}}"#,
            kept[0], kept[1], kept[2], kept[3], kept[4]
        );
        let c = config(dir.path(), Some(&text));
        let pw = Secret::new("pass");
        c.update(&[Entry::Auth {
            host: "111111111111.dkr.ecr.us-east-1.amazonaws.com",
            username: "AWS",
            password: &pw,
        }])
        .unwrap();
        let after = std::fs::read_to_string(c.path()).unwrap();
        for entry in kept {
            let (key, value) = entry.split_once(": ").unwrap();
            assert!(
                after.contains(&format!("{key}: {value}")),
                "{entry} in {after}"
            );
        }
        c.remove(
            &["111111111111.dkr.ecr.us-east-1.amazonaws.com".to_string()],
            None,
        )
        .unwrap();
        let after = std::fs::read_to_string(c.path()).unwrap();
        assert!(
            after.contains("12345678901234567890123") && after.contains("\"zero\": -0\n"),
            "{after}"
        );
    }

    #[test]
    fn a_key_given_twice_is_refused_not_half_dropped() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            r#"{"auths": {"a.example": {"auth": "eDp5"}}, "auths": {}}"#,
            r#"{"auths": {"a.example": {"auth": "eDp5"}, "a.example": {}}}"#,
            r#"{"credHelpers": {"a.example": "x", "a.example": "y"}}"#,
        ] {
            let c = config(dir.path(), Some(bad));
            let err = c.check().unwrap_err().to_string();
            assert!(err.contains("appears twice"), "{err}");
            assert!(err.contains("nothing was changed"), "{err}");
            let pw = Secret::new("secret-password");
            assert!(c
                .update(&[Entry::Auth {
                    host: "h.example",
                    username: "AWS",
                    password: &pw,
                }])
                .is_err());
            assert_eq!(std::fs::read_to_string(c.path()).unwrap(), bad);
        }
    }

    #[test]
    fn auths_null_is_an_empty_section_as_docker_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), Some(r#"{"auths": null, "credHelpers": null}"#));
        assert!(c.check().unwrap().is_empty());
        assert!(c.helper_hosts("aws-oidc").unwrap().is_empty());
        assert!(c
            .remove(&["h.example".to_string()], None)
            .unwrap()
            .is_empty());
        let pw = Secret::new("pass");
        c.update(&[Entry::Auth {
            host: "h.example",
            username: "AWS",
            password: &pw,
        }])
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(c.path()).unwrap()).unwrap();
        assert_eq!(v["auths"]["h.example"]["auth"], "QVdTOnBhc3M=");
        assert_eq!(v["credHelpers"], Value::Null);
    }

    #[test]
    fn a_creds_store_is_pointed_out() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path(), Some(r#"{"credsStore": "desktop"}"#));
        assert!(c.check().unwrap()[0].contains("credsStore"));
        let c = DockerConfig::at(dir.path().join("none.json"));
        let env = |k: &str| (k == "DOCKER_CONFIG").then(|| "/d".to_string());
        assert_eq!(
            DockerConfig::from_env(&env).unwrap().path(),
            Path::new("/d/config.json")
        );
        assert!(c.check().unwrap().is_empty());
    }
}
