//! `DescribeCluster`, and how EKS and STS are reached.
//!
//! [`EksSettings`] reads, before any network call, what EKS's endpoint is
//! (`$AWS_ENDPOINT_URL_EKS`, then `$AWS_ENDPOINT_URL`, else EKS's regional,
//! FIPS or China endpoint as the SDK's resolver names it: see the test),
//! the STS endpoint a token is presigned for (as STS's resolver names it
//! for the region), and the retries, CA bundle and time allowed, from the
//! same variables the STS settings come from.
//!
//! [`describe`] is one REST-JSON `GET /clusters/{name}` made by
//! [`crate::aws_call`] on the STS client's parts, not with the SDK's EKS
//! client: that cost 246 KB of the x86_64 binary, the whole 250 KB the EKS
//! feature may take (README.md, "kubectl and helm against EKS").

use std::time::{Duration, Instant};

use super::token::ClusterName;
use crate::aws_call::{
    call_json, common_hint, with_hint, CallBudget, CallSettings, JsonCall, Request,
};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::failure::CallFailure;
use crate::settings::{self, Chain, SettingsError, Source};
use crate::sts::{EndpointError, StsSettings};

/// EKS's endpoint: `$AWS_ENDPOINT_URL_EKS`, then `$AWS_ENDPOINT_URL`.
pub(crate) const EKS_ENDPOINT_URL: Chain = Chain(&[
    Source::Env("AWS_ENDPOINT_URL_EKS"),
    Source::Env("AWS_ENDPOINT_URL"),
]);

/// How EKS and STS are reached from this job, for one region.
#[derive(Debug, Clone)]
pub struct EksSettings {
    region: String,
    eks_endpoint: String,
    sts: StsSettings,
    budget: CallBudget,
}

/// EKS's endpoint for `region`, as the SDK's resolver names it; `Err`: why
/// there is none aws-oidc knows (set `AWS_ENDPOINT_URL_EKS`).
fn eks_endpoint(region: &str, fips: bool, dual_stack: bool) -> Result<String, String> {
    let unknown = |what: &str| {
        Err(format!(
            "aws-oidc knows no EKS endpoint for {what}: set AWS_ENDPOINT_URL_EKS to it"
        ))
    };
    if dual_stack {
        return unknown("AWS_USE_DUALSTACK_ENDPOINT");
    }
    if region.starts_with("us-iso") || region.starts_with("eu-isoe") {
        return unknown(&format!("region {region}"));
    }
    if region.starts_with("cn-") {
        let host = if fips { "eks-fips" } else { "eks" };
        return Ok(format!("https://{host}.{region}.amazonaws.com.cn"));
    }
    // GovCloud's regular endpoints are FIPS endpoints.
    if fips && !region.starts_with("us-gov-") {
        return Ok(format!("https://fips.eks.{region}.amazonaws.com"));
    }
    Ok(format!("https://eks.{region}.amazonaws.com"))
}

impl EksSettings {
    /// Reads endpoints, FIPS, dual-stack, retries and the CA bundle from
    /// `env` for `region`; every call ends within `timeout_secs`.  Settings
    /// no endpoint exists for fail here, not at kubectl's time.
    pub fn from_env(region: &str, env: Env, timeout_secs: u64) -> Result<Self, EksSetupError> {
        let budget = CallBudget::from_env::<EksSetupError>(env, timeout_secs)?;
        let call = budget.call_settings();
        let use_fips = settings::USE_FIPS.resolve_bool(env);
        let use_dual_stack = settings::USE_DUALSTACK.resolve_bool(env);
        let eks_endpoint = match EKS_ENDPOINT_URL.endpoint_url(env)? {
            Some(url) => url,
            None => eks_endpoint(region, use_fips, use_dual_stack).map_err(EksSetupError::Eks)?,
        };
        let sts_url = settings::ENDPOINT_URL.endpoint_url(env)?;
        let sts = StsSettings {
            region: region.to_string(),
            use_fips: sts_url.is_none() && use_fips,
            use_dual_stack: sts_url.is_none() && use_dual_stack,
            endpoint_url: sts_url,
            retry: call.retry,
            user_agent: None,
            ca_bundle: call.ca_bundle,
            proxies: call.proxies,
            connect_timeout: call.connect_timeout,
            attempt_timeout: call.attempt_timeout,
        };
        sts.resolve_endpoint()?;
        Ok(EksSettings {
            region: region.to_string(),
            eks_endpoint,
            sts,
            budget,
        })
    }

