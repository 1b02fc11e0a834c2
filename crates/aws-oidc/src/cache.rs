//! A private on-disk cache of credentials, for `credential-process`.
//!
//! AWS tools run `credential_process` once per process, so a loop of `aws`
//! commands would otherwise call STS every time.  The cache keeps one entry
//! per role, chain and audience, in a directory only this user can read
//! (0700, files 0600).  A lock per entry makes parallel processes wait for
//! the one that is refreshing, so they cost one STS call between them.  An
//! entry that is corrupt, owned by someone else, or readable by others is
//! ignored and replaced, never trusted.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::credentials::{Credentials, Secret};
use crate::exchange::{Exchange, ExchangeError};
use crate::files::{self, FileError};
use crate::ledger::{Ledger, Written};
use crate::settings::Env;

/// Refresh when less than this is left (or a quarter of the lifetime, if shorter).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The directory is not safe to keep secrets in.
    #[error("the credential cache directory {path} is {why}; fix it (chmod 700, owned by you) or point AWS_OIDC_CACHE_DIR elsewhere")]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct CredentialCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    issued_at: u64,
    expires_at: u64,
}

/// Cached credentials and when they were issued.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The credentials.
    pub credentials: Credentials,
    /// When STS issued them.
    pub issued_at: SystemTime,
}

impl Cached {
    /// Whether they can still be handed out at `now`: more than
    /// min(5 minutes, a quarter of their lifetime) left.
    pub fn fresh_at(&self, now: SystemTime) -> bool {
        let lifetime = self
            .credentials
            .expiration
            .duration_since(self.issued_at)
            .unwrap_or_default();
        let margin = REFRESH_MARGIN.min(lifetime / 4);
        self.credentials
            .expiration
            .duration_since(now)
            .is_ok_and(|left| left > margin)
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl CredentialCache {
    /// The default place: `$AWS_OIDC_CACHE_DIR`, else `$XDG_CACHE_HOME/aws-oidc`, else `~/.cache/aws-oidc`.
    pub fn default_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        env("AWS_OIDC_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| env("XDG_CACHE_HOME").map(|d| Path::new(&d).join("aws-oidc")))
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".cache").join("aws-oidc")))
    }

    /// Opens the cache in [`CredentialCache::default_dir`]; `None` when no
    /// directory can be named (no `HOME`).
    pub fn open_default(env: Env) -> Option<Result<Self, CacheError>> {
        Self::default_dir(env).map(Self::open)
    }

    /// The ledger of what aws-oidc wrote in this job, kept in this directory.
    pub fn ledger(&self, env: Env) -> Ledger {
        Ledger::in_dir(&self.dir, env)
    }

    /// Opens (creating 0700) a directory that only this user can read.
    pub fn open(dir: PathBuf) -> Result<Self, CacheError> {
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|source| FileError {
                    action: "cannot create the cache directory",
                    path: dir.clone(),
                    source,
                })?;
        }
        let meta = fs::symlink_metadata(&dir).map_err(|source| FileError {
            action: "cannot read the cache directory",
            path: dir.clone(),
            source,
        })?;
        let unsafe_dir = |why: &str| CacheError::Unsafe {
            path: dir.clone(),
            why: why.into(),
        };
        if !meta.is_dir() {
            return Err(unsafe_dir("not a directory (or a symlink)"));
        }
        if meta.uid() != euid() {
            return Err(unsafe_dir("owned by another user"));
        }
        if meta.mode() & 0o077 != 0 {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
                FileError {
                    action: "cannot make the cache directory private",
                    path: dir.clone(),
                    source,
                }
            })?;
        }
        Ok(CredentialCache { dir })
    }

    /// The entry name for a request: a SHA-256 of its parts, so no name or ARN shows in the file name.
    pub fn key(parts: &[&str]) -> String {
        let joined = parts.join("\n");
        let digest = ring::digest::digest(&ring::digest::SHA256, joined.as_bytes());
        hex::encode(digest)
    }

    /// Locks the entry `key` for a read-maybe-refresh-write cycle.
    pub fn lock(&self, key: &str) -> Result<EntryLock, CacheError> {
        let lock_path = self.dir.join(format!("{key}.lock"));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&lock_path)
            .map_err(|source| FileError {
                action: "cannot open the cache lock",
                path: lock_path.clone(),
                source,
            })?;
        file.lock().map_err(|source| FileError {
            action: "cannot lock",
            path: lock_path,
            source,
        })?;
        Ok(EntryLock {
            path: self.dir.join(format!("{key}.json")),
            _file: file,
        })
    }
}

