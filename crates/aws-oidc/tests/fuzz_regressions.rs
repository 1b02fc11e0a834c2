//! Every input `make fuzz` ever crashed on, replayed through the same checks
//! as its fuzz target (file names start with the target's name), and the
//! hand-made seeds the fuzzing starts from.

use std::path::Path;

#[path = "../../../fuzz/checks.rs"]
mod checks;

/// Runs `target`'s check on `data`; false when the check needs a feature
/// this build lacks.
fn replay(target: &str, name: &str, data: &[u8]) -> bool {
    match target {
        "ini_edit" => checks::ini_edit(data),
        "sts_answer" => checks::sts_answer(data),
        "cache_entry" => checks::cache_entry(data),
        "ledger" => checks::ledger(data),
        #[cfg(feature = "ecr")]
        "docker_config" => checks::docker_config(data),
        #[cfg(not(feature = "ecr"))]
        "docker_config" => return false,
        #[cfg(feature = "eks")]
        "kubeconfig_merge" => checks::kubeconfig_merge(data),
        #[cfg(not(feature = "eks"))]
        "kubeconfig_merge" => return false,
        other => panic!("{name}: no replay for fuzz target {other:?}"),
    }
    true
}

#[test]
fn crashes_found_by_fuzzing_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        let target = name.split('-').next().unwrap_or_default();
        replay(target, &name, &data);
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}

/// The seeds of the targets whose checks live in checks.rs pass them too,
/// so a seed that stops being valid input is noticed without nightly.
#[test]
fn the_seeds_fuzzing_starts_from_pass_their_checks() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    let mut replayed = 0;
    for target in [
        "ini_edit",
        "sts_answer",
        "cache_entry",
        "ledger",
        "docker_config",
        "kubeconfig_merge",
    ] {
        for entry in std::fs::read_dir(seeds.join(target)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.display().to_string();
            if replay(target, &name, &std::fs::read(&path).unwrap()) {
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 4, "only {replayed} seeds replayed");
}
