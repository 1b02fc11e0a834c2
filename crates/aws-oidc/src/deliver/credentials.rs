//! Credentials to where AWS tools read them: `$BASH_ENV` exports, a
//! profile, a dotenv file, the `credential_process` document on stdout.
//!
//! [`Targets::resolve`] turns the options into targets (nothing touched),
//! [`Targets::preflight`] checks each can be written (nothing changed),
//! [`Targets::still_valid`] says whether they already hold what is asked
//! (`--skip-if-valid`), and [`Targets::deliver`] writes the credentials to
//! every target and records each write in the job's ledger.  A new sink is
//! a target here: resolved, checked, written and recorded in this file.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::assume::Outcome;
use crate::cache::{CacheError, CachedExchange, CredentialCache};
use crate::credentials::{unix, Credentials, Secret};
use crate::env::Env;
use crate::exchange::Exchange;
use crate::files::FileError;
use crate::ledger::{fingerprint, Grant, Ledger, Target, ValidUntil, Written};
use crate::settings::Shadow;
use crate::shared_files::SharedFiles;
use crate::shared_files::{self, ProfileContent, ProfileError, ProfileName, ProfileWrite};
use crate::sinks::process_json;
use crate::sinks::shell::{self, QuoteError, ShellSinkError};

use super::{bash_env_label, bash_env_path};

/// Where credentials go, as the options say.  Values are taken as given
/// (any `--expand-env` expansion is the caller's).
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// `export` lines: `Some(None)` for the job's `$BASH_ENV`, `Some(Some(path))`
    /// for another file; `None`: only when no other target is given.
    pub bash_env: Option<Option<PathBuf>>,
    /// The profile to write, in the shared files the environment names.
    pub profile: Option<String>,
    /// Write the region into the profile's own section of the config file.
    pub profile_region: bool,
    /// Also write the region into `[default]` of the config file.
    pub default_region: bool,
    /// Export the region (`AWS_REGION`, `AWS_DEFAULT_REGION`) with the keys.
    pub export_region: bool,
    /// A dotenv file (`NAME=value` lines, 0600).
    pub dotenv: Option<PathBuf>,
    /// The `credential_process` document, for stdout.
    pub json: bool,
    /// Make the profile refresh itself: the aws-oidc binary its
    /// `credential_process` runs.
    pub refresh: Option<PathBuf>,
    /// Do nothing when every target holds credentials for the role valid
    /// for more than this many minutes.
    pub skip_if_valid: Option<u32>,
    /// Whether a dotenv file and stdout are offered (assumed credentials),
    /// for the error that says where credentials can go.
    pub outputs: bool,
    /// With assumed credentials exported: also export circleci/aws-cli's
    /// `AWS_CLI_STR_*` copies of the keys (4.1.2 on), which some configs read.
    pub aws_cli_copies: bool,
}

/// The targets, resolved: each one named, none touched yet.
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    bash_env: Option<(PathBuf, String)>,
    profile: Option<(SharedFiles, ProfileWrite)>,
    dotenv: Option<PathBuf>,
    json: bool,
    refresh: Option<PathBuf>,
    skip_if_valid: Option<u32>,
    region: Option<String>,
    export_region: bool,
    aws_cli_copies: bool,
}

/// What is delivered.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Payload<'a> {
    /// What an exchange returned: the credentials, for the role it assumed.
    Assumed {
        /// The exchange (for a self-refreshing profile's command and cache).
        exchange: &'a Exchange,
        /// What it returned.
        outcome: &'a Outcome,
        /// When STS was asked, for the cache entry of a self-refreshing profile.
        issued_at: SystemTime,
    },
    /// Long-lived keys (no session token, no expiry), such as an
    /// aws-cli/setup config stores; their origin names where each key came
    /// from in the `$BASH_ENV` comment.
    StaticKeys {
        /// The keys.
        keys: &'a Credentials,
    },
}

/// One place credentials were written, named as the summary names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wrote {
    /// A profile: keys, or a `credential_process` that refreshes itself.
    Profile {
        /// The profile.
        name: String,
        /// Whether it refreshes itself.
        refreshes: bool,
    },
    /// A dotenv file.
    Dotenv(PathBuf),
    /// `export` lines, in the file named (`$BASH_ENV`, or its path).
    BashEnv(String),
    /// The `credential_process` document, for stdout.
    Stdout,
}

