//! Where each setting comes from: precedence chains as data.
//!
//! In the manner of aws-config's provider chains, a setting that can come
//! from several places (a flag, then one environment variable, then
//! another) is a [`Chain`]: a list of [`Source`]s tried in order, the first
//! non-empty value winning.  The environment is a parameter ([`Env`]), so
//! every precedence rule is tested without touching the process's
//! environment.

use std::fmt;
use std::path::PathBuf;

use crate::ca_bundle::CaBundleError;
use crate::ini::IniDoc;
use crate::names::{Input, Names};
use crate::request::InputError;
use crate::retry::RetryPolicy;
use crate::shared_files::{ProfileName, SharedFiles};
use crate::sts::EndpointError;

/// The environment is a leaf below every module; the CLI takes it from here.
pub(crate) use crate::env::Env;

/// One place a setting can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line option (the orb passes its parameters as options).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A key in the active profile's section of the AWS config file
    /// (`$AWS_PROFILE`, else `default`; `$AWS_CONFIG_FILE`, else `~/.aws/config`).
    Profile(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => f.write_str(flag),
            Source::Env(var) => write!(f, "${var}"),
            Source::Profile(key) => write!(f, "the profile's {key} in the AWS config file"),
        }
    }
}

/// Sources tried in order; the first one with a non-blank value wins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain(pub &'static [Source]);

/// The region for STS and for what is written: `--region`, then
/// `$AWS_REGION`, then `$AWS_DEFAULT_REGION`, then the profile's `region`
/// (the AWS SDKs' order).  None at all means STS's global endpoint.
pub(crate) const REGION: Chain = Chain(&[
    Source::Flag("--region"),
    Source::Env("AWS_REGION"),
    Source::Env("AWS_DEFAULT_REGION"),
    Source::Profile("region"),
]);

/// An explicit STS endpoint: `--endpoint-url`, then the service-specific
/// `$AWS_ENDPOINT_URL_STS`, then the global `$AWS_ENDPOINT_URL`.
pub(crate) const ENDPOINT_URL: Chain = Chain(&[
    Source::Flag("--endpoint-url"),
    Source::Env("AWS_ENDPOINT_URL_STS"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// FIPS endpoints: `$AWS_USE_FIPS_ENDPOINT`.
pub(crate) const USE_FIPS: Chain = Chain(&[Source::Env("AWS_USE_FIPS_ENDPOINT")]);

/// Dual-stack (IPv6) endpoints: `$AWS_USE_DUALSTACK_ENDPOINT`.
pub(crate) const USE_DUALSTACK: Chain = Chain(&[Source::Env("AWS_USE_DUALSTACK_ENDPOINT")]);

/// CA certificates to trust instead of the system's: `$AWS_CA_BUNDLE`,
/// then the profile's `ca_bundle` (as the AWS CLI reads them).
pub(crate) const CA_BUNDLE: Chain =
    Chain(&[Source::Env("AWS_CA_BUNDLE"), Source::Profile("ca_bundle")]);

/// Attempts per STS call, the first included: `$AWS_MAX_ATTEMPTS`.
pub(crate) const MAX_ATTEMPTS: Chain = Chain(&[Source::Env("AWS_MAX_ATTEMPTS")]);

/// `standard` or `adaptive` retries: `$AWS_RETRY_MODE`.
pub(crate) const RETRY_MODE: Chain = Chain(&[Source::Env("AWS_RETRY_MODE")]);

impl Chain {
    /// An endpoint URL the user set through this chain (`$AWS_ENDPOINT_URL_X`,
    /// then `$AWS_ENDPOINT_URL`), checked; `None` where none is set, and the
    /// caller picks the service's own.  (The exchange reads STS's with its
    /// `--endpoint-url` flag: only the other services' calls need this.)
    #[cfg(any(
        feature = "ecr",
        feature = "eks",
        feature = "secrets",
        feature = "codeartifact"
    ))]
    pub(crate) fn endpoint_url(&self, env: Env) -> Result<Option<String>, SettingsError> {
        let Some((url, _)) = self.resolve(None, env) else {
            return Ok(None);
        };
        crate::request::check_endpoint_url(&url).map_err(|why| SettingsError::EndpointUrl {
            url: crate::request::without_userinfo(&url),
            why,
        })?;
        Ok(Some(url))
    }

    /// The first non-blank value and where it came from.  `flag` is the
    /// command-line value, if any (a chain names at most one flag).
    pub(crate) fn resolve(&self, flag: Option<&str>, env: Env) -> Option<(String, Source)> {
        self.0.iter().find_map(|source| {
            let value = match source {
                Source::Flag(_) => flag.map(str::to_string),
                Source::Env(var) => env(var),
                Source::Profile(key) => profile_value(env, key),
            };
            value.filter(|v| !v.trim().is_empty()).map(|v| (v, *source))
        })
    }

    /// Like [`Chain::resolve`], for a true/false setting: `true` (any case) is
    /// on, anything else off, as the AWS SDKs read these variables.
    pub(crate) fn resolve_bool(&self, env: Env) -> bool {
        self.resolve(None, env)
            .is_some_and(|(v, _)| v.trim().eq_ignore_ascii_case("true"))
    }
}

