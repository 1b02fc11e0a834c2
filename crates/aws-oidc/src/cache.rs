//! A private on-disk cache of credentials, for `credential-process`.
//!
//! AWS tools run `credential_process` once per process, so a loop of `aws`
//! commands would otherwise call STS every time.  The cache keeps one entry
//! per role, chain and audience, in a directory only this user can read
//! (0700, files 0600).  A lock per entry makes parallel processes wait for
//! the one that is refreshing, so they cost one STS call between them, and
//! no longer than the time limit (`--timeout`) allows.  An entry that is
//! corrupt, owned by someone else, readable by others, a directory or a
//! symlink, or whose times are impossible, is ignored and replaced, never
//! trusted; a lock that cannot be had means no cache, not a failure.

use std::fs::{self, OpenOptions};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::credentials::{unix, Credentials, Origin, Secret};
use crate::env::Env;
use crate::exchange::{Exchange, ExchangeError};
use crate::files::{self, FileError};
use crate::ledger::{Ledger, Written};
use crate::platform;

/// Refresh when less than this is left (or a quarter of the lifetime, if shorter).
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(300);

crate::error_debug::debug_by_display!(CacheError);
/// Why the cache cannot be used.
#[derive(thiserror::Error)]
pub enum CacheError {
    /// The directory is not safe to keep secrets in.
    #[error("the credential cache directory {path} is {why}; fix it (chmod 700, owned by you) or point AWS_OIDC_CACHE_DIR elsewhere")]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Another process held the entry's lock until the time limit ran out.
    #[error("another aws-oidc process held the credential cache lock for {waited_secs} s, until the time limit (--timeout) ran out; run the step again, or pass --no-cache")]
    Busy {
        /// How long this process waited.
        waited_secs: u64,
    },
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The largest cache entry read (an entry is well under 8 KiB).
pub(crate) const MAX_ENTRY: u64 = 64 * 1024;

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
        // Credentials without an expiry are never cached: nothing to trust.
        let Some(expiration) = self.credentials.expiration else {
            return false;
        };
        let lifetime = expiration
            .duration_since(self.issued_at)
            .unwrap_or_default();
        let margin = REFRESH_MARGIN.min(lifetime / 4);
        expiration
            .duration_since(now)
            .is_ok_and(|left| left > margin)
    }
}

