//! Untrusted AWS config/credentials files: see `checks::ini_edit`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::ini_edit(data));
