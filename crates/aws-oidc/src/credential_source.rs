//! Where the credentials for a call to another AWS service come from.
//!
//! `ecr-login` (and the EKS commands after it) sign their calls with
//! credentials that are already there, or with a role assumed on the spot:
//!
//! - [`CredentialSource::Environment`]: `$AWS_ACCESS_KEY_ID` and
//!   `$AWS_SECRET_ACCESS_KEY` (and `$AWS_SESSION_TOKEN`), as `setup` exports
//!   them; else the profile `$AWS_PROFILE` (else `default`) as below;
//! - [`CredentialSource::Profile`]: a profile of the shared files, read in
//!   the AWS CLI's order: keys in the credentials file, then the config
//!   file's `credential_process` (so a profile that `assume --refresh` wrote
//!   refreshes itself here too), then keys in the config file;
//! - [`CredentialSource::AssumeRole`]: an [`Exchange`] run now.
//!
//! A `credential_process` runs under `sh -c`, as the SDKs run it, bounded
//! in time ([`PROCESS_TIMEOUT`]) and in output ([`PROCESS_OUTPUT_LIMIT`]),
//! its stderr passed through.  Profiles that need other providers
//! (`role_arn`, SSO, `web_identity_token_file`, `credential_source`) are
//! refused by name rather than half-resolved.  aws-config would resolve
//! those too, but costs more binary than the whole ECR feature may (see the
//! README's size notes).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::credentials::{Credentials, Origin, ProfileVia, Secret};
use crate::env::Env;
use crate::exchange::{Exchange, ExchangeError, RoleOptions};
use crate::ini::{IniDoc, IniError};
use crate::settings::SettingsError;
use crate::shared_files::{ProfileError, ProfileName, SharedFiles};

/// The longest a `credential_process` may take.
pub(crate) const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The most a `credential_process` may print (its JSON is well under 4 KiB).
pub(crate) const PROCESS_OUTPUT_LIMIT: usize = 64 * 1024;

/// The largest shared file read.
const FILE_LIMIT: u64 = 1024 * 1024;

/// Where credentials come from.
#[derive(Debug, Clone)]
pub enum CredentialSource {
    /// Keys in the environment, else the profile `$AWS_PROFILE` (else `default`).
    Environment,
    /// A named profile of the shared files.
    Profile(ProfileName),
    /// A role assumed now with the job's OIDC token.
    AssumeRole(Box<Exchange>),
}

crate::error_debug::debug_by_display!(CredentialSourceError);
/// Why no credentials could be had.
#[derive(thiserror::Error)]
pub enum CredentialSourceError {
    /// Nothing in the environment, and no usable profile.
    #[error(
        "no AWS credentials: $AWS_ACCESS_KEY_ID is not set and profile {profile:?} {why}. Run \
         aws-oidc/setup (or `aws-oidc assume`) in an earlier step, pass --profile NAME, or pass \
         --role-arn to assume a role with the job's OIDC token in this step"
    )]
    NoCredentials {
        /// The profile looked at.
        profile: String,
        /// What was missing.
        why: String,
    },
    /// One half of a key pair in the environment.
    #[error(
        "${present} is set but ${missing} is not: set both, or neither (then a profile is used)"
    )]
    HalfKeyPair {
        /// The variable that is set.
        present: &'static str,
        /// The one that is not.
        missing: &'static str,
    },
    /// The shared files cannot be named.
    #[error(transparent)]
    Files(#[from] ProfileError),
    /// A shared file cannot be read or parsed.
    #[error("cannot read {}: {why}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The profile names a provider that is not supported here.
    #[error(
        "profile {profile:?} uses {key}, which aws-oidc does not resolve: give the profile keys or a \
         credential_process (`aws-oidc assume --profile {profile} --refresh` writes one), or pass \
         --role-arn"
    )]
    Unsupported {
        /// The profile.
        profile: String,
        /// The setting, e.g. `role_arn`.
        key: &'static str,
    },
    /// The profile's `credential_process` failed.
    #[error("the credential_process of profile {profile:?} {why}")]
    Process {
        /// The profile.
        profile: String,
        /// What went wrong (never its output).
        why: String,
    },
    /// Assuming the role failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
}

