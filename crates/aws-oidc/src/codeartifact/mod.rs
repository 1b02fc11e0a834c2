//! Package registries from CodeArtifact: what `codeartifact-login` does
//! instead of `aws codeartifact login`.
//!
//! - here: the repository ([`Repository`], checked before any network
//!   call), how CodeArtifact is reached ([`CodeArtifactSettings`]), and its
//!   two calls, `GetAuthorizationToken` and `GetRepositoryEndpoint` ([`login`]),
//!   REST-JSON on [`crate::aws_call`]'s shared parts (SigV4 service `codeartifact`);
//! - [`tools`]: where each package tool reads the registry and the token,
//!   and the edits that put them there (and take them back).
//!
//! The token is a [`Secret`]: it goes only into the files and variables the
//! tools read, never into a message, and never into a URL a tool prints.
//! An endpoint is believed only when it is `https://`, or `http://` on a
//! loopback host (a test registry), so no token travels in clear text.

pub(crate) mod tools;

use std::time::{Instant, SystemTime};

use aws_smithy_types::date_time::{DateTime, Format};

use crate::aws_call::{
    call_json, common_hint, with_hint, CallBudget, CallSettings, JsonCall, Request,
};
use crate::credentials::Credentials;
use crate::credentials::Secret;
use crate::env::Env;
use crate::failure::CallFailure;
use crate::names::{Input, Names};
use crate::settings::{self, Chain, SettingsError, Source};

/// CodeArtifact's endpoint: `$AWS_ENDPOINT_URL_CODEARTIFACT`, then `$AWS_ENDPOINT_URL`.
pub(crate) const CODEARTIFACT_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_CODEARTIFACT"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// A repository: its domain, the domain's owner, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// The domain (2-50 of `a-z0-9-`, starting with a letter).
    pub domain: String,
    /// The AWS account that owns the domain, if not the caller's.
    pub owner: Option<String>,
    /// The repository (2-100 of `A-Za-z0-9._-`, starting with a letter or digit).
    pub repository: String,
}

crate::error_debug::debug_by_display!(CodeArtifactInputError);
/// A login option CodeArtifact or the tool would refuse.  Each variant
/// carries the value; the message says what is wrong in CodeArtifact's
/// terms, and a caller adds which option it came from.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeArtifactInputError {
    /// Not a CodeArtifact domain name.
    Domain {
        /// The domain given.
        domain: String,
    },
    /// The domain's owner is not an account id.
    DomainOwner {
        /// The owner given.
        owner: String,
    },
    /// Not a CodeArtifact repository name.
    Repository {
        /// The repository given.
        repository: String,
    },
    /// A token lifetime CodeArtifact refuses.
    Duration {
        /// The duration given.
        raw: String,
    },
    /// A package tool aws-oidc does not configure.
    Tool {
        /// The tool given.
        raw: String,
        /// The tools it does configure.
        known: Vec<&'static str>,
    },
    /// Not an npm scope.
    Scope {
        /// The scope given.
        raw: String,
    },
}

impl CodeArtifactInputError {
    /// The message, naming each option the way `names` calls it (or in
    /// CodeArtifact's terms, where it has no name for it).
    pub fn describe(&self, names: &dyn Names) -> String {
        match self {
            CodeArtifactInputError::Domain { domain } => format!(
                "{} {domain:?} is not a CodeArtifact domain name (2-50 lower-case letters, \
                 digits and -, starting with a letter)",
                names.or(Input::Domain, "domain")
            ),
            CodeArtifactInputError::DomainOwner { owner } => format!(
                "{} {owner:?} is not an AWS account ID (12 digits)",
                names.or(Input::DomainOwner, "domain owner")
            ),
            CodeArtifactInputError::Repository { repository } => format!(
                "{} {repository:?} is not a CodeArtifact repository name (2-100 letters, \
                 digits, ., _ and -, starting with a letter or digit)",
                names.or(Input::Repository, "repository")
            ),
            CodeArtifactInputError::Duration { raw } => format!(
                "{} {raw:?}: the token lasts 900 to 43200 seconds (15 minutes to 12 hours), \
                 or 0 for as long as the credentials asking for it",
                names.or(Input::Duration, "token duration")
            ),
            CodeArtifactInputError::Tool { raw, known } => format!(
                "{} {raw:?} is not one aws-oidc configures: use {}",
                names.or(Input::Tool, "tool"),
                known.join(", ")
            ),
            CodeArtifactInputError::Scope { raw } => format!(
                "{} {raw:?} is not an npm scope (lower-case letters, digits and -._~, \
                 e.g. @my-org)",
                names.or(Input::Namespace, "namespace")
            ),
        }
    }
}