/// An exclusive hold on one cache entry.
#[derive(Debug)]
pub struct EntryLock {
    path: PathBuf,
    _file: fs::File,
}

impl EntryLock {
    /// The entry's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the entry, or `None` if it is missing, corrupt, or not private to this user.
    pub fn load(&self) -> Option<Cached> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file()
            || meta.uid() != euid()
            || meta.mode() & 0o077 != 0
            || meta.len() > 64 * 1024
        {
            return None;
        }
        let entry: Entry = serde_json::from_reader(io::BufReader::new(file)).ok()?;
        let well_formed = entry.version == 1
            && !entry.access_key_id.is_empty()
            && !entry.secret_access_key.is_empty()
            && !entry.session_token.is_empty()
            && entry.issued_at < entry.expires_at;
        if !well_formed {
            return None;
        }
        Some(Cached {
            credentials: Credentials {
                access_key_id: Secret::new(entry.access_key_id),
                secret_access_key: Secret::new(entry.secret_access_key),
                session_token: Secret::new(entry.session_token),
                expiration: UNIX_EPOCH + Duration::from_secs(entry.expires_at),
            },
            issued_at: UNIX_EPOCH + Duration::from_secs(entry.issued_at),
        })
    }

    /// Replaces the entry (0600, atomically).  Anything in the way is removed first.
    pub fn store(&self, cached: &Cached) -> Result<(), CacheError> {
        let entry = Entry {
            version: 1,
            access_key_id: cached.credentials.access_key_id.expose().to_string(),
            secret_access_key: cached.credentials.secret_access_key.expose().to_string(),
            session_token: cached.credentials.session_token.expose().to_string(),
            issued_at: unix(cached.issued_at),
            expires_at: unix(cached.credentials.expiration),
        };
        let text = serde_json::to_vec(&entry).expect("plain struct serialises");
        // A foreign file or a symlink here is replaced, not written through.
        if fs::symlink_metadata(&self.path).is_ok_and(|m| !m.is_file() || m.uid() != euid()) {
            let _ = fs::remove_file(&self.path);
        }
        files::write_atomic_no_follow(&self.path, &text, 0o600)?;
        Ok(())
    }
}

/// An exchange served from the cache while its credentials are fresh: the
/// cached provider wraps the plain one.
#[derive(Debug)]
pub struct CachedExchange<'a> {
    exchange: &'a Exchange,
    cache: Option<CredentialCache>,
}

/// Why cached credentials could not be had.
#[derive(Debug, thiserror::Error)]
pub enum CachedError {
    /// The exchange itself failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The cache could not be locked or written.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl<'a> CachedExchange<'a> {
    /// `exchange`, cached in `cache` (`None`: no cache, every call goes to STS).
    pub fn new(exchange: &'a Exchange, cache: Option<CredentialCache>) -> Self {
        CachedExchange { exchange, cache }
    }

    /// The entry for the exchange: everything that changes what STS returns.
    fn key(&self) -> String {
        let x = self.exchange;
        let r = x.request();
        let policy_arns: Vec<&str> = r.policy_arns.iter().map(|a| a.as_str()).collect();
        let duration = r.duration.secs().to_string();
        let chain = x.chain();
        CredentialCache::key(&[
            r.role_arn.as_str(),
            r.session_name.as_str(),
            &duration,
            r.policy.as_ref().map(|p| p.as_str()).unwrap_or(""),
            &policy_arns.join(","),
            chain.map(|c| c.role_arn.as_str()).unwrap_or(""),
            chain.map(|c| c.session_name.as_str()).unwrap_or(""),
            chain.and_then(|c| c.external_id.as_deref()).unwrap_or(""),
            &chain
                .map(|c| {
                    c.tags
                        .iter()
                        .map(|t| format!("{}={}", t.key(), t.value()))
                        .collect::<Vec<_>>()
                        .join("\u{1f}")
                })
                .unwrap_or_default(),
            x.token_options().audience.as_deref().unwrap_or(""),
            &x.sts_settings().endpoint_description(),
        ])
    }

