//! Untrusted Docker config files, merged into and taken back from: see `checks::docker_config`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::docker_config(data));