crate::names::display_by_describe!(CodeArtifactInputError);
impl Repository {
    /// Checks the three as CodeArtifact's API does.
    pub fn parse(
        domain: &str,
        owner: Option<&str>,
        repository: &str,
    ) -> Result<Self, CodeArtifactInputError> {
        let domain_ok = (2..=50).contains(&domain.len())
            && domain.starts_with(|c: char| c.is_ascii_lowercase())
            && domain
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !domain_ok {
            return Err(CodeArtifactInputError::Domain {
                domain: domain.to_string(),
            });
        }
        if let Some(o) = owner {
            if o.len() != 12 || !o.chars().all(|c| c.is_ascii_digit()) {
                return Err(CodeArtifactInputError::DomainOwner {
                    owner: o.to_string(),
                });
            }
        }
        let repo_ok = (2..=100).contains(&repository.len())
            && repository.starts_with(|c: char| c.is_ascii_alphanumeric())
            && repository
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !repo_ok {
            return Err(CodeArtifactInputError::Repository {
                repository: repository.to_string(),
            });
        }
        Ok(Repository {
            domain: domain.to_string(),
            owner: owner.map(str::to_string),
            repository: repository.to_string(),
        })
    }

    /// `domain=D[&domain-owner=O]`: the names need no percent-encoding.
    fn query(&self) -> String {
        match &self.owner {
            Some(o) => format!("domain={}&domain-owner={o}", self.domain),
            None => format!("domain={}", self.domain),
        }
    }
}

/// How long the token lasts: 900-43200 seconds, or 0 for as long as the
/// credentials that asked for it.
pub(crate) fn parse_duration(raw: &str) -> Result<u32, CodeArtifactInputError> {
    match raw.trim().parse::<u32>() {
        Ok(s) if s == 0 || (900..=43200).contains(&s) => Ok(s),
        _ => Err(CodeArtifactInputError::Duration {
            raw: raw.to_string(),
        }),
    }
}

/// How CodeArtifact is reached from this job, in one region.
#[derive(Debug, Clone)]
pub(crate) struct CodeArtifactSettings {
    region: String,
    endpoint: String,
    budget: CallBudget,
}

crate::error_debug::debug_by_display!(CodeArtifactSetupError);
/// Why CodeArtifact cannot be reached with these settings.
#[derive(thiserror::Error)]
pub enum CodeArtifactSetupError {
    /// A setting is not valid.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The CA bundle cannot be read.
    #[error(transparent)]
    CaBundle(#[from] crate::ca_bundle::CaBundleError),
}

impl CodeArtifactSettings {
    /// Reads the endpoint, FIPS, retries and the CA bundle from `env` for
    /// `region`; both calls end within `timeout_secs`.
    pub(crate) fn from_env(
        region: &str,
        env: Env,
        timeout_secs: u64,
    ) -> Result<Self, CodeArtifactSetupError> {
        let budget = CallBudget::from_env::<CodeArtifactSetupError>(env, timeout_secs)?;
        let endpoint = match CODEARTIFACT_ENDPOINT_URL.endpoint_url(env)? {
            Some(url) => url,
            None => regional(region, settings::USE_FIPS.resolve_bool(env)),
        };
        Ok(CodeArtifactSettings {
            region: region.to_string(),
            endpoint,
            budget,
        })
    }

