//! Every input `make fuzz` ever crashed on, replayed through the same checks
//! as its fuzz target (file names start with the target's name).

use std::path::Path;

#[path = "../../../fuzz/checks.rs"]
mod checks;

#[test]
fn crashes_found_by_fuzzing_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        match name.split('-').next() {
            Some("ini_edit") => checks::ini_edit(&data),
            Some("sts_answer") => checks::sts_answer(&data),
            Some("cache_entry") => checks::cache_entry(&data),
            Some("kubeconfig_merge") => checks::kubeconfig_merge(&data),
            other => panic!("{name}: no replay for fuzz target {other:?}"),
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
