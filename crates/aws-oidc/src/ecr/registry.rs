//! Which registries to log in to, validated before any network call.
//!
//! A registry is given as an account id (`123456789012`: that account's
//! registry in the region of the call), as an ECR host
//! (`123456789012.dkr.ecr.eu-west-1.amazonaws.com`, FIPS and dual-stack
//! names too; the region is the host's), as `public.ecr.aws` (ECR Public),
//! or explicitly as `HOST=ACCOUNT` (a registry reached under another name:
//! a proxy, an alias): any other host is refused, so a typo never sends an
//! ECR token to a host that is not ECR.

use std::fmt;

use crate::request::{is_account_id, parse_region};

/// ECR Public's one registry.
pub(crate) const PUBLIC_HOST: &str = "public.ecr.aws";

/// ECR Public exists in us-east-1 only.
pub(crate) const PUBLIC_REGION: &str = "us-east-1";

/// A registry to log in to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Registry {
    /// A private registry: `account`'s in `region`, written under `host`.
    Private {
        /// The 12-digit account id.
        account: String,
        /// The registry's region.
        region: String,
        /// The host Docker will be asked about.
        host: String,
    },
    /// The caller's own registry in `region`; ECR names its host.
    OwnAccount {
        /// The region.
        region: String,
    },
    /// `public.ecr.aws`.
    Public,
}

impl Registry {
    /// The host, when known before the call.
    pub fn host(&self) -> Option<&str> {
        match self {
            Registry::Private { host, .. } => Some(host),
            Registry::OwnAccount { .. } => None,
            Registry::Public => Some(PUBLIC_HOST),
        }
    }

    /// The region its token comes from.
    pub fn region(&self) -> &str {
        match self {
            Registry::Private { region, .. } | Registry::OwnAccount { region } => region,
            Registry::Public => PUBLIC_REGION,
        }
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Registry::Private { host, .. } => f.write_str(host),
            Registry::OwnAccount { region } => write!(f, "this account's registry in {region}"),
            Registry::Public => f.write_str(PUBLIC_HOST),
        }
    }
}

crate::error_debug::debug_by_display!(RegistryError);
/// A registry that was refused.  The message says what to write instead.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Not an ECR registry, and not given explicitly.
    #[error(
        "{0:?} is not an ECR registry (ACCOUNT.dkr.ecr.REGION.amazonaws.com, an account id, or \
         public.ecr.aws), so no ECR token is sent to it. To store a token under another name (a \
         proxy or an alias of a registry), give it explicitly as HOST=ACCOUNT_ID"
    )]
    NotEcr(String),
    /// An account-only registry, and no region anywhere.
    #[error(
        "registry {0} needs a region: pass --region (orb: region) or set AWS_REGION, or give the \
         registry's host, ACCOUNT.dkr.ecr.REGION.amazonaws.com"
    )]
    NoRegion(String),
    /// `HOST=ACCOUNT` with a bad half.
    #[error("invalid registry {raw:?}: {why}")]
    Invalid {
        /// What was given.
        raw: String,
        /// What is wrong.
        why: String,
    },
}

/// The host of `raw`: any `https://` and path dropped, lower-cased.
pub fn host_of(raw: &str) -> String {
    let s = raw.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    s.split('/').next().unwrap_or("").to_ascii_lowercase()
}

/// `(account, region)` of an ECR-shaped host: `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`
/// or the dual-stack `ACCOUNT.dkr-ecr[-fips].REGION.on.aws`.  A `.cn` host
/// goes with a `cn-` region only, and a `cn-` region with a `.cn` host only:
/// anything else is not a registry ECR runs, whoever names it.
pub(crate) fn parse_ecr_host(host: &str) -> Option<(String, String)> {
    let (account, rest) = host.split_once('.')?;
    if !is_account_id(account) {
        return None;
    }
    let (rest, china) = match rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
    {
        Some(r) => match r.strip_suffix(".amazonaws.com.cn") {
            Some(r) => (r, true),
            None => (r.strip_suffix(".amazonaws.com")?, false),
        },
        None => (
            rest.strip_prefix("dkr-ecr.")
                .or_else(|| rest.strip_prefix("dkr-ecr-fips."))
                .and_then(|r| r.strip_suffix(".on.aws"))?,
            false,
        ),
    };
    let region = parse_region(rest).ok().filter(|r| r == rest)?;
    if region.starts_with("cn-") != china {
        return None;
    }
    Some((account.to_string(), region))
}