crate::error_debug::debug_by_display!(ChooseError);
/// Why the options name no one source.
#[derive(thiserror::Error)]
pub enum ChooseError {
    /// A profile and a role to assume.
    #[error(
        "--profile and --role-arn are two sources of credentials: pass one (the profile, or the \
         role to assume now)"
    )]
    Both,
    /// The profile's name is not valid.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The role's options are not valid: the settings' message, with the
    /// settings' error as the source, so that a caller walking the causes
    /// finds it (and can name its flags).
    #[error("{0}")]
    Role(#[from] SettingsError),
}

impl CredentialSource {
    /// The source the options name: `profile`; or `role`, a role to assume
    /// in this step (given on the command line: a role ARN only in the
    /// environment is the one setup already assumed); else the environment.
    /// Both is refused.
    pub fn choose(
        profile: Option<&str>,
        role: Option<RoleOptions>,
        env: Env,
    ) -> Result<Self, ChooseError> {
        let profile = profile.map(ProfileName::parse).transpose()?;
        match (profile, role) {
            (Some(_), Some(_)) => Err(ChooseError::Both),
            (Some(p), None) => Ok(CredentialSource::Profile(p)),
            (None, Some(role)) => Ok(CredentialSource::AssumeRole(Box::new(Exchange::resolve(
                role, env,
            )?))),
            (None, None) => Ok(CredentialSource::Environment),
        }
    }

    /// The profile named, if the credentials come from one.
    pub fn profile(&self) -> Option<&ProfileName> {
        match self {
            CredentialSource::Profile(p) => Some(p),
            _ => None,
        }
    }

    /// What the user should know about how a role's options were read.
    pub fn notes(&self) -> &[String] {
        match self {
            CredentialSource::AssumeRole(x) => x.notes(),
            _ => &[],
        }
    }

    /// What names the credentials this source gives, without resolving
    /// them (no process run, no STS call, no secret): for keys of caches
    /// that hold what was made with them, such as EKS tokens.  Keys by
    /// their id (and session token) in the environment; a profile by its
    /// files and its keys' id or its `credential_process`; a role by the
    /// exchange.  `None`: nothing to name (resolving will say why).
    pub fn cache_identity(&self, env: Env) -> Option<String> {
        match self {
            CredentialSource::Environment => match env("AWS_ACCESS_KEY_ID") {
                Some(id) => Some(format!(
                    "env\n{}\n{}",
                    id.trim(),
                    env("AWS_SESSION_TOKEN").unwrap_or_default().trim()
                )),
                None => profile_identity(&active_profile(env), env),
            },
            CredentialSource::Profile(name) => profile_identity(name.as_str(), env),
            CredentialSource::AssumeRole(x) => Some(format!(
                "role\n{}",
                crate::cache::CachedExchange::new(x, None).key()
            )),
        }
    }

    /// Resolves the source into credentials (running a process or STS calls as needed).
    pub fn resolve(&self, env: Env) -> Result<Credentials, CredentialSourceError> {
        match self {
            CredentialSource::Environment => match from_environment(env)? {
                Some(c) => Ok(c),
                None => from_profile(&active_profile(env), env),
            },
            CredentialSource::Profile(name) => from_profile(name.as_str(), env),
            CredentialSource::AssumeRole(exchange) => {
                // The answer parser names the assumed role as the origin.
                Ok(exchange.run(env)?.assumed.credentials)
            }
        }
    }
}

/// `$AWS_PROFILE`, else `default`.
fn active_profile(env: Env) -> String {
    env("AWS_PROFILE").unwrap_or_else(|| "default".into())
}

