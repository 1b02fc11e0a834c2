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
//!
//! The ledger only records: taking an entry back is the business of the
//! module that wrote it, and [`Ledger::cleanup`] (in the `cleanup` module,
//! above every writer) asks each in turn, so this module needs none of them.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::files::{self, FileError, UpdateLock};
use crate::platform;
use crate::shared_files::{self, ProfileError, ProfileName, SharedFiles};

/// The largest ledger read; a larger one is taken as corrupt.
const LEDGER_LIMIT: u64 = 1024 * 1024;

/// Which credentials a write holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The role the credentials act as (the chained role, if any).
    pub role_arn: String,
    /// `fingerprint` of the access key id.
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
        /// What the merge added and the context it set.
        #[serde(flatten)]
        merged: Merged,
    },
}

/// What an `eks-kubeconfig` merge changed, for `cleanup`: the names of
/// the entries that were not there before, and the current context it set
/// and the one before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    /// Cluster entries that were not there before (names).
    pub added_clusters: Vec<String>,
    /// User entries that were not there before.
    pub added_users: Vec<String>,
    /// Context entries that were not there before.
    pub added_contexts: Vec<String>,
    /// The context made current.
    pub current_context: String,
    /// The current context before, if any.
    pub previous_context: Option<String>,
}

impl Merged {
    /// A later merge of the same entries, on top of `earlier`: the entries
    /// either added are still to take back, and the context before the
    /// first merge is the one to give back.
    fn after(mut self, earlier: &Merged) -> Merged {
        for (all, old) in [
            (&mut self.added_clusters, &earlier.added_clusters),
            (&mut self.added_users, &earlier.added_users),
            (&mut self.added_contexts, &earlier.added_contexts),
        ] {
            for name in old {
                if !all.contains(name) {
                    all.push(name.clone());
                }
            }
        }
        self.previous_context = earlier.previous_context.clone();
        self
    }
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

/// The access key id's fingerprint: the first 16 hex digits of its SHA-256,
/// enough to tell credentials apart without keeping the id.
pub(crate) fn fingerprint(access_key_id: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_key_id.as_bytes());
    hex::encode(&digest.as_ref()[..8])
}

/// SHA-256 (hex) of a regular file's bytes (read bounded); `None` for
/// anything else, or a file that cannot be read.
pub(crate) fn file_sha256(path: &Path) -> Option<String> {
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

crate::error_debug::debug_by_display!(CleanupError);
/// Why cleanup could not finish.
#[derive(thiserror::Error)]
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
                    merged: earlier, ..
                }),
                Written::Kubeconfig { path, merged },
            ) => Written::Kubeconfig {
                path,
                merged: merged.after(earlier),
            },
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
    /// more than `min_left`: until when, when it does.
    pub fn still_valid(
        &self,
        target: &Target,
        role_arn: &str,
        min_left: Duration,
        now: SystemTime,
        env: Env,
    ) -> Option<ValidUntil> {
        let fresh = |g: &Grant| g.fresh_for(role_arn, min_left, now);
        let until = |g: &Grant| ValidUntil::At(g.expiry());
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
                        let live = shared_files::access_key_id(files, profile)
                            .is_some_and(|k| fingerprint(&k) == g.key);
                        (live && fresh(g)).then(|| until(g))
                    }
                    // A self-refreshing profile stays valid while it is there.
                    (None, Some(role)) if role == role_arn => {
                        shared_files::credential_process(files, profile)
                            .map(|_| ValidUntil::Refreshes)
                    }
                    _ => None,
                }
            }
            _ => None,
        })
    }

    /// Takes back what is recorded, under the ledger's lock: `take_back` is
    /// given every entry, oldest first, and returns what it did and the
    /// entries it could not take back, which stay recorded for a rerun.  A
    /// ledger not to be trusted ([`Ledger::distrust`]) is not read, and
    /// nothing it names is touched.  What each entry's take-back is, the
    /// `cleanup` module says, above every writer it calls.
    pub(crate) fn settle<T>(
        &self,
        take_back: impl FnOnce(Vec<Written>) -> (T, Vec<Written>),
    ) -> Result<T, CleanupError> {
        if let Some(why) = self.distrust() {
            return Err(CleanupError::Untrusted {
                path: self.path.clone(),
                why,
            });
        }
        let lock = UpdateLock::acquire(&self.path)?;
        let (done, kept) = take_back(self.entries());
        let rest = write_ledger(&kept).expect("each entry was read from JSON");
        lock.replace(&rest, 0o600)?;
        Ok(done)
    }
}

/// Until when a target holds valid credentials.  Ordered: the earliest
/// time first, a profile that refreshes itself last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValidUntil {
    /// Until this time.
    At(SystemTime),
    /// For as long as the profile refreshes itself (its `credential_process`).
    Refreshes,
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
            Written::Kubeconfig { path: p, merged: m },
            Written::Kubeconfig { path: q, merged: n },
        ) => p == q && m.current_context == n.current_context,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn a_second_merge_into_a_kubeconfig_keeps_what_the_first_added_and_the_context_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let merge = |cluster: &str, before: &str| Written::Kubeconfig {
            path: dir.path().join("kubeconfig"),
            merged: Merged {
                added_clusters: vec![cluster.into()],
                added_users: vec![format!("u-{cluster}")],
                current_context: "ctx".into(),
                previous_context: Some(before.into()),
                ..Merged::default()
            },
        };
        l.record(merge("first", "theirs")).unwrap();
        l.record(merge("second", "ctx")).unwrap();
        let [Written::Kubeconfig { merged, .. }] = &l.entries()[..] else {
            panic!("one kubeconfig record: {:?}", l.entries());
        };
        assert_eq!(merged.added_clusters, ["second", "first"]);
        assert_eq!(merged.added_users, ["u-second", "u-first"]);
        assert_eq!(merged.previous_context.as_deref(), Some("theirs"));
        // The record is flat in the ledger's JSON, as before the type was shared.
        let text = String::from_utf8(write_ledger(&l.entries()).unwrap()).unwrap();
        assert!(text.contains(r#""kind":"kubeconfig","path":"#), "{text}");
        assert!(text.contains(r#""previous_context":"theirs""#), "{text}");
    }

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
}
