//! The Secrets Manager and SSM calls, on [`crate::aws_call`]'s shared parts
//! (the SDK clients of both services would cost several times the 150 KB
//! this feature may take), and how both services are reached.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::aws_call::{
    call_json, common_hint, with_hint, CallBudget, CallSettings, JsonCall, Request,
};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::failure::{CallFailure, FailureKind};
use crate::settings::{self, Chain, SettingsError, Source};

/// Secrets Manager's endpoint: `$AWS_ENDPOINT_URL_SECRETS_MANAGER`, then `$AWS_ENDPOINT_URL`.
pub(crate) const SECRETS_MANAGER_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_SECRETS_MANAGER"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// SSM's endpoint: `$AWS_ENDPOINT_URL_SSM`, then `$AWS_ENDPOINT_URL`.
pub(crate) const SSM_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_SSM"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// The most secrets one `BatchGetSecretValue` asks for (the API takes 20):
/// ten of the largest, JSON-escaped, stay within [`ANSWER_LIMIT`].
pub(crate) const BATCH: usize = 10;

/// The most names one `GetParameters` takes.
pub(crate) const PARAMETER_BATCH: usize = 10;

/// The largest answer read: ten 64 KiB secrets, even if every byte were
/// escaped as `\uXXXX`.
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;

/// How Secrets Manager and SSM are reached from this job, in one region.
#[derive(Debug, Clone)]
pub struct SecretsSettings {
    region: String,
    secrets_manager: String,
    ssm: String,
    budget: CallBudget,
}

/// The regional endpoint of `service` (`secretsmanager`, `ssm`), FIPS or
/// dual-stack as asked, as the SDKs' resolvers name them.
fn regional(service: &str, region: &str, fips: bool, dual_stack: bool) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let host = if fips {
        format!("{service}-fips")
    } else {
        service.to_string()
    };
    if dual_stack {
        let suffix = if region.starts_with("cn-") {
            "api.amazonwebservices.com.cn"
        } else {
            "api.aws"
        };
        return format!("https://{host}.{region}.{suffix}");
    }
    format!("https://{host}.{region}.{suffix}")
}

impl SecretsSettings {
    /// Reads endpoints, FIPS, dual-stack, retries and the CA bundle from
    /// `env` for `region`; every call of one command ends within `timeout_secs`.
    pub fn from_env(region: &str, env: Env, timeout_secs: u64) -> Result<Self, SecretsSetupError> {
        let budget = CallBudget::from_env::<SecretsSetupError>(env, timeout_secs)?;
        let fips = settings::USE_FIPS.resolve_bool(env);
        let dual = settings::USE_DUALSTACK.resolve_bool(env);
        Ok(SecretsSettings {
            region: region.to_string(),
            secrets_manager: SECRETS_MANAGER_ENDPOINT_URL
                .endpoint_url(env)?
                .unwrap_or_else(|| regional("secretsmanager", region, fips, dual)),
            ssm: SSM_ENDPOINT_URL
                .endpoint_url(env)?
                .unwrap_or_else(|| regional("ssm", region, fips, dual)),
            budget,
        })
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The time all calls of one command may take.
    pub fn time_limit(&self) -> Duration {
        self.budget.total
    }

    fn call_settings(&self) -> CallSettings {
        // A batch of secrets is larger than any other service's answer.
        CallSettings {
            answer_limit: ANSWER_LIMIT,
            ..self.budget.call_settings()
        }
    }
}

crate::error_debug::debug_by_display!(SecretsSetupError);
/// Why Secrets Manager or SSM cannot be reached with these settings.
#[derive(thiserror::Error)]
pub enum SecretsSetupError {
    /// A setting is not valid.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The CA bundle cannot be read.
    #[error(transparent)]
    CaBundle(#[from] crate::ca_bundle::CaBundleError),
}

/// Which service a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    SecretsManager,
    Ssm,
}

/// One awsJson 1.1 call to `service`.  A failure comes back with what it
/// means for `what` (the secrets or parameters asked for) below it.
pub(crate) async fn call(
    service: Service,
    target: &'static str,
    body: &Value,
    creds: &Credentials,
    s: &SecretsSettings,
    deadline: Instant,
) -> Result<Value, (CallFailure, String)> {
    let (endpoint, signing_name, operation) = match service {
        Service::SecretsManager => (
            &s.secrets_manager,
            "secretsmanager",
            target.trim_start_matches("secretsmanager."),
        ),
        Service::Ssm => (&s.ssm, "ssm", target.trim_start_matches("AmazonSSM.")),
    };
    let operation = match operation {
        "GetSecretValue" => "secretsmanager:GetSecretValue",
        "BatchGetSecretValue" => "secretsmanager:BatchGetSecretValue",
        "GetParameters" => "ssm:GetParameters",
        _ => "ssm:GetParametersByPath",
    };
    let body = body.to_string();
    let call = JsonCall {
        operation,
        endpoint,
        service: signing_name,
        region: &s.region,
        request: Request::AwsJson {
            target,
            body: &body,
        },
    };
    call_json(&call, creds, &s.call_settings(), deadline)
        .await
        .map_err(|failure| {
            let (name, var) = match service {
                Service::SecretsManager => ("Secrets Manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
                Service::Ssm => ("SSM", "AWS_ENDPOINT_URL_SSM"),
            };
            let hint = common_hint(name, &failure, creds, endpoint, var);
            (failure, hint)
        })
}

/// The failure with its hint, as one message.
pub(crate) fn explained(failure: &CallFailure, hint: String) -> String {
    with_hint(failure, hint)
}

/// Whether the failure is the service refusing these credentials this action.
pub(crate) fn denied(failure: &CallFailure) -> bool {
    matches!(failure.kind, FailureKind::Service)
        && failure
            .code
            .as_deref()
            .is_some_and(|c| c.starts_with("AccessDenied"))
}

/// `GetSecretValue`'s body.
pub(crate) fn get_secret_value(id: &str) -> Value {
    json!({ "SecretId": id })
}

/// `BatchGetSecretValue`'s body.
pub(crate) fn batch_get_secret_value(ids: &[&str]) -> Value {
    json!({ "SecretIdList": ids })
}

/// `GetParameters`' body.
pub(crate) fn get_parameters(names: &[&str]) -> Value {
    json!({ "Names": names, "WithDecryption": true })
}

/// `GetParametersByPath`'s body.
pub(crate) fn get_parameters_by_path(path: &str, next: Option<&str>) -> Value {
    let mut body = json!({
        "Path": path,
        "Recursive": true,
        "WithDecryption": true,
        "MaxResults": 10,
    });
    if let Some(token) = next {
        body["NextToken"] = json!(token);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_the_ones_the_sdks_name() {
        assert_eq!(
            regional("secretsmanager", "eu-west-1", false, false),
            "https://secretsmanager.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional("ssm", "us-east-1", true, false),
            "https://ssm-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            regional("ssm", "cn-north-1", false, false),
            "https://ssm.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            regional("secretsmanager", "eu-west-1", false, true),
            "https://secretsmanager.eu-west-1.api.aws"
        );
    }

    #[test]
    fn bodies_ask_for_decryption_and_pages() {
        assert_eq!(get_parameters(&["/a"])["WithDecryption"], json!(true));
        let page = get_parameters_by_path("/app/", Some("t"));
        assert_eq!(page["Recursive"], json!(true));
        assert_eq!(page["NextToken"], json!("t"));
        assert!(get_parameters_by_path("/app/", None)
            .get("NextToken")
            .is_none());
    }
}