    /// How long a whole call may take, retries and waits included.
    pub fn time_limit(&self) -> Duration {
        self.budget.total
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The STS endpoint tokens are presigned for, as STS's resolver names it.
    pub fn sts_endpoint(&self) -> Result<String, EndpointError> {
        self.sts.resolve_endpoint()
    }

    /// EKS's endpoint.
    pub fn eks_endpoint(&self) -> &str {
        &self.eks_endpoint
    }

    fn call_settings(&self) -> CallSettings {
        self.budget.call_settings()
    }
}

crate::error_debug::debug_by_display!(EksSetupError);
/// Why EKS cannot be reached with these settings.
#[derive(thiserror::Error)]
pub enum EksSetupError {
    /// A setting is not valid.
    #[error("{0}")]
    Settings(#[from] SettingsError),
    /// The CA bundle cannot be read.
    #[error(transparent)]
    CaBundle(#[from] crate::ca_bundle::CaBundleError),
    /// No STS endpoint for these settings.
    #[error(transparent)]
    Sts(#[from] EndpointError),
    /// No EKS endpoint for these settings.
    #[error("no EKS endpoint: {0}")]
    Eks(String),
}

/// What `DescribeCluster` says a kubeconfig needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// The name.
    pub name: ClusterName,
    /// `arn:aws:eks:<region>:<account>:cluster/<name>`: what the kubeconfig's entries are named.
    pub arn: String,
    /// The API server's URL.
    pub endpoint: String,
    /// The cluster CA, base64 of PEM, as kubeconfig's `certificate-authority-data` takes it.
    pub certificate_authority_data: String,
}

crate::error_debug::debug_by_display!(ClusterError);
/// Why the cluster could not be described.
#[derive(thiserror::Error)]
pub enum ClusterError {
    /// EKS said no, or could not be reached.
    #[error("{explanation}")]
    Call {
        /// What failed.
        failure: Box<CallFailure>,
        /// The explanation for the user.
        explanation: String,
    },
    /// The cluster is not ready for kubectl, or the answer is not EKS's.
    #[error("{0}")]
    NotReady(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

const OP: &str = "eks:DescribeCluster";

fn explain(
    failure: &CallFailure,
    name: &ClusterName,
    creds: &Credentials,
    s: &EksSettings,
) -> String {
    let region = s.region();
    let name = name.as_str();
    let code = failure.code.as_deref().unwrap_or("");
    let hint = if code == "ResourceNotFoundException" {
        let account = match creds.origin.account() {
            Some(a) => format!("account {a}"),
            None => format!("the account of the credentials ({})", creds.origin),
        };
        format!(
            "There is no cluster {name} in {region} for {account}: EKS clusters are regional, so \
             check --region (or $AWS_REGION) and the name (--cluster-name). The clusters there: \
             aws eks list-clusters --region {region}"
        )
    } else if code.starts_with("AccessDenied") {
        format!(
            "The credentials ({}) may not describe the cluster. Allow it in the permissions policy \
             of the role (or user) they belong to: {{\"Effect\": \"Allow\", \"Action\": \
             \"eks:DescribeCluster\", \"Resource\": \"arn:aws:eks:{region}:<account>:cluster/{name}\"}}. \
             kubectl then needs an access entry (or aws-auth mapping) in the cluster for the same role.",
            creds.origin
        )
    } else {
        common_hint(
            "EKS",
            failure,
            creds,
            s.eks_endpoint(),
            "AWS_ENDPOINT_URL_EKS",
        )
    };
    with_hint(failure, hint)
}

/// `DescribeCluster` for `name` with `creds`: its ARN, endpoint and CA.
pub(crate) fn describe(
    name: &ClusterName,
    creds: &Credentials,
    s: &EksSettings,
) -> Result<ClusterInfo, ClusterError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ClusterError::Runtime)?;
    // The name is letters, digits, `-` and `_` (ClusterName): no encoding needed.
    let path = format!("/clusters/{}", name.as_str());
    let call = JsonCall {
        operation: OP,
        endpoint: &s.eks_endpoint,
        service: "eks",
        region: &s.region,
        request: Request::RestGet { path: &path },
    };
    let deadline = Instant::now() + s.budget.total;
    let answer = runtime
        .block_on(call_json(&call, creds, &s.call_settings(), deadline))
        .map_err(|failure| ClusterError::Call {
            explanation: explain(&failure, name, creds, s),
            failure: Box::new(failure),
        })?;
    cluster_info(name, &answer)
}

/// The kubeconfig's needs from a `DescribeCluster` answer.
fn cluster_info(
    name: &ClusterName,
    answer: &serde_json::Value,
) -> Result<ClusterInfo, ClusterError> {
    let not_ready = |what: &str| {
        let name = name.as_str();
        ClusterError::NotReady(format!(
            "EKS describes cluster {name} without {what}: it is still being created (or is \
             failing); wait until `aws eks describe-cluster --name {name}` shows status ACTIVE"
        ))
    };
    let cluster = answer
        .get("cluster")
        .ok_or_else(|| not_ready("any detail"))?;
    let field = |v: Option<&serde_json::Value>, what: &str| {
        v.and_then(serde_json::Value::as_str)
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string)
            .ok_or_else(|| not_ready(what))
    };
    Ok(ClusterInfo {
        name: name.clone(),
        arn: field(cluster.get("arn"), "an ARN")?,
        endpoint: field(cluster.get("endpoint"), "an endpoint")?,
        certificate_authority_data: field(
            cluster
                .get("certificateAuthority")
                .and_then(|c| c.get("data")),
            "a certificate authority",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::FailureKind;

    /// The endpoints the SDK's EKS resolver names (aws-sdk-eks 1.160's
    /// endpoint tests), without linking that client.
    #[test]
    fn endpoints_are_the_ones_the_sdks_resolver_names() {
        for (region, fips, url) in [
            ("eu-west-1", false, "https://eks.eu-west-1.amazonaws.com"),
            (
                "us-east-1",
                true,
                "https://fips.eks.us-east-1.amazonaws.com",
            ),
            (
                "cn-north-1",
                false,
                "https://eks.cn-north-1.amazonaws.com.cn",
            ),
            (
                "cn-north-1",
                true,
                "https://eks-fips.cn-north-1.amazonaws.com.cn",
            ),
            (
                "us-gov-west-1",
                false,
                "https://eks.us-gov-west-1.amazonaws.com",
            ),
            (
                "us-gov-east-1",
                true,
                "https://eks.us-gov-east-1.amazonaws.com",
            ),
        ] {
            assert_eq!(eks_endpoint(region, fips, false).unwrap(), url);
        }
        assert!(eks_endpoint("us-east-1", false, true).is_err());
        assert!(eks_endpoint("us-iso-east-1", false, false)
            .unwrap_err()
            .contains("AWS_ENDPOINT_URL_EKS"));
    }

    #[test]
    fn endpoints_come_from_their_chains() {
        let env = |name: &str| match name {
            "AWS_ENDPOINT_URL_EKS" => Some("http://127.0.0.1:1".to_string()),
            "AWS_ENDPOINT_URL_STS" => Some("http://127.0.0.1:2".to_string()),
            _ => None,
        };
        let s = EksSettings::from_env("eu-west-1", &env, 60).unwrap();
        assert_eq!(s.sts_endpoint().unwrap(), "http://127.0.0.1:2");
        assert_eq!(s.eks_endpoint(), "http://127.0.0.1:1");
        let none = |_: &str| None;
        let s = EksSettings::from_env("eu-west-1", &none, 60).unwrap();
        assert_eq!(
            s.sts_endpoint().unwrap(),
            "https://sts.eu-west-1.amazonaws.com"
        );
        assert_eq!(s.eks_endpoint(), "https://eks.eu-west-1.amazonaws.com");
        let bad = |name: &str| (name == "AWS_ENDPOINT_URL_EKS").then(|| "ftp://x".to_string());
        assert!(matches!(
            EksSettings::from_env("eu-west-1", &bad, 60).unwrap_err(),
            EksSetupError::Settings(SettingsError::EndpointUrl { .. })
        ));
    }

    #[test]
    fn an_unknown_cluster_is_explained_with_the_account_and_region() {
        let creds = Credentials {
            access_key_id: crate::credentials::Secret::new("AKIA"),
            secret_access_key: crate::credentials::Secret::new("s"),
            session_token: None,
            expiration: None,
            origin: crate::credentials::Origin::AssumedRole {
                arn: "arn:aws:sts::123456789012:assumed-role/deploy/x".into(),
            },
        };
        let failure = CallFailure {
            operation: OP,
            kind: FailureKind::Service,
            code: Some("ResourceNotFoundException".into()),
            message: Some("No cluster found for name: demo.".into()),
            status: Some(404),
            attempts: 1,
        };
        let s = EksSettings::from_env("eu-west-1", &|_| None, 60).unwrap();
        let name = ClusterName::parse("demo").unwrap();
        let text = explain(&failure, &name, &creds, &s);
        assert!(
            text.contains("no cluster demo in eu-west-1 for account 123456789012"),
            "{text}"
        );
        assert!(
            text.contains("--region") && text.contains("--cluster-name"),
            "{text}"
        );
    }

    #[test]
    fn an_answer_without_what_kubectl_needs_is_not_ready() {
        let name = ClusterName::parse("demo").unwrap();
        let full = serde_json::json!({"cluster": {"arn": "arn:aws:eks:eu-west-1:123456789012:cluster/demo",
            "endpoint": "https://x", "certificateAuthority": {"data": "LS0t"}}});
        assert_eq!(cluster_info(&name, &full).unwrap().endpoint, "https://x");
        let creating = serde_json::json!({"cluster": {"arn": "a", "status": "CREATING"}});
        let err = cluster_info(&name, &creating).unwrap_err().to_string();
        assert!(err.contains("ACTIVE"), "{err}");
    }
}
