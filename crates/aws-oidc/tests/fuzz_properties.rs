//! The fuzz targets' properties (fuzz/checks.rs) on generated inputs with
//! the structure they are about, so that every `cargo test` checks them,
//! not only nightly fuzzing: Docker config files with nested `auths`,
//! `credHelpers` and `credsStore`, odd numbers, escapes and repeated keys;
//! ledgers of every kind of entry, written and read back.

use std::path::PathBuf;

use aws_oidc::fuzzing::{read_ledger, write_ledger, Grant, Ledger, Merged, RegistryEdit, Written};
use proptest::prelude::*;

// The other targets' checks are replayed in fuzz_regressions.rs.
#[allow(dead_code)]
#[path = "../../../fuzz/checks.rs"]
mod checks;

/// Numbers and strings a round trip through f64 or a re-escape would change.
fn json_scalar() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "12345678901234567890123",
        "-0",
        "-0.0",
        "1.50e3",
        "1e400",
        "99999999999999999999",
        "0",
        "true",
        "null",
        r#""""#,
        r#""plain""#,
        r#""\u00e9\"\\\/\n""#,
        r#""\ud83d\ude00""#,
        r#""aws-oidc""#,
    ])
    .prop_map(str::to_string)
}

/// JSON's whitespace, as people and tools leave it.
fn gap() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "\n\t", "\r\n  ", "\t\t"])
}

fn object_of(
    keys: impl Strategy<Value = String>,
    values: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    prop::collection::vec((keys, values, gap()), 0..4).prop_map(|entries| {
        let body: Vec<String> = entries
            .into_iter()
            .map(|(k, v, g)| format!("{g}{}:{g}{v}", serde_json::to_string(&k).unwrap()))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

fn json_value() -> impl Strategy<Value = String> {
    json_scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            object_of("[a-z]{1,3}", inner),
        ]
    })
}

/// Registry keys: the host the checks write, its other spellings, others.
#[cfg(feature = "ecr")]
fn registry_key() -> impl Strategy<Value = String> {
    let h = checks::DOCKER_HOST;
    prop::sample::select(vec![
        h.to_string(),
        format!("https://{h}/v1/"),
        format!("http://{h}"),
        h.to_ascii_uppercase(),
        format!("{h}/path"),
        format!("{h}:5000"),
        "ghcr.io".to_string(),
        "other.example".to_string(),
    ])
}

#[cfg(feature = "ecr")]
fn docker_config() -> impl Strategy<Value = String> {
    let auth = prop_oneof![
        object_of(
            prop::sample::select(vec!["auth".to_string(), "identitytoken".to_string()]),
            json_scalar()
        ),
        json_value(),
    ];
    let helper = prop_oneof![
        prop::sample::select(vec![r#""aws-oidc""#, r#""gcloud""#, r#""ecr-login""#])
            .prop_map(str::to_string),
        json_scalar(),
    ];
    let section = |entries: BoxedStrategy<String>| prop_oneof![1 => Just("null".to_string()), 4 => object_of(registry_key(), entries)];
    let top = prop_oneof![
        section(auth.boxed()).prop_map(|v| ("auths".to_string(), v)),
        section(helper.boxed()).prop_map(|v| ("credHelpers".to_string(), v)),
        json_scalar().prop_map(|v| ("credsStore".to_string(), v)),
        ("[a-z]{1,6}", json_value()),
    ];
    prop::collection::vec((top, gap()), 0..6).prop_map(|entries| {
        let body: Vec<String> = entries
            .into_iter()
            .map(|((k, v), g)| format!("{g}{}: {v}", serde_json::to_string(&k).unwrap()))
            .collect();
        format!("{{{}}}\n", body.join(","))
    })
}

fn path() -> impl Strategy<Value = PathBuf> {
    prop::sample::select(vec![
        "/home/circleci/.aws/credentials",
        "/tmp/.bash_env-1",
        "relative/x.env",
        "/tmp/quote\"and\\backslash",
        "/tmp/é ünïcode",
        "/tmp/line\nbreak",
        "",
    ])
    .prop_map(PathBuf::from)
}

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Za-z_$() 0-9-]{0,8}", 0..3)
}