/// The registry host of `account` in `region`.
pub(crate) fn private_host(account: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("{account}.dkr.ecr.{region}.{suffix}")
}

/// Why `host` cannot be a registry host, if it cannot: a DNS name (labels
/// of letters, digits and inner hyphens) or a bracketed IPv6 literal, with
/// an optional `:PORT`.  Nothing else may receive a token: a leading `-`
/// would reach `docker login` as an option, and `user@`, empty labels or a
/// bare `:` are not hosts Docker would ask about.
pub(crate) fn host_problem(host: &str) -> Option<&'static str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let Some((addr, after)) = rest.split_once(']') else {
                return Some("an IPv6 address is written in brackets, [ADDRESS]");
            };
            if addr.is_empty()
                || !addr.contains(':')
                || !addr
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b))
            {
                return Some("the IPv6 address in brackets is not an address");
            }
            match after {
                "" => return None,
                _ => ("", after.strip_prefix(':').unwrap_or("x")),
            }
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, port),
            None => (host, "443"),
        },
    };
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
    if !port_ok {
        return Some("the port after : must be a number from 1 to 65535");
    }
    if host.starts_with('[') {
        return None;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Some(
            "a host is a name of letters, digits, dots and inner hyphens (or [IPv6]), with an \
             optional :PORT, and no user name",
        );
    }
    None
}

impl Registry {
    /// Parses one registry as given; `region` is the call's region (for account ids and `HOST=ACCOUNT`).
    pub fn parse(raw: &str, region: Option<&str>) -> Result<Registry, RegistryError> {
        let need_region = || {
            region
                .map(str::to_string)
                .ok_or_else(|| RegistryError::NoRegion(raw.trim().to_string()))
        };
        if let Some((host, account)) = raw.split_once('=') {
            let host = host_of(host);
            let account = account.trim();
            let invalid = |why: &str| RegistryError::Invalid {
                raw: raw.to_string(),
                why: why.to_string(),
            };
            if let Some(why) = host_problem(&host) {
                return Err(invalid(&format!(
                    "{why}; write it as HOST=ACCOUNT_ID, e.g. registry.example.com:5000=123456789012"
                )));
            }
            if !is_account_id(account) {
                return Err(invalid("the account id after = must be 12 digits"));
            }
            let region = match parse_ecr_host(&host) {
                Some((_, r)) => r,
                None => need_region()?,
            };
            return Ok(Registry::Private {
                account: account.to_string(),
                region,
                host,
            });
        }
        let trimmed = raw.trim();
        if is_account_id(trimmed) {
            let region = need_region()?;
            return Ok(Registry::Private {
                account: trimmed.to_string(),
                host: private_host(trimmed, &region),
                region,
            });
        }
        let host = host_of(trimmed);
        if host == PUBLIC_HOST {
            return Ok(Registry::Public);
        }
        match parse_ecr_host(&host) {
            Some((account, region)) => Ok(Registry::Private {
                account,
                region,
                host,
            }),
            None => Err(RegistryError::NotEcr(trimmed.to_string())),
        }
    }

    /// The registry a host Docker asks about is, if it is ECR's (never an
    /// explicit `HOST=ACCOUNT`, which only `ecr-login` may set up).
    pub fn from_host(raw: &str) -> Option<Registry> {
        let host = host_of(raw);
        if host == PUBLIC_HOST {
            return Some(Registry::Public);
        }
        parse_ecr_host(&host).map(|(account, region)| Registry::Private {
            account,
            region,
            host,
        })
    }