fn from_environment(env: Env) -> Result<Option<Credentials>, CredentialSourceError> {
    let (id, secret) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"));
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(CredentialSourceError::HalfKeyPair {
            present: "AWS_ACCESS_KEY_ID",
            missing: "AWS_SECRET_ACCESS_KEY",
        }),
        (None, Some(_)) => Err(CredentialSourceError::HalfKeyPair {
            present: "AWS_SECRET_ACCESS_KEY",
            missing: "AWS_ACCESS_KEY_ID",
        }),
        (Some(id), Some(secret)) => {
            let expiration = env("AWS_CREDENTIAL_EXPIRATION")
                .and_then(|t| DateTime::from_str(t.trim(), Format::DateTime).ok())
                .and_then(|t| SystemTime::try_from(t).ok());
            Ok(Some(Credentials {
                access_key_id: Secret::new(id.trim()),
                secret_access_key: Secret::new(secret.trim()),
                session_token: env("AWS_SESSION_TOKEN").map(|t| Secret::new(t.trim())),
                expiration,
                origin: Origin::Environment,
            }))
        }
    }
}

fn read_ini(path: &Path) -> Result<Option<IniDoc>, CredentialSourceError> {
    let unreadable = |why: String| CredentialSourceError::Unreadable {
        path: path.to_path_buf(),
        why,
    };
    // A named pipe or a device is refused, not read: it could block or never end.
    let bytes = match crate::files::read_regular_bounded(path, FILE_LIMIT) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    let text = String::from_utf8(bytes).map_err(|_| unreadable("it is not UTF-8 text".into()))?;
    IniDoc::parse(&text)
        .map(Some)
        .map_err(|e: IniError| unreadable(e.to_string()))
}

/// Settings of other providers, refused by name.
const UNSUPPORTED: [&str; 5] = [
    "role_arn",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
    "credential_source",
];

fn from_profile(name: &str, env: Env) -> Result<Credentials, CredentialSourceError> {
    let profile = ProfileName::parse(name)?;
    let files = SharedFiles::from_env(env)?;
    let creds = read_ini(&files.credentials)?;
    let config = read_ini(&files.config)?;
    let section = profile.config_section();
    let in_creds = |key: &str| creds.as_ref().and_then(|d| d.get(name, key));
    let in_config = |key: &str| config.as_ref().and_then(|d| d.get(&section, key));
    let keys = |get: &dyn Fn(&str) -> Option<String>, via: ProfileVia| {
        let id = get("aws_access_key_id")?;
        let secret = get("aws_secret_access_key")?;
        Some(Credentials {
            access_key_id: Secret::new(id),
            secret_access_key: Secret::new(secret),
            session_token: get("aws_session_token").map(Secret::new),
            expiration: None,
            origin: Origin::Profile {
                name: name.to_string(),
                via,
            },
        })
    };
    if let Some(c) = keys(&in_creds, ProfileVia::CredentialsFile) {
        return Ok(c);
    }
    if let Some(command) = in_config("credential_process") {
        return run_process(&command, name, PROCESS_TIMEOUT);
    }
    if let Some(c) = keys(&in_config, ProfileVia::ConfigFile) {
        return Ok(c);
    }
    if let Some(key) = UNSUPPORTED.into_iter().find(|k| in_config(k).is_some()) {
        return Err(CredentialSourceError::Unsupported {
            profile: name.to_string(),
            key,
        });
    }
    let exists = creds.as_ref().is_some_and(|d| d.has_section(name))
        || config.as_ref().is_some_and(|d| d.has_section(&section));
    Err(CredentialSourceError::NoCredentials {
        profile: name.to_string(),
        why: if exists {
            "has neither keys nor a credential_process".into()
        } else {
            format!(
                "is not in {} or {}",
                files.credentials.display(),
                files.config.display()
            )
        },
    })
}

/// What names a profile's credentials: its files, and its keys' id (and
/// session token) or its `credential_process`, read as [`from_profile`]
/// reads them.
fn profile_identity(name: &str, env: Env) -> Option<String> {
    let profile = ProfileName::parse(name).ok()?;
    let files = SharedFiles::from_env(env).ok()?;
    let creds = read_ini(&files.credentials).ok()?;
    let config = read_ini(&files.config).ok()?;
    let section = profile.config_section();
    let in_creds = |key: &str| creds.as_ref().and_then(|d| d.get(name, key));
    let in_config = |key: &str| config.as_ref().and_then(|d| d.get(&section, key));
    let what = match in_creds("aws_access_key_id") {
        Some(id) => format!(
            "keys {id} {}",
            in_creds("aws_session_token").unwrap_or_default()
        ),
        None => match in_config("credential_process") {
            Some(command) => format!("process {command}"),
            None => format!(
                "keys {} {}",
                in_config("aws_access_key_id")?,
                in_config("aws_session_token").unwrap_or_default()
            ),
        },
    };
    Some(format!(
        "profile\n{name}\n{}\n{}\n{what}",
        files.credentials.display(),
        files.config.display()
    ))
}

