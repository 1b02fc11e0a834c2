//! `assume`: token -> STS -> credentials -> targets, as one CircleCI step.

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use super::{open_cache, CommandError, Report};
use crate::credentials::{humanize_from_now, rfc3339, Secret};
use crate::deliver::{Payload, TargetOptions, Targets, Wrote};
use crate::env::Env;
use crate::exchange::{Exchange, RoleOptions};
use crate::ledger::ValidUntil;
use crate::trust::TrustPolicy;

/// What `assume` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct AssumeRequest {
    /// The role, token and STS options (`verify` included).
    pub role: RoleOptions,
    /// The role's trust policy, to explain an AccessDenied with.
    pub trust_policy: Option<PathBuf>,
    /// Where the credentials go.
    pub targets: TargetOptions,
    /// This step's shell does not read `$BASH_ENV` (dash, busybox).
    pub bash_env_unread: bool,
}

/// What `assume` did.
#[derive(Debug)]
pub enum AssumeReport {
    /// The targets already held credentials valid long enough: nothing done.
    AlreadyValid(AlreadyValid),
    /// The role was assumed and the credentials written.
    Assumed(Box<AssumedReport>),
}

/// The targets already hold credentials for the role (`--skip-if-valid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlreadyValid {
    /// The targets, as messages name them.
    pub labels: Vec<String>,
    /// The role.
    pub role: String,
    /// Until when they are valid.
    pub until: ValidUntil,
    /// The minutes asked for.
    pub minutes: u32,
}

impl fmt::Display for AlreadyValid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let until = match self.until {
            ValidUntil::Refreshes => "for as long as the profile refreshes itself".to_string(),
            ValidUntil::At(t) => format!("until {}", rfc3339(t)),
        };
        write!(
            f,
            "{} already hold credentials for {}, valid {until} (more than --skip-if-valid {} \
             min): nothing to do",
            self.labels.join(" and "),
            self.role,
            self.minutes
        )
    }
}

/// How STS was reached without a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRegion {
    /// A region was given.
    Given,
    /// None, through an endpoint named.
    Endpoint,
    /// None: STS's global endpoint, described.
    Global(String),
}

/// The role was assumed and the credentials written.
#[derive(Debug)]
pub struct AssumedReport {
    /// The session's role ARN.
    pub assumed_role_arn: String,
    /// The first role, when a chain followed it.
    pub first_role_arn: Option<String>,
    /// Where the accepted token came from.
    pub token_source: String,
    /// When the credentials expire (RFC 3339).
    pub expiration: String,
    /// The same, from now (`in 59 minutes`).
    pub expires_in: String,
    /// Where the credentials were written, in order.
    pub wrote: Vec<String>,
    /// The ARN GetCallerIdentity returned, with `verify`.
    pub verified_arn: Option<String>,
    /// Whether a region was given.
    pub region: NoRegion,
    /// The `credential_process` document for stdout (holds the keys).
    pub stdout: Option<Secret>,
    /// Notes for after the summary.
    pub notes: Vec<String>,
}

impl fmt::Display for AssumedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "assumed {}", self.assumed_role_arn)?;
        if let Some(first) = &self.first_role_arn {
            write!(f, " (via {first})")?;
        }
        write!(
            f,
            " with the token from {}; credentials expire {} ({}); wrote {}",
            self.token_source,
            self.expiration,
            self.expires_in,
            self.wrote.join(", ")
        )?;
        if let Some(arn) = &self.verified_arn {
            write!(f, "; verified as {arn}")?;
        }
        match &self.region {
            NoRegion::Given => Ok(()),
            NoRegion::Endpoint => f.write_str("; no region given, so no region written"),
            NoRegion::Global(endpoint) => write!(
                f,
                "; no region given, so STS's global endpoint ({endpoint}) was used and no region \
                 written"
            ),
        }
    }
}

/// The note for a shell that does not read `$BASH_ENV`, naming the profile
/// written, if any, which works in every step.
fn bash_env_unread_note(profile: Option<&str>) -> String {
    let profile = match profile {
        Some(p) => format!(
            " The profile \"{p}\" in ~/.aws works in every step (aws --profile, AWS_PROFILE)."
        ),
        None => String::new(),
    };
    format!(
        "this step's shell is not bash, and /bin/sh (dash, busybox) does not read $BASH_ENV: \
         later steps see the exported keys only if they run in bash or source it themselves \
         (. \"$BASH_ENV\").{profile}"
    )
}

