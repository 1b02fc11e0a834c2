//! Docker's credential-helper protocol, answered with fresh ECR tokens.
//!
//! Docker (and skopeo, buildah, crane, kaniko) runs
//! `docker-credential-<name> get` for a host listed in `credHelpers`, with
//! the host on stdin, and reads `{"ServerURL", "Username", "Secret"}` from
//! stdout; a failure is a message on stdout and a non-zero exit, and the
//! message `NOT_FOUND` means "no credentials for this host".  `list`
//! names the hosts served; `store` and `erase` are refused, as
//! amazon-ecr-credential-helper refuses them: the tokens are minted, not
//! stored.
//!
//! Which registry a host is, and with which credentials: what
//! `ecr-login --helper` recorded in `HelperSettings` (so an explicit
//! `HOST=ACCOUNT` and `--profile` carry over), else the host itself when it
//! is ECR's, with the environment's credentials.  Tokens are cached in the
//! credential cache until shortly before they (or the credentials that
//! fetched them) expire, so a pull or push costs an ECR call only when a
//! token is due; a token whose expiry ECR did not give is never cached.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::cache::{CacheError, CredentialCache, REFRESH_MARGIN};
use crate::credential_source::{CredentialSource, CredentialSourceError};
use crate::credentials::Credentials;
use crate::credentials::{unix, Secret};
use crate::docker_config::{DockerConfig, DockerConfigError};
use crate::ecr::{self, EcrError, EcrSettings, Expiry, Registry, RegistryLogin};
use crate::env::Env;
use crate::files::{FileError, UpdateLock, MAX_PROFILE_FILE};
use crate::ledger::{Ledger, Written};
use crate::settings::SettingsError;
use crate::shared_files::{ProfileError, ProfileName};

/// The helper's name in `credHelpers`: Docker runs `docker-credential-aws-oidc`.
pub(crate) const HELPER_NAME: &str = "aws-oidc";

/// What the protocol calls "no credentials for this host".
pub(crate) const NOT_FOUND: &str = "credentials not found in native keychain";

/// The most read from stdin (a host, or `store`'s small JSON).
const STDIN_LIMIT: u64 = 64 * 1024;

/// One protocol action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `get`: credentials for the host on stdin.
    Get,
    /// `store`: refused.
    Store,
    /// `erase`: refused.
    Erase,
    /// `list`: the hosts served.
    List,
}

impl Action {
    /// Parses `get`, `store`, `erase` or `list`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "get" => Some(Action::Get),
            "store" => Some(Action::Store),
            "erase" => Some(Action::Erase),
            "list" => Some(Action::List),
            _ => None,
        }
    }
}

