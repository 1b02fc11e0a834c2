//! Untrusted token text: decoding never panics, and every accessor copes with what it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(claims) = aws_oidc::fuzzing::decode_claims(&text) {
        let _ = claims.summary();
        let _ = claims.org_id();
        let _ = claims.provider_host_path();
        let _ = claims.seconds_left(std::time::SystemTime::now());
        let _ = claims.issued_at();
    }
});
