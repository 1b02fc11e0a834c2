//! `aws-oidc credential-process`: credentials for AWS tools that refresh themselves.
//!
//! Configured as a profile's `credential_process`, this is run by the AWS CLI
//! and SDKs whenever they need credentials.  It answers from a private cache
//! while the cached credentials have a few minutes left, and otherwise finds
//! a token (minting a fresh one once the job's token has expired) and
//! assumes the role again, so a long job never runs out of credentials.

use std::time::SystemTime;

use anyhow::{Context as _, Result};
use aws_oidc::cache::{Cached, CredentialCache};
use aws_oidc::credentials::Credentials;
use aws_oidc::sinks::{process_json, shell};
use clap::Args;

use crate::role::{env, print_stdout, Exchange, RoleArgs};

pub const LONG_ABOUT: &str = "\
Print credentials in the credential_process format (Version 1, keys, Expiration) for AWS SDKs and \
the AWS CLI, assuming the role with the job's OIDC token as `assume` does.

Use it in ~/.aws/config (or let `aws-oidc assume --profile NAME --refresh` write it):

  [profile deploy]
  credential_process = /usr/local/bin/aws-oidc credential-process --role-arn arn:aws:iam::123456789012:role/deploy --region us-east-1

Credentials are cached in a private directory ($AWS_OIDC_CACHE_DIR, else $XDG_CACHE_HOME/aws-oidc, \
else ~/.cache/aws-oidc; 0700, files 0600) and served while more than 5 minutes (or a quarter of \
their lifetime) remain, so a loop of AWS CLI calls makes one STS call per expiry. Parallel callers \
wait for one refresh. Once the job's token has expired, a fresh one is minted with \
`circleci run oidc get`.";

/// Options of `aws-oidc credential-process`.
#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    #[command(flatten)]
    role: RoleArgs,

    /// Always assume the role, ignoring and not writing the cache
    #[arg(long)]
    no_cache: bool,
}

/// The cache entry for an exchange: everything that changes what STS returns.
fn cache_key(x: &Exchange) -> String {
    let r = &x.plan.request;
    let policy_arns: Vec<&str> = r.policy_arns.iter().map(|a| a.as_str()).collect();
    let duration = r.duration.secs().to_string();
    let chain = x.plan.chain.as_ref();
    CredentialCache::key(&[
        r.role_arn.as_str(),
        r.session_name.as_str(),
        &duration,
        r.policy.as_ref().map(|p| p.as_str()).unwrap_or(""),
        &policy_arns.join(","),
        chain.map(|c| c.role_arn.as_str()).unwrap_or(""),
        chain.map(|c| c.session_name.as_str()).unwrap_or(""),
        chain.and_then(|c| c.external_id.as_deref()).unwrap_or(""),
        x.token_opts.audience.as_deref().unwrap_or(""),
        &x.settings.endpoint_description(),
    ])
}

/// The cache, or `None` (with a warning) where no safe one can be had.
fn open_cache() -> Option<CredentialCache> {
    match CredentialCache::default_dir(&env).map(CredentialCache::open)? {
        Ok(c) => Some(c),
        Err(e) => {
            // Still work, just without a cache: an unsafe directory is never used.
            eprintln!("aws-oidc: warning: not caching credentials: {e}");
            None
        }
    }
}

/// Credentials for `x`, from the cache while fresh, else from STS (then cached).
pub fn cached_credentials(x: &Exchange) -> Result<Credentials> {
    let Some(cache) = open_cache() else {
        return Ok(x.run()?.assumed.credentials);
    };
    let entry = cache.lock(&cache_key(x))?;
    if let Some(cached) = entry.load().filter(|c| c.fresh_at(SystemTime::now())) {
        return Ok(cached.credentials);
    }
    let issued_at = SystemTime::now();
    let credentials = x.run()?.assumed.credentials;
    entry.store(&Cached {
        credentials: credentials.clone(),
        issued_at,
    })?;
    Ok(credentials)
}

/// Puts credentials just obtained for `x` into the cache, so the first use is instant.
pub fn prime_cache(x: &Exchange, credentials: &Credentials, issued_at: SystemTime) -> Result<()> {
    if let Some(cache) = open_cache() {
        cache.lock(&cache_key(x))?.store(&Cached {
            credentials: credentials.clone(),
            issued_at,
        })?;
    }
    Ok(())
}

/// The `credential_process` command line that reproduces `x`, quoted for
/// both `sh` and the AWS CLI's shlex-style splitting.
pub fn command_line(x: &Exchange) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find the path of this aws-oidc binary")?;
    let r = &x.plan.request;
    let mut words: Vec<String> = vec![
        exe.to_string_lossy().into_owned(),
        "credential-process".into(),
        "--role-arn".into(),
        r.role_arn.to_string(),
        "--region".into(),
        x.region.clone(),
        "--session-name".into(),
        r.session_name.to_string(),
        "--duration".into(),
        r.duration.secs().to_string(),
    ];
    let mut opt = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            words.push(flag.into());
            words.push(v);
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
    if let Some(c) = &x.plan.chain {
        opt("--chain-role-arn", Some(c.role_arn.to_string()));
        opt("--chain-session-name", Some(c.session_name.to_string()));
        opt("--external-id", c.external_id.clone());
    }
    opt("--audience", x.token_opts.audience.clone());
    opt("--endpoint-url", x.settings.endpoint_url.clone());
    if let Some(path) = &x.token_opts.token_file {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        opt("--token-file", Some(abs.to_string_lossy().into_owned()));
    }
    let quoted = words
        .iter()
        .map(|w| {
            shell::quote(w.as_bytes())
                .map(|q| String::from_utf8(q).expect("quoting keeps UTF-8"))
                .ok_or_else(|| anyhow::anyhow!("a credential_process argument contains a NUL byte"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(quoted.join(" "))
}

/// Runs `aws-oidc credential-process`.
pub fn run(args: CredentialProcessArgs) -> Result<()> {
    let x = args.role.resolve(false)?;
    let credentials = if args.no_cache {
        x.run()?.assumed.credentials
    } else {
        cached_credentials(&x)?
    };
    print_stdout(&process_json(&credentials))
}