crate::error_debug::debug_by_display!(HelperError);
/// Why the helper could not answer; the message goes to stdout, as the protocol says.
#[derive(thiserror::Error)]
pub enum HelperError {
    /// Not a host this helper serves.
    #[error("{NOT_FOUND}")]
    NotFound,
    /// `store` or `erase`.
    #[error(
        "aws-oidc mints ECR tokens and stores none: to stop using it for a registry, remove that \
         registry from credHelpers in Docker's config.json"
    )]
    Unsupported,
    /// `$AWS_OIDC_TIMEOUT` is not a number of seconds.
    #[error(
        "invalid AWS_OIDC_TIMEOUT {0:?}: the seconds an ECR call may take, a whole number from 1 \
         to 3600; fix it or unset it (the default is 60)"
    )]
    Timeout(String),
    /// stdin could not be read.
    #[error("cannot read the request on stdin: {0}")]
    Stdin(std::io::Error),
    /// No credentials.
    #[error(transparent)]
    Source(#[from] CredentialSourceError),
    /// ECR's settings.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// ECR said no.
    #[error(transparent)]
    Ecr(#[from] EcrError),
    /// Docker's config file.
    #[error(transparent)]
    Config(#[from] DockerConfigError),
    /// The helper's settings.
    #[error(transparent)]
    HelperSettings(#[from] HelperSettingsError),
    /// The token cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
}

crate::error_debug::debug_by_display!(HelperSettingsError);
/// The helper's settings file is unusable.
#[derive(thiserror::Error)]
pub enum HelperSettingsError {
    /// Not what `ecr-login --helper` writes.
    #[error("cannot use {}: {why}; run `aws-oidc ecr-login --helper` again (it rewrites the file)", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A recorded profile name is invalid.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

/// How `ecr-login --helper` set a host up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct HostEntry {
    /// The account, for a private registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    /// The region the token comes from.
    region: String,
    /// The profile to take credentials from; none: the environment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct HelperFile {
    version: u32,
    registries: BTreeMap<String, HostEntry>,
}

/// The hosts `ecr-login --helper` set up, beside Docker's config.json
/// (`aws-oidc-credential-helper.json`, 0600): a registry and a profile per host.
#[derive(Debug, Clone)]
pub(crate) struct HelperSettings {
    path: PathBuf,
}

impl HelperSettings {
    /// The file beside `config`.
    pub(crate) fn beside(config: &DockerConfig) -> Self {
        HelperSettings {
            path: config.dir().join("aws-oidc-credential-helper.json"),
        }
    }

    /// The file (the tests look at it).
    #[cfg(test)]
    fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Checks the file can be updated, changing nothing: run before any
    /// network call.
    pub(crate) fn check(&self) -> Result<(), HelperSettingsError> {
        crate::files::check_editable(&self.path)?;
        self.parse(self.read()?.as_deref()).map(drop)
    }

    /// The file's text (`None`: no file), bounded, from a regular file only.
    fn read(&self) -> Result<Option<String>, HelperSettingsError> {
        crate::files::read_existing(&self.path, MAX_PROFILE_FILE)?
            .map(String::from_utf8)
            .transpose()
            .map_err(|_| HelperSettingsError::Invalid {
                path: self.path.clone(),
                why: "it is not UTF-8 text".into(),
            })
    }

    fn parse(&self, text: Option<&str>) -> Result<HelperFile, HelperSettingsError> {
        let Some(text) = text else {
            return Ok(HelperFile {
                version: 1,
                ..HelperFile::default()
            });
        };
        let file: HelperFile =
            serde_json::from_str(text).map_err(|e| HelperSettingsError::Invalid {
                path: self.path.clone(),
                why: format!("it is not the helper's JSON ({e})"),
            })?;
        if file.version != 1 {
            return Err(HelperSettingsError::Invalid {
                path: self.path.clone(),
                why: format!("version {} is not 1", file.version),
            });
        }
        Ok(file)
    }

    /// Records `hosts` (host, registry, profile), keeping the others.
    pub(crate) fn record(
        &self,
        hosts: &[(&str, &Registry, Option<&ProfileName>)],
    ) -> Result<(), HelperSettingsError> {
        let lock = UpdateLock::acquire(&self.path)?;
        let mut file = self.parse(lock.read()?.as_deref())?;
        for (host, registry, profile) in hosts {
            let account = match registry {
                Registry::Private { account, .. } => Some(account.clone()),
                _ => None,
            };
            file.registries.insert(
                host.to_string(),
                HostEntry {
                    account,
                    region: registry.region().to_string(),
                    profile: profile.map(|p| p.as_str().to_string()),
                },
            );
        }
        let text = serde_json::to_vec_pretty(&file).expect("plain struct serialises");
        lock.replace(&text, 0o600)?;
        Ok(())
    }

    /// The registry and credential source for `host`: as recorded, else
    /// from the host itself when it is ECR's.
    fn lookup(&self, host: &str) -> Result<Option<(Registry, CredentialSource)>, HelperError> {
        let file = self.parse(self.read()?.as_deref())?;
        if let Some(e) = file.registries.get(host) {
            let registry = self.recorded_registry(host, e)?;
            let source = match &e.profile {
                Some(p) => CredentialSource::Profile(
                    ProfileName::parse(p).map_err(HelperSettingsError::from)?,
                ),
                None => CredentialSource::Environment,
            };
            return Ok(Some((registry, source)));
        }
        Ok(Registry::from_host(host).map(|r| (r, CredentialSource::Environment)))
    }

    /// The registry recorded for `host`, checked as `ecr-login` checks what
    /// it is given: the file may have been edited, and its region goes
    /// into the host name a signed request is sent to.  No account means
    /// ECR Public for `public.ecr.aws` only; any other host without one
    /// (what earlier versions recorded for the caller's own registry) is
    /// what its ECR-shaped name says, or refused.
    fn recorded_registry(
        &self,
        host: &str,
        e: &HostEntry,
    ) -> Result<Registry, HelperSettingsError> {
        let invalid = |why: String| HelperSettingsError::Invalid {
            path: self.path.clone(),
            why,
        };
        if crate::request::parse_region(&e.region).ok().as_deref() != Some(e.region.as_str()) {
            return Err(invalid(format!(
                "the region recorded for {host}, {:?}, is not an AWS region such as us-east-1",
                e.region
            )));
        }
        match &e.account {
            Some(account) if !crate::request::is_account_id(account) => Err(invalid(format!(
                "the account recorded for {host}, {account:?}, is not a 12-digit account id"
            ))),
            Some(account) => Ok(Registry::Private {
                account: account.clone(),
                region: e.region.clone(),
                host: host.to_string(),
            }),
            None if host == ecr::PUBLIC_HOST => Ok(Registry::Public),
            None => Registry::from_host(host)
                .filter(|r| !matches!(r, Registry::Public))
                .ok_or_else(|| {
                    invalid(format!(
                        "{host} is recorded without an account, and only public.ecr.aws may be"
                    ))
                }),
        }
    }
}

/// A cached login.
#[derive(Serialize, Deserialize)]
struct CachedLogin {
    version: u32,
    username: String,
    password: String,
    issued_at: u64,
    expires_at: u64,
}

impl CachedLogin {
    /// More than min(5 minutes, a quarter of its lifetime) left at `now`.
    fn fresh_at(&self, now: SystemTime) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.issued_at);
        let margin = REFRESH_MARGIN.as_secs().min(lifetime / 4);
        self.version == 1 && self.expires_at.saturating_sub(margin) > unix(now)
    }
}

/// Until when a login may be served from the cache: the token's expiry,
/// but never past the credentials that fetched it; `None`: not cached.
pub(crate) fn cacheable_until(login: &RegistryLogin, creds: &Credentials) -> Option<SystemTime> {
    let Expiry::At(t) = login.expiry else {
        return None;
    };
    Some(creds.expiration.map_or(t, |c| c.min(t)))
}

/// A login served from the cache while fresh, else fetched (and cached).
pub(crate) struct CachedLogins<'a> {
    /// The ECR settings.
    pub settings: &'a EcrSettings,
    /// The cache; `None`: always ask ECR.
    pub cache: Option<CredentialCache>,
    /// Where the cache entries written are recorded, for `cleanup`.
    pub ledger: Option<Ledger>,
}