/// The `credential_process` document (Version 1).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput {
    version: u32,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiration: Option<String>,
}

/// Runs `command` under `sh -c` in its own process group, killed (with
/// everything it started) when it outlasts `timeout`.
fn run_process(
    command: &str,
    profile: &str,
    timeout: Duration,
) -> Result<Credentials, CredentialSourceError> {
    let fail = |why: String| CredentialSourceError::Process {
        profile: profile.to_string(),
        why,
    };
    let mut child = crate::platform::own_process_group(
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )
    .spawn()
    .map_err(|e| fail(format!("could not start: {e}")))?;
    let deadline = Instant::now() + timeout;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let read = (&mut stdout)
            .take(PROCESS_OUTPUT_LIMIT as u64 + 1)
            .read_to_end(&mut out);
        let _ = tx.send(read.map(|_| out));
    });
    let kill = |child: &mut std::process::Child| {
        crate::platform::stop_group(child);
        let _ = child.wait();
    };
    let out = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(out)) if out.len() > PROCESS_OUTPUT_LIMIT => {
            kill(&mut child);
            return Err(fail(format!(
                "printed more than {} KiB",
                PROCESS_OUTPUT_LIMIT / 1024
            )));
        }
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            kill(&mut child);
            return Err(fail(format!("could not be read: {e}")));
        }
        Err(_) => {
            kill(&mut child);
            return Err(fail(format!(
                "did not finish within {} s",
                timeout.as_secs()
            )));
        }
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                kill(&mut child);
                return Err(fail(format!("did not exit within {} s", timeout.as_secs())));
            }
            Err(e) => return Err(fail(format!("could not be waited for: {e}"))),
        }
    };
    if !status.success() {
        return Err(fail(format!(
            "failed ({status}); its error output is above"
        )));
    }
    let doc: ProcessOutput = serde_json::from_slice(&out).map_err(|e| {
        fail(format!(
            "printed no credential_process JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if doc.version != 1 {
        return Err(fail(format!(
            "printed Version {}, and only Version 1 exists",
            doc.version
        )));
    }
    if doc.access_key_id.is_empty() || doc.secret_access_key.is_empty() {
        return Err(fail("printed empty keys".into()));
    }
    let expiration = match doc.expiration {
        None => None,
        Some(t) => Some(
            DateTime::from_str(t.trim(), Format::DateTime)
                .ok()
                .and_then(|t| SystemTime::try_from(t).ok())
                .ok_or_else(|| {
                    fail(format!("printed an Expiration that is not RFC 3339: {t:?}"))
                })?,
        ),
    };
    Ok(Credentials {
        access_key_id: Secret::new(doc.access_key_id),
        secret_access_key: Secret::new(doc.secret_access_key),
        session_token: doc.session_token.filter(|t| !t.is_empty()).map(Secret::new),
        expiration,
        origin: Origin::Profile {
            name: profile.to_string(),
            via: ProfileVia::CredentialProcess,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    #[test]
    fn a_profile_or_a_role_to_assume_or_else_the_environment() {
        let env = env_of(&[("AWS_REGION", "eu-west-1")]);
        let role = || RoleOptions {
            role_arn: Some("arn:aws:iam::123456789012:role/ci".into()),
            timeout_secs: 60,
            ..RoleOptions::default()
        };
        assert!(matches!(
            CredentialSource::choose(Some("ci"), Some(role()), &env),
            Err(ChooseError::Both)
        ));
        let profile = CredentialSource::choose(Some("ci"), None, &env).unwrap();
        assert_eq!(profile.profile().map(ProfileName::as_str), Some("ci"));
        let assumed = CredentialSource::choose(None, Some(role()), &env).unwrap();
        assert!(matches!(assumed, CredentialSource::AssumeRole(_)));
        assert!(assumed.profile().is_none() && assumed.notes().is_empty());
        assert!(matches!(
            CredentialSource::choose(None, None, &env).unwrap(),
            CredentialSource::Environment
        ));
        assert!(matches!(
            CredentialSource::choose(Some("bad name]"), None, &env),
            Err(ChooseError::Profile(_))
        ));
    }

    #[test]
    fn environment_keys_win_and_never_print() {
        let env = env_of(&[
            ("AWS_ACCESS_KEY_ID", "AKIAENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_SESSION_TOKEN", "env-token"),
            ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z"),
        ]);
        let c = CredentialSource::Environment.resolve(&env).unwrap();
        assert_eq!(c.access_key_id.expose(), "AKIAENV");
        assert_eq!(c.session_token.unwrap().expose(), "env-token");
        assert!(c.expiration.is_some());
        let debug = format!("{:?}", CredentialSource::Environment.resolve(&env).unwrap());
        assert!(
            !debug.contains("env-secret") && !debug.contains("AKIAENV"),
            "{debug}"
        );
        let half = env_of(&[("AWS_ACCESS_KEY_ID", "AKIAENV")]);
        let err = CredentialSource::Environment.resolve(&half).unwrap_err();
        assert!(err.to_string().contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    }

    fn home_with(creds: &str, config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), creds).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        dir
    }

    #[test]
    fn profiles_are_read_in_the_cli_order() {
        let home = home_with(
            "[keys]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n",
            "[profile keys]\ncredential_process = false\n\
             [profile proc]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"p\", \"SessionToken\": \"t\", \"Expiration\": \"2030-01-01T00:00:00Z\"}'\n\
             [profile sso]\nsso_session = corp\n\
             [profile empty]\nregion = us-east-1\n",
        );
        let h = home.path().to_str().unwrap();
        let named = |p: &str| CredentialSource::Profile(ProfileName::parse(p).unwrap());
        let env = env_of(&[("HOME", h)]);
        let keys = named("keys").resolve(&env).unwrap();
        assert_eq!(keys.access_key_id.expose(), "AKIAFILE");
        assert!(keys.session_token.is_none());
        let proc = named("proc").resolve(&env).unwrap();
        assert_eq!(proc.access_key_id.expose(), "AKIAPROC");
        assert_eq!(
            proc.origin.to_string(),
            "profile \"proc\" (credential_process)"
        );
        assert!(proc.expiration.is_some());
        let err = named("sso").resolve(&env).unwrap_err();
        assert!(matches!(
            err,
            CredentialSourceError::Unsupported {
                key: "sso_session",
                ..
            }
        ));
        let err = named("empty").resolve(&env).unwrap_err();
        assert!(err.to_string().contains("neither keys"), "{err}");
        let err = named("missing").resolve(&env).unwrap_err();
        assert!(err.to_string().contains("is not in"), "{err}");
        // The environment source falls back to $AWS_PROFILE.
        let env = env_of(&[("HOME", h), ("AWS_PROFILE", "proc")]);
        let c = CredentialSource::Environment.resolve(&env).unwrap();
        assert_eq!(c.access_key_id.expose(), "AKIAPROC");
    }

    #[test]
    fn a_credential_process_is_bounded_and_checked() {
        let slow = run_process("sleep 5", "p", Duration::from_millis(200)).unwrap_err();
        assert!(slow.to_string().contains("did not finish"), "{slow}");
        let loud = run_process("yes", "p", PROCESS_TIMEOUT).unwrap_err();
        assert!(loud.to_string().contains("more than 64 KiB"), "{loud}");
        let failed = run_process("exit 3", "p", PROCESS_TIMEOUT).unwrap_err();
        assert!(failed.to_string().contains("failed"), "{failed}");
        let secret = run_process(
            "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"hush\"}'",
            "p",
            PROCESS_TIMEOUT,
        )
        .unwrap_err();
        assert!(secret.to_string().contains("Version 2"), "{secret}");
        let garbage = run_process("echo hush-hush", "p", PROCESS_TIMEOUT).unwrap_err();
        assert!(!garbage.to_string().contains("hush"), "{garbage}");
    }
}