    /// Parses every registry given (each may hold several, separated by
    /// commas or spaces, as an orb parameter does); none at all means the
    /// caller's own registry in `region` (or only ECR Public, with `public`).
    pub fn parse_all<S: AsRef<str>>(
        values: &[S],
        public: bool,
        region: Option<&str>,
    ) -> Result<Vec<Registry>, RegistryError> {
        let mut out = Vec::new();
        for value in values {
            for raw in value
                .as_ref()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
            {
                out.push(Registry::parse(raw, region)?);
            }
        }
        if public {
            out.push(Registry::Public);
        }
        if out.is_empty() {
            let region = region
                .map(str::to_string)
                .ok_or_else(|| RegistryError::NoRegion("(this account's)".into()))?;
            out.push(Registry::OwnAccount { region });
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCT: &str = "123456789012";

    #[test]
    fn account_ids_hosts_and_public_are_registries() {
        assert_eq!(
            Registry::parse(ACCT, Some("eu-west-1")).unwrap(),
            Registry::Private {
                account: ACCT.into(),
                region: "eu-west-1".into(),
                host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com".into()
            }
        );
        for (raw, region) in [
            (
                "https://123456789012.dkr.ecr.us-west-2.amazonaws.com/",
                "us-west-2",
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
                "cn-north-1",
            ),
            (
                "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
                "us-east-1",
            ),
            ("123456789012.dkr-ecr.eu-central-1.on.aws", "eu-central-1"),
            (
                "123456789012.DKR.ECR.ap-south-1.amazonaws.com/app",
                "ap-south-1",
            ),
        ] {
            let r = Registry::parse(raw, Some("us-east-1")).unwrap();
            assert_eq!(r.region(), region, "{raw}");
        }
        assert_eq!(
            Registry::parse("public.ecr.aws", None).unwrap(),
            Registry::Public
        );
        assert_eq!(
            private_host(ACCT, "cn-northwest-1"),
            "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn other_hosts_only_when_given_explicitly() {
        for raw in [
            "registry.example.com",
            "127.0.0.1:5000",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "docker.io",
        ] {
            let err = Registry::parse(raw, Some("us-east-1")).unwrap_err();
            assert!(matches!(err, RegistryError::NotEcr(_)), "{raw}");
            assert!(err.to_string().contains("HOST=ACCOUNT_ID"), "{err}");
        }
        assert_eq!(
            Registry::parse("127.0.0.1:5000=123456789012", Some("us-east-1")).unwrap(),
            Registry::Private {
                account: ACCT.into(),
                region: "us-east-1".into(),
                host: "127.0.0.1:5000".into()
            }
        );
        for bad in [
            "127.0.0.1:5000=1234",
            "bad host=123456789012",
            "=123456789012",
        ] {
            assert!(Registry::parse(bad, Some("us-east-1")).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_region_is_needed_for_account_ids_and_the_default() {
        assert!(matches!(
            Registry::parse(ACCT, None).unwrap_err(),
            RegistryError::NoRegion(_)
        ));
        assert_eq!(
            Registry::parse_all::<&str>(&[], false, Some("us-east-1")).unwrap(),
            vec![Registry::OwnAccount {
                region: "us-east-1".into()
            }]
        );
        assert_eq!(
            Registry::parse_all::<&str>(&[], true, None).unwrap(),
            vec![Registry::Public]
        );
        let several = Registry::parse_all(
            &["111111111111, 222222222222", "111111111111"],
            true,
            Some("us-east-1"),
        )
        .unwrap();
        assert_eq!(several.len(), 3, "{several:?}");
    }

    #[test]
    fn hosts_that_are_not_hosts_are_refused_naming_the_input() {
        for bad in [
            "--help=123456789012",
            "-evil.example.com=123456789012",
            "..=123456789012",
            "registry..example.com=123456789012",
            ":=123456789012",
            "[]=123456789012",
            "[::1=123456789012",
            "user:pw@evil.example.com=123456789012",
            "evil.example.com:0=123456789012",
            "evil.example.com:99999=123456789012",
            "evil.example.com:=123456789012",
            "evil-.example.com=123456789012",
        ] {
            let err = Registry::parse(bad, Some("us-east-1")).unwrap_err();
            assert!(matches!(err, RegistryError::Invalid { .. }), "{bad}: {err}");
            let host = bad.split('=').next().unwrap();
            assert!(err.to_string().contains(host), "{err}");
            assert!(err.to_string().contains("HOST=ACCOUNT_ID"), "{err}");
        }
        for bad in ["--help", "-evil.example.com", "..", ":", "[]"] {
            let err = Registry::parse(bad, Some("us-east-1")).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
        for good in [
            "registry.example.com=123456789012",
            "127.0.0.1:5000=123456789012",
            "[::1]:5000=123456789012",
            "[fd00::1]=123456789012",
            "registry-1.example.com:443=123456789012",
        ] {
            Registry::parse(good, Some("us-east-1")).unwrap();
        }
    }

    #[test]
    fn a_cn_host_goes_with_a_cn_region_only() {
        for bad in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.cn",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com",
            "123456789012.dkr-ecr.cn-north-1.on.aws",
            "123456789012.dkr.ecr. us-east-1.amazonaws.com",
        ] {
            assert_eq!(parse_ecr_host(bad), None, "{bad}");
        }
        assert_eq!(
            parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
            Some((ACCT.to_string(), "cn-north-1".to_string()))
        );
    }
}
