//! What aws-oidc wrote in this job: so `cleanup` can take it back, and
//! `--skip-if-valid` can see that credentials are still in place.
//!
//! One small JSON file per job (`<job>.ledger`, the job named by
//! `$CIRCLE_WORKFLOW_JOB_ID`) in the private credential cache directory,
//! updated under a lock and replaced atomically.  It holds paths, profile
//! names, role ARNs, kubeconfig entry names, expiry times and a fingerprint
//! (a SHA-256 prefix) of each access key id: never a key, token or secret.  An unreadable or
//! corrupt ledger reads as empty: it can only make cleanup do less, never
//! touch what aws-oidc did not write.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::files::{self, FileError, UpdateLock};
use crate::platform;
use crate::sinks::profile::{self, ProfileError, ProfileName, ProfileWrite, SharedFiles};

/// The largest ledger read; a larger one is taken as corrupt.
const LEDGER_LIMIT: u64 = 1024 * 1024;

/// Which credentials a write holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The role the credentials act as (the chained role, if any).
    pub role_arn: String,
    /// [`fingerprint`] of the access key id.
    pub key: String,
    /// When they expire, seconds since the epoch.
    pub expires_at: i64,
}

impl Grant {
    /// Whether these are credentials for `role_arn` with more than
    /// `min_left` to go at `now`.  Any `expires_at` a ledger holds is
    /// judged without overflow: a hand-edited one far in the past is
    /// expired, not wrapped round into the future.
    pub fn fresh_for(&self, role_arn: &str, min_left: Duration, now: SystemTime) -> bool {
        let min_left = i64::try_from(min_left.as_secs()).unwrap_or(i64::MAX);
        self.role_arn == role_arn && self.expires_at.saturating_sub(unix(now)) > min_left
    }

    /// When they expire: before the epoch reads as the epoch, after the
    /// year 9999 as its end (what every platform's clock and RFC 3339 hold).
    pub fn expiry(&self) -> SystemTime {
        const LAST: u64 = 253_402_300_799;
        let secs = u64::try_from(self.expires_at).unwrap_or(0).min(LAST);
        UNIX_EPOCH + Duration::from_secs(secs)
    }
}

/// One thing written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Written {
    /// `export` lines appended to a `$BASH_ENV` file.
    BashEnv {
        /// The file.
        path: PathBuf,
        /// The variables exported.
        vars: Vec<String>,
        /// The credentials exported, when they were assumed (not static keys).
        grant: Option<Grant>,
    },
    /// Variables holding fetched secrets, exported through a `$BASH_ENV`
    /// file (`secrets`): their names only.  Kept apart from [`Written::BashEnv`],
    /// which a later `assume` replaces, so neither forgets the other's names.
    SecretExports {
        /// The file.
        path: PathBuf,
        /// The variables exported.
        vars: Vec<String>,
    },
    /// A package tool's settings file edited by `codeartifact-login`.
    RegistryConfig {
        /// The file.
        path: PathBuf,
        /// What was changed.
        edit: RegistryEdit,
    },
    /// A profile written into the shared files.
    Profile {
        /// The credentials file.
        credentials: PathBuf,
        /// The config file.
        config: PathBuf,
        /// The profile.
        name: String,
        /// Whether a region was written, and where.
        region: bool,
        /// Into the profile's own config section.
        profile_region: bool,
        /// Into `[default]`.
        default_region: bool,
        /// The credentials written; `None` for a self-refreshing profile.
        grant: Option<Grant>,
        /// The role a self-refreshing profile (`credential_process`) assumes.
        process_role: Option<String>,
    },
    /// A file aws-oidc created whole (a dotenv file, a cache entry).
    File {
        /// The file.
        path: PathBuf,
        /// SHA-256 (hex) of its bytes right after aws-oidc wrote them;
        /// `None` (a named pipe, a device, a ledger entry written by hand):
        /// cleanup does not delete it.
        #[serde(default)]
        sha256: Option<String>,
    },
    /// Registry logins written into Docker's config file (`ecr-login`).
    DockerLogins {
        /// The config file.
        config: PathBuf,
        /// The registry hosts.
        hosts: Vec<String>,
        /// Whether they were `credHelpers` entries naming aws-oidc, not `auths`.
        helper: bool,
    },
    /// Entries merged into a kubeconfig (`eks-kubeconfig`): the names of
    /// those that were not there before, and the current context it set.
    Kubeconfig {
        /// The kubeconfig.
        path: PathBuf,
        /// Cluster entries added.
        added_clusters: Vec<String>,
        /// User entries added.
        added_users: Vec<String>,
        /// Context entries added.
        added_contexts: Vec<String>,
        /// The context made current.
        current_context: String,
        /// The current context before, if any.
        previous_context: Option<String>,
    },
}

