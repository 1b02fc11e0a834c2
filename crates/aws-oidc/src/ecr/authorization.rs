//! `GetAuthorizationToken`, private and public, and what its answer means.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;

use crate::aws_call::{
    call_json, common_hint, with_hint, CallBudget, CallSettings, JsonCall, Request,
};
use crate::credentials::Credentials;
use crate::credentials::{humanize_from_now, rfc3339, Secret};
use crate::env::Env;
use crate::failure::CallFailure;
use crate::settings::{self, Chain, SettingsError, Source};

use super::registry::{host_of, parse_ecr_host, Registry, PUBLIC_HOST, PUBLIC_REGION};

/// ECR's endpoint: `$AWS_ENDPOINT_URL_ECR`, then `$AWS_ENDPOINT_URL`.
pub(crate) const ECR_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_ECR"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// ECR Public's endpoint: `$AWS_ENDPOINT_URL_ECR_PUBLIC`, then `$AWS_ENDPOINT_URL`.
pub(crate) const ECR_PUBLIC_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_ECR_PUBLIC"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// How ECR is reached: endpoints, FIPS, retries, CA bundle and time allowed,
/// from the same variables the STS settings come from.
#[derive(Debug, Clone)]
pub struct EcrSettings {
    private_endpoint: Option<String>,
    public_endpoint: Option<String>,
    use_fips: bool,
    use_dual_stack: bool,
    budget: CallBudget,
}

impl EcrSettings {
    /// Reads endpoints, FIPS, dual-stack, retries and the CA bundle from
    /// `env`; every call of one login ends within `timeout_secs`.
    pub fn from_env(env: Env, timeout_secs: u64) -> Result<Self, SettingsError> {
        let budget = CallBudget::from_env::<SettingsError>(env, timeout_secs)?;
        Ok(EcrSettings {
            private_endpoint: ECR_ENDPOINT_URL.endpoint_url(env)?,
            public_endpoint: ECR_PUBLIC_ENDPOINT_URL.endpoint_url(env)?,
            use_fips: settings::USE_FIPS.resolve_bool(env),
            use_dual_stack: settings::USE_DUALSTACK.resolve_bool(env),
            budget,
        })
    }

    /// The time one login may take, retries included.
    pub fn total(&self) -> Duration {
        self.budget.total
    }

    /// How calls are made.
    fn call_settings(&self) -> CallSettings {
        self.budget.call_settings()
    }

    /// The endpoint for `region`: the one given, else ECR's (ECR Public's)
    /// as the SDK's resolver names it (checked against it in the tests).
    pub fn endpoint(&self, region: &str, public: bool) -> Result<String, EcrError> {
        let explicit = if public {
            &self.public_endpoint
        } else {
            &self.private_endpoint
        };
        if let Some(url) = explicit {
            return Ok(url.clone());
        }
        let unsupported = |setting: &str| EcrError::Endpoint {
            why: format!(
                "{setting} is set, and aws-oidc knows no such endpoint for {}: set {} to it",
                if public { "ECR Public" } else { "ECR" },
                if public {
                    "AWS_ENDPOINT_URL_ECR_PUBLIC"
                } else {
                    "AWS_ENDPOINT_URL_ECR"
                }
            ),
        };
        if self.use_dual_stack {
            return Err(unsupported("AWS_USE_DUALSTACK_ENDPOINT"));
        }
        let china = region.starts_with("cn-");
        let suffix = if china {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        match (public, self.use_fips) {
            (true, false) => Ok(format!("https://api.ecr-public.{region}.{suffix}")),
            (false, false) => Ok(format!("https://api.ecr.{region}.{suffix}")),
            (false, true) if !china => Ok(format!("https://api.ecr-fips.{region}.amazonaws.com")),
            (_, true) => Err(unsupported("AWS_USE_FIPS_ENDPOINT")),
        }
    }

    /// What the endpoint is, for messages and cache keys.
    pub fn endpoint_description(&self, public: bool) -> String {
        let region = if public { PUBLIC_REGION } else { "REGION" };
        self.endpoint(region, public)
            .unwrap_or_else(|e| e.to_string())
    }
}

/// Until when a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// ECR's word, in the future.
    At(SystemTime),
    /// ECR gave no expiry, or one already past (`answered`): never cached.
    Unknown {
        /// What ECR answered, if anything.
        answered: Option<SystemTime>,
    },
}

