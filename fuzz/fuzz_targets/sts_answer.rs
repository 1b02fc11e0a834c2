//! Untrusted STS answers (status and body): see `checks::sts_answer`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::sts_answer(data));