/// Assumes the role and writes the credentials: every input is checked,
/// and every target, before the token is spent.
pub fn assume(
    req: AssumeRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<AssumeReport, CommandError> {
    let mut exchange = Exchange::resolve(req.role, env)?;
    if let Some(path) = req.trust_policy {
        let policy = TrustPolicy::read(&path)?;
        exchange = exchange.explain_with_trust_policy(path, policy);
    }
    let profile = req.targets.profile.clone();
    let targets = Targets::resolve(req.targets, exchange.region(), env)?;
    for note in exchange.notes() {
        report.note(note);
    }
    targets.preflight()?;
    let cache = open_cache(env, report);
    let role = exchange.final_role().to_string();
    let ledger = cache.as_ref().map(|c| c.ledger(env));
    if let Some(valid) = ledger.and_then(|l| targets.still_valid(&l, &role, SystemTime::now(), env))
    {
        return Ok(AssumeReport::AlreadyValid(AlreadyValid {
            labels: valid.labels,
            role,
            until: valid.until,
            minutes: valid.minutes,
        }));
    }
    if let Some(warning) = targets.shadow_warning(env) {
        report.warn(&warning);
    }
    let issued_at = SystemTime::now();
    let outcome = exchange.run(env)?;
    let payload = Payload::Assumed {
        exchange: &exchange,
        outcome: &outcome,
        issued_at,
    };
    let delivered = targets.deliver(payload, cache.as_ref(), env)?;
    if let Some(problem) = &delivered.cache_problem {
        report.warn(&format!("credentials not cached: {problem}"));
    }
    let sts = exchange.sts_settings();
    let region = match (exchange.region(), &sts.endpoint_url) {
        (Some(_), _) => NoRegion::Given,
        (None, Some(_)) => NoRegion::Endpoint,
        (None, None) => NoRegion::Global(sts.endpoint_description()),
    };
    let exported = delivered
        .wrote
        .iter()
        .any(|w| matches!(w, Wrote::BashEnv(_)));
    let notes = match req.bash_env_unread && exported {
        true => vec![bash_env_unread_note(profile.as_deref())],
        false => Vec::new(),
    };
    Ok(AssumeReport::Assumed(Box::new(AssumedReport {
        assumed_role_arn: outcome.assumed.assumed_role_arn.to_string(),
        first_role_arn: outcome.first_role_arn.clone(),
        token_source: outcome.token.source.to_string(),
        expiration: rfc3339(outcome.assumed.expiration()),
        expires_in: humanize_from_now(outcome.assumed.expiration()),
        wrote: delivered.wrote.iter().map(ToString::to_string).collect(),
        verified_arn: outcome.verified_arn.clone(),
        region,
        stdout: delivered.stdout,
        notes,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assumed() -> AssumedReport {
        AssumedReport {
            assumed_role_arn: "arn:aws:sts::123456789012:assumed-role/deploy/job-1".into(),
            first_role_arn: None,
            token_source: "$CIRCLE_OIDC_TOKEN_V2".into(),
            expiration: "2026-12-05T04:00:00Z".into(),
            expires_in: "in 60 minutes".into(),
            wrote: vec!["$BASH_ENV".into(), "profile \"ci\"".into()],
            verified_arn: None,
            region: NoRegion::Given,
            stdout: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_summary_says_what_was_assumed_and_written() {
        assert_eq!(
            assumed().to_string(),
            "assumed arn:aws:sts::123456789012:assumed-role/deploy/job-1 with the token from \
             $CIRCLE_OIDC_TOKEN_V2; credentials expire 2026-12-05T04:00:00Z (in 60 minutes); \
             wrote $BASH_ENV, profile \"ci\""
        );
        let chained = AssumedReport {
            first_role_arn: Some("arn:aws:sts::1:assumed-role/first/s".into()),
            verified_arn: Some("arn:aws:sts::1:assumed-role/deploy/s".into()),
            region: NoRegion::Global("https://sts.amazonaws.com".into()),
            ..assumed()
        };
        let text = chained.to_string();
        assert!(
            text.contains("job-1 (via arn:aws:sts::1:assumed-role/first/s) with"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "; verified as arn:aws:sts::1:assumed-role/deploy/s; no region given, so STS's \
                 global endpoint (https://sts.amazonaws.com) was used and no region written"
            ),
            "{text}"
        );
        let endpoint = AssumedReport {
            region: NoRegion::Endpoint,
            ..assumed()
        };
        assert!(endpoint
            .to_string()
            .ends_with("; no region given, so no region written"));
    }

    #[test]
    fn skipping_says_until_when() {
        let valid = AlreadyValid {
            labels: vec!["$BASH_ENV".into(), "profile \"ci\"".into()],
            role: "arn:aws:iam::123456789012:role/deploy".into(),
            until: ValidUntil::Refreshes,
            minutes: 15,
        };
        assert_eq!(
            valid.to_string(),
            "$BASH_ENV and profile \"ci\" already hold credentials for \
             arn:aws:iam::123456789012:role/deploy, valid for as long as the profile refreshes \
             itself (more than --skip-if-valid 15 min): nothing to do"
        );
    }

    #[test]
    fn a_shell_without_bash_env_is_told_where_the_keys_are() {
        let note = bash_env_unread_note(Some("ci"));
        assert!(note.starts_with("this step's shell is not bash"), "{note}");
        assert!(note.ends_with(
            "(. \"$BASH_ENV\"). The profile \"ci\" in ~/.aws works in every step (aws \
             --profile, AWS_PROFILE)."
        ));
        assert!(bash_env_unread_note(None).ends_with("(. \"$BASH_ENV\")."));
    }
}
