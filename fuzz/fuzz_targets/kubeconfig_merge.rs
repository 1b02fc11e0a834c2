//! Untrusted kubeconfigs merged into and taken back from: see `checks::kubeconfig_merge`.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target uses only some of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::kubeconfig_merge(data));
