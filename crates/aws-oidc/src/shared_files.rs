//! The AWS shared credentials and config files: where they are
//! ([`SharedFiles`]), profile names, reading what a profile holds, and
//! writing a named profile.  A leaf: the settings, the credential sources,
//! the ledger and the sinks all read these files, so none climbs up to
//! another for them.
//!
//! Keys go to the credentials file (`[name]`), the region to the config file
//! (`[profile name]`, or `[default]`), as `aws configure set` would put them,
//! but every other byte of both files is kept.  Both files are 0600 and
//! replaced atomically under a lock, so parallel steps cannot corrupt them.

use std::path::PathBuf;

use crate::credentials::Credentials;
use crate::files::{FileError, UpdateLock};
use crate::ini::{IniDoc, IniError};

/// Where the shared files live, honouring the SDK's environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFiles {
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials: PathBuf,
    /// `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config: PathBuf,
}

fn expand_home(p: &str, home: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => PathBuf::from(home).join(rest),
        None => PathBuf::from(p),
    }
}

/// `$var` (with `~/` expanded), else `~/.aws/<default>`.
fn shared_file(
    env: &dyn Fn(&str) -> Option<String>,
    var: &str,
    default: &str,
) -> Result<PathBuf, ProfileError> {
    let home = crate::platform::home_dir(env);
    match (env(var).filter(|v| !v.is_empty()), &home) {
        (Some(v), Some(h)) => Ok(expand_home(&v, h)),
        (Some(v), None) if !v.starts_with("~/") => Ok(PathBuf::from(v)),
        (_, Some(h)) => Ok(PathBuf::from(h).join(".aws").join(default)),
        (_, None) => Err(ProfileError::NoHome),
    }
}

impl SharedFiles {
    /// Resolves the paths the AWS CLI and SDKs would use.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ProfileError> {
        Ok(SharedFiles {
            credentials: shared_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials")?,
            config: Self::config_from_env(env)?,
        })
    }

    /// The config file alone: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub fn config_from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, ProfileError> {
        shared_file(env, "AWS_CONFIG_FILE", "config")
    }
}

/// A validated profile name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName(String);