impl CachedLogins<'_> {
    fn key(&self, registry: &Registry, host: &str, creds: &Credentials) -> String {
        let public = matches!(registry, Registry::Public);
        CredentialCache::key(&[
            "ecr-login v1",
            host,
            &format!("{registry:?}"),
            &self.settings.endpoint_description(public),
            creds.access_key_id.expose(),
        ])
    }

    /// The login for `registry` under `host`.
    pub(crate) fn get(
        &self,
        registry: &Registry,
        host: &str,
        creds: &Credentials,
    ) -> Result<(String, Secret), HelperError> {
        let Some(cache) = &self.cache else {
            let login = self.fetch(registry, creds)?;
            return Ok((login.username, login.password));
        };
        let deadline = std::time::Instant::now() + self.settings.total();
        let entry = cache.lock(&self.key(registry, host, creds), deadline)?;
        if let Some(hit) = entry
            .load_bytes()
            .and_then(|b| serde_json::from_slice::<CachedLogin>(&b).ok())
            .filter(|c| c.fresh_at(SystemTime::now()))
        {
            return Ok((hit.username, Secret::new(hit.password)));
        }
        let issued = SystemTime::now();
        let login = self.fetch(registry, creds)?;
        self.store(&entry, &login, creds, issued)?;
        Ok((login.username, login.password))
    }

    /// Puts logins just fetched into the cache (`ecr-login --helper`
    /// primes it, so the first pull is instant).
    pub(crate) fn prime(
        &self,
        logins: &[RegistryLogin],
        creds: &Credentials,
        issued: SystemTime,
    ) -> Result<(), HelperError> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        for login in logins {
            let deadline = std::time::Instant::now() + self.settings.total();
            let entry = cache.lock(&self.key(&login.registry, &login.host, creds), deadline)?;
            self.store(&entry, login, creds, issued)?;
        }
        Ok(())
    }

    fn store(
        &self,
        entry: &crate::cache::EntryLock,
        login: &RegistryLogin,
        creds: &Credentials,
        issued: SystemTime,
    ) -> Result<(), HelperError> {
        if let Some(until) = cacheable_until(login, creds) {
            let text = serde_json::to_vec(&CachedLogin {
                version: 1,
                username: login.username.clone(),
                password: login.password.expose().to_string(),
                issued_at: unix(issued),
                expires_at: unix(until),
            })
            .expect("plain struct serialises");
            entry.store_bytes(&text)?;
            if let Some(ledger) = &self.ledger {
                // A ledger that cannot be written only means cleanup leaves this entry.
                let _ = ledger.record(Written::created(entry.path().to_path_buf()));
            }
        }
        Ok(())
    }

    fn fetch(
        &self,
        registry: &Registry,
        creds: &Credentials,
    ) -> Result<RegistryLogin, HelperError> {
        let mut logins = ecr::login(std::slice::from_ref(registry), creds, self.settings)?;
        Ok(logins.remove(0))
    }
}

