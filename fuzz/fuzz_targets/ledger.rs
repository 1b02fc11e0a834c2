//! Untrusted ledgers of what aws-oidc wrote: see `checks::ledger`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::ledger(data));
