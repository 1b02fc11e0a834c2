//! Every input `make fuzz` ever crashed on, replayed through the same checks
//! as its fuzz target (file names start with the target's name).

use std::path::Path;

use aws_oidc::ini::IniDoc;

fn check_ini_edit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut doc) = IniDoc::parse(text) else {
        return;
    };
    assert_eq!(doc.to_string(), text);
    doc.set("profile fuzz", "aws_access_key_id", "ASIAFUZZ");
    doc.remove("other", "region");
    let again = IniDoc::parse(&doc.to_string()).expect("an edited file parses");
    assert_eq!(
        again.get("profile fuzz", "aws_access_key_id").as_deref(),
        Some("ASIAFUZZ")
    );
}

#[test]
fn crashes_found_by_fuzzing_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        match name.split('-').next() {
            Some("ini_edit") => check_ini_edit(&data),
            other => panic!("{name}: no replay for fuzz target {other:?}"),
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
