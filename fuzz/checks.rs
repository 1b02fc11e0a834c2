//! The properties the fuzz targets check, shared with the regression test
//! that replays every crash they found (crates/aws-oidc/tests/fuzz_regressions.rs).

use aws_oidc::ini::IniDoc;

/// An AWS config/credentials file: parsing never panics, an untouched file
/// prints back byte for byte, and an edit leaves a file that parses and holds
/// the value set.
pub fn ini_edit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut doc) = IniDoc::parse(text) else {
        return;
    };
    assert_eq!(doc.to_string(), text);
    doc.set("profile fuzz", "aws_access_key_id", "ASIAFUZZ")
        .expect("a value without line breaks is set");
    doc.remove("other", "region");
    let again = IniDoc::parse(&doc.to_string()).expect("an edited file parses");
    assert_eq!(
        again.get("profile fuzz", "aws_access_key_id").as_deref(),
        Some("ASIAFUZZ")
    );
}
