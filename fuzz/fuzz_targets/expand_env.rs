//! Untrusted orb parameter values: expansion never panics, and `$$` escaping round-trips.
#![no_main]

use aws_oidc::expand;
use libfuzzer_sys::fuzz_target;

fn lookup(name: &str) -> Option<String> {
    (name.len() % 2 == 0).then(|| format!("<{name}>"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = expand(text, &lookup);
    let escaped = text.replace('$', "$$");
    assert_eq!(expand(&escaped, &lookup).as_deref(), Ok(text));
});