/// What `codeartifact-login` changed in a package tool's settings file:
/// enough to take it back, and never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "file", rename_all = "snake_case")]
pub enum RegistryEdit {
    /// `.npmrc`: the registry line and the token line set.
    Npmrc {
        /// `registry` or `@scope:registry`.
        registry_key: String,
        /// `//host/path/:_authToken`.
        auth_key: String,
        /// The registry before, to put back (a URL, no token).
        previous_registry: Option<String>,
    },
    /// `.netrc`: the one-line entry for this host.
    Netrc {
        /// The host.
        machine: String,
    },
    /// `.pypirc`: the `[codeartifact]` section, and `index-servers`.
    Pypirc {
        /// `index-servers` before (words joined by blanks); none: there was none.
        index_servers_before: Option<String>,
        /// Whether `codeartifact` was added to it.
        index_servers_changed: bool,
    },
    /// Maven's `settings.xml`: the text inserted (it holds no token).
    MavenSettings {
        /// The text inserted, or the whole file.
        inserted: String,
        /// Whether the file was created whole.
        created: bool,
    },
}

/// Whether `name` is a variable name every shell takes: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The access key id's fingerprint: the first 16 hex digits of its SHA-256,
/// enough to tell credentials apart without keeping the id.
pub fn fingerprint(access_key_id: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_key_id.as_bytes());
    hex::encode(&digest.as_ref()[..8])
}

/// SHA-256 (hex) of a regular file's bytes (read bounded); `None` for
/// anything else, or a file that cannot be read.
fn file_sha256(path: &Path) -> Option<String> {
    let bytes = files::read_regular_bounded(path, files::MAX_PROFILE_FILE).ok()?;
    Some(hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        &bytes,
    )))
}

impl Written {
    /// A file aws-oidc has just created whole, with the fingerprint of what
    /// it holds now, so cleanup deletes it only while it still holds that.
    pub fn created(path: PathBuf) -> Self {
        let sha256 = file_sha256(&path);
        Written::File { path, sha256 }
    }
}

/// Whether the regular file `path` holds an `export` line aws-oidc writes
/// for one of `vars`: only then is it a `$BASH_ENV` aws-oidc appended to.
/// A named pipe or a device (`/dev/stdout`) has nothing to check and
/// nothing an `unset` line can damage.
fn holds_exports(path: &Path, vars: &[String]) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return true,
        Err(_) => return false,
    }
    let Ok(bytes) = files::read_regular_bounded(path, files::MAX_PROFILE_FILE) else {
        return false;
    };
    String::from_utf8_lossy(&bytes).lines().any(|line| {
        line.strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
            .is_some_and(|(name, _)| vars.iter().any(|v| v == name))
    })
}

/// Seconds since the epoch, signed for the ledger's arithmetic.
fn unix(t: SystemTime) -> i64 {
    crate::credentials::unix(t) as i64
}

/// The ledger file of one job.
#[derive(Debug, Clone)]
pub struct Ledger {
    path: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
struct Record {
    written: Vec<Written>,
}

/// A ledger as written: borrowed, so writing copies nothing.
#[derive(Serialize)]
struct RecordOut<'a> {
    version: u32,
    written: &'a [Written],
}

/// Reads a ledger's bytes: everything recorded, oldest first; empty when
/// they are not a ledger or larger than any aws-oidc writes (a corrupt
/// ledger can only make cleanup do less).
pub fn read_ledger(bytes: &[u8]) -> Vec<Written> {
    if bytes.len() as u64 > LEDGER_LIMIT {
        return Vec::new();
    }
    serde_json::from_slice::<Record>(bytes)
        .map(|r| r.written)
        .unwrap_or_default()
}

/// A ledger's bytes, as [`read_ledger`] reads them back; `None` when an
/// entry names what JSON cannot hold (a path that is not UTF-8).
pub fn write_ledger(written: &[Written]) -> Option<Vec<u8>> {
    serde_json::to_vec(&RecordOut {
        version: 1,
        written,
    })
    .ok()
}

/// What `cleanup` took back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// `$BASH_ENV` files that got `unset` lines.
    pub unset_in: Vec<PathBuf>,
    /// Profiles removed.
    pub profiles: Vec<String>,
    /// Files and cache entries deleted.
    pub files: usize,
    /// Registry hosts whose logins were removed from Docker's config file.
    pub registries: Vec<String>,
    /// What could not be taken back, and why.
    pub left: Vec<String>,
    /// What was taken back from kubeconfigs, one line per file.
    pub kubeconfigs: Vec<String>,
    /// What was taken back from package tools' settings, one line per file.
    pub registry_files: Vec<String>,
}