impl CredentialCache {
    /// The default place: `$AWS_OIDC_CACHE_DIR`, else `$XDG_CACHE_HOME/aws-oidc`, else `~/.cache/aws-oidc`.
    pub fn default_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        env("AWS_OIDC_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| env("XDG_CACHE_HOME").map(|d| Path::new(&d).join("aws-oidc")))
            .or_else(|| {
                platform::home_dir(env).map(|h| Path::new(&h).join(".cache").join("aws-oidc"))
            })
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
            platform::create_private_dir(&dir).map_err(|source| FileError {
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
        if !platform::owned_by_me(&meta) {
            return Err(unsafe_dir("owned by another user"));
        }
        if !platform::private_to_owner(&meta) {
            platform::set_mode(&dir, 0o700).map_err(|source| FileError {
                action: "cannot make the cache directory private",
                path: dir.clone(),
                source,
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

    /// Locks the entry `key` for a read-maybe-refresh-write cycle, waiting
    /// for another process that holds it until `deadline` at most.
    pub(crate) fn lock(&self, key: &str, deadline: Instant) -> Result<EntryLock, CacheError> {
        let lock_path = self.dir.join(format!("{key}.lock"));
        let file = platform::open_no_follow(platform::create_mode(
            OpenOptions::new().create(true).truncate(false).write(true),
            0o600,
        ))
        .open(&lock_path)
        .map_err(|source| FileError {
            action: "cannot open the cache lock",
            path: lock_path.clone(),
            source,
        })?;
        let meta = file.metadata().map_err(|source| FileError {
            action: "cannot open the cache lock",
            path: lock_path.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(FileError {
                action: "cannot use the cache lock",
                path: lock_path,
                source: io::Error::new(io::ErrorKind::InvalidInput, "it is not a regular file"),
            }
            .into());
        }
        let started = Instant::now();
        let locked = files::lock_until(&file, deadline).map_err(|source| FileError {
            action: "cannot lock",
            path: lock_path.clone(),
            source,
        })?;
        if !locked {
            return Err(CacheError::Busy {
                waited_secs: started.elapsed().as_secs(),
            });
        }
        Ok(EntryLock {
            path: self.dir.join(format!("{key}.json")),
            _file: file,
        })
    }
}

/// Reads a cache entry's bytes: `None` unless they are a well-formed entry
/// whose times are possible (issued before it expires, at most STS's 12
/// hours apart, both within the calendar), so that nothing read here can
/// overflow a later time calculation.
pub fn parse_entry(bytes: &[u8]) -> Option<Cached> {
    if bytes.len() as u64 > MAX_ENTRY {
        return None;
    }
    let entry: Entry = serde_json::from_slice(bytes).ok()?;
    // Within the year 9999: what RFC 3339 can write, and far from any overflow.
    const LAST: u64 = 253_402_300_799;
    let well_formed = entry.version == 1
        && !entry.access_key_id.is_empty()
        && !entry.secret_access_key.is_empty()
        && !entry.session_token.is_empty()
        && entry.issued_at < entry.expires_at
        && entry.expires_at <= LAST
        && entry.expires_at - entry.issued_at <= u64::from(crate::request::SessionDuration::MAX);
    if !well_formed {
        return None;
    }
    Some(Cached {
        credentials: Credentials::temporary(
            Secret::new(entry.access_key_id),
            Secret::new(entry.secret_access_key),
            Secret::new(entry.session_token),
            UNIX_EPOCH.checked_add(Duration::from_secs(entry.expires_at))?,
            Origin::Cache,
        ),
        issued_at: UNIX_EPOCH.checked_add(Duration::from_secs(entry.issued_at))?,
    })
}

/// An exclusive hold on one cache entry.
#[derive(Debug)]
pub(crate) struct EntryLock {
    path: PathBuf,
    _file: fs::File,
}

impl EntryLock {
    /// The entry's file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the entry, or `None` if it is missing, corrupt, not a regular
    /// file, or not private to this user.
    pub(crate) fn load(&self) -> Option<Cached> {
        parse_entry(&self.load_bytes()?)
    }

    /// The entry's bytes (for entries of other kinds, such as ECR logins),
    /// or `None` if it is missing, not a regular file, larger than an entry
    /// may be, or not private to this user.
    pub(crate) fn load_bytes(&self) -> Option<Vec<u8>> {
        let file = platform::open_no_follow(OpenOptions::new().read(true))
            .open(&self.path)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file()
            || !platform::owned_by_me(&meta)
            || !platform::private_to_owner(&meta)
            || meta.len() > MAX_ENTRY
        {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(MAX_ENTRY + 1).read_to_end(&mut bytes).ok()?;
        (bytes.len() as u64 <= MAX_ENTRY).then_some(bytes)
    }

    /// Replaces the entry (0600, atomically).  Anything in the way is
    /// removed first.  Only temporary credentials (a role's, with a session
    /// token and an expiry) are kept: long-lived keys are refused.
    pub(crate) fn store(&self, cached: &Cached) -> Result<(), CacheError> {
        let cannot_write = |source: io::Error| FileError {
            action: "cannot write",
            path: self.path.clone(),
            source,
        };
        let c = &cached.credentials;
        let (Some(session_token), Some(expiration)) = (&c.session_token, c.expiration) else {
            return Err(cannot_write(io::Error::other(
                "only temporary credentials (a session token and an expiry) are cached",
            ))
            .into());
        };
        let entry = Entry {
            version: 1,
            access_key_id: c.access_key_id.expose().to_string(),
            secret_access_key: c.secret_access_key.expose().to_string(),
            session_token: session_token.expose().to_string(),
            issued_at: unix(cached.issued_at),
            expires_at: unix(expiration),
        };
        let text = serde_json::to_vec(&entry).map_err(|e| cannot_write(io::Error::other(e)))?;
        self.store_bytes(&text)
    }

    /// Replaces the entry with `text` (0600, atomically).  Anything in the
    /// way is removed first.
    pub(crate) fn store_bytes(&self, text: &[u8]) -> Result<(), CacheError> {
        // A foreign file or a symlink here is replaced, not written through;
        // a directory is left alone (and the rename below fails: no cache).
        if fs::symlink_metadata(&self.path)
            .is_ok_and(|m| !m.is_dir() && (!m.is_file() || !platform::owned_by_me(&m)))
        {
            let _ = fs::remove_file(&self.path);
        }
        files::write_atomic_no_follow(&self.path, text, 0o600)?;
        Ok(())
    }
}

/// An exchange served from the cache while its credentials are fresh: the
/// cached provider wraps the plain one.
#[derive(Debug)]
pub(crate) struct CachedExchange<'a> {
    exchange: &'a Exchange,
    cache: Option<CredentialCache>,
}

crate::error_debug::debug_by_display!(CachedError);
/// Why cached credentials could not be had.
#[derive(thiserror::Error)]
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
    pub(crate) fn new(exchange: &'a Exchange, cache: Option<CredentialCache>) -> Self {
        CachedExchange { exchange, cache }
    }

    /// The entry for the exchange: everything that changes what STS returns.
    pub(crate) fn key(&self) -> String {
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
    /// Parallel callers wait for the one refreshing, within the exchange's
    /// time limit.  A cache that cannot be used (its lock or entry is not a
    /// regular file, say) means no cache: the credentials still come, with
    /// the reason in [`Served::cache_problem`].
    pub(crate) fn credentials(&self, env: Env) -> Result<Served, CachedError> {
        let deadline = Instant::now() + self.exchange.time_limit();
        let Some(cache) = &self.cache else {
            return Ok(Served {
                credentials: self.exchange.run_until(env, deadline)?.assumed.credentials,
                cache_problem: None,
            });
        };
        let entry = match cache.lock(&self.key(), deadline) {
            Ok(entry) => entry,
            Err(busy @ CacheError::Busy { .. }) => return Err(busy.into()),
            Err(problem) => {
                return Ok(Served {
                    credentials: self.exchange.run_until(env, deadline)?.assumed.credentials,
                    cache_problem: Some(problem),
                })
            }
        };
        if let Some(cached) = entry.load().filter(|c| c.fresh_at(SystemTime::now())) {
            return Ok(Served {
                credentials: cached.credentials,
                cache_problem: None,
            });
        }
        let issued_at = SystemTime::now();
        let credentials = self.exchange.run_until(env, deadline)?.assumed.credentials;
        let cache_problem = entry
            .store(&Cached {
                credentials: credentials.clone(),
                issued_at,
            })
            .err();
        if cache_problem.is_none() {
            // For `cleanup`; a ledger that cannot be written only means cleanup
            // will leave this entry, so it does not fail the credentials.
            let _ = cache
                .ledger(env)
                .record(Written::created(entry.path().to_path_buf()));
        }
        Ok(Served {
            credentials,
            cache_problem,
        })
    }

    /// Puts credentials just obtained for the exchange into the cache, so
    /// the first use through `credential_process` is instant.
    pub(crate) fn prime(
        &self,
        credentials: &Credentials,
        issued_at: SystemTime,
        env: Env,
    ) -> Result<(), CacheError> {
        if let Some(cache) = &self.cache {
            let deadline = Instant::now() + self.exchange.time_limit();
            let entry = cache.lock(&self.key(), deadline)?;
            entry.store(&Cached {
                credentials: credentials.clone(),
                issued_at,
            })?;
            cache
                .ledger(env)
                .record(Written::created(entry.path().to_path_buf()))?;
        }
        Ok(())
    }
}

/// Credentials served from the cache or fetched anew (what
/// [`credential_process`](crate::credential_process) answers).
#[derive(Debug)]
pub struct Served {
    /// The credentials.
    pub credentials: Credentials,
    /// Why the cache could not be used this time, if it could not (worth a warning).
    pub cache_problem: Option<CacheError>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    proptest! {
        #[test]
        fn any_entry_times_are_accepted_only_when_possible(issued in any::<u64>(), expires in any::<u64>(), now in any::<u64>()) {
            let text = format!(
                r#"{{"version":1,"access_key_id":"A","secret_access_key":"s","session_token":"t","issued_at":{issued},"expires_at":{expires}}}"#
            );
            if let Some(c) = parse_entry(text.as_bytes()) {
                prop_assert!(issued < expires && expires - issued <= 43_200);
                let _ = c.fresh_at(UNIX_EPOCH + Duration::from_secs(now % 253_402_300_799));
            }
        }

        #[test]
        fn any_bytes_are_an_entry_or_none_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_entry(&bytes);
        }
    }

    fn creds(lifetime: u64, issued: SystemTime) -> Cached {
        Cached {
            credentials: Credentials::temporary(
                Secret::new("ASIAX"),
                Secret::new("s"),
                Secret::new("t"),
                issued + Duration::from_secs(lifetime),
                Origin::Cache,
            ),
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
        let lock = cache.lock(&key, Instant::now()).unwrap();
        assert!(lock.load().is_none());
        let now = SystemTime::now();
        let long_lived = Cached {
            credentials: Credentials::long_lived(
                Secret::new("AKIAX"),
                Secret::new("s"),
                Origin::Environment,
            ),
            issued_at: now,
        };
        assert!(lock.store(&long_lived).is_err());
        assert!(lock.load().is_none());
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
    fn entries_with_impossible_times_are_ignored_not_a_panic() {
        let entry = |issued: u64, expires: u64| {
            format!(
                r#"{{"version":1,"access_key_id":"A","secret_access_key":"s","session_token":"t","issued_at":{issued},"expires_at":{expires}}}"#
            )
        };
        let now = unix(SystemTime::now());
        assert!(parse_entry(entry(now, now + 3600).as_bytes()).is_some());
        for (issued, expires) in [
            (0, u64::MAX),
            (u64::MAX - 10, u64::MAX),
            (now, now + 43_201),
            (now, now),
            (253_402_300_799, 253_402_300_800),
        ] {
            let parsed = parse_entry(entry(issued, expires).as_bytes());
            assert!(parsed.is_none(), "{issued} {expires}");
        }
        assert!(parse_entry(&vec![b' '; 70_000]).is_none());
    }

    #[test]
    fn a_directory_or_symlink_in_place_of_an_entry_or_lock_is_no_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(dir.path().join("c")).unwrap();
        let key = CredentialCache::key(&["x"]);
        // The entry is a directory: not read, not replaced; the store fails cleanly.
        fs::create_dir(dir.path().join(format!("c/{key}.json"))).unwrap();
        let lock = cache.lock(&key, Instant::now()).unwrap();
        assert!(lock.load().is_none());
        assert!(lock.store(&creds(3600, SystemTime::now())).is_err());
        drop(lock);
        // The lock is a directory, or a symlink: an error, never a hang or a panic.
        let other = CredentialCache::key(&["y"]);
        fs::create_dir(dir.path().join(format!("c/{other}.lock"))).unwrap();
        assert!(cache.lock(&other, Instant::now()).is_err());
        let third = CredentialCache::key(&["z"]);
        std::os::unix::fs::symlink("/dev/null", dir.path().join(format!("c/{third}.lock")))
            .unwrap();
        assert!(cache.lock(&third, Instant::now()).is_err());
    }

    #[test]
    fn a_held_lock_is_waited_for_only_until_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(dir.path().join("c")).unwrap();
        let key = CredentialCache::key(&["x"]);
        let _held = cache.lock(&key, Instant::now()).unwrap();
        let started = Instant::now();
        let err = cache
            .lock(&key, Instant::now() + Duration::from_millis(300))
            .unwrap_err();
        assert!(matches!(err, CacheError::Busy { .. }), "{err}");
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
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