/// The largest AWS config file read for a setting; a larger one is ignored.
const CONFIG_FILE_LIMIT: u64 = 1024 * 1024;

/// `key` in the active profile's section of the AWS config file, as the
/// SDKs read it: the profile is `$AWS_PROFILE`, else `default`; the file
/// `$AWS_CONFIG_FILE`, else `~/.aws/config`.  A missing, unreadable or
/// unparsable file holds no settings.
pub(crate) fn profile_value(env: Env, key: &str) -> Option<String> {
    let config = SharedFiles::config_from_env(env).ok()?;
    let profile =
        ProfileName::parse(&env("AWS_PROFILE").unwrap_or_else(|| "default".into())).ok()?;
    // A named pipe or a device is not read: it could block or never end.
    let bytes = crate::files::read_regular_bounded(&config, CONFIG_FILE_LIMIT).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    IniDoc::parse(&text)
        .ok()?
        .get(&profile.config_section(), key)
        .filter(|v| !v.trim().is_empty())
}

crate::error_debug::debug_by_display!(SettingsError);
/// Why the options could not be resolved into an exchange.  Each message
/// says what is wrong in AWS's terms (the environment variables the AWS
/// CLI reads, STS's limits); [`SettingsError::describe`] adds which flag
/// or orb parameter a value came from.
#[derive(thiserror::Error)]
pub enum SettingsError {
    /// No role to assume.
    NoRole,
    /// No region from any source of `REGION`, and the setting named needs one.
    RegionNeeded {
        /// What needs it, e.g. `AWS_USE_FIPS_ENDPOINT=true`.
        needs: String,
    },
    /// No region for a regional service (what, e.g. `EKS clusters are`).
    RegionRequired(&'static str),
    /// A value was refused (the message names it and the fix).
    Input(#[from] InputError),
    /// The session policy's file (`file://PATH`) could not be read.
    PolicyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The endpoint is not a usable http(s) URL.
    EndpointUrl {
        /// The URL given, without any user name or password in it.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The time limit is out of range.
    Timeout,
    /// `AWS_MAX_ATTEMPTS` is not a number from 1 to 10.
    MaxAttempts {
        /// The value given.
        value: String,
    },
    /// `AWS_RETRY_MODE` is not a mode the SDK has.
    RetryMode {
        /// The value given.
        value: String,
    },
    /// No endpoint for these settings.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// A role outside the allowed accounts.
    AccountNotAllowed {
        /// The role.
        role: String,
        /// The allowed accounts.
        allowed: String,
    },
    /// Session tags without a chained role.
    TagsNeedChain,
    /// The CA bundle cannot be used.
    #[error(transparent)]
    CaBundle(#[from] CaBundleError),
}

impl SettingsError {
    /// The message, naming each input the way `names` calls it (or in the
    /// AWS CLI's terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        let set_region = || {
            format!(
                "{}set AWS_REGION or AWS_DEFAULT_REGION",
                names.around(Input::RegionSetting, "pass ", " or ")
            )
        };
        match self {
            SettingsError::NoRole => format!(
                "{} is empty: {}set AWS_ROLE_ARN to the role to assume, \
                 e.g. arn:aws:iam::123456789012:role/deploy",
                names.or(Input::RoleArnParameter, "the role ARN"),
                names.around(Input::RoleArnSetting, "pass ", " or ")
            ),
            SettingsError::RegionNeeded { needs } => format!(
                "{needs} needs an AWS region, and none is set: {}, e.g. us-east-1 (without one, \
                 aws-oidc calls STS's global endpoint, which exists only in the aws partition, \
                 without FIPS or dual-stack)",
                set_region()
            ),
            SettingsError::RegionRequired(what) => {
                format!("{what} regional, and no region is set: {}", set_region())
            }
            SettingsError::Input(e) => e.describe(names),
            SettingsError::PolicyFile { path, source } => format!(
                "cannot read the session policy file {}{}: {source}",
                path.display(),
                names.around(Input::Policy, " (", " file://...)")
            ),
            SettingsError::EndpointUrl { url, why } => format!(
                "invalid endpoint URL {url:?} ({}AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL): \
                 {why}; give an https:// URL such as https://sts.us-east-1.amazonaws.com \
                 (http:// only for a local test server)",
                names.around(Input::EndpointUrl, "", ", ")
            ),
            SettingsError::Timeout => format!(
                "{} must be 1 to 3600 seconds",
                names.or(Input::Timeout, "the time limit")
            ),
            SettingsError::MaxAttempts { value } => format!(
                "invalid AWS_MAX_ATTEMPTS {value:?}: attempts per STS call, the first included, \
                 from 1 to 10 (default 5)"
            ),
            SettingsError::RetryMode { value } => {
                format!("invalid AWS_RETRY_MODE {value:?}: use standard (the default) or adaptive")
            }
            SettingsError::AccountNotAllowed { role, allowed } => format!(
                "role {role} is not in an allowed account ({allowed}): fix the role ARN, or add \
                 its account to {}",
                names.or(Input::AllowedAccountIdsSetting, "the allowed account ids")
            ),
            SettingsError::TagsNeedChain => {
                // " (--tag, --circleci-tags)", each only if the caller names it.
                let tags = match (names.name(Input::Tag), names.name(Input::CircleCiTags)) {
                    (Some(tag), Some(circleci)) => format!(" ({tag}, {circleci})"),
                    (Some(one), None) | (None, Some(one)) => format!(" ({one})"),
                    (None, None) => String::new(),
                };
                format!(
                    "session tags{} go on a chained role{}: AssumeRoleWithWebIdentity takes no \
                     tags from the caller, only from the token's https://aws.amazon.com/tags \
                     claim, which CircleCI's tokens do not carry",
                    tags,
                    names.around(Input::ChainRoleArn, " (", ")")
                )
            }
            SettingsError::Endpoint(e) => e.to_string(),
            SettingsError::CaBundle(e) => e.to_string(),
        }
    }
}

crate::names::display_by_describe!(SettingsError);

/// Product tokens naming the CircleCI build, for the STS user agent, so
/// CloudTrail's `userAgent` ties each call to its build:
/// `circleci-project/<org>.<repo> circleci-build/<number> circleci-workflow/<id>`.
/// `None` outside CircleCI.
pub(crate) fn circleci_user_agent(env: Env) -> Option<String> {
    // RFC 9110 token characters; anything else becomes '-'.
    let token = |v: String| -> String {
        v.chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let project = match (
        env("CIRCLE_PROJECT_USERNAME"),
        env("CIRCLE_PROJECT_REPONAME"),
    ) {
        (Some(org), Some(repo)) => Some(format!("{}.{}", token(org), token(repo))),
        (None, Some(repo)) => Some(token(repo)),
        _ => None,
    };
    let parts: Vec<String> = [
        project.map(|p| format!("circleci-project/{p}")),
        env("CIRCLE_BUILD_NUM").map(|n| format!("circleci-build/{}", token(n))),
        env("CIRCLE_WORKFLOW_ID").map(|w| format!("circleci-workflow/{}", token(w))),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// What later steps will use instead of the profile just written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shadow {
    /// `AWS_ACCESS_KEY_ID` is set: AWS tools take keys from the environment
    /// before any profile.
    Keys,
    /// `AWS_PROFILE` names another profile.
    Profile(String),
}

impl Shadow {
    /// Finds what would shadow `profile` (just written, with nothing
    /// exported to later steps) in the environment later steps inherit.
    pub(crate) fn of(profile: &str, env: Env) -> Option<Shadow> {
        if env("AWS_ACCESS_KEY_ID").is_some() {
            return Some(Shadow::Keys);
        }
        env("AWS_PROFILE")
            .filter(|p| p != profile)
            .map(Shadow::Profile)
    }

    /// The one-line warning: the variable, and what later steps will use.
    pub(crate) fn warning(&self, profile: &str) -> String {
        match self {
            Shadow::Keys => format!(
                "AWS_ACCESS_KEY_ID is set in this environment, and AWS tools use it before any \
                 profile, so later steps use the keys in AWS_ACCESS_KEY_ID (from a context or an earlier \
                 step), not profile {profile:?}. If an earlier step exported keys (orb: set_aws_env_vars), \
                 set set_aws_env_vars: false there, or `unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
                 AWS_SESSION_TOKEN` before using the profile."
            ),
            Shadow::Profile(other) => format!(
                "AWS_PROFILE={other} is set in this environment, so later steps use profile {other:?}, \
                 not profile {profile:?}: pass --profile {profile} to the AWS CLI, set AWS_PROFILE={profile}, \
                 or write the credentials as profile {other:?}."
            ),
        }
    }
}

/// The retry policy from `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE`.
pub(crate) fn retry_policy(env: Env) -> Result<RetryPolicy, SettingsError> {
    let mut policy = RetryPolicy::default();
    if let Some((value, _)) = MAX_ATTEMPTS.resolve(None, env) {
        policy.max_attempts = value
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=10).contains(n))
            .ok_or(SettingsError::MaxAttempts { value })?;
    }
    if let Some((value, _)) = RETRY_MODE.resolve(None, env) {
        policy.adaptive = match value.trim().to_ascii_lowercase().as_str() {
            // The AWS CLI's legacy mode has no SDK counterpart; standard is its successor.
            "standard" | "legacy" => false,
            "adaptive" => true,
            _ => return Err(SettingsError::RetryMode { value }),
        };
    }
    Ok(policy)
}

/// The region: `flag`, else the rest of the `REGION` chain, checked;
/// `None` when none is set anywhere.
pub fn region(flag: Option<&str>, env: Env) -> Result<Option<String>, SettingsError> {
    Ok(REGION
        .resolve(flag, env)
        .map(|(raw, _)| crate::request::parse_region(&raw))
        .transpose()?)
}

/// The region for a regional service: as [`region`], and none is an error
/// that says `what` (`"EKS clusters are"`) needs one.
pub fn required_region(
    flag: Option<&str>,
    env: Env,
    what: &'static str,
) -> Result<String, SettingsError> {
    region(flag, env)?.ok_or(SettingsError::RegionRequired(what))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;
    use crate::names::Marked;

    #[test]
    fn settings_errors_say_what_to_set_and_where_the_caller_names_it() {
        assert_eq!(
            SettingsError::NoRole.to_string(),
            "the role ARN is empty: set AWS_ROLE_ARN to the role to assume, \
             e.g. arn:aws:iam::123456789012:role/deploy"
        );
        assert_eq!(
            SettingsError::NoRole.describe(&Marked),
            "<RoleArnParameter> is empty: pass <RoleArnSetting> or set AWS_ROLE_ARN to the role \
             to assume, e.g. arn:aws:iam::123456789012:role/deploy"
        );
        let regional = SettingsError::RegionRequired("EKS clusters are");
        assert_eq!(
            regional.to_string(),
            "EKS clusters are regional, and no region is set: set AWS_REGION or AWS_DEFAULT_REGION"
        );
        assert_eq!(
            regional.describe(&Marked),
            "EKS clusters are regional, and no region is set: pass <RegionSetting> or set \
             AWS_REGION or AWS_DEFAULT_REGION"
        );
        assert!(SettingsError::TagsNeedChain
            .to_string()
            .starts_with("session tags go on a chained role: AssumeRoleWithWebIdentity "));
        assert!(SettingsError::TagsNeedChain.describe(&Marked).starts_with(
            "session tags (<Tag>, <CircleCiTags>) go on a chained role (<ChainRoleArn>): "
        ));
        // A caller that names only one of the two.
        struct TagOnly;
        impl Names for TagOnly {
            fn name(&self, input: Input) -> Option<&str> {
                (input == Input::Tag).then_some("--tag")
            }
        }
        assert!(SettingsError::TagsNeedChain
            .describe(&TagOnly)
            .starts_with("session tags (--tag) go on a chained role: "));
        assert_eq!(
            SettingsError::Timeout.to_string(),
            "the time limit must be 1 to 3600 seconds"
        );
    }

    #[test]
    fn region_flag_wins_over_both_variables() {
        let env = env_of(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(
            REGION.resolve(Some("ap-south-1"), &env),
            Some(("ap-south-1".into(), Source::Flag("--region")))
        );
    }

    #[test]
    fn region_aws_region_wins_over_aws_default_region() {
        let env = env_of(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(
            REGION.resolve(None, &env),
            Some(("eu-west-1".into(), Source::Env("AWS_REGION")))
        );
    }

    #[test]
    fn region_falls_back_to_aws_default_region() {
        let env = env_of(&[("AWS_DEFAULT_REGION", "us-west-2")]);
        assert_eq!(
            REGION.resolve(None, &env),
            Some(("us-west-2".into(), Source::Env("AWS_DEFAULT_REGION")))
        );
    }

    #[test]
    fn a_blank_value_counts_as_not_given() {
        let env = env_of(&[("AWS_REGION", "  "), ("AWS_DEFAULT_REGION", "us-west-2")]);
        assert_eq!(REGION.resolve(Some(""), &env).unwrap().0, "us-west-2");
        assert_eq!(REGION.resolve(None, &env_of(&[])), None);
    }

    #[test]
    fn endpoint_flag_then_sts_specific_then_global_variable() {
        let both = env_of(&[
            ("AWS_ENDPOINT_URL_STS", "http://sts.local"),
            ("AWS_ENDPOINT_URL", "http://all.local"),
        ]);
        assert_eq!(
            ENDPOINT_URL
                .resolve(Some("https://vpce.local"), &both)
                .unwrap()
                .1,
            Source::Flag("--endpoint-url")
        );
        assert_eq!(
            ENDPOINT_URL.resolve(None, &both).unwrap(),
            (
                "http://sts.local".into(),
                Source::Env("AWS_ENDPOINT_URL_STS")
            )
        );
        let global = env_of(&[("AWS_ENDPOINT_URL", "http://all.local")]);
        assert_eq!(
            ENDPOINT_URL.resolve(None, &global).unwrap().1,
            Source::Env("AWS_ENDPOINT_URL")
        );
    }

    #[test]
    fn region_falls_back_to_the_profiles_region_after_the_variables() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nregion = eu-north-1\n[profile ci]\nregion = ap-east-1\n",
        )
        .unwrap();
        let path = config.to_str().unwrap();
        let default = env_of(&[("AWS_CONFIG_FILE", path)]);
        assert_eq!(
            REGION.resolve(None, &default),
            Some(("eu-north-1".into(), Source::Profile("region")))
        );
        let named = env_of(&[("AWS_CONFIG_FILE", path), ("AWS_PROFILE", "ci")]);
        assert_eq!(REGION.resolve(None, &named).unwrap().0, "ap-east-1");
        let variable_first = env_of(&[
            ("AWS_CONFIG_FILE", path),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(
            REGION.resolve(None, &variable_first).unwrap().0,
            "us-west-2"
        );
        let no_such_profile = env_of(&[("AWS_CONFIG_FILE", path), ("AWS_PROFILE", "other")]);
        assert_eq!(REGION.resolve(None, &no_such_profile), None);
        let home = dir.path().to_str().unwrap();
        assert_eq!(
            REGION.resolve(None, &env_of(&[("HOME", home)])),
            None,
            "no ~/.aws/config"
        );
    }

    #[test]
    fn booleans_are_true_only_when_they_say_true() {
        for (value, on) in [
            ("true", true),
            ("TRUE", true),
            (" True ", true),
            ("1", false),
            ("false", false),
        ] {
            let env = env_of(&[("AWS_USE_FIPS_ENDPOINT", value)]);
            assert_eq!(USE_FIPS.resolve_bool(&env), on, "{value:?}");
        }
        assert!(!USE_DUALSTACK.resolve_bool(&env_of(&[])));
    }

    #[test]
    fn retries_follow_aws_max_attempts_and_aws_retry_mode() {
        assert_eq!(retry_policy(&env_of(&[])).unwrap(), RetryPolicy::default());
        let env = env_of(&[("AWS_MAX_ATTEMPTS", "2"), ("AWS_RETRY_MODE", "Adaptive")]);
        assert_eq!(
            retry_policy(&env).unwrap(),
            RetryPolicy {
                max_attempts: 2,
                adaptive: true
            }
        );
        for bad in ["0", "11", "many"] {
            let env = env_of(&[("AWS_MAX_ATTEMPTS", bad)]);
            assert!(
                matches!(retry_policy(&env), Err(SettingsError::MaxAttempts { .. })),
                "{bad}"
            );
        }
        let env = env_of(&[("AWS_RETRY_MODE", "eager")]);
        assert!(matches!(
            retry_policy(&env),
            Err(SettingsError::RetryMode { .. })
        ));
    }

    #[test]
    fn what_shadows_a_profile_is_named() {
        assert_eq!(Shadow::of("prod", &env_of(&[])), None);
        let keys = env_of(&[("AWS_ACCESS_KEY_ID", "AKIA0"), ("AWS_PROFILE", "other")]);
        assert_eq!(Shadow::of("prod", &keys), Some(Shadow::Keys));
        assert!(Shadow::Keys
            .warning("prod")
            .contains("AWS_ACCESS_KEY_ID is set"));
        let other = env_of(&[("AWS_PROFILE", "other")]);
        let shadow = Shadow::of("prod", &other).unwrap();
        assert!(shadow
            .warning("prod")
            .contains("later steps use profile \"other\""));
        assert_eq!(
            Shadow::of("other", &other),
            None,
            "the same profile is no shadow"
        );
    }

    #[test]
    fn the_user_agent_names_the_circleci_build() {
        let env = env_of(&[
            ("CIRCLE_PROJECT_USERNAME", "acme"),
            ("CIRCLE_PROJECT_REPONAME", "app web"),
            ("CIRCLE_BUILD_NUM", "42"),
            ("CIRCLE_WORKFLOW_ID", "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
        ]);
        assert_eq!(
            circleci_user_agent(&env).as_deref(),
            Some(
                "circleci-project/acme.app-web circleci-build/42 \
                 circleci-workflow/6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
            )
        );
        assert_eq!(circleci_user_agent(&env_of(&[])), None);
    }
}
