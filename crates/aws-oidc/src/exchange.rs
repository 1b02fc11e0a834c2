//! The exchange: from raw options to credentials, as one entry point.
//!
//! [`Exchange::resolve`] turns the options every credential-producing
//! command shares ([`RoleOptions`]) into a validated exchange before any
//! network call: role, session, duration and policies ([`crate::request`]),
//! and region, endpoint, FIPS and timeouts from their [`crate::settings`]
//! chains.  [`Exchange::run`] finds the token (minting one when needed),
//! runs the STS calls ([`crate::assume`]) and, when STS says no, returns the
//! failure explained for this token and this role ([`crate::diagnose`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::assume::{AssumeError, Outcome, Plan};
use crate::ca_bundle::CaBundle;
use crate::diagnose;
use crate::env::Env;
use crate::failure::CallFailure;
use crate::request::{
    check_session_tags, parse_policy_arns, AccountField, AccountId, AssumeRequest, ChainRequest,
    RoleArn, SessionDuration, SessionName, SessionPolicy, SessionTag,
};
use crate::settings::{self, SettingsError};
use crate::sinks::shell;
use crate::sts::{Sts, StsSettings};
use crate::token::{self, CircleCiCli, OidcToken, TokenError, TokenOptions};
use crate::transport::Proxies;
use crate::trust::{self, TrustPolicy};

/// The SDK's name for STS's global endpoint, `https://sts.amazonaws.com`.
const GLOBAL_REGION: &str = "aws-global";

/// The role, token and STS options, as given (the binary's flags, any
/// `--expand-env` expansion done); a blank value counts as not given.
#[derive(Debug, Clone, Default)]
pub struct RoleOptions {
    /// `--role-arn`.
    pub role_arn: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--session-name`.
    pub session_name: Option<String>,
    /// `--duration`: seconds, or e.g. `30m`, `2h` (default 3600).
    pub duration: Option<String>,
    /// `--policy`: JSON, or `file://PATH`.
    pub policy: Option<String>,
    /// `--policy-arn`, each possibly comma-separated.
    pub policy_arns: Vec<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
    /// `--token-file`.
    pub token_file: Option<PathBuf>,
    /// `--audience`.
    pub audience: Option<String>,
    /// `--chain-role-arn`.
    pub chain_role_arn: Option<String>,
    /// `--external-id`.
    pub external_id: Option<String>,
    /// `--chain-session-name`.
    pub chain_session_name: Option<String>,
    /// `--timeout`, in seconds, retries included.
    pub timeout_secs: u64,
    /// `--verify`: check the final credentials with GetCallerIdentity.
    pub verify: bool,
    /// `--allowed-account-ids`, each possibly comma-separated: a role in any
    /// other account is refused before any network call.
    pub allowed_account_ids: Vec<String>,
    /// `--tag KEY=VALUE`: session tags for the chained role.
    pub tags: Vec<String>,
    /// `--circleci-tags`: tag the chained session with the project, job,
    /// build number and branch.
    pub circleci_tags: bool,
}

/// A validated exchange: what to ask STS, where, with which token.
#[derive(Debug, Clone)]
pub struct Exchange {
    plan: Plan,
    region: Option<String>,
    settings: StsSettings,
    token_opts: TokenOptions,
    trust_policy: Option<(PathBuf, TrustPolicy)>,
    notes: Vec<String>,
}