impl ProfileName {
    /// Profile names the AWS CLI can use: 1-128 letters, digits,
    /// `-_./@+:` and spaces between them (circleci/aws-cli's own example
    /// is `WEB IDENTITY PROFILE`); no quotes, `#` or brackets, and never a
    /// `profile ` prefix. `dev/admin` and `me@corp` stay usable.
    pub fn parse(raw: &str) -> Result<Self, ProfileError> {
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && !raw.starts_with(' ')
            && !raw.ends_with(' ')
            && !raw.contains("  ")
            && !raw.starts_with("profile ")
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./@+: ".contains(c));
        if !ok {
            return Err(ProfileError::BadName(raw.to_string()));
        }
        Ok(ProfileName(raw.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its section in the config file: `default` or `profile <name>`; a
    /// name with spaces in single quotes, as `aws configure set` writes it
    /// (the AWS CLI splits the header like a shell word list).
    pub fn config_section(&self) -> String {
        if self.0 == "default" {
            "default".into()
        } else if self.0.contains(' ') {
            format!("profile '{}'", self.0)
        } else {
            format!("profile {}", self.0)
        }
    }
}

crate::error_debug::debug_by_display!(ProfileError);
/// Why the profile could not be written.
#[derive(thiserror::Error)]
pub enum ProfileError {
    /// Neither `$HOME` nor explicit paths.
    #[error("cannot find the AWS config files: $HOME is not set; set HOME, or AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE")]
    NoHome,
    /// The name cannot be a section.
    #[error("invalid profile name {}: use 1-128 letters, digits, -_./@+: and single spaces between words (no quotes, # or brackets), e.g. deploy or prod-eu", crate::redact::untrusted(&format!("{:?}", .0)))]
    BadName(String),
    /// A value cannot be written into the file.
    #[error("cannot write to {path}: {error}")]
    Value {
        /// The file.
        path: PathBuf,
        /// Why.
        error: IniError,
    },
    /// An existing file could not be parsed.
    #[error("cannot update {path}: {error}. The AWS CLI could not read this file either: fix that line (or move the file away) and run again; nothing was changed")]
    Unparseable {
        /// The file.
        path: PathBuf,
        /// Where and why.
        error: IniError,
    },
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

/// What to write for one profile.
#[derive(Debug, Clone)]
pub(crate) struct ProfileWrite {
    /// The profile.
    pub name: ProfileName,
    /// The region to record, if any.
    pub region: Option<String>,
    /// Write the region into the profile's own config section.
    pub profile_region: bool,
    /// Also write the region into `[default]` of the config file.
    pub default_region: bool,
}

fn parse_locked(lock: &UpdateLock) -> Result<IniDoc, ProfileError> {
    let text = lock.read()?.unwrap_or_default();
    IniDoc::parse(&text).map_err(|error| ProfileError::Unparseable {
        path: lock.path().to_path_buf(),
        error,
    })
}

/// Checks both files can be parsed and replaced, changing nothing: run
/// before spending a token.  Each must be a regular file (or none yet) in a
/// directory where a file can be created.
pub(crate) fn preflight(files: &SharedFiles) -> Result<(), ProfileError> {
    for path in [&files.credentials, &files.config] {
        crate::files::check_writable(path, false, true)?;
        match crate::files::read_bounded(path, crate::files::MAX_PROFILE_FILE) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| ProfileError::Unparseable {
                    path: path.clone(),
                    error: IniError {
                        line: 0,
                        why: "the file is not UTF-8 text".into(),
                    },
                })?;
                IniDoc::parse(&text).map_err(|error| ProfileError::Unparseable {
                    path: path.clone(),
                    error,
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(FileError {
                    action: "cannot read",
                    path: path.clone(),
                    source,
                }
                .into())
            }
        }
    }
    Ok(())
}

/// What a profile gets.
#[derive(Debug, Clone)]
pub(crate) enum ProfileContent<'a> {
    /// Keys in the credentials file (`aws configure set` style), with the
    /// session token of temporary credentials; long-lived keys remove any
    /// session token in the section, since it belongs to other keys.
    Keys(&'a Credentials),
    /// A `credential_process` command line in the config file, so AWS tools
    /// fetch fresh credentials themselves; static keys are removed, since
    /// they would take precedence over it.
    Process(String),
    /// The region alone (`aws configure set region`): the credentials and
    /// any `credential_process` stay as they are.
    Region,
}

const KEY_NAMES: [&str; 3] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

/// The credentials and config documents, which are one when both names
/// lead to one file.
enum Docs {
    Two(IniDoc, IniDoc),
    One(IniDoc),
}

impl Docs {
    fn creds(&mut self) -> &mut IniDoc {
        match self {
            Docs::Two(creds, _) | Docs::One(creds) => creds,
        }
    }

    fn config(&mut self) -> &mut IniDoc {
        match self {
            Docs::Two(_, config) | Docs::One(config) => config,
        }
    }
}

/// Locks both files, lets `edit` change them, and replaces what changed.
/// Both are locked before either is touched, always in the same order, so
/// that concurrent writers cannot deadlock or interleave; one file named
/// twice (the same path, a symlink, a hard link) is locked and written once.
fn update(
    files: &SharedFiles,
    edit: impl FnOnce(&mut Docs) -> Result<(), ProfileError>,
) -> Result<(), ProfileError> {
    let same = crate::files::same_file(&files.credentials, &files.config);
    let creds_lock = UpdateLock::acquire(&files.credentials)?;
    let config_lock = if same {
        None
    } else {
        Some(UpdateLock::acquire(&files.config)?)
    };
    let mut docs = match &config_lock {
        Some(lock) => Docs::Two(parse_locked(&creds_lock)?, parse_locked(lock)?),
        None => Docs::One(parse_locked(&creds_lock)?),
    };
    let before = (docs.creds().to_string(), docs.config().to_string());
    edit(&mut docs)?;
    let creds_after = docs.creds().to_string();
    if creds_after != before.0 {
        creds_lock.replace(creds_after.as_bytes(), 0o600)?;
    }
    if let Some(config_lock) = &config_lock {
        let config_after = docs.config().to_string();
        if config_after != before.1 {
            config_lock.replace(config_after.as_bytes(), 0o600)?;
        }
    }
    Ok(())
}

/// Writes one profile: its credentials (or credential process) and region.
pub(crate) fn write(
    files: &SharedFiles,
    what: &ProfileWrite,
    content: &ProfileContent,
) -> Result<(), ProfileError> {
    let creds_err = |error| ProfileError::Value {
        path: files.credentials.clone(),
        error,
    };
    let config_err = |error| ProfileError::Value {
        path: files.config.clone(),
        error,
    };
    let section = what.name.as_str();
    let config_section = what.name.config_section();
    update(files, |docs| {
        let creds = docs.creds();
        match content {
            ProfileContent::Keys(c) => {
                creds
                    .set(section, KEY_NAMES[0], c.access_key_id.expose())
                    .and_then(|()| creds.set(section, KEY_NAMES[1], c.secret_access_key.expose()))
                    .map_err(creds_err)?;
                match &c.session_token {
                    Some(token) => creds
                        .set(section, KEY_NAMES[2], token.expose())
                        .map_err(creds_err)?,
                    None => creds.remove(section, KEY_NAMES[2]),
                }
            }
            ProfileContent::Process(_) => {
                for key in KEY_NAMES {
                    creds.remove(section, key);
                }
            }
            ProfileContent::Region => {}
        }
        let config = docs.config();
        match content {
            ProfileContent::Keys(_) => config.remove(&config_section, "credential_process"),
            ProfileContent::Process(command) => {
                for key in KEY_NAMES {
                    config.remove(&config_section, key);
                }
                config
                    .set(&config_section, "credential_process", command)
                    .map_err(config_err)?;
            }
            ProfileContent::Region => {}
        }
        if let Some(region) = &what.region {
            if what.profile_region {
                config
                    .set(&config_section, "region", region)
                    .map_err(config_err)?;
            }
            if what.default_region {
                config
                    .set("default", "region", region)
                    .map_err(config_err)?;
            }
        }
        Ok(())
    })
}

/// Removes what [`write`] put in a profile: its keys or credential
/// process, and the region where `what` says it was written; sections left
/// empty go too, and every other byte of both files is kept.
pub(crate) fn remove(files: &SharedFiles, what: &ProfileWrite) -> Result<(), ProfileError> {
    let section = what.name.as_str();
    let config_section = what.name.config_section();
    update(files, |docs| {
        for key in KEY_NAMES {
            docs.creds().remove(section, key);
            docs.config().remove(&config_section, key);
        }
        let config = docs.config();
        config.remove(&config_section, "credential_process");
        if what.region.is_some() {
            if what.profile_region {
                config.remove(&config_section, "region");
            }
            if what.default_region {
                config.remove("default", "region");
                config.remove_section_if_empty("default");
            }
        }
        docs.creds().remove_section_if_empty(section);
        docs.config().remove_section_if_empty(&config_section);
        Ok(())
    })
}

/// The access key id a profile holds in the credentials file, if any.
pub(crate) fn access_key_id(files: &SharedFiles, name: &ProfileName) -> Option<String> {
    let bytes =
        crate::files::read_regular_bounded(&files.credentials, crate::files::MAX_PROFILE_FILE)
            .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    IniDoc::parse(&text).ok()?.get(name.as_str(), KEY_NAMES[0])
}

/// The `credential_process` a profile runs, if any.
pub(crate) fn credential_process(files: &SharedFiles, name: &ProfileName) -> Option<String> {
    let bytes =
        crate::files::read_regular_bounded(&files.config, crate::files::MAX_PROFILE_FILE).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    IniDoc::parse(&text)
        .ok()?
        .get(&name.config_section(), "credential_process")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Origin, Secret};
    use std::time::{Duration, SystemTime};

    fn creds(tag: &str) -> Credentials {
        Credentials::temporary(
            Secret::new(format!("ASIA{tag}")),
            Secret::new(format!("secret-{tag}")),
            Secret::new(format!("token-{tag}")),
            SystemTime::now() + Duration::from_secs(3600),
            Origin::Cache,
        )
    }

    fn files(dir: &std::path::Path) -> SharedFiles {
        SharedFiles {
            credentials: dir.join("credentials"),
            config: dir.join("config"),
        }
    }

    #[test]
    fn paths_follow_the_sdk_variables() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "AWS_CONFIG_FILE" => Some("~/cfg".to_string()),
            _ => None,
        };
        let f = SharedFiles::from_env(&env).unwrap();
        assert_eq!(f.credentials, PathBuf::from("/home/u/.aws/credentials"));
        assert_eq!(f.config, PathBuf::from("/home/u/cfg"));
        assert!(matches!(
            SharedFiles::from_env(&|_| None),
            Err(ProfileError::NoHome)
        ));
    }