    fn call_settings(&self) -> CallSettings {
        self.budget.call_settings()
    }
}

/// CodeArtifact's regional endpoint, as the SDK's resolver names it.
fn regional(region: &str, fips: bool) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let host = if fips {
        "codeartifact-fips"
    } else {
        "codeartifact"
    };
    format!("https://{host}.{region}.{suffix}")
}

/// What a login gives: the token, until when, and the repository's endpoint.
#[derive(Clone)]
pub(crate) struct Login {
    /// The token (a password for user `aws`, or a bearer token).
    pub token: Secret,
    /// When it stops working, if CodeArtifact said.
    pub expiration: Option<SystemTime>,
    /// The repository's endpoint for the format asked, ending in `/`.
    pub endpoint: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login(*** for {})", self.endpoint)
    }
}

crate::error_debug::debug_by_display!(CodeArtifactLoginError);
/// Why the login failed.
#[derive(thiserror::Error)]
pub enum CodeArtifactLoginError {
    /// CodeArtifact said no, or could not be reached.
    #[error("{explanation}")]
    Call {
        /// What failed.
        failure: Box<CallFailure>,
        /// The explanation for the user.
        explanation: String,
    },
    /// The answer cannot be used.
    #[error("{0}")]
    Answer(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

fn explain(
    failure: &CallFailure,
    repo: &Repository,
    creds: &Credentials,
    s: &CodeArtifactSettings,
) -> String {
    let code = failure.code.as_deref().unwrap_or("");
    let region = &s.region;
    let hint = if code == "ResourceNotFoundException" {
        format!(
            "There is no repository {} in domain {} in {region} that these credentials can see: \
             check --domain, --domain-owner, --repository and --region (aws codeartifact \
             list-repositories-in-domain --domain {} --region {region}).",
            repo.repository, repo.domain, repo.domain
        )
    } else if code.starts_with("AccessDenied") {
        format!(
            "The credentials ({}) may not log in to domain {}: allow codeartifact:GetAuthorizationToken \
             on the domain, sts:GetServiceBearerToken (with the condition sts:AWSServiceName = \
             codeartifact.amazonaws.com), codeartifact:GetRepositoryEndpoint and \
             codeartifact:ReadFromRepository on the repository (PublishPackageVersion to publish).",
            creds.origin, repo.domain
        )
    } else {
        common_hint(
            "CodeArtifact",
            failure,
            creds,
            &s.endpoint,
            "AWS_ENDPOINT_URL_CODEARTIFACT",
        )
    };
    with_hint(failure, hint)
}

/// Whether `url` may receive the token: `https://`, or `http://` on loopback.
pub(crate) fn endpoint_problem(url: &str) -> Option<String> {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return Some("it is not a URL".into());
    };
    let host = uri.host().unwrap_or("");
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => None,
        Some("http") if loopback => None,
        _ => Some("a token is only sent over https (or to a loopback test registry)".into()),
    }
}

