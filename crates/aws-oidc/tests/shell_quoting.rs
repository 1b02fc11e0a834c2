//! Property test: any byte string written by the `$BASH_ENV` and dotenv sinks
//! reads back unchanged through real shells (bash, dash, busybox sh).

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use aws_oidc::fuzzing::render;
use proptest::prelude::*;

/// The shells a CircleCI image may source `$BASH_ENV` with, where installed here.
fn shells() -> Vec<Vec<&'static str>> {
    let candidates: [&[&'static str]; 3] = [&["bash"], &["dash"], &["busybox", "sh"]];
    let found: Vec<Vec<&str>> = candidates
        .iter()
        .filter(|argv| {
            Command::new(argv[0])
                .arg("-c")
                .arg("true")
                .output()
                .is_ok_and(|o| o.status.success())
                || (argv[0] == "busybox"
                    && Command::new("busybox")
                        .args(["sh", "-c", "true"])
                        .output()
                        .is_ok_and(|o| o.status.success()))
        })
        .map(|argv| argv.to_vec())
        .collect();
    assert!(
        found.iter().any(|s| s[0] == "bash"),
        "bash is needed for this test"
    );
    assert!(
        found.len() == 3 || std::env::var_os("CI").is_none(),
        "CI must have bash, dash and busybox (make tools installs them): found {found:?}"
    );
    found
}

/// Sources the rendered file in `shell` and prints the variable's bytes.
fn read_back(shell: &[&str], rendered: &[u8]) -> Vec<u8> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(rendered).unwrap();
    file.flush().unwrap();
    let script = format!(". '{}'; printf '%s' \"$V\"", file.path().display());
    let out = Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(std::ffi::OsStr::from_bytes(script.as_bytes()))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let interesting = prop_oneof![
        Just(b'\'' as u32),
        Just(b'"' as u32),
        Just(b'$' as u32),
        Just(b'`' as u32),
        Just(b'\\' as u32),
        Just(b'\n' as u32),
        Just(b'!' as u32),
        Just(b' ' as u32),
        1u32..=255,
    ];
    proptest::collection::vec(interesting.prop_map(|b| b as u8), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn export_lines_round_trip_through_every_shell(value in hostile_bytes()) {
        let rendered = render(&[("V", &value)], "export ").unwrap();
        for shell in shells() {
            prop_assert_eq!(&read_back(&shell, &rendered), &value, "through {:?}", shell);
        }
    }

    #[test]
    fn dotenv_lines_round_trip_through_every_shell(value in hostile_bytes()) {
        let rendered = render(&[("V", &value)], "").unwrap();
        for shell in shells() {
            prop_assert_eq!(&read_back(&shell, &rendered), &value, "through {:?}", shell);
        }
    }
}

#[test]
fn nul_is_refused_with_the_variable_named() {
    let err = render(&[("AWS_SESSION_TOKEN", b"a\0b")], "export ").unwrap_err();
    assert!(err.to_string().contains("AWS_SESSION_TOKEN"));
}
