//! What we ask STS for, validated before any network call.
//!
//! Each type here only exists in a valid state: a [`RoleArn`] is a well-formed
//! IAM role ARN, a [`SessionName`] satisfies STS's pattern and length, and so
//! on.  The limits are STS's own, so a request that passes here fails at STS
//! only for reasons that live on the AWS side (trust policy, role settings).

use std::fmt;

mod error;

pub use error::{AccountField, InputError, PolicyArnProblem, RoleArnProblem};

/// True for characters STS allows in names: `[\w+=,.@-]`.
pub(crate) fn is_sts_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// A partition such as `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`.
fn is_partition(p: &str) -> bool {
    p == "aws"
        || p.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        })
}

/// An AWS account id: 12 digits.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS account id, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountId(String);

impl AccountId {
    /// Parses 12 digits; `field` says what the id was given for.
    pub fn parse(raw: &str, field: AccountField) -> Result<Self, InputError> {
        let raw = raw.trim();
        if !is_account_id(raw) {
            return Err(InputError::AccountId {
                raw: raw.to_string(),
                field,
            });
        }
        Ok(AccountId(raw.to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    arn: String,
    partition_end: usize,
    account: String,
    name: String,
}

impl RoleArn {
    /// Parses and validates a role ARN.
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InputError::EmptyRoleArn);
        }
        let bad = |problem| InputError::RoleArn {
            raw: raw.to_string(),
            problem,
        };
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(bad(RoleArnProblem::NotAnArn));
        }
        let (partition, service, region, account, resource) =
            (parts[1], parts[2], parts[3], parts[4], parts[5]);
        if !is_partition(partition) {
            return Err(bad(RoleArnProblem::UnknownPartition {
                partition: partition.to_string(),
            }));
        }
        if service == "sts" && resource.starts_with("assumed-role/") {
            return Err(bad(RoleArnProblem::AssumedRoleSession));
        }
        if service != "iam" {
            return Err(bad(RoleArnProblem::NotIam {
                service: service.to_string(),
            }));
        }
        if !region.is_empty() {
            return Err(bad(RoleArnProblem::HasRegion));
        }
        if !is_account_id(account) {
            return Err(bad(RoleArnProblem::Account {
                account: account.to_string(),
            }));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(bad(RoleArnProblem::NotARole));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        if name.is_empty() || name.len() > 64 || !name.chars().all(is_sts_name_char) {
            return Err(bad(RoleArnProblem::RoleName));
        }
        if path_and_name.len() > name.len() {
            let path = &path_and_name[..path_and_name.len() - name.len()];
            if path.len() > 512 || !path.chars().all(|c| ('!'..='~').contains(&c)) {
                return Err(bad(RoleArnProblem::RolePath));
            }
        }
        if raw.len() < 20 || raw.len() > 2048 {
            return Err(bad(RoleArnProblem::Length));
        }
        Ok(RoleArn {
            arn: raw.to_string(),
            partition_end: 4 + partition.len(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }

    /// The ARN as text.
    pub fn as_str(&self) -> &str {
        &self.arn
    }

    /// The partition, e.g. `aws` or `aws-cn`.
    pub fn partition(&self) -> &str {
        &self.arn[4..self.partition_end]
    }

    /// The 12-digit account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The role's name (the last path segment).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// A managed policy ARN for a session policy: `arn:<partition>:iam::<account|aws>:policy/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyArn(String);

impl PolicyArn {
    /// Parses and validates a policy ARN.
    pub(crate) fn parse(raw: &str) -> Result<Self, InputError> {
        let raw = raw.trim();
        let bad = |problem| InputError::PolicyArn {
            raw: raw.to_string(),
            problem,
        };
        let parts: Vec<&str> = raw.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[3].is_empty() {
            return Err(bad(PolicyArnProblem::NotIamArn));
        }
        if !is_partition(parts[1]) {
            return Err(bad(PolicyArnProblem::UnknownPartition {
                partition: parts[1].to_string(),
            }));
        }
        let account = parts[4];
        if account != "aws" && !is_account_id(account) {
            return Err(bad(PolicyArnProblem::Account));
        }
        match parts[5].strip_prefix("policy/") {
            Some(name) if !name.is_empty() && !name.ends_with('/') => {}
            _ => return Err(bad(PolicyArnProblem::NotAPolicy)),
        }
        if raw.len() < 20 || raw.len() > 2048 {
            return Err(bad(PolicyArnProblem::Length));
        }
        Ok(PolicyArn(raw.to_string()))
    }

    /// The ARN as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role session name: 2-64 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionName(String);

impl SessionName {
    /// Maximum length STS accepts.
    pub(crate) const MAX_LEN: usize = 64;

    /// Cleans any text into a valid session name the way `aws-cli/setup`
    /// users expect: each run of disallowed characters becomes one `-`, and
    /// the result is cut to 64 characters.  Fails only if fewer than 2
    /// characters remain.
    pub(crate) fn sanitize(raw: &str) -> Result<Self, InputError> {
        let mut out = String::with_capacity(raw.len().min(Self::MAX_LEN));
        let mut in_bad_run = false;
        for c in raw.trim().chars() {
            if is_sts_name_char(c) {
                out.push(c);
                in_bad_run = false;
            } else if !in_bad_run {
                out.push('-');
                in_bad_run = true;
            }
        }
        out.truncate(Self::MAX_LEN);
        if out.len() < 2 {
            return Err(InputError::SessionName {
                raw: raw.to_string(),
            });
        }
        Ok(SessionName(out))
    }

    /// The default: identifies the CircleCI job and build, e.g. `deploy-1234`.
    pub(crate) fn default_for_job(job: Option<&str>, build_num: Option<&str>) -> Self {
        let joined = [job, build_num]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Self::sanitize(&joined).unwrap_or_else(|_| SessionName("aws-oidc".to_string()))
    }

    /// The name as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session duration in seconds, within STS's 900-43200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionDuration(u32);

impl SessionDuration {
    /// STS's minimum.
    pub(crate) const MIN: u32 = 900;
    /// STS's maximum (a role's MaxSessionDuration may be lower).
    pub(crate) const MAX: u32 = 43_200;
    /// The longest session a chained AssumeRole may ask for.
    pub(crate) const CHAINED_MAX: u32 = 3600;

    /// Parses seconds, accepting `3600`, `3600s`, `60m` or `1h`.
    pub(crate) fn parse(raw: &str) -> Result<Self, InputError> {
        let t = raw.trim();
        let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => (&t[..i], &t[i..]),
            None => (t, ""),
        };
        let factor = match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => 0,
        };
        let secs = digits
            .parse::<u32>()
            .ok()
            .filter(|_| factor > 0)
            .and_then(|n| n.checked_mul(factor));
        let Some(secs) = secs else {
            return Err(InputError::DurationSyntax {
                raw: raw.to_string(),
            });
        };
        Self::from_secs(secs)
    }

    /// Validates a number of seconds.
    pub(crate) fn from_secs(secs: u32) -> Result<Self, InputError> {
        if !(Self::MIN..=Self::MAX).contains(&secs) {
            return Err(InputError::DurationRange { secs });
        }
        Ok(SessionDuration(secs))
    }

    /// Seconds.
    pub(crate) fn secs(self) -> u32 {
        self.0
    }
}

impl Default for SessionDuration {
    fn default() -> Self {
        SessionDuration(3600)
    }
}

/// An inline session policy (JSON, at most 2048 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionPolicy(String);

impl SessionPolicy {
    /// STS's limit on the plaintext policy.
    pub(crate) const MAX_LEN: usize = 2048;

    /// Validates an inline policy document.  Whitespace is compacted first,
    /// as the AWS CLI does not, because STS counts every character.
    pub(crate) fn parse(raw: &str) -> Result<Self, InputError> {
        let value: serde_json::Value =
            serde_json::from_str(raw).map_err(|source| InputError::PolicyJson { source })?;
        let Some(obj) = value.as_object() else {
            return Err(InputError::PolicyNotObject);
        };
        if !obj.contains_key("Statement") {
            return Err(InputError::PolicyNoStatement);
        }
        let compact = value.to_string();
        // STS counts characters, not bytes: 1,000 'é' are 1,000 of its 2,048.
        let chars = compact.chars().count();
        if chars > Self::MAX_LEN {
            return Err(InputError::PolicyTooLong { chars });
        }
        Ok(SessionPolicy(compact))
    }

    /// The compacted JSON.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The largest policy file read: a policy of at most a few thousand
/// characters, however it is indented.
pub(crate) const MAX_POLICY_FILE: u64 = 64 * 1024;

/// Reads a policy file (`--policy file://PATH`, `check --policy PATH`), at
/// most [`MAX_POLICY_FILE`] bytes: `/dev/zero` is refused, not read forever.
pub(crate) fn read_policy_file(path: &std::path::Path) -> std::io::Result<String> {
    let bytes = crate::files::read_bounded(path, MAX_POLICY_FILE)?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Checks an STS endpoint URL before any network call: an `http://` or
/// `https://` URL with a host, a port from 1 to 65535 if any, and no user
/// name or password.  The error says what is wrong.
pub(crate) fn check_endpoint_url(raw: &str) -> Result<(), String> {
    let uri: http::Uri = raw
        .trim()
        .parse()
        .map_err(|_| "it is not a URL".to_string())?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("https" | "http") => {}
        Some(_) => return Err("its scheme is neither https:// nor http://".into()),
        None => return Err("it has no https:// scheme".into()),
    }
    let Some(authority) = uri.authority() else {
        return Err("it has no host".into());
    };
    if authority.as_str().contains('@') {
        return Err("it holds a user name or password, which STS never takes".into());
    }
    if authority.host().trim_matches(['[', ']']).is_empty() {
        return Err("it has no host".into());
    }
    if let Some(port) = authority
        .as_str()
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.contains(']'))
    {
        if !matches!(port.parse::<u16>(), Ok(1..)) {
            return Err(format!("its port {port:?} is not a number from 1 to 65535"));
        }
    }
    Ok(())
}

/// `raw` for messages, with any `user:password@` replaced by `***@`.
pub(crate) fn without_userinfo(raw: &str) -> String {
    let (scheme, rest) = raw.split_once("://").unwrap_or(("", raw));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let shown = match rest[..end].rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => rest.to_string(),
    };
    let shown = if scheme.is_empty() {
        shown
    } else {
        format!("{scheme}://{shown}")
    };
    crate::redact::untrusted(&shown)
}

/// Splits repeated or comma-separated policy ARNs and checks STS's limit of 10.
pub(crate) fn parse_policy_arns<S: AsRef<str>>(values: &[S]) -> Result<Vec<PolicyArn>, InputError> {
    let arns = values
        .iter()
        .flat_map(|v| v.as_ref().split([',', ' ', '\n']))
        .filter(|s| !s.trim().is_empty())
        .map(PolicyArn::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if arns.len() > 10 {
        return Err(InputError::TooManyPolicyArns { count: arns.len() });
    }
    Ok(arns)
}

/// One AssumeRoleWithWebIdentity request, valid by construction.
#[derive(Debug, Clone)]
pub(crate) struct AssumeRequest {
    /// The role to assume.
    pub(crate) role_arn: RoleArn,
    /// The session name STS records (CloudTrail shows it).
    pub(crate) session_name: SessionName,
    /// How long the credentials live.
    pub(crate) duration: SessionDuration,
    /// Optional inline session policy.
    pub(crate) policy: Option<SessionPolicy>,
    /// Optional managed session policies.
    pub(crate) policy_arns: Vec<PolicyArn>,
}

/// A second role assumed with the first role's credentials.
#[derive(Debug, Clone)]
pub(crate) struct ChainRequest {
    /// The role to assume second.
    pub(crate) role_arn: RoleArn,
    /// Its session name.
    pub(crate) session_name: SessionName,
    /// Its duration, at most one hour (STS's limit for chained sessions).
    pub(crate) duration: SessionDuration,
    /// The external id the second role's trust policy may require.
    pub(crate) external_id: Option<String>,
    /// Session tags for the chained session (CloudTrail and ABAC see them).
    pub(crate) tags: Vec<SessionTag>,
}

impl ChainRequest {
    /// Builds a chained request, checking the one-hour limit locally.
    pub(crate) fn new(
        role_arn: RoleArn,
        session_name: SessionName,
        duration: SessionDuration,
        external_id: Option<String>,
    ) -> Result<Self, InputError> {
        if duration.secs() > SessionDuration::CHAINED_MAX {
            return Err(InputError::ChainedDuration {
                secs: duration.secs(),
            });
        }
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| is_sts_name_char(c) || c == ':' || c == '/');
            if !ok {
                return Err(InputError::ExternalId);
            }
        }
        Ok(ChainRequest {
            role_arn,
            session_name,
            duration,
            external_id,
            tags: Vec::new(),
        })
    }
}

/// Validates an AWS region name such as `us-east-1` (no network lookups).
pub(crate) fn parse_region(raw: &str) -> Result<String, InputError> {
    let r = raw.trim();
    let ok = r.len() >= 4
        && r.len() <= 32
        && r.split('-').count() >= 3
        && r.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !ok {
        return Err(InputError::Region {
            raw: raw.to_string(),
        });
    }
    Ok(r.to_string())
}

/// A session tag, as STS's AssumeRole takes it: key 1-128 and value 0-256
/// characters of letters, digits, spaces and `_.:/=+-@`; the key not
/// starting with `aws:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionTag {
    key: String,
    value: String,
}

/// At most this many session tags per session (STS's limit).
pub(crate) const MAX_SESSION_TAGS: usize = 50;

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

impl SessionTag {
    /// Parses `KEY=VALUE` (`--tag`).
    pub(crate) fn parse(raw: &str) -> Result<Self, InputError> {
        let Some((key, value)) = raw.split_once('=') else {
            return Err(InputError::TagSyntax {
                raw: raw.to_string(),
            });
        };
        Self::new(key.trim(), value.trim())
    }