    /// Credentials from the cache while fresh, else from STS (then cached).
    /// Parallel callers wait for the one refreshing.
    pub fn credentials(&self, env: Env) -> Result<Credentials, CachedError> {
        let Some(cache) = &self.cache else {
            return Ok(self.exchange.run(env)?.assumed.credentials);
        };
        let entry = cache.lock(&self.key())?;
        if let Some(cached) = entry.load().filter(|c| c.fresh_at(SystemTime::now())) {
            return Ok(cached.credentials);
        }
        let issued_at = SystemTime::now();
        let credentials = self.exchange.run(env)?.assumed.credentials;
        entry.store(&Cached {
            credentials: credentials.clone(),
            issued_at,
        })?;
        // For `cleanup`; a ledger that cannot be written only means cleanup
        // will leave this entry, so it does not fail the credentials.
        let _ = cache.ledger(env).record(Written::File {
            path: entry.path().to_path_buf(),
        });
        Ok(credentials)
    }

    /// Puts credentials just obtained for the exchange into the cache, so
    /// the first use through `credential_process` is instant.
    pub fn prime(
        &self,
        credentials: &Credentials,
        issued_at: SystemTime,
        env: Env,
    ) -> Result<(), CacheError> {
        if let Some(cache) = &self.cache {
            let entry = cache.lock(&self.key())?;
            entry.store(&Cached {
                credentials: credentials.clone(),
                issued_at,
            })?;
            cache.ledger(env).record(Written::File {
                path: entry.path().to_path_buf(),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(lifetime: u64, issued: SystemTime) -> Cached {
        Cached {
            credentials: Credentials {
                access_key_id: Secret::new("ASIAX"),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: issued + Duration::from_secs(lifetime),
            },
            issued_at: issued,
        }
    }

    #[test]
    fn fresh_while_more_than_the_margin_is_left() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = creds(3600, t0);
        assert!(hour.fresh_at(t0 + Duration::from_secs(3600 - 301)));
        assert!(!hour.fresh_at(t0 + Duration::from_secs(3600 - 300)));
        // Short-lived credentials refresh at a quarter of their life.
        let short = creds(40, t0);
        assert!(short.fresh_at(t0 + Duration::from_secs(29)));
        assert!(!short.fresh_at(t0 + Duration::from_secs(30)));
    }

    #[test]
    fn round_trips_and_rejects_what_it_cannot_trust() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(dir.path().join("c")).unwrap();
        assert_eq!(
            fs::metadata(dir.path().join("c")).unwrap().mode() & 0o777,
            0o700
        );
        let key = CredentialCache::key(&["arn:aws:iam::1:role/x", ""]);
        assert_eq!(key.len(), 64);
        let lock = cache.lock(&key).unwrap();
        assert!(lock.load().is_none());
        let now = SystemTime::now();
        lock.store(&creds(3600, now)).unwrap();
        let back = lock.load().unwrap();
        assert_eq!(back.credentials.secret_access_key.expose(), "s");
        assert_eq!(fs::metadata(lock.path()).unwrap().mode() & 0o777, 0o600);

        // Readable by others: ignored.
        fs::set_permissions(lock.path(), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(lock.load().is_none());
        // Corrupt: ignored, and replaced by the next store.
        fs::write(lock.path(), b"{not json").unwrap();
        fs::set_permissions(lock.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(lock.load().is_none());
        lock.store(&creds(3600, now)).unwrap();
        assert!(lock.load().is_some());
        // A symlink planted in its place is not followed.
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, b"keep").unwrap();
        fs::remove_file(lock.path()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, lock.path()).unwrap();
        assert!(lock.load().is_none());
        lock.store(&creds(3600, now)).unwrap();
        assert_eq!(fs::read(&elsewhere).unwrap(), b"keep");
        assert!(lock.load().is_some());
    }

    #[test]
    fn a_loose_directory_is_made_private() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("c");
        fs::create_dir(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        CredentialCache::open(d.clone()).unwrap();
        assert_eq!(fs::metadata(&d).unwrap().mode() & 0o777, 0o700);
    }
}