/// Asks CodeArtifact for a token (`duration` seconds, 0: as long as the
/// credentials) and for the repository's endpoint for `format` (`npm`,
/// `pypi`, `maven`, `cargo`, ...).
pub(crate) fn login(
    repo: &Repository,
    format: &str,
    duration: u32,
    creds: &Credentials,
    s: &CodeArtifactSettings,
) -> Result<Login, CodeArtifactLoginError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CodeArtifactLoginError::Runtime)?;
    let deadline = Instant::now() + s.budget.total;
    let token_path = format!(
        "/v1/authorization-token?{}&duration={duration}",
        repo.query()
    );
    let endpoint_path = format!(
        "/v1/repository/endpoint?{}&repository={}&format={format}",
        repo.query(),
        repo.repository
    );
    let call = |operation, request| JsonCall {
        operation,
        endpoint: &s.endpoint,
        service: "codeartifact",
        region: &s.region,
        request,
    };
    let settings = s.call_settings();
    let fail = |failure: CallFailure| CodeArtifactLoginError::Call {
        explanation: explain(&failure, repo, creds, s),
        failure: Box::new(failure),
    };
    let (token_answer, endpoint_answer) = runtime.block_on(async {
        let t = call_json(
            &call(
                "codeartifact:GetAuthorizationToken",
                Request::RestPost { path: &token_path },
            ),
            creds,
            &settings,
            deadline,
        )
        .await
        .map_err(fail)?;
        let e = call_json(
            &call(
                "codeartifact:GetRepositoryEndpoint",
                Request::RestGet {
                    path: &endpoint_path,
                },
            ),
            creds,
            &settings,
            deadline,
        )
        .await
        .map_err(fail)?;
        Ok::<_, CodeArtifactLoginError>((t, e))
    })?;
    let token = token_answer
        .get("authorizationToken")
        .and_then(|v| v.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            CodeArtifactLoginError::Answer("CodeArtifact's answer has no authorizationToken".into())
        })?;
    if token.len() > 16 * 1024 || token.chars().any(|c| c.is_control() || c == ' ') {
        return Err(CodeArtifactLoginError::Answer(
            "CodeArtifact's token holds blanks or control characters, or is over 16 KiB: refused"
                .into(),
        ));
    }
    let expiration = token_answer.get("expiration").and_then(|v| {
        v.as_f64()
            .map(DateTime::from_secs_f64)
            .or_else(|| {
                v.as_str()
                    .and_then(|t| DateTime::from_str(t, Format::DateTime).ok())
            })
            .and_then(|t| SystemTime::try_from(t).ok())
    });
    let mut endpoint = endpoint_answer
        .get("repositoryEndpoint")
        .and_then(|v| v.as_str())
        .ok_or_else(|| {
            CodeArtifactLoginError::Answer("CodeArtifact's answer has no repositoryEndpoint".into())
        })?
        .to_string();
    if let Some(why) = endpoint_problem(&endpoint) {
        return Err(CodeArtifactLoginError::Answer(format!(
            "CodeArtifact named the endpoint {endpoint:?}, which is refused: {why}"
        )));
    }
    if !endpoint.ends_with('/') {
        endpoint.push('/');
    }
    Ok(Login {
        token: Secret::new(token),
        expiration,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_the_value_in_codeartifact_s_terms_or_the_caller_s() {
        let owner = CodeArtifactInputError::DomainOwner { owner: "1".into() };
        assert_eq!(
            owner.to_string(),
            "domain owner \"1\" is not an AWS account ID (12 digits)"
        );
        assert_eq!(
            owner.describe(&crate::names::Marked),
            "<DomainOwner> \"1\" is not an AWS account ID (12 digits)"
        );
    }

    #[test]
    fn names_are_checked_as_the_api_checks_them() {
        assert!(Repository::parse("my-domain", Some("123456789012"), "npm-store").is_ok());
        assert!(Repository::parse("My", None, "r1").is_err());
        assert!(Repository::parse("d1", Some("1234"), "r1").is_err());
        assert!(Repository::parse("d1", None, "-r").is_err());
        assert!(Repository::parse("d1", None, "r&x=1").is_err());
        let r = Repository::parse("d1", Some("123456789012"), "r1").unwrap();
        assert_eq!(r.query(), "domain=d1&domain-owner=123456789012");
    }

    #[test]
    fn durations_are_900_to_43200_or_0() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("43200"), Ok(43200));
        assert!(parse_duration("899").is_err() && parse_duration("1h").is_err());
    }

    #[test]
    fn tokens_go_only_over_https_or_to_loopback() {
        assert!(
            endpoint_problem("https://d-1.d.codeartifact.eu-west-1.amazonaws.com/npm/r/").is_none()
        );
        assert!(endpoint_problem("http://127.0.0.1:4873/").is_none());
        assert!(endpoint_problem("http://registry.example/").is_some());
        assert!(endpoint_problem("ftp://x/").is_some());
    }

    #[test]
    fn endpoints_are_the_ones_the_sdk_names() {
        assert_eq!(
            regional("eu-west-1", false),
            "https://codeartifact.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional("us-east-1", true),
            "https://codeartifact-fips.us-east-1.amazonaws.com"
        );
    }
}
