//! Untrusted STS answers (status and body): see `checks::sts_answer`.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Each target uses only some of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::sts_answer(data));
