//! Untrusted kubeconfigs merged into and taken back from: see `checks::kubeconfig_merge`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::kubeconfig_merge(data));