/// Why cleanup could not finish.
#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    /// The ledger is not one aws-oidc wrote for this user: nothing it names is touched.
    #[error(
        "the ledger {} is {why}, so nothing it names was touched: aws-oidc writes it as a \
         regular file, 0600, owned by the user running it; delete it, and check who else \
         writes to that directory", path.display()
    )]
    Untrusted {
        /// The ledger.
        path: PathBuf,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A file could not be changed.
    #[error(transparent)]
    File(#[from] FileError),
    /// A profile could not be removed.
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

impl Ledger {
    /// The ledger of the job named in `env` (`$CIRCLE_WORKFLOW_JOB_ID`, else
    /// `local`), in the private directory `dir`.
    pub fn in_dir(dir: &Path, env: Env) -> Self {
        let job: String = env("CIRCLE_WORKFLOW_JOB_ID")
            .unwrap_or_else(|| "local".into())
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(64)
            .collect();
        Ledger {
            path: dir.join(format!("{job}.ledger")),
        }
    }

    /// Why the ledger is not to be trusted, by the credential cache's rules
    /// for its entries: a symlink, not a regular file, owned by another
    /// user, or open to others.  `None`: missing, or safe.
    fn distrust(&self) -> Option<&'static str> {
        let meta = std::fs::symlink_metadata(&self.path).ok()?;
        distrust_of(&meta)
    }

    /// Everything recorded, oldest first; empty when missing, unreadable or
    /// not to be trusted ([`Ledger::distrust`]).
    pub fn entries(&self) -> Vec<Written> {
        let mut bytes = Vec::new();
        // Checked on the open file itself, so it cannot be swapped between
        // check and read; a symlink is not followed.
        let read = platform::open_no_follow(std::fs::OpenOptions::new().read(true))
            .open(&self.path)
            .and_then(|f| {
                let meta = f.metadata()?;
                if distrust_of(&meta).is_some() {
                    return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
                }
                f.take(LEDGER_LIMIT + 1).read_to_end(&mut bytes)
            });
        if read.is_err() {
            return Vec::new();
        }
        read_ledger(&bytes)
    }

    /// Records one write (a repeat of the same write replaces the old one).
    pub fn record(&self, written: Written) -> Result<(), FileError> {
        // Refused before the ledger is touched: written out, it would leave
        // an empty ledger that forgets every earlier write.
        if write_ledger(std::slice::from_ref(&written)).is_none() {
            return Err(FileError {
                action: "cannot record in the ledger (cleanup will leave it) what was written to",
                path: written_path(&written).to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the ledger holds UTF-8 paths only",
                ),
            });
        }
        // A ledger not to be trusted is replaced, never written through (the
        // lock below would follow a symlink): it lies in the private cache
        // directory, so only this user could have put it there.
        if self.distrust().is_some() {
            std::fs::remove_file(&self.path).map_err(|source| FileError {
                action: "cannot replace the untrusted ledger",
                path: self.path.clone(),
                source,
            })?;
        }
        let lock = UpdateLock::acquire(&self.path)?;
        let mut record = Record {
            written: self.entries(),
        };
        // A second merge of the same entries finds them there: what the
        // first one added, and the context before it, are still to take back.
        let written = match (
            record.written.iter().find(|w| same_target(w, &written)),
            written,
        ) {
            (
                Some(Written::Kubeconfig {
                    added_clusters: c0,
                    added_users: u0,
                    added_contexts: x0,
                    previous_context: p0,
                    ..
                }),
                Written::Kubeconfig {
                    path,
                    mut added_clusters,
                    mut added_users,
                    mut added_contexts,
                    current_context,
                    ..
                },
            ) => {
                for (all, old) in [
                    (&mut added_clusters, c0),
                    (&mut added_users, u0),
                    (&mut added_contexts, x0),
                ] {
                    for name in old {
                        if !all.contains(name) {
                            all.push(name.clone());
                        }
                    }
                }
                Written::Kubeconfig {
                    path,
                    added_clusters,
                    added_users,
                    added_contexts,
                    current_context,
                    previous_context: p0.clone(),
                }
            }
            // The first login knows what the file held before any of them.
            (Some(old @ Written::RegistryConfig { .. }), Written::RegistryConfig { .. }) => {
                old.clone()
            }
            // Each `secrets` step adds names; cleanup unsets them all.
            (
                Some(Written::SecretExports { vars: old, .. }),
                Written::SecretExports { path, mut vars },
            ) => {
                for name in old {
                    if !vars.contains(name) {
                        vars.push(name.clone());
                    }
                }
                Written::SecretExports { path, vars }
            }
            (_, written) => written,
        };
        record.written.retain(|w| !same_target(w, &written));
        record.written.push(written);
        let text = write_ledger(&record.written)
            .expect("entries read from JSON and the one checked above write out");
        lock.replace(&text, 0o600)
    }

    /// Whether `target` still holds credentials for `role_arn` valid for
    /// more than `min_left`: the expiry, when it does.
    pub fn still_valid(
        &self,
        target: &Target,
        role_arn: &str,
        min_left: Duration,
        now: SystemTime,
        env: Env,
    ) -> Option<SystemTime> {
        let fresh = |g: &Grant| g.fresh_for(role_arn, min_left, now);
        let until = Grant::expiry;
        self.entries().iter().rev().find_map(|w| match (w, target) {
            (
                Written::BashEnv {
                    path,
                    grant: Some(g),
                    ..
                },
                Target::BashEnv(p),
            ) if path == p => {
                // Live in this step: the environment holds the keys exported.
                let live = env("AWS_ACCESS_KEY_ID").is_some_and(|k| fingerprint(&k) == g.key);
                (live && fresh(g)).then(|| until(g))
            }
            (
                Written::Profile {
                    credentials,
                    name,
                    grant,
                    process_role,
                    ..
                },
                Target::Profile(files, profile),
            ) if credentials == &files.credentials && name == profile.as_str() => {
                match (grant, process_role) {
                    (Some(g), _) => {
                        let live = profile::access_key_id(files, profile)
                            .is_some_and(|k| fingerprint(&k) == g.key);
                        (live && fresh(g)).then(|| until(g))
                    }
                    // A self-refreshing profile stays valid while it is there.
                    (None, Some(role)) if role == role_arn => {
                        profile::credential_process(files, profile)
                            .map(|_| now + Duration::from_secs(u32::MAX as u64))
                    }
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// Takes back everything recorded: `unset` lines for what was exported,
    /// the profiles' keys and regions (and sections left empty), the files
    /// and cache entries created, the registry logins in Docker's config
    /// file; then forgets it all.  Everything else stays byte for byte.
    pub fn cleanup(&self) -> Result<Cleaned, CleanupError> {
        if let Some(why) = self.distrust() {
            return Err(CleanupError::Untrusted {
                path: self.path.clone(),
                why,
            });
        }
        let lock = UpdateLock::acquire(&self.path)?;
        let mut cleaned = Cleaned::default();
        let entries = self.entries();
        // Every entry is taken back on its own: one file that cannot be
        // changed (not YAML, not JSON, unwritable) is named in `left` and
        // kept in the ledger for a rerun, and never stops the others, least
        // of all the `unset` lines that keep credentials out of later steps.
        let mut kept: Vec<Written> = Vec::new();
        let mut unset: Vec<(PathBuf, Vec<String>, Vec<&Written>)> = Vec::new();
        for w in &entries {
            match w {
                Written::BashEnv { path, vars, .. } | Written::SecretExports { path, vars } => {
                    match unset.iter_mut().find(|(p, _, _)| p == path) {
                        Some((_, all, from)) => {
                            all.extend(vars.iter().cloned());
                            from.push(w);
                        }
                        None => unset.push((path.clone(), vars.clone(), vec![w])),
                    }
                }
                Written::Profile {
                    credentials,
                    config,
                    name,
                    region,
                    profile_region,
                    default_region,
                    grant,
                    process_role,
                } => {
                    let Ok(name) = ProfileName::parse(name) else {
                        continue;
                    };
                    let files = SharedFiles {
                        credentials: credentials.clone(),
                        config: config.clone(),
                    };
                    // Only a profile still holding what aws-oidc wrote: the
                    // same key (by fingerprint), its credential_process, or
                    // (static keys, which are not fingerprinted) a key at all.
                    let ours = match (grant, process_role) {
                        (Some(g), _) => profile::access_key_id(&files, &name)
                            .is_some_and(|k| fingerprint(&k) == g.key),
                        (None, Some(_)) => profile::credential_process(&files, &name).is_some(),
                        (None, None) => profile::access_key_id(&files, &name).is_some(),
                    };
                    if !ours {
                        cleaned.left.push(format!(
                            "profile {:?} in {} (it no longer holds what aws-oidc wrote: left as it is)",
                            name.as_str(),
                            credentials.display()
                        ));
                        continue;
                    }
                    let what = ProfileWrite {
                        name: name.clone(),
                        region: region.then(String::new),
                        profile_region: *profile_region,
                        default_region: *default_region,
                    };
                    match profile::remove(&files, &what) {
                        Ok(()) => cleaned.profiles.push(name.as_str().to_string()),
                        Err(e) => {
                            cleaned
                                .left
                                .push(format!("profile {:?} ({e})", name.as_str()));
                            kept.push(w.clone());
                        }
                    }
                }
                Written::File { path, sha256 } => {
                    if std::fs::symlink_metadata(path).is_err() {
                        continue;
                    }
                    // Deleted only while it holds the bytes aws-oidc wrote.
                    if sha256.is_some() && file_sha256(path) == *sha256 {
                        if std::fs::remove_file(path).is_ok() {
                            cleaned.files += 1;
                        }
                    } else {
                        cleaned.left.push(format!(
                            "{} (not the file aws-oidc wrote, or changed since: left as it is)",
                            path.display()
                        ));
                    }
                }
                #[cfg(feature = "ecr")]
                Written::DockerLogins {
                    config,
                    hosts,
                    helper,
                } => {
                    // ecr-login writes only Docker's config.json.
                    if config.file_name() != Some(std::ffi::OsStr::new("config.json")) {
                        cleaned.left.push(format!(
                            "{} (not a Docker config.json: left as it is)",
                            config.display()
                        ));
                        continue;
                    }
                    let helper = helper.then_some(crate::credential_helper::HELPER_NAME);
                    match crate::docker_config::DockerConfig::at(config.clone())
                        .remove(hosts, helper)
                    {
                        Ok(removed) => cleaned.registries.extend(removed),
                        Err(e) => {
                            cleaned
                                .left
                                .push(format!("the logins to {} ({e})", hosts.join(", ")));
                            kept.push(w.clone());
                        }
                    }
                }
                #[cfg(not(feature = "ecr"))]
                Written::DockerLogins { .. } => {}
                #[cfg(feature = "codeartifact")]
                Written::RegistryConfig { path, edit } => {
                    match crate::codeartifact::tools::take_back(path, edit) {
                        Ok(Some(done)) => cleaned
                            .registry_files
                            .push(format!("{}: {done}", path.display())),
                        Ok(None) => {}
                        Err(e) => {
                            cleaned.left.push(format!("{} ({e})", path.display()));
                            kept.push(w.clone());
                        }
                    }
                }
                #[cfg(not(feature = "codeartifact"))]
                Written::RegistryConfig { .. } => {}
                Written::Kubeconfig { .. } => {}
            }
        }
        // Newest first: each restores the current context the one before it set.
        for w in entries.iter().rev() {
            if let Written::Kubeconfig { path, .. } = w {
                match take_back_kubeconfig(w) {
                    Ok(Some(line)) => cleaned
                        .kubeconfigs
                        .push(format!("{}: {line}", path.display())),
                    Ok(None) => {}
                    Err(why) => {
                        cleaned.left.push(format!(
                            "the kubeconfig entries it added to {} ({why})",
                            path.display()
                        ));
                        kept.push(w.clone());
                    }
                }
            }
        }
        for (path, mut vars, from) in unset {
            vars.sort();
            vars.dedup();
            // Only variable names, which need no quoting: the fixed names
            // `assume` exports, and the ones `secrets` checked.
            vars.retain(|v| is_var_name(v));
            if !holds_exports(&path, &vars) {
                cleaned.left.push(format!(
                    "the exports in {} (it holds none of the export lines aws-oidc wrote: \
                     no unset lines added)",
                    path.display()
                ));
                continue;
            }
            let line = format!("# aws-oidc cleanup\nunset {}\n", vars.join(" "));
            match files::append(&path, line.as_bytes()) {
                Ok(()) => cleaned.unset_in.push(path),
                Err(e) => {
                    cleaned
                        .left
                        .push(format!("the exports ({e}): unset {}", vars.join(" ")));
                    kept.extend(from.into_iter().cloned());
                }
            }
        }
        let rest = write_ledger(&kept).expect("each entry was read from JSON");
        lock.replace(&rest, 0o600)?;
        Ok(cleaned)
    }
}

/// Takes back one kubeconfig merge: what it did, in words (`None`: nothing).
#[cfg(feature = "eks")]
fn take_back_kubeconfig(w: &Written) -> Result<Option<String>, String> {
    let Written::Kubeconfig {
        path,
        added_clusters,
        added_users,
        added_contexts,
        current_context,
        previous_context,
    } = w
    else {
        return Ok(None);
    };
    let merged = crate::eks::Merged {
        added_clusters: added_clusters.clone(),
        added_users: added_users.clone(),
        added_contexts: added_contexts.clone(),
        current_context: current_context.clone(),
        previous_context: previous_context.clone(),
    };
    let done = crate::eks::kubeconfig::take_back(path, &merged).map_err(|e| e.to_string())?;
    let mut said = Vec::new();
    if !done.removed.is_empty() {
        said.push(format!("removed {}", done.removed.join(", ")));
    }
    match done.restored_context {
        Some(Some(c)) => said.push(format!("current-context back to {c}")),
        Some(None) => said.push("current-context unset, as before".into()),
        None => {}
    }
    Ok((!said.is_empty()).then(|| said.join("; ")))
}

/// Without EKS support nothing reads kubeconfigs; a record of one is left.
#[cfg(not(feature = "eks"))]
fn take_back_kubeconfig(_: &Written) -> Result<Option<String>, String> {
    Ok(None)
}

/// Where credentials are to be written, for [`Ledger::still_valid`].
#[derive(Debug, Clone)]
pub enum Target {
    /// A `$BASH_ENV` file.
    BashEnv(PathBuf),
    /// A profile.
    Profile(SharedFiles, ProfileName),
}

/// The file an entry names first (the credentials file of a profile).
fn written_path(w: &Written) -> &Path {
    match w {
        Written::BashEnv { path, .. }
        | Written::SecretExports { path, .. }
        | Written::RegistryConfig { path, .. }
        | Written::File { path, .. }
        | Written::Kubeconfig { path, .. } => path,
        Written::Profile { credentials, .. } => credentials,
        Written::DockerLogins { config, .. } => config,
    }
}

/// [`Ledger::distrust`] on metadata already read.
fn distrust_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    if meta.file_type().is_symlink() {
        Some("a symlink")
    } else if !meta.is_file() {
        Some("not a regular file")
    } else if !platform::owned_by_me(meta) {
        Some("owned by another user")
    } else if !platform::private_to_owner(meta) {
        Some("open to other users (group or world)")
    } else if meta.len() > LEDGER_LIMIT {
        Some("larger than 1 MiB, more than aws-oidc writes")
    } else {
        None
    }
}

fn same_target(a: &Written, b: &Written) -> bool {
    match (a, b) {
        (Written::BashEnv { path: p, .. }, Written::BashEnv { path: q, .. }) => p == q,
        (
            Written::Profile {
                credentials: c1,
                name: n1,
                ..
            },
            Written::Profile {
                credentials: c2,
                name: n2,
                ..
            },
        ) => c1 == c2 && n1 == n2,
        (Written::File { path: p, .. }, Written::File { path: q, .. }) => p == q,
        (Written::SecretExports { path: p, .. }, Written::SecretExports { path: q, .. }) => p == q,
        (
            Written::RegistryConfig { path: p, edit: e },
            Written::RegistryConfig { path: q, edit: f },
        ) => {
            p == q
                && match (e, f) {
                    (
                        RegistryEdit::Npmrc {
                            registry_key: a,
                            auth_key: b,
                            ..
                        },
                        RegistryEdit::Npmrc {
                            registry_key: c,
                            auth_key: d,
                            ..
                        },
                    ) => a == c && b == d,
                    (RegistryEdit::Netrc { machine: a }, RegistryEdit::Netrc { machine: b }) => {
                        a == b
                    }
                    (RegistryEdit::Pypirc { .. }, RegistryEdit::Pypirc { .. })
                    | (RegistryEdit::MavenSettings { .. }, RegistryEdit::MavenSettings { .. }) => {
                        true
                    }
                    _ => false,
                }
        }
        (
            Written::DockerLogins {
                config: c1,
                hosts: h1,
                helper: k1,
            },
            Written::DockerLogins {
                config: c2,
                hosts: h2,
                helper: k2,
            },
        ) => c1 == c2 && h1 == h2 && k1 == k2,
        (
            Written::Kubeconfig {
                path: p,
                current_context: c,
                ..
            },
            Written::Kubeconfig {
                path: q,
                current_context: d,
                ..
            },
        ) => p == q && c == d,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    /// What `$BASH_ENV` holds after aws-oidc exported into it.
    const EXPORTED: &str =
        "export AWS_ACCESS_KEY_ID='x'\nexport OK_1='y'\nexport DB_PASSWORD='z'\n";

    #[test]
    fn a_ledger_is_per_job_and_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let a = Ledger::in_dir(dir.path(), &env_of(&[("CIRCLE_WORKFLOW_JOB_ID", "job-1")]));
        let b = Ledger::in_dir(dir.path(), &env_of(&[("CIRCLE_WORKFLOW_JOB_ID", "job-2")]));
        a.record(Written::created(dir.path().join("x.env")))
            .unwrap();
        assert_eq!(a.entries().len(), 1);
        assert!(b.entries().is_empty());
        assert_eq!(fingerprint("ASIAEXAMPLE").len(), 16);
        assert_ne!(fingerprint("ASIAEXAMPLE"), fingerprint("ASIAEXAMPLF"));
    }

    #[test]
    fn a_grant_expiring_before_any_clock_is_expired_not_wrapped_into_the_future() {
        let now = SystemTime::now();
        let role = "arn:aws:iam::123456789012:role/deploy";
        let grant = |expires_at| Grant {
            role_arn: role.into(),
            key: fingerprint("ASIA1"),
            expires_at,
        };
        // A hand-edited ledger: i64::MIN - now overflowed (a panic, or in a
        // release build a wrap to "valid for ages").
        assert!(!grant(i64::MIN).fresh_for(role, Duration::ZERO, now));
        assert_eq!(grant(i64::MIN).expiry(), UNIX_EPOCH);
        // A --skip-if-valid beyond i64 seconds is never satisfied.
        assert!(!grant(i64::MAX).fresh_for(role, Duration::MAX, now));
        assert!(grant(i64::MAX).fresh_for(role, Duration::from_secs(3600), now));
        let _ = grant(i64::MAX).expiry();
        assert!(!grant(unix(now) + 3600).fresh_for(
            "arn:aws:iam::1:role/other",
            Duration::ZERO,
            now
        ));
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_the_ledger_cannot_hold_is_refused_and_the_earlier_ones_kept() {
        use std::os::unix::ffi::OsStrExt as _;
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = Written::BashEnv {
            path: dir.path().join("bash_env"),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        };
        l.record(bash_env.clone()).unwrap();
        // A --dotenv path that is not UTF-8: JSON cannot hold it.
        let odd = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"creds-\xff.env"));
        let err = l
            .record(Written::File {
                path: odd,
                sha256: None,
            })
            .unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
        // Before, the whole ledger was written as nothing: cleanup then
        // forgot the exports.
        assert_eq!(l.entries(), vec![bash_env]);
    }

    #[test]
    fn a_corrupt_ledger_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        std::fs::write(dir.path().join("local.ledger"), "{not json").unwrap();
        assert!(l.entries().is_empty());
    }

    #[test]
    fn bash_env_credentials_are_still_valid_only_while_live_fresh_and_the_same_role() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let path = dir.path().join("bash_env");
        let now = SystemTime::now();
        l.record(Written::BashEnv {
            path: path.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: Some(Grant {
                role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
                key: fingerprint("ASIA1"),
                expires_at: unix(now) + 3600,
            }),
        })
        .unwrap();
        let target = Target::BashEnv(path);
        let role = "arn:aws:iam::123456789012:role/deploy";
        let live = env_of(&[("AWS_ACCESS_KEY_ID", "ASIA1")]);
        let ten = Duration::from_secs(600);
        assert!(l.still_valid(&target, role, ten, now, &live).is_some());
        assert!(l
            .still_valid(&target, role, Duration::from_secs(3700), now, &live)
            .is_none());
        assert!(l
            .still_valid(
                &target,
                "arn:aws:iam::123456789012:role/other",
                ten,
                now,
                &live
            )
            .is_none());
        let replaced = env_of(&[("AWS_ACCESS_KEY_ID", "ASIA2")]);
        assert!(l.still_valid(&target, role, ten, now, &replaced).is_none());
    }

    #[test]
    fn cleanup_unsets_removes_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, "export KEEP=1\nexport AWS_ACCESS_KEY_ID='x'\n").unwrap();
        let dotenv = dir.path().join("a.env");
        std::fs::write(&dotenv, "X=1\n").unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_SESSION_TOKEN".into(), "AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(Written::created(dotenv.clone())).unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env.clone()]);
        assert_eq!(cleaned.files, 1);
        assert!(!dotenv.exists());
        assert_eq!(
            std::fs::read_to_string(&bash_env).unwrap(),
            "export KEEP=1\nexport AWS_ACCESS_KEY_ID='x'\n# aws-oidc cleanup\nunset AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN\n"
        );
        assert!(l.entries().is_empty());
    }

    #[test]
    fn secret_exports_add_up_and_survive_a_later_assume() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let secrets = |vars: &[&str]| Written::SecretExports {
            path: bash_env.clone(),
            vars: vars.iter().map(|v| v.to_string()).collect(),
        };
        l.record(secrets(&["DB_PASSWORD", "db2"])).unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(secrets(&["API_TOKEN"])).unwrap();
        assert_eq!(l.entries().len(), 2);
        l.cleanup().unwrap();
        let text = std::fs::read_to_string(&bash_env).unwrap();
        assert!(
            text.ends_with("unset API_TOKEN AWS_ACCESS_KEY_ID DB_PASSWORD db2\n"),
            "{text}"
        );
    }

    #[test]
    fn cleanup_unsets_only_variable_names() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        // A hand-edited ledger must not put code into $BASH_ENV.
        l.record(Written::SecretExports {
            path: bash_env.clone(),
            vars: vec!["OK_1".into(), "$(id)".into(), "1X".into()],
        })
        .unwrap();
        l.cleanup().unwrap();
        let text = std::fs::read_to_string(&bash_env).unwrap();
        assert!(text.ends_with("unset OK_1\n"), "{text}");
    }

    #[test]
    fn one_file_cleanup_cannot_change_does_not_keep_it_from_unsetting_the_exports() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let dotenv = dir.path().join("a.env");
        std::fs::write(&dotenv, "X=1\n").unwrap();
        // A read-only credentials file (refused even for root): profile::remove fails.
        let not_a_file = dir.path().join("credentials");
        std::fs::write(&not_a_file, "[ci]\naws_access_key_id = AKIAEXAMPLE\n").unwrap();
        platform::set_mode(&not_a_file, 0o400).unwrap();
        let profile = Written::Profile {
            credentials: not_a_file.clone(),
            config: dir.path().join("config"),
            name: "ci".into(),
            region: false,
            profile_region: false,
            default_region: false,
            grant: None,
            process_role: None,
        };
        l.record(profile.clone()).unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(Written::created(dotenv.clone())).unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env.clone()]);
        assert!(!dotenv.exists());
        assert_eq!(cleaned.left.len(), 1, "{:?}", cleaned.left);
        assert!(cleaned.left[0].contains("\"ci\""), "{:?}", cleaned.left);
        assert!(std::fs::read_to_string(&bash_env)
            .unwrap()
            .ends_with("unset AWS_ACCESS_KEY_ID\n"));
        // What was not taken back stays recorded for a rerun; the rest is forgotten.
        assert_eq!(l.entries(), vec![profile]);
        let again = l.cleanup().unwrap();
        assert_eq!(again.left.len(), 1);
        assert!(again.unset_in.is_empty());
    }

    #[cfg(feature = "eks")]
    #[test]
    fn a_kubeconfig_nested_too_deep_is_left_and_named_and_the_exports_still_go() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let kubeconfig = dir.path().join("config");
        let deep = "- ".repeat(20_000) + "x\n";
        std::fs::write(&kubeconfig, &deep).unwrap();
        l.record(Written::Kubeconfig {
            path: kubeconfig.clone(),
            added_clusters: vec!["c".into()],
            added_users: vec![],
            added_contexts: vec![],
            current_context: "c".into(),
            previous_context: None,
        })
        .unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env]);
        assert_eq!(cleaned.left.len(), 1);
        assert!(cleaned.left[0].contains("deep"), "{:?}", cleaned.left);
        assert_eq!(std::fs::read_to_string(&kubeconfig).unwrap(), deep);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_or_open_ledger_is_not_trusted_and_nothing_it_names_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep\n").unwrap();
        let text = format!(
            r#"{{"version":1,"written":[{{"kind":"file","path":{:?},"sha256":null}}]}}"#,
            victim
        );
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::write(&elsewhere, &text).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("local.ledger")).unwrap();
        assert!(l.entries().is_empty());
        let err = l.cleanup().unwrap_err();
        assert!(err.to_string().contains("a symlink"), "{err}");
        // Recording replaces the link; the file it pointed at is not written.
        l.record(Written::created(dir.path().join("x"))).unwrap();
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), text);
        std::fs::write(dir.path().join("local.ledger"), &text).unwrap();
        platform::set_mode(&dir.path().join("local.ledger"), 0o666).unwrap();
        assert!(l.entries().is_empty());
        let err = l.cleanup().unwrap_err();
        assert!(err.to_string().contains("open to other users"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    }

    #[test]
    fn a_ledger_naming_files_aws_oidc_did_not_write_leaves_them_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let config = dir.path().join("config.yml");
        let body = "version: 2.1\n# aws_access_key_id\njobs: {}\n";
        std::fs::write(&config, body).unwrap();
        let entries = [
            Written::File {
                path: config.clone(),
                sha256: None,
            },
            Written::File {
                path: config.clone(),
                sha256: Some("00".repeat(32)),
            },
            Written::BashEnv {
                path: config.clone(),
                vars: vec!["AWS_ACCESS_KEY_ID".into()],
                grant: None,
            },
            Written::Profile {
                credentials: config.clone(),
                config: config.clone(),
                name: "jobs".into(),
                region: true,
                profile_region: true,
                default_region: true,
                grant: None,
                process_role: None,
            },
            Written::DockerLogins {
                config: config.clone(),
                hosts: vec!["version".into()],
                helper: false,
            },
            Written::Kubeconfig {
                path: config.clone(),
                added_clusters: vec!["jobs".into()],
                added_users: vec![],
                added_contexts: vec![],
                current_context: "x".into(),
                previous_context: None,
            },
        ];
        for w in entries {
            l.record(w).unwrap();
            let cleaned = l.cleanup().unwrap();
            assert!(
                cleaned.unset_in.is_empty() && cleaned.files == 0,
                "{cleaned:?}"
            );
            assert!(cleaned.profiles.is_empty(), "{cleaned:?}");
            assert_eq!(std::fs::read_to_string(&config).unwrap(), body);
        }
    }
}