/// Reads the request on stdin: at most [`STDIN_LIMIT`] bytes, within
/// `wait`.  Docker writes the host and closes stdin, so a stdin that never
/// ends (a pipe left open, `/dev/zero`) is an error, not a hang or a
/// truncated host.  The read runs on a thread of its own because a blocked
/// read cannot be given a deadline portably; the process exits without it.
fn read_stdin<R: Read + Send + 'static>(stdin: R, wait: Duration) -> Result<String, HelperError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = stdin.take(STDIN_LIMIT + 1).read_to_end(&mut bytes);
        let _ = tx.send(read.map(|_| bytes));
    });
    let failed = |kind, why: String| HelperError::Stdin(std::io::Error::new(kind, why));
    let bytes = match rx.recv_timeout(wait) {
        Ok(read) => read.map_err(HelperError::Stdin)?,
        Err(_) => {
            return Err(failed(
                std::io::ErrorKind::TimedOut,
                format!(
                    "it did not end within {} s; Docker writes the registry host and closes stdin",
                    wait.as_secs()
                ),
            ))
        }
    };
    if bytes.len() as u64 > STDIN_LIMIT {
        return Err(failed(
            std::io::ErrorKind::InvalidData,
            format!("it holds more than {STDIN_LIMIT} bytes, and a registry host is short"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        failed(
            std::io::ErrorKind::InvalidData,
            "it is not UTF-8 text".into(),
        )
    })
}

/// The time an ECR call may take: `$AWS_OIDC_TIMEOUT` seconds, else 60.  A
/// value that is not a number is refused, not silently taken as 60.
pub fn timeout_from_env(env: Env) -> Result<u64, HelperError> {
    let Some(raw) = env("AWS_OIDC_TIMEOUT") else {
        return Ok(60);
    };
    match raw.trim().parse::<u64>() {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(secs),
        _ => Err(HelperError::Timeout(raw)),
    }
}

/// Answers one action: the text for stdout.  `timeout_secs` bounds the ECR call.
pub fn answer(
    action: Action,
    stdin: impl Read + Send + 'static,
    env: Env,
    cache: Option<CredentialCache>,
    timeout_secs: u64,
) -> Result<String, HelperError> {
    let config = DockerConfig::from_env(env)?;
    match action {
        Action::Store | Action::Erase => Err(HelperError::Unsupported),
        Action::List => {
            let hosts: BTreeMap<String, &str> = config
                .helper_hosts(HELPER_NAME)?
                .into_iter()
                .map(|h| (h, "AWS"))
                .collect();
            Ok(serde_json::to_string(&hosts).expect("a map of strings serialises"))
        }
        Action::Get => {
            let wait = Duration::from_secs(timeout_secs);
            let server_url = read_stdin(stdin, wait)?.trim().to_string();
            let host = ecr::registry::host_of(&server_url);
            let (registry, source) = HelperSettings::beside(&config)
                .lookup(&host)?
                .ok_or(HelperError::NotFound)?;
            let creds = source.resolve(env)?;
            let settings = EcrSettings::from_env(env, timeout_secs)?;
            let logins = CachedLogins {
                settings: &settings,
                ledger: cache.as_ref().map(|c| c.ledger(env)),
                cache,
            };
            let (username, password) = logins.get(&registry, &host, &creds)?;
            Ok(serde_json::json!({
                "ServerURL": server_url,
                "Username": username,
                "Secret": password.expose(),
            })
            .to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::UNIX_EPOCH;

    fn env_with(dir: &Path) -> impl Fn(&str) -> Option<String> {
        let d = dir.to_str().unwrap().to_string();
        move |k| (k == "DOCKER_CONFIG").then(|| d.clone())
    }

    #[test]
    fn only_ecr_hosts_and_recorded_ones_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let config = DockerConfig::at(dir.path().join("config.json"));
        let settings = HelperSettings::beside(&config);
        assert!(settings.lookup("registry.example.com").unwrap().is_none());
        assert!(settings.lookup("x=123456789012").unwrap().is_none());
        let (r, source) = settings
            .lookup("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
            .unwrap()
            .unwrap();
        assert_eq!(r.region(), "eu-west-1");
        assert!(matches!(source, CredentialSource::Environment));
        let explicit = Registry::parse("127.0.0.1:5000=123456789012", Some("us-east-2")).unwrap();
        let profile = ProfileName::parse("ci").unwrap();
        settings
            .record(&[("127.0.0.1:5000", &explicit, Some(&profile))])
            .unwrap();
        let (r, source) = settings.lookup("127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(r, explicit);
        assert!(matches!(source, CredentialSource::Profile(p) if p.as_str() == "ci"));
        let err = answer(
            Action::Get,
            "docker.io".as_bytes(),
            &env_with(dir.path()),
            None,
            5,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), NOT_FOUND);
        assert!(matches!(
            answer(
                Action::Store,
                "{}".as_bytes(),
                &env_with(dir.path()),
                None,
                5
            ),
            Err(HelperError::Unsupported)
        ));
    }

    #[test]
    fn the_own_registry_recorded_by_ecr_login_gets_the_private_token_not_the_public_one() {
        let dir = tempfile::tempdir().unwrap();
        let settings = HelperSettings::beside(&DockerConfig::at(dir.path().join("config.json")));
        let host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        // What ecr-login with no registry logs in to, once ECR's answer has named the host.
        let own = Registry::Private {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            host: host.into(),
        };
        settings.record(&[(host, &own, None)]).unwrap();
        assert_eq!(settings.lookup(host).unwrap().unwrap().0, own);
        // What earlier versions recorded (no account) is still the private registry.
        std::fs::write(
            settings.path(),
            format!(r#"{{"version": 1, "registries": {{"{host}": {{"region": "eu-west-1"}}}}}}"#),
        )
        .unwrap();
        assert_eq!(settings.lookup(host).unwrap().unwrap().0, own);
        // ECR Public is for public.ecr.aws only.
        std::fs::write(
            settings.path(),
            r#"{"version": 1, "registries": {"public.ecr.aws": {"region": "us-east-1"},
                "registry.example.com": {"region": "us-east-1"}}}"#,
        )
        .unwrap();
        assert_eq!(
            settings.lookup("public.ecr.aws").unwrap().unwrap().0,
            Registry::Public
        );
        let err = settings.lookup("registry.example.com").unwrap_err();
        assert!(err.to_string().contains("without an account"), "{err}");
    }

    #[test]
    fn a_recorded_region_or_account_of_the_wrong_shape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = HelperSettings::beside(&DockerConfig::at(dir.path().join("config.json")));
        for (entry, named) in [
            (
                r#"{"account": "123456789012", "region": "x.evil.example.com/#"}"#,
                "x.evil.example.com/#",
            ),
            (
                r#"{"account": "123456789012", "region": "us-east-1 "}"#,
                "us-east-1 ",
            ),
            (r#"{"account": "1234", "region": "us-east-1"}"#, "1234"),
            (
                r#"{"account": "12345678901x", "region": "us-east-1"}"#,
                "12345678901x",
            ),
        ] {
            std::fs::write(
                settings.path(),
                format!(r#"{{"version": 1, "registries": {{"127.0.0.1:5000": {entry}}}}}"#),
            )
            .unwrap();
            let err = settings.lookup("127.0.0.1:5000").unwrap_err().to_string();
            assert!(err.contains(named), "{err}");
            assert!(err.contains("ecr-login --helper"), "{err}");
        }
    }

    #[test]
    fn a_stdin_that_never_ends_or_never_stops_is_an_error_not_a_hang() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let started = std::time::Instant::now();
        let err = read_stdin(reader, Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("did not end within 1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let err = read_stdin(std::io::repeat(b'a'), Duration::from_secs(10)).unwrap_err();
        assert!(err.to_string().contains("more than 65536 bytes"), "{err}");
        assert_eq!(
            read_stdin("public.ecr.aws".as_bytes(), Duration::from_secs(1)).unwrap(),
            "public.ecr.aws"
        );
    }

    #[test]
    fn a_settings_file_that_is_a_fifo_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let settings = HelperSettings::beside(&DockerConfig::at(dir.path().join("config.json")));
        let c = std::ffi::CString::new(settings.path().to_str().unwrap()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let _writer = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(settings.path())
            .unwrap();
        let err = settings.lookup("public.ecr.aws").unwrap_err().to_string();
        assert!(err.contains("named pipe"), "{err}");
    }

    #[test]
    fn the_timeout_is_whole_seconds_from_the_environment_or_sixty() {
        let env = |v: &'static str| move |k: &str| (k == "AWS_OIDC_TIMEOUT").then(|| v.to_string());
        assert_eq!(timeout_from_env(&|_| None).unwrap(), 60);
        assert_eq!(timeout_from_env(&env(" 30 ")).unwrap(), 30);
        for bad in ["0", "3601", "1m"] {
            let err = timeout_from_env(&env(bad)).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid AWS_OIDC_TIMEOUT"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_cached_login_lives_until_shortly_before_its_expiry() {
        let t0 = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let login = CachedLogin {
            version: 1,
            username: "AWS".into(),
            password: "p".into(),
            issued_at: unix(t0),
            expires_at: unix(t0) + 12 * 3600,
        };
        assert!(login.fresh_at(t0 + Duration::from_secs(12 * 3600 - 301)));
        assert!(!login.fresh_at(t0 + Duration::from_secs(12 * 3600 - 300)));
    }

    #[test]
    fn a_token_is_cached_no_longer_than_its_credentials_and_never_without_an_expiry() {
        let now = SystemTime::now();
        let mut login = RegistryLogin {
            registry: Registry::Public,
            host: ecr::PUBLIC_HOST.into(),
            username: "AWS".into(),
            password: Secret::new("p"),
            expiry: Expiry::At(now + Duration::from_secs(12 * 3600)),
        };
        let mut creds = Credentials {
            access_key_id: Secret::new("A"),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: Some(now + Duration::from_secs(3600)),
            origin: crate::credentials::Origin::Environment,
        };
        assert_eq!(cacheable_until(&login, &creds), creds.expiration);
        creds.expiration = None;
        assert_eq!(
            cacheable_until(&login, &creds),
            Some(now + Duration::from_secs(12 * 3600))
        );
        login.expiry = Expiry::Unknown {
            answered: Some(UNIX_EPOCH),
        };
        assert_eq!(cacheable_until(&login, &creds), None);
    }
}