fn grant() -> impl Strategy<Value = Option<Grant>> {
    prop::option::of(("\\PC{0,12}", "[0-9a-f]{16}", any::<i64>()).prop_map(
        |(role_arn, key, expires_at)| Grant {
            role_arn,
            key,
            expires_at,
        },
    ))
}

fn registry_edit() -> impl Strategy<Value = RegistryEdit> {
    prop_oneof![
        ("\\PC{0,8}", "\\PC{0,8}", prop::option::of("\\PC{0,8}")).prop_map(|(r, a, p)| {
            RegistryEdit::Npmrc {
                registry_key: r,
                auth_key: a,
                previous_registry: p,
            }
        }),
        "\\PC{0,8}".prop_map(|machine| RegistryEdit::Netrc { machine }),
        (prop::option::of("\\PC{0,8}"), any::<bool>()).prop_map(|(b, c)| RegistryEdit::Pypirc {
            index_servers_before: b,
            index_servers_changed: c,
        }),
        ("\\PC{0,8}", any::<bool>())
            .prop_map(|(inserted, created)| RegistryEdit::MavenSettings { inserted, created }),
    ]
}

fn written() -> impl Strategy<Value = Written> {
    prop_oneof![
        (path(), words(), grant()).prop_map(|(path, vars, grant)| Written::BashEnv {
            path,
            vars,
            grant
        }),
        (path(), words()).prop_map(|(path, vars)| Written::SecretExports { path, vars }),
        (path(), registry_edit()).prop_map(|(path, edit)| Written::RegistryConfig { path, edit }),
        (
            (path(), path(), "\\PC{0,8}"),
            any::<[bool; 3]>(),
            grant(),
            prop::option::of("\\PC{0,8}")
        )
            .prop_map(
                |((credentials, config, name), flags, grant, process_role)| {
                    Written::Profile {
                        credentials,
                        config,
                        name,
                        region: flags[0],
                        profile_region: flags[1],
                        default_region: flags[2],
                        grant,
                        process_role,
                    }
                }
            ),
        (path(), prop::option::of("[0-9a-f]{0,64}"))
            .prop_map(|(path, sha256)| Written::File { path, sha256 }),
        (path(), words(), any::<bool>()).prop_map(|(config, hosts, helper)| {
            Written::DockerLogins {
                config,
                hosts,
                helper,
            }
        }),
        (
            path(),
            words(),
            words(),
            words(),
            "\\PC{0,8}",
            prop::option::of("\\PC{0,8}")
        )
            .prop_map(
                |(
                    path,
                    added_clusters,
                    added_users,
                    added_contexts,
                    current_context,
                    previous_context,
                )| {
                    Written::Kubeconfig {
                        path,
                        merged: Merged {
                            added_clusters,
                            added_users,
                            added_contexts,
                            current_context,
                            previous_context,
                        },
                    }
                }
            ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[cfg(feature = "ecr")]
    #[test]
    fn docker_config_merges_keep_every_foreign_value_and_take_back_to_the_input(text in docker_config()) {
        checks::docker_config(text.as_bytes());
    }

    #[test]
    fn ledgers_the_writer_writes_read_back_equal(entries in prop::collection::vec(written(), 0..6)) {
        let text = write_ledger(&entries).expect("UTF-8 paths write out");
        prop_assert_eq!(read_ledger(&text), entries);
        checks::ledger(&text);
    }

    #[test]
    fn a_ledger_reader_takes_any_json_shaped_bytes(text in json_value()) {
        checks::ledger(text.as_bytes());
        checks::ledger(format!(r#"{{"version":1,"written":[{text}]}}"#).as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Through the file itself: one entry recorded is the one entry read.
    #[test]
    fn an_entry_recorded_is_the_entry_read(entry in written()) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::in_dir(dir.path(), &|_: &str| None);
        ledger.record(entry.clone()).unwrap();
        prop_assert_eq!(ledger.entries(), vec![entry]);
    }
}