    #[test]
    fn writes_keys_and_regions_like_aws_configure() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.config, "# mine\n[profile other]\nregion = eu-west-1\n").unwrap();
        let what = ProfileWrite {
            name: ProfileName::parse("prod").unwrap(),
            region: Some("us-east-1".into()),
            profile_region: true,
            default_region: true,
        };
        write(&f, &what, &ProfileContent::Keys(&creds("1"))).unwrap();
        let c = std::fs::read_to_string(&f.credentials).unwrap();
        assert_eq!(c, "[prod]\naws_access_key_id = ASIA1\naws_secret_access_key = secret-1\naws_session_token = token-1\n");
        let cfg = std::fs::read_to_string(&f.config).unwrap();
        assert_eq!(cfg, "# mine\n[profile other]\nregion = eu-west-1\n\n[profile prod]\nregion = us-east-1\n\n[default]\nregion = us-east-1\n");

        // A second write updates in place.
        write(&f, &what, &ProfileContent::Keys(&creds("2"))).unwrap();
        let c = std::fs::read_to_string(&f.credentials).unwrap();
        assert!(c.contains("ASIA2") && !c.contains("ASIA1"));
        assert_eq!(c.matches("[prod]").count(), 1);
    }

    #[test]
    fn a_region_alone_touches_neither_keys_nor_credential_process() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let keys = "[p]\naws_access_key_id = MINE\n";
        std::fs::write(&f.credentials, keys).unwrap();
        std::fs::write(&f.config, "[profile p]\ncredential_process = mine\n").unwrap();
        let what = ProfileWrite {
            name: ProfileName::parse("p").unwrap(),
            region: Some("eu-west-1".into()),
            profile_region: true,
            default_region: true,
        };
        write(&f, &what, &ProfileContent::Region).unwrap();
        assert_eq!(std::fs::read_to_string(&f.credentials).unwrap(), keys);
        assert_eq!(
            std::fs::read_to_string(&f.config).unwrap(),
            "[profile p]\ncredential_process = mine\nregion = eu-west-1\n\n[default]\nregion = eu-west-1\n"
        );
    }

    #[test]
    fn broken_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.credentials, "[ok]\nthis line is broken\n").unwrap();
        let err = preflight(&f).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("nothing was changed"),
            "{err}"
        );
        let what = ProfileWrite {
            name: ProfileName::parse("p").unwrap(),
            region: None,
            profile_region: true,
            default_region: false,
        };
        assert!(write(&f, &what, &ProfileContent::Keys(&creds("1"))).is_err());
        assert_eq!(
            std::fs::read_to_string(&f.credentials).unwrap(),
            "[ok]\nthis line is broken\n"
        );
        assert!(!f.config.exists());
    }

    #[test]
    fn a_credential_process_profile_replaces_static_keys_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.credentials, "[keep]\naws_access_key_id = K\n\n[p]\naws_access_key_id = OLD\naws_secret_access_key = OLD\naws_session_token = OLD\n").unwrap();
        let what = ProfileWrite {
            name: ProfileName::parse("p").unwrap(),
            region: Some("us-east-1".into()),
            profile_region: true,
            default_region: false,
        };
        write(
            &f,
            &what,
            &ProfileContent::Process("/bin/aws-oidc credential-process --role-arn x".into()),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&f.credentials).unwrap(),
            "[keep]\naws_access_key_id = K\n\n[p]\n"
        );
        assert_eq!(
            std::fs::read_to_string(&f.config).unwrap(),
            "[profile p]\ncredential_process = /bin/aws-oidc credential-process --role-arn x\nregion = us-east-1\n"
        );
        write(&f, &what, &ProfileContent::Keys(&creds("3"))).unwrap();
        assert!(!std::fs::read_to_string(&f.config)
            .unwrap()
            .contains("credential_process"));
        assert!(std::fs::read_to_string(&f.credentials)
            .unwrap()
            .contains("aws_access_key_id = ASIA3"));
        // Long-lived keys take the other keys' session token out.
        let keys =
            Credentials::long_lived(Secret::new("AKIA4"), Secret::new("s4"), Origin::Environment);
        write(&f, &what, &ProfileContent::Keys(&keys)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f.credentials).unwrap(),
            "[keep]\naws_access_key_id = K\n\n[p]\naws_access_key_id = AKIA4\naws_secret_access_key = s4\n"
        );
    }

    #[test]
    fn one_file_for_credentials_and_config_is_written_once_without_deadlock() {
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("aws");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&shared, &link).unwrap();
        std::fs::write(&shared, "# mine\n").unwrap();
        let what = ProfileWrite {
            name: ProfileName::parse("p").unwrap(),
            region: Some("us-east-1".into()),
            profile_region: true,
            default_region: false,
        };
        for files in [
            SharedFiles {
                credentials: shared.clone(),
                config: shared.clone(),
            },
            SharedFiles {
                credentials: shared.clone(),
                config: link.clone(),
            },
        ] {
            write(&files, &what, &ProfileContent::Keys(&creds("1"))).unwrap();
        }
        let text = std::fs::read_to_string(&shared).unwrap();
        assert_eq!(text, "# mine\n\n[p]\naws_access_key_id = ASIA1\naws_secret_access_key = secret-1\naws_session_token = token-1\n\n[profile p]\nregion = us-east-1\n");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn credentials_with_a_line_break_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let mut c = creds("1");
        c.session_token = Some(Secret::new("tok\n[evil]\nx = y"));
        let what = ProfileWrite {
            name: ProfileName::parse("p").unwrap(),
            region: None,
            profile_region: true,
            default_region: false,
        };
        let e = write(&f, &what, &ProfileContent::Keys(&c))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line break") && !e.contains("evil"), "{e}");
        assert!(!f.credentials.exists());
    }

    #[test]
    fn profile_names_are_checked() {
        for good in ["prod-1.x_y", "dev/admin", "me@corp", "team+ci:eu"] {
            assert!(ProfileName::parse(good).is_ok(), "{good:?}");
        }
        for bad in [
            "",
            " p",
            "a]b",
            "a\nb",
            "a  b",
            "p ",
            "a\tb",
            "it's",
            "a\"b",
            "a#b",
            "profile x",
            "[x]",
        ] {
            assert!(ProfileName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            ProfileName::parse("default").unwrap().config_section(),
            "default"
        );
        assert_eq!(
            ProfileName::parse("x").unwrap().config_section(),
            "profile x"
        );
        // As `aws configure set --profile "WEB IDENTITY PROFILE"` writes it.
        assert_eq!(
            ProfileName::parse("WEB IDENTITY PROFILE")
                .unwrap()
                .config_section(),
            "profile 'WEB IDENTITY PROFILE'"
        );
    }
}
