//! Registry logins where Docker, skopeo, buildah, crane and kaniko read
//! them: `auths` in Docker's config.json, `credHelpers` naming aws-oidc
//! (which fetches a fresh token on each pull and push), or `docker login`.

use std::fmt;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::SystemTime;

use crate::cache::CredentialCache;
use crate::credential_helper::{
    CachedLogins, HelperError, HelperSettings, HelperSettingsError, HELPER_NAME,
};
use crate::credential_source::CredentialSource;
use crate::credentials::Credentials;
use crate::docker_config::{DockerConfig, DockerConfigError, Entry};
use crate::ecr::{registry::host_problem, EcrSettings, RegistryLogin};
use crate::env::Env;
use crate::ledger::Written;
use crate::shared_files::ProfileName;

/// The binary Docker runs for `credHelpers` entries naming aws-oidc.
const HELPER_BINARY: &str = "docker-credential-aws-oidc";

/// How the logins are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerMode {
    /// `auths` entries holding the logins.
    Auths,
    /// `credHelpers` entries: Docker asks aws-oidc for a fresh token each time.
    Helper,
    /// `docker login --password-stdin`, which stores them as Docker does.
    DockerLogin,
}

/// Where the logins go, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct DockerTarget {
    sink: Sink,
    /// What the user should know (a `credsStore` Docker asks before `auths`).
    pub notes: Vec<String>,
    /// What will not work as it is (the helper not on `PATH`).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
enum Sink {
    Auths(DockerConfig),
    Helper(DockerConfig),
    DockerLogin(PathBuf),
}

/// Where the logins went, as the summary says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DockerWrote {
    /// `auths` in this config file.
    Auths(PathBuf),
    /// `credHelpers` in this config file.
    Helper(PathBuf),
    /// `docker login` stored them.
    DockerLogin,
}

impl fmt::Display for DockerWrote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DockerWrote::Auths(path) => write!(f, "wrote auths in {}", path.display()),
            DockerWrote::Helper(path) => write!(
                f,
                "wrote credHelpers in {}: {HELPER_BINARY} fetches a fresh token whenever one is due",
                path.display()
            ),
            DockerWrote::DockerLogin => f.write_str("`docker login` stored them"),
        }
    }
}

/// What [`DockerTarget::deliver`] did.
#[derive(Debug)]
pub(crate) struct DockerDelivered {
    /// Where the logins went.
    pub wrote: DockerWrote,
    /// What the user should know about the config file.
    pub notes: Vec<String>,
    /// Writes the ledger could not record (cleanup will leave them): warnings.
    pub warnings: Vec<String>,
}