impl fmt::Display for Wrote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wrote::Profile {
                name,
                refreshes: false,
            } => write!(f, "profile {name:?}"),
            Wrote::Profile {
                name,
                refreshes: true,
            } => write!(
                f,
                "profile {name:?} (refreshes itself through credential_process)"
            ),
            Wrote::Dotenv(path) => write!(f, "{}", path.display()),
            Wrote::BashEnv(label) => f.write_str(label),
            Wrote::Stdout => f.write_str("stdout"),
        }
    }
}

/// What [`Targets::deliver`] did.
#[derive(Debug)]
pub(crate) struct Delivered {
    /// Where the credentials were written, in order.
    pub wrote: Vec<Wrote>,
    /// The `credential_process` document for stdout (holds the keys).
    pub stdout: Option<Secret>,
    /// Why the self-refreshing profile's cache could not be primed (its
    /// first refresh then asks STS): worth a warning.
    pub cache_problem: Option<CacheError>,
}

/// Every target already holds valid credentials: nothing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StillValid {
    /// The targets, as messages name them.
    pub labels: Vec<String>,
    /// Until when the first of them is valid.
    pub until: ValidUntil,
    /// The minutes asked for.
    pub minutes: u32,
}

crate::error_debug::debug_by_display!(DeliverError);
/// Why credentials could not be delivered.
#[derive(thiserror::Error)]
pub enum DeliverError {
    /// `--bash-env` without a path, and no `$BASH_ENV`.
    #[error("--bash-env without a path needs $BASH_ENV, which is not set: pass --bash-env PATH")]
    NoBashEnv,
    /// No target given, and no `$BASH_ENV` to imply.
    #[error(
        "nowhere to write the credentials: pass --bash-env PATH, --profile NAME{} ($BASH_ENV, used \
         by default in CircleCI, is not set)",
        if *.outputs { ", --output json or --output dotenv FILE" } else { "" }
    )]
    Nowhere {
        /// Whether a dotenv file and stdout are offered.
        outputs: bool,
    },
    /// `--default-region` without a profile.
    #[error("--default-region writes to ~/.aws/config and goes with --profile NAME")]
    DefaultRegionWithoutProfile,
    /// A self-refreshing profile beside exported or printed keys.
    #[error(
        "--refresh writes a profile that refreshes itself; exported or printed keys would expire \
         and, in the environment, shadow it: use --refresh with --profile alone \
         (orb: set_aws_env_vars: false)"
    )]
    RefreshWithKeys,
    /// `--skip-if-valid` with a target that always needs fresh credentials.
    #[error(
        "--skip-if-valid checks what --bash-env and --profile hold; --output json or dotenv \
         always needs fresh credentials: drop one of them"
    )]
    SkipWithOutput,
    /// Static keys have no `credential_process` document.
    #[error("long-lived keys are not printed as a credential_process document: write a profile")]
    NoDocument,
    /// `$BASH_ENV` cannot be appended to.
    #[error("cannot write the credentials to $BASH_ENV (--bash-env)")]
    BashEnv(#[source] FileError),
    /// The dotenv file cannot be written.
    #[error("cannot write the dotenv file (--output dotenv)")]
    Dotenv(#[source] FileError),
    /// The profile cannot be named, checked or written.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// Export lines or a dotenv file could not be written.
    #[error(transparent)]
    Shell(#[from] ShellSinkError),
    /// The self-refreshing profile's command cannot be quoted.
    #[error(transparent)]
    Command(#[from] QuoteError),
    /// A write could not be recorded in the ledger.
    #[error(transparent)]
    Record(#[from] FileError),
}

impl Payload<'_> {
    /// The credentials delivered.
    fn credentials(&self) -> &Credentials {
        match self {
            Payload::Assumed { outcome, .. } => &outcome.assumed.credentials,
            Payload::StaticKeys { keys } => keys,
        }
    }

    /// The variables the payload sets: the keys, and the region when given.
    fn vars<'a>(
        &'a self,
        region: Option<&'a str>,
        expiration: &'a str,
    ) -> Vec<(&'static str, &'a [u8])> {
        shell::credential_vars(self.credentials(), region, expiration)
    }

    /// When assumed credentials expire, in RFC 3339 (empty for static keys).
    fn expiration(&self) -> String {
        self.credentials().expiration_rfc3339().unwrap_or_default()
    }
}

impl Targets {
    /// Resolves the targets for credentials for `region` (written with
    /// them, when given), from `opts` and `env`; no file is touched.
    pub(crate) fn resolve(
        opts: TargetOptions,
        region: Option<&str>,
        env: Env,
    ) -> Result<Targets, DeliverError> {
        let profile = match &opts.profile {
            None => None,
            Some(name) => Some((
                SharedFiles::from_env(env)?,
                ProfileWrite {
                    name: ProfileName::parse(name)?,
                    region: region.map(String::from),
                    profile_region: opts.profile_region,
                    default_region: opts.default_region,
                },
            )),
        };
        let prints = opts.json || opts.dotenv.is_some();
        let bash_env = match opts.bash_env {
            Some(Some(path)) => Some(path),
            Some(None) => Some(bash_env_path(env).ok_or(DeliverError::NoBashEnv)?),
            None if profile.is_none() && !prints => {
                Some(bash_env_path(env).ok_or(DeliverError::Nowhere {
                    outputs: opts.outputs,
                })?)
            }
            None => None,
        };
        if opts.default_region && profile.is_none() {
            return Err(DeliverError::DefaultRegionWithoutProfile);
        }
        if opts.refresh.is_some() && (bash_env.is_some() || prints) {
            return Err(DeliverError::RefreshWithKeys);
        }
        if opts.skip_if_valid.is_some() && prints {
            return Err(DeliverError::SkipWithOutput);
        }
        Ok(Targets {
            bash_env: bash_env.map(|p| {
                let label = bash_env_label(&p, env);
                (p, label)
            }),
            profile,
            dotenv: opts.dotenv,
            json: opts.json,
            refresh: opts.refresh,
            skip_if_valid: opts.skip_if_valid,
            region: region.map(String::from),
            export_region: opts.export_region,
            aws_cli_copies: opts.aws_cli_copies,
        })
    }

    /// Checks every target can be written, changing nothing: run before a
    /// token is spent.
    pub(crate) fn preflight(&self) -> Result<(), DeliverError> {
        if let Some((path, _)) = &self.bash_env {
            shell::check_bash_env(path).map_err(DeliverError::BashEnv)?;
        }
        if let Some((files, _)) = &self.profile {
            shared_files::preflight(files)?;
        }
        if let Some(path) = &self.dotenv {
            shell::check_dotenv(path).map_err(DeliverError::Dotenv)?;
        }
        Ok(())
    }

    /// The region exported with the keys, unless the options said not to.
    fn exported_region(&self) -> Option<&str> {
        self.region.as_deref().filter(|_| self.export_region)
    }

    /// What would hide the profile from later steps, as a warning: only
    /// when nothing is exported (exported keys are what later steps use).
    pub(crate) fn shadow_warning(&self, env: Env) -> Option<String> {
        let (_, write) = self.profile.as_ref()?;
        if self.bash_env.is_some() {
            return None;
        }
        let name = write.name.as_str();
        Shadow::of(name, env).map(|shadow| shadow.warning(name))
    }

    /// With `--skip-if-valid`: whether every target still holds credentials
    /// for `role_arn` valid for longer than asked, by the ledger's record.
    pub(crate) fn still_valid(
        &self,
        ledger: &Ledger,
        role_arn: &str,
        now: SystemTime,
        env: Env,
    ) -> Option<StillValid> {
        let minutes = self.skip_if_valid?;
        let min_left = Duration::from_secs(u64::from(minutes) * 60);
        let mut labels = Vec::new();
        let mut until = Vec::new();
        for (target, label) in self.ledger_targets() {
            until.push(ledger.still_valid(&target, role_arn, min_left, now, env)?);
            labels.push(label);
        }
        Some(StillValid {
            labels,
            until: until.into_iter().min()?,
            minutes,
        })
    }

    /// The targets the ledger can vouch for, and their labels.
    fn ledger_targets(&self) -> Vec<(Target, String)> {
        let mut out = Vec::new();
        if let Some((path, label)) = &self.bash_env {
            out.push((Target::BashEnv(path.clone()), label.clone()));
        }
        if let Some((files, write)) = &self.profile {
            out.push((
                Target::Profile(files.clone(), write.name.clone()),
                format!("profile {:?}", write.name.as_str()),
            ));
        }
        out
    }

    /// Writes `payload` to every target, and records each write in the
    /// ledger of `cache` (none: nothing recorded), for `cleanup` and
    /// `--skip-if-valid`.  A self-refreshing profile's first credentials
    /// go into `cache` too.
    pub(crate) fn deliver(
        &self,
        payload: Payload,
        cache: Option<&CredentialCache>,
        env: Env,
    ) -> Result<Delivered, DeliverError> {
        let mut wrote = Vec::new();
        let mut cache_problem = None;
        if let Some((files, write)) = &self.profile {
            let name = write.name.as_str().to_string();
            let refreshes = match (payload, &self.refresh) {
                (
                    Payload::Assumed {
                        exchange,
                        outcome,
                        issued_at,
                    },
                    Some(exe),
                ) => {
                    let command = exchange.process_command(exe)?;
                    // A cache that cannot be used only costs the first refresh an STS call.
                    let cached = CachedExchange::new(exchange, cache.cloned());
                    cache_problem = cached
                        .prime(&outcome.assumed.credentials, issued_at, env)
                        .err();
                    shared_files::write(files, write, &ProfileContent::Process(command))?;
                    true
                }
                (Payload::Assumed { .. }, None) | (Payload::StaticKeys { .. }, _) => {
                    let keys = ProfileContent::Keys(payload.credentials());
                    shared_files::write(files, write, &keys)?;
                    false
                }
            };
            wrote.push(Wrote::Profile { name, refreshes });
        }
        let expiration = payload.expiration();
        if let Some(path) = &self.dotenv {
            // The dotenv file is for tools that read the region with the keys.
            let vars = payload.vars(self.region.as_deref(), &expiration);
            shell::write_dotenv_vars(path, &vars)?;
            wrote.push(Wrote::Dotenv(path.clone()));
        }
        if let Some((path, label)) = &self.bash_env {
            let region = self.exported_region();
            // circleci/aws-cli copies only the credentials of a role it assumed.
            let (header, copies) = match payload {
                Payload::Assumed { outcome, .. } => (
                    format!(
                        "aws-oidc: credentials for {}",
                        outcome.assumed.assumed_role_arn
                    ),
                    self.aws_cli_copies,
                ),
                Payload::StaticKeys { keys } => {
                    (format!("aws-oidc: static keys from {}", keys.origin), false)
                }
            };
            shell::append_bash_env(path, payload.credentials(), region, &header, copies)?;
            wrote.push(Wrote::BashEnv(label.clone()));
        }
        if let Some(cache) = cache {
            self.record(&cache.ledger(env), payload, &expiration)?;
        }
        let stdout = match (self.json, payload) {
            (false, _) => None,
            (true, Payload::Assumed { outcome, .. }) => {
                wrote.push(Wrote::Stdout);
                Some(Secret::new(process_json(&outcome.assumed.credentials)))
            }
            (true, Payload::StaticKeys { .. }) => return Err(DeliverError::NoDocument),
        };
        Ok(Delivered {
            wrote,
            stdout,
            cache_problem,
        })
    }

    /// Writes the region alone into the profile's config sections (the
    /// profile's, `[default]`, as the options say), as `aws configure set
    /// region` would: for a setup given neither a role nor keys.  Nothing
    /// else is touched, and nothing is recorded in the ledger: `cleanup`
    /// takes a profile back whole (its keys too) and cannot tell this
    /// region from one the job's own config held before, so it is left,
    /// as circleci/aws-cli leaves it.  `None` when there is no profile or
    /// no region to write.
    pub(crate) fn write_region(&self) -> Result<Option<Wrote>, DeliverError> {
        let Some((files, write)) = &self.profile else {
            return Ok(None);
        };
        if write.region.is_none() || !(write.profile_region || write.default_region) {
            return Ok(None);
        }
        shared_files::write(files, write, &ProfileContent::Region)?;
        Ok(Some(Wrote::Profile {
            name: write.name.as_str().to_string(),
            refreshes: false,
        }))
    }

    /// Records what was written: the variables exported, the profile and
    /// its credentials (a fingerprint of the key), or the role a
    /// self-refreshing profile assumes; the dotenv file.  Never a key.
    fn record(&self, ledger: &Ledger, payload: Payload, expiration: &str) -> Result<(), FileError> {
        let (grant, process_role) = match payload {
            Payload::Assumed {
                exchange, outcome, ..
            } => {
                let creds = &outcome.assumed.credentials;
                let role_arn = exchange.final_role().to_string();
                let grant = Grant {
                    role_arn: role_arn.clone(),
                    key: fingerprint(creds.access_key_id.expose()),
                    expires_at: unix(outcome.assumed.expiration()) as i64,
                };
                (Some(grant), self.refresh.is_some().then_some(role_arn))
            }
            Payload::StaticKeys { .. } => (None, None),
        };
        if let Some((path, _)) = &self.bash_env {
            let vars = payload
                .vars(self.exported_region(), expiration)
                .into_iter()
                .map(|(name, _)| name.to_string())
                .collect();
            ledger.record(Written::BashEnv {
                path: path.clone(),
                vars,
                grant: grant.clone(),
            })?;
        }
        if let Some((files, write)) = &self.profile {
            ledger.record(Written::Profile {
                credentials: files.credentials.clone(),
                config: files.config.clone(),
                name: write.name.as_str().to_string(),
                region: write.region.is_some(),
                profile_region: write.profile_region,
                default_region: write.default_region,
                grant: if process_role.is_some() { None } else { grant },
                process_role,
            })?;
        }
        if let Some(path) = &self.dotenv {
            ledger.record(Written::created(path.clone()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    fn opts() -> TargetOptions {
        TargetOptions {
            export_region: true,
            outputs: true,
            ..TargetOptions::default()
        }
    }

    fn keys(id_var: &str, secret_var: &str) -> Credentials {
        use crate::credentials::{KeySource, Origin};
        Credentials::long_lived(
            Secret::new("AKIAEXAMPLE"),
            Secret::new("secret with 'quotes'"),
            Origin::StoredKeys {
                access_key_id: KeySource::Variable(id_var.into()),
                secret_access_key: KeySource::Variable(secret_var.into()),
            },
        )
    }

    #[test]
    fn without_a_target_bash_env_is_implied_and_without_it_the_error_names_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let bash_env = dir.path().join("bash_env");
        let env = env_of(&[("BASH_ENV", bash_env.to_str().unwrap())]);
        let t = Targets::resolve(opts(), None, &env).unwrap();
        assert_eq!(t.bash_env, Some((bash_env, "$BASH_ENV".to_string())));

        let err = Targets::resolve(opts(), None, &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("--output json"), "{err}");
        let keys_only = TargetOptions {
            outputs: false,
            ..opts()
        };
        let err = Targets::resolve(keys_only, None, &env_of(&[])).unwrap_err();
        assert!(!err.to_string().contains("--output"), "{err}");
        let bare = TargetOptions {
            bash_env: Some(None),
            ..opts()
        };
        assert!(matches!(
            Targets::resolve(bare, None, &env_of(&[])),
            Err(DeliverError::NoBashEnv)
        ));
    }

    #[test]
    fn combinations_that_cannot_work_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap();
        let env = env_of(&[("HOME", home), ("BASH_ENV", "/tmp/x")]);
        let refresh = TargetOptions {
            profile: Some("ci".into()),
            bash_env: Some(None),
            refresh: Some("/usr/local/bin/aws-oidc".into()),
            ..opts()
        };
        assert!(matches!(
            Targets::resolve(refresh, None, &env),
            Err(DeliverError::RefreshWithKeys)
        ));
        let skip = TargetOptions {
            json: true,
            skip_if_valid: Some(10),
            ..opts()
        };
        assert!(matches!(
            Targets::resolve(skip, None, &env),
            Err(DeliverError::SkipWithOutput)
        ));
        let default_region = TargetOptions {
            default_region: true,
            ..opts()
        };
        assert!(matches!(
            Targets::resolve(default_region, Some("eu-west-1"), &env),
            Err(DeliverError::DefaultRegionWithoutProfile)
        ));
        assert!(!dir.path().join(".aws").exists());
    }

    #[test]
    fn static_keys_go_to_the_profile_and_bash_env_and_each_write_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap().to_string();
        let bash_env = dir.path().join("bash_env");
        let cache_dir = dir.path().join("cache");
        let env = env_of(&[
            ("HOME", &home),
            ("BASH_ENV", bash_env.to_str().unwrap()),
            ("AWS_OIDC_CACHE_DIR", cache_dir.to_str().unwrap()),
        ]);
        let t = Targets::resolve(
            TargetOptions {
                profile: Some("ci".into()),
                bash_env: Some(None),
                profile_region: true,
                ..opts()
            },
            Some("eu-west-1"),
            &env,
        )
        .unwrap();
        t.preflight().unwrap();
        let cache = CredentialCache::open(cache_dir).unwrap();
        let keys = keys("CI_KEY_ID", "CI_SECRET");
        let payload = Payload::StaticKeys { keys: &keys };
        let done = t.deliver(payload, Some(&cache), &env).unwrap();
        let labels: Vec<String> = done.wrote.iter().map(ToString::to_string).collect();
        assert_eq!(labels, ["profile \"ci\"", "$BASH_ENV"]);
        assert!(done.stdout.is_none());

        let exports = std::fs::read_to_string(&bash_env).unwrap();
        assert!(exports.starts_with("# aws-oidc: static keys from $CI_KEY_ID and $CI_SECRET\n"));
        assert!(exports.contains("export AWS_REGION=eu-west-1\n"));
        assert!(exports.contains("unset AWS_SESSION_TOKEN"));
        let creds = std::fs::read_to_string(dir.path().join(".aws/credentials")).unwrap();
        assert!(creds.contains("AKIAEXAMPLE"));

        let recorded = cache.ledger(&env).entries();
        assert_eq!(recorded.len(), 2);
        let Written::BashEnv { vars, grant, .. } = &recorded[0] else {
            panic!("{recorded:?}")
        };
        assert_eq!(
            vars,
            &[
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_REGION",
                "AWS_DEFAULT_REGION"
            ]
        );
        assert!(grant.is_none());
        let ledger_text = std::fs::read_to_string(dir.path().join("cache/local.ledger")).unwrap();
        assert!(!ledger_text.contains("AKIAEXAMPLE") && !ledger_text.contains("quotes"));
    }

    #[test]
    fn static_keys_have_no_document_for_stdout() {
        let t = Targets::resolve(
            TargetOptions {
                json: true,
                ..opts()
            },
            None,
            &env_of(&[]),
        )
        .unwrap();
        let keys = keys("A", "B");
        let payload = Payload::StaticKeys { keys: &keys };
        assert!(matches!(
            t.deliver(payload, None, &env_of(&[])),
            Err(DeliverError::NoDocument)
        ));
    }

    #[test]
    fn a_self_refreshing_profile_stays_valid_for_as_long_as_it_refreshes() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[("HOME", dir.path().to_str().unwrap())]);
        let role = "arn:aws:iam::123456789012:role/deploy";
        let t = Targets::resolve(
            TargetOptions {
                profile: Some("ci".into()),
                skip_if_valid: Some(10),
                ..opts()
            },
            None,
            &env,
        )
        .unwrap();
        let (files, write) = t.profile.clone().unwrap();
        let command = "aws-oidc credential-process --role-arn x".to_string();
        shared_files::write(&files, &write, &ProfileContent::Process(command)).unwrap();
        let ledger = Ledger::in_dir(dir.path(), &env);
        let now = SystemTime::now();
        // Nothing recorded: nothing vouched for.
        assert_eq!(t.still_valid(&ledger, role, now, &env), None);
        ledger
            .record(Written::Profile {
                credentials: files.credentials.clone(),
                config: files.config.clone(),
                name: "ci".into(),
                region: false,
                profile_region: true,
                default_region: false,
                grant: None,
                process_role: Some(role.into()),
            })
            .unwrap();
        let valid = t.still_valid(&ledger, role, now, &env).unwrap();
        assert_eq!(valid.until, ValidUntil::Refreshes);
        assert_eq!(valid.labels, ["profile \"ci\""]);
        assert_eq!(
            t.still_valid(&ledger, "arn:aws:iam::1:role/other", now, &env),
            None
        );
        // The earliest of several: a time comes before a profile that refreshes.
        assert!(
            ValidUntil::At(now + Duration::from_secs(u64::from(u32::MAX))) < ValidUntil::Refreshes
        );
    }

    #[test]
    fn a_profile_is_shadowed_only_when_nothing_is_exported() {
        let dir = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("HOME", dir.path().to_str().unwrap()),
            ("AWS_PROFILE", "other"),
            ("BASH_ENV", "/tmp/x"),
        ]);
        let profile_only = TargetOptions {
            profile: Some("ci".into()),
            ..opts()
        };
        let t = Targets::resolve(profile_only.clone(), None, &env).unwrap();
        assert!(t
            .shadow_warning(&env)
            .unwrap()
            .contains("AWS_PROFILE=other"));
        let both = TargetOptions {
            bash_env: Some(None),
            ..profile_only
        };
        let t = Targets::resolve(both, None, &env).unwrap();
        assert_eq!(t.shadow_warning(&env), None);
    }
}