impl Expiry {
    /// From ECR's `expiresAt`, seen at `now`.
    pub fn from_answer(answered: Option<SystemTime>, now: SystemTime) -> Self {
        match answered {
            Some(t) if t > now => Expiry::At(t),
            answered => Expiry::Unknown { answered },
        }
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expiry::At(t) => write!(f, "{} ({})", rfc3339(*t), humanize_from_now(*t)),
            Expiry::Unknown { answered: None } => f.write_str("unknown (ECR gave no expiry)"),
            Expiry::Unknown { answered: Some(t) } => write!(
                f,
                "unknown (ECR answered {}, in the past: a test server, or this machine's clock is \
                 wrong; ECR's tokens last 12 h)",
                rfc3339(*t)
            ),
        }
    }
}

/// One registry's login.  `Debug` never shows the password.
#[derive(Clone)]
pub struct RegistryLogin {
    /// What was asked for.
    pub registry: Registry,
    /// The host Docker is told about.
    pub host: String,
    /// The user name (`AWS`).
    pub username: String,
    /// The password: the secret part of the token.
    pub password: Secret,
    /// Until when it works.
    pub expiry: Expiry,
}

impl fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RegistryLogin({} as {}, ***, {})",
            self.host, self.username, self.expiry
        )
    }
}