crate::error_debug::debug_by_display!(DockerError);
/// Why the logins could not be delivered.
#[derive(thiserror::Error)]
pub enum DockerError {
    /// The helper with credentials that end with this step.
    #[error(
        "--helper fetches a token whenever Docker asks, long after this step: it needs credentials \
         that outlast it. Write a profile that refreshes itself first (`aws-oidc assume --profile \
         NAME --refresh`; orb: setup with refresh: true) and pass --profile NAME"
    )]
    HelperNeedsLastingCredentials,
    /// `docker login` without docker.
    #[error(
        "--docker-login runs `docker login`, and there is no docker on PATH: leave --docker-login \
         out (aws-oidc writes Docker's config.json itself) or install the Docker CLI"
    )]
    NoDocker,
    /// Docker's config file cannot be used.
    #[error(transparent)]
    Config(#[from] DockerConfigError),
    /// The helper's settings file cannot be used.
    #[error(transparent)]
    HelperSettings(#[from] HelperSettingsError),
    /// The helper's cache could not be primed.
    #[error(transparent)]
    Helper(#[from] HelperError),
    /// A host `docker login` must not be given.
    #[error("not running `docker login` for {host:?}: {why}")]
    UnsafeHost {
        /// The host.
        host: String,
        /// Why.
        why: &'static str,
    },
    /// `docker` could not be run.
    #[error("cannot run {}", path.display())]
    Run {
        /// The docker binary.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `docker login` refused.
    #[error("`docker login {host}` failed ({status}): {stderr}")]
    LoginFailed {
        /// The host.
        host: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it said.
        stderr: String,
    },
}

/// `name` on `$PATH`, if executable there (on Windows, with `PATHEXT`'s extensions).
fn on_path(name: &str, env: Env) -> Option<PathBuf> {
    crate::platform::find_program(&env("PATH")?, name, env)
}

impl DockerTarget {
    /// Resolves where the logins go, and checks it can be written, changing
    /// nothing: the config file (and the helper's settings beside it), or
    /// the docker binary.  The helper needs credentials that outlast this
    /// step, so not a role assumed in it.
    pub(crate) fn resolve(
        mode: DockerMode,
        source: &CredentialSource,
        env: Env,
    ) -> Result<Self, DockerError> {
        if mode == DockerMode::Helper && matches!(source, CredentialSource::AssumeRole(_)) {
            return Err(DockerError::HelperNeedsLastingCredentials);
        }
        let mut target = DockerTarget {
            sink: Sink::DockerLogin(PathBuf::new()),
            notes: Vec::new(),
            warnings: Vec::new(),
        };
        target.sink = match mode {
            DockerMode::DockerLogin => {
                Sink::DockerLogin(on_path("docker", env).ok_or(DockerError::NoDocker)?)
            }
            DockerMode::Auths => {
                let config = DockerConfig::from_env(env)?;
                target.notes = config.check()?;
                Sink::Auths(config)
            }
            DockerMode::Helper => {
                let config = DockerConfig::from_env(env)?;
                config.check()?;
                HelperSettings::beside(&config).check()?;
                if on_path(HELPER_BINARY, env).is_none() {
                    target.warnings.push(format!(
                        "{HELPER_BINARY} is not on PATH, and Docker runs it from there: link it to \
                         aws-oidc (`ln -s aws-oidc {HELPER_BINARY}` in aws-oidc's directory; the \
                         orb's install step does)"
                    ));
                }
                Sink::Helper(config)
            }
        };
        Ok(target)
    }

    /// Writes `logins`, fetched at `issued` with `creds` (from `profile`,
    /// if one was named), and records them in the ledger of `cache` for
    /// `cleanup`.  With the helper, each host's registry and profile is
    /// recorded beside the config, and the tokens cached for its first `get`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn deliver(
        &self,
        logins: &[RegistryLogin],
        creds: &Credentials,
        profile: Option<&ProfileName>,
        settings: &EcrSettings,
        issued: SystemTime,
        cache: Option<&CredentialCache>,
        env: Env,
    ) -> Result<DockerDelivered, DockerError> {
        let mut done = DockerDelivered {
            wrote: DockerWrote::DockerLogin,
            notes: Vec::new(),
            warnings: Vec::new(),
        };
        let config = match &self.sink {
            Sink::DockerLogin(docker) => {
                for login in logins {
                    docker_login(docker, login)?;
                }
                return Ok(done);
            }
            Sink::Auths(config) => {
                let entries: Vec<Entry> = logins
                    .iter()
                    .map(|l| Entry::Auth {
                        host: &l.host,
                        username: &l.username,
                        password: &l.password,
                    })
                    .collect();
                done.notes = config.update(&entries)?;
                done.wrote = DockerWrote::Auths(config.path().to_path_buf());
                config
            }
            Sink::Helper(config) => {
                let hosts: Vec<_> = logins
                    .iter()
                    .map(|l| (l.host.as_str(), &l.registry, profile))
                    .collect();
                HelperSettings::beside(config).record(&hosts)?;
                let entries: Vec<Entry> = logins
                    .iter()
                    .map(|l| Entry::Helper {
                        host: &l.host,
                        helper: HELPER_NAME,
                    })
                    .collect();
                config.update(&entries)?;
                done.wrote = DockerWrote::Helper(config.path().to_path_buf());
                config
            }
        };
        let helper = matches!(self.sink, Sink::Helper(_));
        if let Some(cache) = cache {
            let written = Written::DockerLogins {
                config: config.path().to_path_buf(),
                hosts: logins.iter().map(|l| l.host.clone()).collect(),
                helper,
            };
            // One that cannot be recorded is a warning, not a failed login.
            if let Err(e) = cache.ledger(env).record(written) {
                done.warnings.push(format!(
                    "aws-oidc cleanup will not remove these logins: {e}"
                ));
            }
        }
        if helper {
            CachedLogins {
                settings,
                ledger: cache.map(|c| c.ledger(env)),
                cache: cache.cloned(),
            }
            .prime(logins, creds, issued)?;
        }
        Ok(done)
    }
}

/// `docker login --username USER --password-stdin -- HOST`, the password on
/// stdin only.  The host comes after `--`, and is checked again here, so a
/// host that starts with `-` can never reach docker as an option.
fn docker_login(docker: &std::path::Path, login: &RegistryLogin) -> Result<(), DockerError> {
    if let Some(why) = host_problem(&login.host) {
        return Err(DockerError::UnsafeHost {
            host: login.host.clone(),
            why,
        });
    }
    let run = |source| DockerError::Run {
        path: docker.to_path_buf(),
        source,
    };
    let mut child = Command::new(docker)
        .args([
            "login",
            "--username",
            &login.username,
            "--password-stdin",
            "--",
            &login.host,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(run)?;
    if let Some(mut stdin) = child.stdin.take() {
        // A docker that exits early closes the pipe; its status says why.
        let _ = stdin.write_all(login.password.expose().as_bytes());
    }
    let out = child.wait_with_output().map_err(run)?;
    if !out.status.success() {
        return Err(DockerError::LoginFailed {
            host: login.host.clone(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;
    use crate::ecr::{Expiry, Registry};
    use crate::env::env_of;

    fn login(host: &str) -> RegistryLogin {
        RegistryLogin {
            registry: Registry::from_host(host).unwrap(),
            host: host.into(),
            username: "AWS".into(),
            password: Secret::new("token"),
            expiry: Expiry::Unknown { answered: None },
        }
    }

    #[test]
    fn auths_are_written_and_recorded_for_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let docker = dir.path().join("docker");
        let cache_dir = dir.path().join("cache");
        let env = env_of(&[
            ("DOCKER_CONFIG", docker.to_str().unwrap()),
            ("PATH", dir.path().to_str().unwrap()),
        ]);
        let t =
            DockerTarget::resolve(DockerMode::Auths, &CredentialSource::Environment, &env).unwrap();
        assert!(t.notes.is_empty() && t.warnings.is_empty());
        let creds = Credentials {
            access_key_id: Secret::new("AKID"),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: None,
            origin: crate::credentials::Origin::Environment,
        };
        let settings = EcrSettings::from_env(&env, 60).unwrap();
        let cache = CredentialCache::open(cache_dir).unwrap();
        let host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        let done = t
            .deliver(
                &[login(host)],
                &creds,
                None,
                &settings,
                SystemTime::now(),
                Some(&cache),
                &env,
            )
            .unwrap();
        assert_eq!(
            done.wrote.to_string(),
            format!("wrote auths in {}", docker.join("config.json").display())
        );
        assert!(std::fs::read_to_string(docker.join("config.json"))
            .unwrap()
            .contains(host));
        assert!(matches!(
            &cache.ledger(&env).entries()[..],
            [Written::DockerLogins { helper: false, hosts, .. }] if hosts == &[host.to_string()]
        ));
    }

    #[test]
    fn the_helper_needs_credentials_that_outlast_the_step_and_docker_login_needs_docker() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("PATH", dir.path().to_str().unwrap())]);
        assert!(matches!(
            DockerTarget::resolve(
                DockerMode::DockerLogin,
                &CredentialSource::Environment,
                &env
            ),
            Err(DockerError::NoDocker)
        ));
        let exchange = crate::exchange::Exchange::resolve(
            crate::exchange::RoleOptions {
                role_arn: Some("arn:aws:iam::123456789012:role/ci".into()),
                timeout_secs: 60,
                ..Default::default()
            },
            &env,
        )
        .unwrap();
        let assumed = CredentialSource::AssumeRole(Box::new(exchange));
        assert!(matches!(
            DockerTarget::resolve(DockerMode::Helper, &assumed, &env),
            Err(DockerError::HelperNeedsLastingCredentials)
        ));
    }
}