    /// A tag from a key and value, checked as STS checks them.
    pub(crate) fn new(key: &str, value: &str) -> Result<Self, InputError> {
        let key_ok = (1..=128).contains(&key.chars().count())
            && key.chars().all(is_tag_char)
            && !key.to_ascii_lowercase().starts_with("aws:");
        if !key_ok {
            return Err(InputError::TagKey {
                key: key.to_string(),
            });
        }
        if value.chars().count() > 256 || !value.chars().all(is_tag_char) {
            return Err(InputError::TagValue {
                key: key.to_string(),
            });
        }
        Ok(SessionTag {
            key: key.to_string(),
            value: value.to_string(),
        })
    }

    /// A tag from a value that may hold any text (a branch name, say):
    /// characters STS refuses become `-`, and it is cut to 256.
    pub(crate) fn cleaned(key: &str, value: &str) -> Result<Self, InputError> {
        let value: String = value
            .chars()
            .map(|c| if is_tag_char(c) { c } else { '-' })
            .take(256)
            .collect();
        Self::new(key, &value)
    }

    /// The key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The value.
    pub(crate) fn value(&self) -> &str {
        &self.value
    }
}

/// Checks a set of tags: at most [`MAX_SESSION_TAGS`], keys unique regardless of case.
pub(crate) fn check_session_tags(tags: &[SessionTag]) -> Result<(), InputError> {
    if tags.len() > MAX_SESSION_TAGS {
        return Err(InputError::TooManyTags { count: tags.len() });
    }
    for (i, t) in tags.iter().enumerate() {
        if tags[..i].iter().any(|u| u.key.eq_ignore_ascii_case(&t.key)) {
            return Err(InputError::DuplicateTag { key: t.key.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_of_every_partition_parse() {
        for arn in [
            "arn:aws:iam::123456789012:role/deploy",
            "arn:aws-cn:iam::123456789012:role/path/to/deploy",
            "arn:aws-us-gov:iam::123456789012:role/deploy",
            "arn:aws-iso-b:iam::123456789012:role/x+=,.@_-y",
        ] {
            let parsed = RoleArn::parse(arn).unwrap();
            assert_eq!(parsed.as_str(), arn);
            assert_eq!(parsed.account(), "123456789012");
        }
        let a = RoleArn::parse("arn:aws-cn:iam::123456789012:role/p/q/deploy").unwrap();
        assert_eq!(a.partition(), "aws-cn");
        assert_eq!(a.name(), "deploy");
    }

    #[test]
    fn bad_role_arns_say_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("deploy", "not an ARN"),
            ("arn:aws:iam::12345:role/deploy", "not 12 digits"),
            ("arn:aws:iam::123456789012:user/deploy", "role/"),
            ("arn:aws:s3:::bucket/x/y/z/w/v", "not \"iam\""),
            (
                "arn:aws:iam:us-east-1:123456789012:role/deploy",
                "no region",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/deploy/s",
                "assumed-role",
            ),
            ("arn:azure:iam::123456789012:role/deploy", "partition"),
            ("arn:aws:iam::123456789012:role/bad name", "1-64"),
        ];
        for (arn, needle) in cases {
            let err = RoleArn::parse(arn).unwrap_err().to_string();
            assert!(err.contains(needle), "{arn:?}: {err}");
            assert!(
                err.contains("arn:aws:iam::123456789012:role/deploy"),
                "example in {err}"
            );
        }
    }

    #[test]
    fn session_names_are_sanitised_like_aws_cli_setup() {
        assert_eq!(
            SessionName::sanitize("deploy job #12").unwrap().as_str(),
            "deploy-job-12"
        );
        assert_eq!(SessionName::sanitize("a  b").unwrap().as_str(), "a-b");
        assert_eq!(
            SessionName::sanitize("ok_+=,.@-").unwrap().as_str(),
            "ok_+=,.@-"
        );
        let long = "x".repeat(100);
        assert_eq!(SessionName::sanitize(&long).unwrap().as_str().len(), 64);
        assert!(SessionName::sanitize("a").is_err());
        assert!(SessionName::sanitize("  ").is_err());
        assert_eq!(SessionName::sanitize("déploy").unwrap().as_str(), "d-ploy");
    }

    #[test]
    fn default_session_name_names_job_and_build() {
        assert_eq!(
            SessionName::default_for_job(Some("deploy"), Some("42")).as_str(),
            "deploy-42"
        );
        assert_eq!(
            SessionName::default_for_job(Some("build & test"), None).as_str(),
            "build-test"
        );
        assert_eq!(
            SessionName::default_for_job(None, None).as_str(),
            "aws-oidc"
        );
    }

    #[test]
    fn durations_are_checked_against_sts_limits() {
        assert_eq!(SessionDuration::parse("3600").unwrap().secs(), 3600);
        assert_eq!(SessionDuration::parse("1h").unwrap().secs(), 3600);
        assert_eq!(SessionDuration::parse("15m").unwrap().secs(), 900);
        assert_eq!(SessionDuration::parse("43200s").unwrap().secs(), 43200);
        for bad in ["899", "43201", "abc", "", "-5", "1d", "99999999999"] {
            assert!(SessionDuration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chained_sessions_are_capped_at_one_hour() {
        let arn = RoleArn::parse("arn:aws:iam::123456789012:role/next").unwrap();
        let name = SessionName::sanitize("s1").unwrap();
        let err = ChainRequest::new(
            arn.clone(),
            name.clone(),
            SessionDuration::from_secs(7200).unwrap(),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(err, InputError::ChainedDuration { secs: 7200 }),
            "{err}"
        );
        assert!(err.to_string().contains("1 hour"), "{err}");
        assert!(ChainRequest::new(
            arn.clone(),
            name.clone(),
            SessionDuration::default(),
            Some("ext-1".into())
        )
        .is_ok());
        assert!(ChainRequest::new(
            arn,
            name,
            SessionDuration::default(),
            Some("bad id!".into())
        )
        .is_err());
    }

    #[test]
    fn session_policies_are_json_and_within_limits() {
        let p = SessionPolicy::parse(r#"{ "Version": "2012-10-17", "Statement": [] }"#).unwrap();
        assert_eq!(p.as_str(), r#"{"Statement":[],"Version":"2012-10-17"}"#);
        assert!(SessionPolicy::parse("{not json")
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
        assert!(SessionPolicy::parse("[]").is_err());
        assert!(SessionPolicy::parse(r#"{"Version":"2012-10-17"}"#)
            .unwrap_err()
            .to_string()
            .contains("Statement"));
        let big = format!(r#"{{"Statement":[],"Sid":"{}"}}"#, "x".repeat(2100));
        assert!(SessionPolicy::parse(&big)
            .unwrap_err()
            .to_string()
            .contains("2048"));
    }

    #[test]
    fn the_session_policy_limit_counts_characters_as_sts_does() {
        let policy = |filler: &str| format!(r#"{{"Statement":[],"Sid":"{filler}"}}"#);
        assert!(SessionPolicy::parse(&policy(&"é".repeat(1000))).is_ok());
        let at_limit = "é".repeat(2048 - policy("").chars().count());
        assert!(SessionPolicy::parse(&policy(&at_limit)).is_ok());
        let over = format!("{at_limit}é");
        let err = SessionPolicy::parse(&policy(&over))
            .unwrap_err()
            .to_string();
        assert!(err.contains("2049 characters"), "{err}");
    }

    #[test]
    fn endpoint_urls_are_parsed_not_prefix_matched() {
        for good in [
            "https://sts.us-east-1.amazonaws.com",
            "http://127.0.0.1:5000",
            "HTTPS://vpce-1.sts.us-east-1.vpce.amazonaws.com/",
            "https://[::1]:8443/",
            "http://localhost:65535/x",
        ] {
            assert_eq!(check_endpoint_url(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("http://127.0.0.1:99999/", "port"),
            ("http://127.0.0.1:0/", "port"),
            ("https://h:x/", "port"),
            ("ftp://x", "scheme"),
            ("sts.amazonaws.com", "scheme"),
            ("https://", "URL"),
            ("http://user:pass@127.0.0.1:5000", "password"),
            ("https://a b", "URL"),
        ] {
            let e = check_endpoint_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(
            without_userinfo("http://user:pass@127.0.0.1:5000/p@x"),
            "http://***@127.0.0.1:5000/p@x"
        );
    }

    #[test]
    fn policy_files_are_read_within_a_bound() {
        let e = read_policy_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("more than 65536 bytes"), "{e}");
    }

    #[test]
    fn policy_arns_split_and_are_limited_to_ten() {
        let arns = parse_policy_arns(&[
            "arn:aws:iam::aws:policy/ReadOnlyAccess,arn:aws:iam::123456789012:policy/x",
        ])
        .unwrap();
        assert_eq!(arns.len(), 2);
        let eleven = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess"; 11];
        assert!(parse_policy_arns(&eleven)
            .unwrap_err()
            .to_string()
            .contains("at most 10"));
        assert!(parse_policy_arns(&["arn:aws:iam::aws:role/x"]).is_err());
        assert!(parse_policy_arns::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn regions_are_validated_by_shape() {
        assert_eq!(parse_region(" us-east-1 ").unwrap(), "us-east-1");
        assert!(parse_region("us-gov-west-1").is_ok());
        for bad in ["", "useast1", "US-EAST-1", "us-east-1;rm", "us--1"] {
            assert!(parse_region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_tags_follow_stss_rules() {
        let t = SessionTag::parse("team = payments").unwrap();
        assert_eq!((t.key(), t.value()), ("team", "payments"));
        assert!(SessionTag::parse("novalue").is_err());
        assert!(SessionTag::parse("aws:x=y").is_err());
        assert!(SessionTag::parse("k=a\"b").is_err());
        assert!(SessionTag::new(&"k".repeat(129), "v").is_err());
        assert!(SessionTag::new("k", &"v".repeat(257)).is_err());
        assert_eq!(SessionTag::new("k", "").unwrap().value(), "");
        let branch = SessionTag::cleaned("circleci:branch", "feature/x#1;rm").unwrap();
        assert_eq!(branch.value(), "feature/x-1-rm");
        let dup = [
            SessionTag::new("Team", "a").unwrap(),
            SessionTag::new("team", "b").unwrap(),
        ];
        assert!(check_session_tags(&dup).is_err());
        let many: Vec<_> = (0..51)
            .map(|i| SessionTag::new(&format!("k{i}"), "v").unwrap())
            .collect();
        assert!(check_session_tags(&many).is_err());
        assert!(check_session_tags(&many[..50]).is_ok());
    }
}