crate::error_debug::debug_by_display!(EcrError);
/// Why no login could be had.
#[derive(thiserror::Error)]
pub enum EcrError {
    /// ECR said no, or could not be reached.
    #[error("{explanation}")]
    Call {
        /// What failed.
        failure: Box<CallFailure>,
        /// The explanation for the user.
        explanation: String,
    },
    /// ECR's answer holds no usable token.
    #[error("{operation}: {why}")]
    Answer {
        /// Which call.
        operation: &'static str,
        /// What is wrong (never the token).
        why: String,
    },
    /// No endpoint for these settings.
    #[error("no ECR endpoint: {why}")]
    Endpoint {
        /// Why.
        why: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

const PRIVATE_OP: &str = "ecr:GetAuthorizationToken";
const PUBLIC_OP: &str = "ecr-public:GetAuthorizationToken";

/// `user:password` from a token (base64 of `AWS:<password>`).
fn decode_token(token: &str, operation: &'static str) -> Result<(String, Secret), EcrError> {
    let bad = |why: &str| EcrError::Answer {
        operation,
        why: why.to_string(),
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| bad("the authorization token is not base64"))?;
    let text = String::from_utf8(bytes).map_err(|_| bad("the authorization token is not text"))?;
    // A control character (a newline above all) in either half would end
    // or split the line it is written on (`docker login`'s stdin, a
    // helper's answer), so such a token is refused rather than passed on.
    if text.chars().any(char::is_control) {
        return Err(bad(
            "the authorization token holds a newline or another control character (not shown)",
        ));
    }
    match text.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => {
            Ok((user.to_string(), Secret::new(password)))
        }
        _ => Err(bad(
            "the authorization token is not USER:PASSWORD (not shown)",
        )),
    }
}

/// `expiresAt`: seconds since the epoch, as JSON protocols write timestamps.
fn to_system_time(t: Option<&serde_json::Value>) -> Option<SystemTime> {
    let secs = t?
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e11)?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// The error for a failed call, explained.
fn call_failed(
    failure: CallFailure,
    public: bool,
    creds: &Credentials,
    endpoint: &str,
) -> EcrError {
    EcrError::Call {
        explanation: explain(&failure, public, creds, endpoint),
        failure: Box::new(failure),
    }
}

/// A string field of `v`.
fn text<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

/// What to tell the user about a failed call.
fn explain(failure: &CallFailure, public: bool, creds: &Credentials, endpoint: &str) -> String {
    let code = failure.code.as_deref().unwrap_or("");
    let hint = if code.starts_with("AccessDenied") {
        let (actions, extra) = if public {
            (
                r#"["ecr-public:GetAuthorizationToken", "sts:GetServiceBearerToken"]"#,
                " (ECR Public needs both)",
            )
        } else {
            (r#""ecr:GetAuthorizationToken""#, "")
        };
        format!(
            "The credentials ({}) may not ask ECR for a login token. Add this statement to the \
             permissions policy of the role (or user) they belong to{extra}: \
             {{\"Effect\": \"Allow\", \"Action\": {actions}, \"Resource\": \"*\"}} \
             (the action takes no resource, so Resource must be \"*\"). Pushing and pulling need \
             permissions on the repositories as well, e.g. ecr:BatchGetImage, \
             ecr:GetDownloadUrlForLayer, ecr:InitiateLayerUpload, ecr:UploadLayerPart, \
             ecr:CompleteLayerUpload, ecr:PutImage, ecr:BatchCheckLayerAvailability.",
            creds.origin
        )
    } else {
        common_hint("ECR", failure, creds, endpoint, "AWS_ENDPOINT_URL_ECR")
    };
    with_hint(failure, hint)
}

/// Logs in to every registry in `registries` with `creds`: one
/// `GetAuthorizationToken` per region, whose token serves every account's
/// registry there (and one for ECR Public).
pub fn login(
    registries: &[Registry],
    creds: &Credentials,
    settings: &EcrSettings,
) -> Result<Vec<RegistryLogin>, EcrError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(EcrError::Runtime)?;
    runtime.block_on(login_async(registries, creds, settings))
}

async fn login_async(
    registries: &[Registry],
    creds: &Credentials,
    settings: &EcrSettings,
) -> Result<Vec<RegistryLogin>, EcrError> {
    let deadline = Instant::now() + settings.budget.total;
    let mut by_region: BTreeMap<&str, Vec<&Registry>> = BTreeMap::new();
    let mut out = Vec::new();
    for r in registries {
        match r {
            Registry::Public => out.push(public_login(creds, settings, deadline).await?),
            _ => by_region.entry(r.region()).or_default().push(r),
        }
    }
    for (region, wanted) in by_region {
        out.extend(private_logins(region, &wanted, creds, settings, deadline).await?);
    }
    Ok(out)
}

async fn private_logins(
    region: &str,
    wanted: &[&Registry],
    creds: &Credentials,
    settings: &EcrSettings,
    deadline: Instant,
) -> Result<Vec<RegistryLogin>, EcrError> {
    let endpoint = settings.endpoint(region, false)?;
    let call = JsonCall {
        operation: PRIVATE_OP,
        endpoint: &endpoint,
        service: "ecr",
        region,
        request: Request::AwsJson {
            target: "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            body: "{}",
        },
    };
    let issued = SystemTime::now();
    let answer = call_json(&call, creds, &settings.call_settings(), deadline)
        .await
        .map_err(|f| call_failed(f, false, creds, &endpoint))?;
    let data = answer
        .get("authorizationData")
        .and_then(serde_json::Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| EcrError::Answer {
            operation: PRIVATE_OP,
            why: "the answer holds no authorization data".into(),
        })?;
    let mut out = Vec::new();
    for r in wanted {
        // ECR's token opens every registry the caller may use (so no
        // registryIds are sent: that field is deprecated); an answer with
        // several entries is matched by their proxy endpoints.
        let account = match r {
            Registry::Private { account, .. } => Some(account.as_str()),
            _ => None,
        };
        let proxy = |d: &serde_json::Value| text(d, "proxyEndpoint").map(host_of);
        let entry = data
            .iter()
            .find(|d| {
                account.is_some_and(|a| proxy(d).is_some_and(|p| p.starts_with(&format!("{a}."))))
            })
            .or_else(|| (data.len() == 1).then(|| &data[0]))
            .ok_or_else(|| EcrError::Answer {
                operation: PRIVATE_OP,
                why: format!("the answer holds no token for {r}"),
            })?;
        let token = text(entry, "authorizationToken").ok_or_else(|| EcrError::Answer {
            operation: PRIVATE_OP,
            why: "the answer holds no authorization token".into(),
        })?;
        let (username, password) = decode_token(token, PRIVATE_OP)?;
        // The caller's own registry is named by the answer: only an
        // ECR-shaped host of this region is believed, and the login is
        // recorded as that account's, so the credential helper later serves
        // this token for this host (and never reads it as ECR Public's).
        let registry = match r {
            Registry::Private { .. } => (*r).clone(),
            _ => own_registry(proxy(entry).as_deref(), region)?,
        };
        let host = registry.host().unwrap_or_default().to_string();
        out.push(RegistryLogin {
            registry,
            host,
            username,
            password,
            expiry: Expiry::from_answer(to_system_time(entry.get("expiresAt")), issued),
        });
    }
    Ok(out)
}

/// The caller's own registry in `region`, from the host ECR's answer names
/// (`proxyEndpoint`): refused unless it is an ECR registry of that region,
/// so a token is never written under a host the answer made up.
fn own_registry(proxy: Option<&str>, region: &str) -> Result<Registry, EcrError> {
    let refuse = |why: String| EcrError::Answer {
        operation: PRIVATE_OP,
        why,
    };
    let host = proxy.filter(|h| !h.is_empty()).ok_or_else(|| {
        refuse("the answer names no registry (proxyEndpoint); give the account id".into())
    })?;
    match parse_ecr_host(host) {
        Some((account, r)) if r == region => Ok(Registry::Private {
            account,
            region: r,
            host: host.to_string(),
        }),
        // A user name or password in the answer's URL is not shown.
        _ => Err(refuse(format!(
            "the answer names the registry {:?}, which is not an ECR registry in {region} \
             (ACCOUNT.dkr.ecr.{region}.amazonaws.com), so no token is written for it; give the \
             registry explicitly (an account id, or HOST=ACCOUNT_ID)",
            host.rsplit('@').next().unwrap_or_default()
        ))),
    }
}

async fn public_login(
    creds: &Credentials,
    settings: &EcrSettings,
    deadline: Instant,
) -> Result<RegistryLogin, EcrError> {
    let endpoint = settings.endpoint(PUBLIC_REGION, true)?;
    let call = JsonCall {
        operation: PUBLIC_OP,
        endpoint: &endpoint,
        service: "ecr-public",
        region: PUBLIC_REGION,
        request: Request::AwsJson {
            target: "SpencerFrontendService.GetAuthorizationToken",
            body: "{}",
        },
    };
    let issued = SystemTime::now();
    let answer = call_json(&call, creds, &settings.call_settings(), deadline)
        .await
        .map_err(|f| call_failed(f, true, creds, &endpoint))?;
    let data = answer
        .get("authorizationData")
        .ok_or_else(|| EcrError::Answer {
            operation: PUBLIC_OP,
            why: "the answer holds no authorization data".into(),
        })?;
    let token = text(data, "authorizationToken").ok_or_else(|| EcrError::Answer {
        operation: PUBLIC_OP,
        why: "the answer holds no authorization token".into(),
    })?;
    let (username, password) = decode_token(token, PUBLIC_OP)?;
    Ok(RegistryLogin {
        registry: Registry::Public,
        host: PUBLIC_HOST.to_string(),
        username,
        password,
        expiry: Expiry::from_answer(to_system_time(data.get("expiresAt")), issued),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;
    use std::time::UNIX_EPOCH;

    #[test]
    fn tokens_decode_to_user_and_password_without_showing_them() {
        let token = base64::engine::general_purpose::STANDARD.encode("AWS:pa:ss");
        let (user, password) = decode_token(&token, PRIVATE_OP).unwrap();
        assert_eq!((user.as_str(), password.expose()), ("AWS", "pa:ss"));
        for bad in ["not base64!", "QUJD", ""] {
            let err = decode_token(bad, PRIVATE_OP).unwrap_err().to_string();
            assert!(!err.contains("ABC"), "{err}");
        }
    }

    #[test]
    fn a_token_whose_password_holds_a_newline_or_control_character_is_refused() {
        for bad in [
            "AWS:pass\nword",
            "AWS:pass\rword",
            "AWS:pass\u{1b}[2J",
            "AW\nS:password",
        ] {
            let token = base64::engine::general_purpose::STANDARD.encode(bad);
            let err = decode_token(&token, PRIVATE_OP).unwrap_err().to_string();
            assert!(err.contains("control character"), "{err}");
            assert!(!err.contains("pass"), "{err}");
        }
    }

    #[test]
    fn the_own_registry_is_taken_from_the_answer_only_when_it_is_an_ecr_host_of_the_region() {
        assert_eq!(
            own_registry(
                Some("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
                "eu-west-1"
            )
            .unwrap(),
            Registry::Private {
                account: "123456789012".into(),
                region: "eu-west-1".into(),
                host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com".into(),
            }
        );
        for bad in [
            "user:pw@evil.example.com",
            "evil.example.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn",
            "public.ecr.aws",
            "--help",
            "",
        ] {
            let err = own_registry(Some(bad), "eu-west-1")
                .unwrap_err()
                .to_string();
            assert!(!err.contains("user:pw"), "{err}");
            assert!(
                err.contains("no token") || err.contains("names no registry"),
                "{err}"
            );
        }
        assert!(own_registry(None, "eu-west-1").is_err());
    }

    #[test]
    fn an_expiry_in_the_past_is_unknown() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let moto = UNIX_EPOCH + Duration::from_secs(1_420_070_400); // 2015-01-01
        let later = now + Duration::from_secs(12 * 3600);
        assert_eq!(Expiry::from_answer(Some(later), now), Expiry::At(later));
        let unknown = Expiry::from_answer(Some(moto), now);
        assert_eq!(
            unknown,
            Expiry::Unknown {
                answered: Some(moto)
            }
        );
        assert!(
            unknown.to_string().contains("2015-01-01T00:00:00Z"),
            "{unknown}"
        );
        assert!(unknown.to_string().contains("clock"), "{unknown}");
        assert_eq!(
            Expiry::from_answer(None, now),
            Expiry::Unknown { answered: None }
        );
    }

    fn settings(env: &[(&str, &str)]) -> EcrSettings {
        let map: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EcrSettings::from_env(&move |k| map.get(k).cloned(), 60).unwrap()
    }

    /// The SDK's own resolvers (a dev-dependency only) name the same endpoints.
    #[test]
    fn endpoints_are_the_ones_the_sdks_resolver_names() {
        use aws_sdk_ecr::config::endpoint::ResolveEndpoint as _;
        use aws_sdk_ecrpublic::config::endpoint::ResolveEndpoint as _;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for (region, fips) in [
            ("us-east-1", false),
            ("eu-west-1", false),
            ("cn-north-1", false),
            ("us-east-1", true),
            ("us-gov-west-1", true),
        ] {
            let params = aws_sdk_ecr::config::endpoint::Params::builder()
                .region(region)
                .use_fips(fips)
                .build()
                .unwrap();
            let sdk = rt
                .block_on(
                    aws_sdk_ecr::config::endpoint::DefaultResolver::new().resolve_endpoint(&params),
                )
                .unwrap();
            let env: &[(&str, &str)] = if fips {
                &[("AWS_USE_FIPS_ENDPOINT", "true")]
            } else {
                &[]
            };
            assert_eq!(
                settings(env).endpoint(region, false).unwrap(),
                sdk.url(),
                "{region} {fips}"
            );
        }
        let params = aws_sdk_ecrpublic::config::endpoint::Params::builder()
            .region(PUBLIC_REGION)
            .build()
            .unwrap();
        let sdk = rt
            .block_on(
                aws_sdk_ecrpublic::config::endpoint::DefaultResolver::new()
                    .resolve_endpoint(&params),
            )
            .unwrap();
        assert_eq!(
            settings(&[]).endpoint(PUBLIC_REGION, true).unwrap(),
            sdk.url()
        );
        let explicit = settings(&[("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:1")]);
        assert_eq!(
            explicit.endpoint("eu-west-1", false).unwrap(),
            "http://127.0.0.1:1"
        );
        assert!(settings(&[("AWS_USE_DUALSTACK_ENDPOINT", "true")])
            .endpoint("us-east-1", false)
            .is_err());
    }

    #[test]
    fn expiry_is_read_from_epoch_seconds() {
        let t = to_system_time(Some(&serde_json::json!(1_420_070_400.0))).unwrap();
        assert_eq!(rfc3339(t), "2015-01-01T00:00:00Z");
        assert_eq!(to_system_time(Some(&serde_json::json!("soon"))), None);
    }

    #[test]
    fn access_denied_says_which_permission_to_add() {
        let creds = Credentials {
            access_key_id: Secret::new("AKIA"),
            secret_access_key: Secret::new("s"),
            session_token: None,
            expiration: None,
            origin: crate::credentials::Origin::AssumedRole {
                arn: "arn:aws:sts::123456789012:assumed-role/deploy/x".into(),
            },
        };
        let failure = CallFailure {
            operation: PRIVATE_OP,
            kind: FailureKind::Service,
            code: Some("AccessDeniedException".into()),
            message: Some(
                "User: ... is not authorized to perform: ecr:GetAuthorizationToken".into(),
            ),
            status: Some(400),
            attempts: 1,
        };
        let text = explain(&failure, false, &creds, "e");
        assert!(
            text.contains(r#""Action": "ecr:GetAuthorizationToken""#),
            "{text}"
        );
        assert!(text.contains("assumed-role/deploy"), "{text}");
        let text = explain(&failure, true, &creds, "e");
        assert!(text.contains("sts:GetServiceBearerToken"), "{text}");
    }
}
