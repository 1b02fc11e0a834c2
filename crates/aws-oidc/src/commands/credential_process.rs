//! `credential-process`: credentials for AWS tools that refresh themselves.

use super::{open_cache, CommandError, Report};
use crate::cache::{CachedExchange, Served};
use crate::env::Env;
use crate::exchange::{Exchange, RoleOptions};

/// What `credential-process` was asked, resolved from its options.
#[derive(Debug, Clone)]
pub struct CredentialProcessRequest {
    /// The role, token and STS options.
    pub role: RoleOptions,
    /// Always assume the role, ignoring and not writing the cache.
    pub no_cache: bool,
}

/// The credentials, from the cache while they have time left, else
/// assumed now (and cached); a cache that could not be written is a warning.
pub fn credential_process(
    req: CredentialProcessRequest,
    env: Env,
    report: &mut dyn Report,
) -> Result<Served, CommandError> {
    let exchange = Exchange::resolve(req.role, env)?;
    let cache = match req.no_cache {
        true => None,
        false => open_cache(env, report),
    };
    let served = CachedExchange::new(&exchange, cache).credentials(env)?;
    if let Some(problem) = &served.cache_problem {
        report.warn(&format!("credentials not cached: {problem}"));
    }
    Ok(served)
}