crate::error_debug::debug_by_display!(ExchangeError);
/// A failed exchange.  An STS failure keeps its parts, so a caller can
/// branch on the code or add to the explanation.
#[derive(thiserror::Error)]
pub enum ExchangeError {
    /// STS said no, or could not be reached.
    #[error("{explanation}")]
    Sts {
        /// What failed.
        failure: Box<CallFailure>,
        /// The token that was sent.
        token: Box<OidcToken>,
        /// The full explanation for the user.
        explanation: String,
    },
    /// No usable token could be had.
    #[error("{0}")]
    Token(#[from] TokenError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

fn read_policy(raw: &str) -> Result<SessionPolicy, SettingsError> {
    let text = match raw.strip_prefix("file://") {
        Some(path) => crate::request::read_policy_file(Path::new(path)).map_err(|source| {
            SettingsError::PolicyFile {
                path: PathBuf::from(path),
                source,
            }
        })?,
        None => raw.to_string(),
    };
    Ok(SessionPolicy::parse(&text)?)
}

/// Refuses a role outside the allowed accounts (none given: any account).
fn check_account(role: &RoleArn, allowed: &[AccountId]) -> Result<(), SettingsError> {
    if allowed.is_empty() || allowed.iter().any(|a| a.as_str() == role.account()) {
        return Ok(());
    }
    Err(SettingsError::AccountNotAllowed {
        role: role.to_string(),
        allowed: allowed
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The `--circleci-tags` preset: project, job, build number and branch, as
/// CircleCI names them in the job's environment (missing ones are left out).
fn circleci_tags(env: Env) -> Result<Vec<SessionTag>, SettingsError> {
    let mut tags = Vec::new();
    for (key, var) in [
        ("circleci:project", "CIRCLE_PROJECT_REPONAME"),
        ("circleci:job", "CIRCLE_JOB"),
        ("circleci:build-num", "CIRCLE_BUILD_NUM"),
        ("circleci:branch", "CIRCLE_BRANCH"),
    ] {
        if let Some(value) = env(var) {
            tags.push(SessionTag::cleaned(key, &value)?);
        }
    }
    Ok(tags)
}

/// Whether this runs in a CircleCI job: `$CIRCLECI` is `true`, or the job's token is there.
fn in_circleci_job(env: Env) -> bool {
    env("CIRCLECI").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || env("CIRCLE_OIDC_TOKEN_V2").is_some()
        || env("CIRCLE_OIDC_TOKEN").is_some()
}

impl Exchange {
    /// Validates everything, before any network call.  `env` is the
    /// environment the settings chains read.
    pub fn resolve(opts: RoleOptions, env: Env) -> Result<Exchange, SettingsError> {
        let value = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let role_arn = value(opts.role_arn);
        let region_flag = value(opts.region);
        let session_name = value(opts.session_name);
        let policy = value(opts.policy);
        let endpoint_flag = value(opts.endpoint_url);
        let audience = value(opts.audience);
        let chain_role_arn = value(opts.chain_role_arn);
        let external_id = value(opts.external_id);
        let chain_session_name = value(opts.chain_session_name);
        let duration = value(opts.duration);
        let arns: Vec<String> = opts
            .policy_arns
            .into_iter()
            .filter_map(|a| value(Some(a)))
            .collect();

        let mut allowed = Vec::new();
        for ids in opts.allowed_account_ids {
            for id in ids.split(',') {
                let id = id.trim();
                if !id.is_empty() {
                    allowed.push(AccountId::parse(id, AccountField::AllowedAccountIds)?);
                }
            }
        }
        let mut tags = Vec::new();
        for tag in opts.tags {
            if let Some(tag) = value(Some(tag)) {
                tags.push(SessionTag::parse(&tag)?);
            }
        }
        if opts.circleci_tags {
            tags.extend(circleci_tags(env)?);
        }
        check_session_tags(&tags)?;

        let role_arn = RoleArn::parse(&role_arn.ok_or(SettingsError::NoRole)?)?;
        check_account(&role_arn, &allowed)?;
        let region = settings::region(region_flag.as_deref(), env)?;
        let session_name = match &session_name {
            Some(s) => SessionName::sanitize(s)?,
            None => SessionName::default_for_job(
                env("CIRCLE_JOB").as_deref(),
                env("CIRCLE_BUILD_NUM").as_deref(),
            ),
        };
        let duration = SessionDuration::parse(duration.as_deref().unwrap_or("3600"))?;
        let policy = policy.as_deref().map(read_policy).transpose()?;
        let policy_arns = parse_policy_arns(&arns)?;
        let chain = match &chain_role_arn {
            None if !tags.is_empty() => return Err(SettingsError::TagsNeedChain),
            None => None,
            Some(arn) => {
                let name = match &chain_session_name {
                    Some(n) => SessionName::sanitize(n)?,
                    None => session_name.clone(),
                };
                let arn = RoleArn::parse(arn)?;
                check_account(&arn, &allowed)?;
                let mut chain = ChainRequest::new(arn, name, duration, external_id)?;
                chain.tags = tags;
                Some(chain)
            }
        };
        let endpoint_url = settings::ENDPOINT_URL
            .resolve(endpoint_flag.as_deref(), env)
            .map(|(url, _)| url);
        if let Some(url) = &endpoint_url {
            crate::request::check_endpoint_url(url).map_err(|why| SettingsError::EndpointUrl {
                url: crate::request::without_userinfo(url),
                why,
            })?;
        }
        if opts.timeout_secs == 0 || opts.timeout_secs > 3600 {
            return Err(SettingsError::Timeout);
        }
        let mut notes = Vec::new();
        let token_file = match opts.token_file {
            Some(path) => Some(path),
            None => match env("AWS_WEB_IDENTITY_TOKEN_FILE") {
                // An IRSA variable left in a self-hosted runner's pod must
                // not silently change the identity a CircleCI job assumes.
                Some(path) if in_circleci_job(env) => {
                    notes.push(format!(
                        "AWS_WEB_IDENTITY_TOKEN_FILE ({path}) is ignored in a CircleCI job: the job's own \
                         OIDC token is used; pass --token-file to use that file instead"
                    ));
                    None
                }
                other => other.map(PathBuf::from),
            },
        };
        let total = Duration::from_secs(opts.timeout_secs);
        // An explicit endpoint wins over FIPS and dual-stack, as in the AWS
        // CLI (the SDK's resolver would refuse the combination).
        let explicit = endpoint_url.is_some();
        let use_fips = !explicit && settings::USE_FIPS.resolve_bool(env);
        let use_dual_stack = !explicit && settings::USE_DUALSTACK.resolve_bool(env);
        let sts_region = match &region {
            Some(r) => r.clone(),
            None => {
                // As the AWS CLI does without a region: STS's global
                // endpoint (region aws-global, signed for us-east-1), which
                // only the aws partition has, without FIPS or dual-stack.
                let needs = if use_fips {
                    Some("AWS_USE_FIPS_ENDPOINT=true".to_string())
                } else if use_dual_stack {
                    Some("AWS_USE_DUALSTACK_ENDPOINT=true".to_string())
                } else if role_arn.partition() != "aws" && !explicit {
                    Some(format!("a role in partition {}", role_arn.partition()))
                } else {
                    None
                };
                if let Some(needs) = needs {
                    return Err(SettingsError::RegionNeeded { needs });
                }
                if explicit { "us-east-1" } else { GLOBAL_REGION }.to_string()
            }
        };
        let sts = StsSettings {
            region: sts_region,
            endpoint_url,
            use_fips,
            use_dual_stack,
            retry: settings::retry_policy(env)?,
            user_agent: settings::circleci_user_agent(env),
            ca_bundle: settings::CA_BUNDLE
                .resolve(None, env)
                .map(|(path, _)| CaBundle::read(Path::new(&path)))
                .transpose()?,
            proxies: Proxies::from_env(env),
            connect_timeout: Duration::from_secs(5).min(total),
            attempt_timeout: Duration::from_secs(15).min(total),
        };
        // Settings no endpoint exists for (FIPS in China, say) fail here, not at STS.
        sts.resolve_endpoint()?;
        Ok(Exchange {
            plan: Plan {
                request: AssumeRequest {
                    role_arn,
                    session_name,
                    duration,
                    policy,
                    policy_arns,
                },
                chain,
                verify: opts.verify,
                total_timeout: total,
            },
            settings: sts,
            region,
            token_opts: TokenOptions::new(token_file, audience),
            trust_policy: None,
            notes,
        })
    }

    /// On AccessDenied from AssumeRoleWithWebIdentity, also check this trust
    /// policy (read from `path`) against the token sent, statement by statement.
    pub fn explain_with_trust_policy(mut self, path: PathBuf, policy: TrustPolicy) -> Self {
        self.trust_policy = Some((path, policy));
        self
    }

    /// The region credentials are for (also written with them); `None`
    /// when none was given anywhere and STS's global endpoint is used.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The web-identity request.
    pub(crate) fn request(&self) -> &AssumeRequest {
        &self.plan.request
    }

    /// The chained request, if any.
    pub(crate) fn chain(&self) -> Option<&ChainRequest> {
        self.plan.chain.as_ref()
    }

    /// The role the credentials act as: the chained one, if any.
    pub fn final_role(&self) -> &RoleArn {
        match &self.plan.chain {
            Some(chain) => &chain.role_arn,
            None => &self.plan.request.role_arn,
        }
    }

    /// How STS is reached.
    pub(crate) fn sts_settings(&self) -> &StsSettings {
        &self.settings
    }

    /// How the token is found.
    pub(crate) fn token_options(&self) -> &TokenOptions {
        &self.token_opts
    }

    /// What the user should know about how the options were read (a
    /// setting ignored, say), one sentence each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The time limit of the whole exchange (`--timeout`).
    pub fn time_limit(&self) -> Duration {
        self.plan.total_timeout
    }

    /// Finds the token and runs the STS calls, within the time limit; an
    /// STS failure comes back explained.
    pub(crate) fn run(&self, env: Env) -> Result<Outcome, ExchangeError> {
        self.run_until(env, Instant::now() + self.plan.total_timeout)
    }

    /// Like [`Exchange::run`], giving up at `deadline`: minting a token and
    /// every STS call included.
    pub(crate) fn run_until(&self, env: Env, deadline: Instant) -> Result<Outcome, ExchangeError> {
        let minter = CircleCiCli::from_path(env("PATH").as_deref());
        let token_opts = TokenOptions {
            deadline: Some(deadline),
            ..self.token_opts.clone()
        };
        let token = token::obtain(&token_opts, env, &minter, SystemTime::now())?;
        let fresh = || {
            // A replacement keeps the audience the trust policy was matched against.
            let aud = self
                .token_opts
                .audience
                .clone()
                .or_else(|| token.claims.audiences().first().map(|a| a.to_string()));
            let opts = TokenOptions {
                token_file: None,
                audience: aud,
                ..token_opts.clone()
            };
            token::obtain(&opts, &|_| None, &minter, SystemTime::now())
        };
        let sts = Sts::new(self.settings.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ExchangeError::Runtime)?;
        let exchange = crate::assume::run(&self.plan, &sts, token.clone(), &fresh, deadline);
        match runtime.block_on(exchange) {
            Ok(o) => Ok(o),
            Err(AssumeError::Token(e)) => Err(e.into()),
            Err(AssumeError::Sts(failure, used)) => {
                // A server may echo the token: never print it back.
                let mut secrets = crate::redact::Secrets::default();
                secrets.add(used.expose());
                secrets.add(token.expose());
                let explanation = secrets.scrub(&self.explain(&failure, &used));
                Err(ExchangeError::Sts {
                    failure: Box::new(failure),
                    token: Box::new(used),
                    explanation,
                })
            }
        }
    }

    fn explain(&self, failure: &CallFailure, token: &OidcToken) -> String {
        let request = &self.plan.request;
        let ctx = diagnose::Context {
            role_arn: &request.role_arn,
            chain_role_arn: self.plan.chain.as_ref().map(|c| &c.role_arn),
            claims: &token.claims,
            token_source: token.source.to_string(),
            region: self.region.as_deref().unwrap_or("none given"),
            endpoint: self.settings.endpoint_description(),
            duration: request.duration.secs(),
        };
        let explanation = diagnose::explain(failure, &ctx);
        let Some((path, policy)) = &self.trust_policy else {
            return explanation;
        };
        if failure.operation != "AssumeRoleWithWebIdentity"
            || failure.code.as_deref() != Some("AccessDenied")
        {
            return explanation;
        }
        let report = trust::evaluate_token(
            policy,
            &token.claims,
            Some(&request.role_arn),
            Some(request.session_name.as_str()),
            &[],
        );
        match report {
            Ok(eval) if eval.allowed() => format!(
                "{explanation}\n\nThe trust policy in {} allows this token, so it is not the role's trust \
                 policy (or the role or its OIDC provider does not exist in account {}). Compare with: \
                 aws iam get-role --role-name {} --query Role.AssumeRolePolicyDocument\n{eval}",
                path.display(),
                request.role_arn.account(),
                request.role_arn.name()
            ),
            Ok(eval) => format!(
                "{explanation}\n\nChecking the trust policy in {} against this token:\n{eval}",
                path.display()
            ),
            Err(e) => format!(
                "{explanation}\n\n(--trust-policy {}: could not check it: {e})",
                path.display()
            ),
        }
    }

    /// The `credential_process` command line that reproduces this exchange
    /// with the binary at `exe`, quoted for both `sh` and the AWS CLI's
    /// shlex-style splitting.
    pub fn process_command(&self, exe: &Path) -> Result<String, shell::QuoteError> {
        let mut words: Vec<(&str, String)> = vec![
            ("the aws-oidc path", exe.to_string_lossy().into_owned()),
            ("", "credential-process".into()),
        ];
        words.extend(self.role_words());
        let quoted = words
            .iter()
            .map(|(name, w)| shell::quote_str(w, name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(quoted.join(" "))
    }

    /// The role options that reproduce this exchange, as `(option, word)`
    /// pairs (the option a word is the value of, for messages; empty for
    /// the option itself), for commands that run aws-oidc again later: a
    /// profile's `credential_process`, a kubeconfig's exec plugin.
    pub fn role_words(&self) -> Vec<(&'static str, String)> {
        let r = &self.plan.request;
        let mut words: Vec<(&str, String)> = vec![
            ("", "--role-arn".into()),
            ("--role-arn", r.role_arn.to_string()),
        ];
        if let Some(region) = &self.region {
            words.push(("", "--region".into()));
            words.push(("--region", region.clone()));
        }
        words.extend([
            ("", "--session-name".into()),
            ("--session-name", r.session_name.to_string()),
            ("", "--duration".into()),
            ("--duration", r.duration.secs().to_string()),
        ]);
        let mut opt = |flag: &'static str, value: Option<String>| {
            if let Some(v) = value {
                words.push(("", flag.into()));
                words.push((flag, v));
            }
        };
        opt(
            "--policy",
            r.policy.as_ref().map(|p| p.as_str().to_string()),
        );
        opt(
            "--policy-arn",
            (!r.policy_arns.is_empty()).then(|| {
                r.policy_arns
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
        );
        if let Some(c) = &self.plan.chain {
            opt("--chain-role-arn", Some(c.role_arn.to_string()));
            opt("--chain-session-name", Some(c.session_name.to_string()));
            opt("--external-id", c.external_id.clone());
            for tag in &c.tags {
                opt("--tag", Some(format!("{}={}", tag.key(), tag.value())));
            }
        }
        opt("--audience", self.token_opts.audience.clone());
        opt("--endpoint-url", self.settings.endpoint_url.clone());
        if let Some(path) = &self.token_opts.token_file {
            let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            opt("--token-file", Some(abs.to_string_lossy().into_owned()));
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;

    const ROLE: &str = "arn:aws:iam::123456789012:role/deploy";

    fn opts() -> RoleOptions {
        RoleOptions {
            role_arn: Some(ROLE.into()),
            timeout_secs: 60,
            ..RoleOptions::default()
        }
    }

    #[test]
    fn the_region_comes_from_its_chain() {
        let env = env_of(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(
            Exchange::resolve(opts(), &env).unwrap().region(),
            Some("eu-west-1")
        );
        let flagged = RoleOptions {
            region: Some("ap-south-1".into()),
            ..opts()
        };
        assert_eq!(
            Exchange::resolve(flagged, &env).unwrap().region(),
            Some("ap-south-1")
        );
    }

    #[test]
    fn no_role_is_named() {
        let env = env_of(&[("AWS_REGION", "us-east-1")]);
        let no_role = RoleOptions {
            role_arn: None,
            ..opts()
        };
        assert!(matches!(
            Exchange::resolve(no_role, &env).unwrap_err(),
            SettingsError::NoRole
        ));
    }

    #[test]
    fn no_region_anywhere_means_the_global_endpoint_and_no_region_written() {
        let x = Exchange::resolve(opts(), &env_of(&[])).unwrap();
        assert_eq!(x.region(), None);
        assert_eq!(
            x.sts_settings().endpoint_description(),
            "https://sts.amazonaws.com"
        );
        let cmd = x.process_command(Path::new("/bin/aws-oidc")).unwrap();
        assert!(!cmd.contains("--region"), "{cmd}");
        // An explicit endpoint still wins, and is signed for us-east-1.
        let local = env_of(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")]);
        let x = Exchange::resolve(opts(), &local).unwrap();
        assert_eq!(x.region(), None);
        assert_eq!(x.sts_settings().region, "us-east-1");
        assert_eq!(
            x.sts_settings().endpoint_description(),
            "http://127.0.0.1:1"
        );
    }

    #[test]
    fn in_a_circleci_job_the_jobs_token_wins_over_a_web_identity_token_file() {
        let irsa = ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token");
        let outside = Exchange::resolve(opts(), &env_of(&[irsa])).unwrap();
        assert_eq!(
            outside.token_options().token_file.as_deref(),
            Some(Path::new("/var/run/secrets/token"))
        );
        assert!(outside.notes().is_empty());
        for job in [("CIRCLECI", "true"), ("CIRCLE_OIDC_TOKEN_V2", "x.y.z")] {
            let x = Exchange::resolve(opts(), &env_of(&[irsa, job])).unwrap();
            assert_eq!(x.token_options().token_file, None, "{job:?}");
            assert!(x.notes()[0].contains("--token-file"), "{:?}", x.notes());
        }
        let flagged = RoleOptions {
            token_file: Some(PathBuf::from("/tmp/t")),
            ..opts()
        };
        let x = Exchange::resolve(flagged, &env_of(&[irsa, ("CIRCLECI", "true")])).unwrap();
        assert_eq!(
            x.token_options().token_file.as_deref(),
            Some(Path::new("/tmp/t"))
        );
        assert!(x.notes().is_empty());
    }

    #[test]
    fn a_ca_bundle_is_read_and_checked_before_any_network_call() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let env = env_of(&[("AWS_CA_BUNDLE", missing.to_str().unwrap())]);
        let err = Exchange::resolve(opts(), &env).unwrap_err();
        assert!(matches!(err, SettingsError::CaBundle(_)), "{err}");
        assert!(err.to_string().contains("AWS_CA_BUNDLE"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let env = env_of(&[("AWS_CA_BUNDLE", empty.to_str().unwrap())]);
        let err = Exchange::resolve(opts(), &env).unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
    }

    #[test]
    fn settings_that_need_a_region_say_so_without_one() {
        for (var, needs) in [
            ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_FIPS_ENDPOINT"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"),
        ] {
            let err = Exchange::resolve(opts(), &env_of(&[(var, "true")])).unwrap_err();
            assert!(matches!(err, SettingsError::RegionNeeded { .. }), "{err}");
            assert!(err.to_string().contains(needs), "{err}");
            assert!(err.to_string().contains("AWS_REGION"), "{err}");
        }
        let china = RoleOptions {
            role_arn: Some("arn:aws-cn:iam::123456789012:role/deploy".into()),
            ..opts()
        };
        let err = Exchange::resolve(china, &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("partition aws-cn"), "{err}");
    }

    #[test]
    fn endpoint_and_fips_come_from_the_environment_given() {
        let env = env_of(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ]);
        let x = Exchange::resolve(opts(), &env).unwrap();
        assert_eq!(
            x.sts_settings().endpoint_url.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(!x.sts_settings().use_fips, "an explicit endpoint wins");
        let fips = env_of(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ]);
        let x = Exchange::resolve(opts(), &fips).unwrap();
        assert_eq!(
            x.sts_settings().endpoint_description(),
            "https://sts-fips.us-east-1.amazonaws.com"
        );
        let bad = env_of(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL_STS", "ftp://x"),
        ]);
        assert!(matches!(
            Exchange::resolve(opts(), &bad).unwrap_err(),
            SettingsError::EndpointUrl { .. }
        ));
    }

    #[test]
    fn the_sdks_resolver_names_the_endpoint_in_every_partition() {
        for (region, extra, endpoint) in [
            ("eu-west-1", None, "https://sts.eu-west-1.amazonaws.com"),
            (
                "cn-north-1",
                None,
                "https://sts.cn-north-1.amazonaws.com.cn",
            ),
            (
                "us-iso-east-1",
                None,
                "https://sts.us-iso-east-1.c2s.ic.gov",
            ),
            (
                "us-east-1",
                Some(("AWS_USE_DUALSTACK_ENDPOINT", "true")),
                "https://sts.us-east-1.api.aws",
            ),
        ] {
            let mut pairs = vec![("AWS_REGION", region)];
            pairs.extend(extra);
            let x = Exchange::resolve(opts(), &env_of(&pairs)).unwrap();
            assert_eq!(x.sts_settings().endpoint_description(), endpoint);
        }
        // What the resolver refuses is named before any network call.
        let env = env_of(&[("AWS_REGION", "us-east-1")]);
        let mut impossible = Exchange::resolve(opts(), &env).unwrap().settings;
        impossible.use_fips = true;
        impossible.endpoint_url = Some("https://vpce.example".into());
        let err = impossible.resolve_endpoint().unwrap_err();
        assert!(err.to_string().contains("with FIPS"), "{err}");
    }

    #[test]
    fn a_blank_option_counts_as_not_given() {
        let env = env_of(&[("AWS_REGION", "us-east-1")]);
        let o = RoleOptions {
            session_name: Some("  ".into()),
            policy_arns: vec![" ".into()],
            ..opts()
        };
        let x = Exchange::resolve(o, &env).unwrap();
        // The default name is used.
        assert!(!x.request().session_name.as_str().is_empty());
        assert!(x.request().policy_arns.is_empty());
        assert_eq!(x.final_role().as_str(), ROLE);
    }

    #[test]
    fn the_timeout_is_bounded() {
        let env = env_of(&[("AWS_REGION", "us-east-1")]);
        for secs in [0, 3601] {
            let o = RoleOptions {
                timeout_secs: secs,
                ..opts()
            };
            assert!(matches!(
                Exchange::resolve(o, &env).unwrap_err(),
                SettingsError::Timeout
            ));
        }
    }

    #[test]
    fn the_process_command_reproduces_the_exchange() {
        let env = env_of(&[("AWS_REGION", "us-east-1")]);
        let o = RoleOptions {
            session_name: Some("it's".into()),
            chain_role_arn: Some("arn:aws:iam::123456789012:role/second".into()),
            ..opts()
        };
        let x = Exchange::resolve(o, &env).unwrap();
        let cmd = x.process_command(Path::new("/opt/aws oidc")).unwrap();
        assert!(
            cmd.starts_with("'/opt/aws oidc' credential-process --role-arn "),
            "{cmd}"
        );
        assert!(cmd.contains("--region us-east-1"), "{cmd}");
        assert!(
            cmd.contains("--chain-role-arn arn:aws:iam::123456789012:role/second"),
            "{cmd}"
        );
    }
}
