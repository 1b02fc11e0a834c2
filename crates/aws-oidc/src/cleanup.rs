//! `cleanup`: take back what the ledger says aws-oidc wrote in this job.
//!
//! The ledger only records; each writer knows how to take back its own
//! entry (a profile: [`crate::shared_files::remove`]; Docker's logins,
//! a kubeconfig merge, a package tool's settings: their modules' own
//! take-backs).  This module sits above both: it reads the ledger, asks
//! each writer to take back its entry, and leaves recorded what could not
//! be taken back, so the ledger needs none of the writers.

use std::path::{Path, PathBuf};

use crate::files;
use crate::ledger::{file_sha256, fingerprint, CleanupError, Ledger, Written};
use crate::shared_files::{self, ProfileName, ProfileWrite, SharedFiles};

/// What `cleanup` took back.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// `$BASH_ENV` files that got `unset` lines.
    pub unset_in: Vec<PathBuf>,
    /// Profiles removed.
    pub profiles: Vec<String>,
    /// Files and cache entries deleted.
    pub files: usize,
    /// Registry hosts whose logins were removed from Docker's config file.
    pub registries: Vec<String>,
    /// What could not be taken back, and why.
    pub left: Vec<String>,
    /// What was taken back from kubeconfigs, one line per file.
    pub kubeconfigs: Vec<String>,
    /// What was taken back from package tools' settings, one line per file.
    pub registry_files: Vec<String>,
}

impl Cleaned {
    /// Whether nothing was recorded: nothing taken back, nothing left.
    pub fn is_empty(&self) -> bool {
        *self == Cleaned::default()
    }

    /// What was taken back, one phrase each, for the one-line summary.
    pub fn done(&self) -> Vec<String> {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut did = Vec::new();
        if !self.unset_in.is_empty() {
            let paths: Vec<String> = self
                .unset_in
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            did.push(format!(
                "unset the exported variables in {}",
                paths.join(", ")
            ));
        }
        if !self.profiles.is_empty() {
            let names: Vec<String> = self.profiles.iter().map(|p| format!("{p:?}")).collect();
            did.push(format!(
                "removed profile{} {}",
                plural(self.profiles.len()),
                names.join(", ")
            ));
        }
        if self.files > 0 {
            did.push(format!(
                "deleted {} file{} of credentials",
                self.files,
                plural(self.files)
            ));
        }
        if !self.registries.is_empty() {
            did.push(format!(
                "removed the logins to {} from Docker's config file",
                self.registries.join(", ")
            ));
        }
        did.extend(self.kubeconfigs.iter().map(|k| format!("kubeconfig {k}")));
        did.extend(self.registry_files.iter().cloned());
        did
    }
}

impl Ledger {
    /// Takes back everything recorded: `unset` lines for what was exported,
    /// the profiles' keys and regions (and sections left empty), the files
    /// and cache entries created, the registry logins in Docker's config
    /// file; then forgets it all.  Everything else stays byte for byte.
    pub fn cleanup(&self) -> Result<Cleaned, CleanupError> {
        self.settle(|entries| {
            let mut cleaned = Cleaned::default();
            // Every entry is taken back on its own: one file that cannot be
            // changed (not YAML, not JSON, unwritable) is named in `left` and
            // kept in the ledger for a rerun, and never stops the others, least
            // of all the `unset` lines that keep credentials out of later steps.
            let mut kept: Vec<Written> = Vec::new();
            let mut unset: Vec<(PathBuf, Vec<String>, Vec<&Written>)> = Vec::new();
            for w in &entries {
                match w {
                    Written::BashEnv { path, vars, .. } | Written::SecretExports { path, vars } => {
                        match unset.iter_mut().find(|(p, _, _)| p == path) {
                            Some((_, all, from)) => {
                                all.extend(vars.iter().cloned());
                                from.push(w);
                            }
                            None => unset.push((path.clone(), vars.clone(), vec![w])),
                        }
                    }
                    Written::Profile {
                        credentials,
                        config,
                        name,
                        region,
                        profile_region,
                        default_region,
                        grant,
                        process_role,
                    } => {
                        let Ok(name) = ProfileName::parse(name) else {
                            continue;
                        };
                        let files = SharedFiles {
                            credentials: credentials.clone(),
                            config: config.clone(),
                        };
                        // Only a profile still holding what aws-oidc wrote: the
                        // same key (by fingerprint), its credential_process, or
                        // (static keys, which are not fingerprinted) a key at all.
                        let ours = match (grant, process_role) {
                            (Some(g), _) => shared_files::access_key_id(&files, &name)
                                .is_some_and(|k| fingerprint(&k) == g.key),
                            (None, Some(_)) => shared_files::credential_process(&files, &name).is_some(),
                            (None, None) => shared_files::access_key_id(&files, &name).is_some(),
                        };
                        if !ours {
                            cleaned.left.push(format!(
                                "profile {:?} in {} (it no longer holds what aws-oidc wrote: left as it is)",
                                name.as_str(),
                                credentials.display()
                            ));
                            continue;
                        }
                        let what = ProfileWrite {
                            name: name.clone(),
                            region: region.then(String::new),
                            profile_region: *profile_region,
                            default_region: *default_region,
                        };
                        match shared_files::remove(&files, &what) {
                            Ok(()) => cleaned.profiles.push(name.as_str().to_string()),
                            Err(e) => {
                                cleaned
                                    .left
                                    .push(format!("profile {:?} ({e})", name.as_str()));
                                kept.push(w.clone());
                            }
                        }
                    }
                    Written::File { path, sha256 } => {
                        if std::fs::symlink_metadata(path).is_err() {
                            continue;
                        }
                        // Deleted only while it holds the bytes aws-oidc wrote.
                        if sha256.is_some() && file_sha256(path) == *sha256 {
                            if std::fs::remove_file(path).is_ok() {
                                cleaned.files += 1;
                            }
                        } else {
                            cleaned.left.push(format!(
                                "{} (not the file aws-oidc wrote, or changed since: left as it is)",
                                path.display()
                            ));
                        }
                    }
                    #[cfg(feature = "ecr")]
                    Written::DockerLogins {
                        config,
                        hosts,
                        helper,
                    } => {
                        // ecr-login writes only Docker's config.json.
                        if config.file_name() != Some(std::ffi::OsStr::new("config.json")) {
                            cleaned.left.push(format!(
                                "{} (not a Docker config.json: left as it is)",
                                config.display()
                            ));
                            continue;
                        }
                        let helper = helper.then_some(crate::credential_helper::HELPER_NAME);
                        match crate::docker_config::DockerConfig::at(config.clone())
                            .remove(hosts, helper)
                        {
                            Ok(removed) => cleaned.registries.extend(removed),
                            Err(e) => {
                                cleaned
                                    .left
                                    .push(format!("the logins to {} ({e})", hosts.join(", ")));
                                kept.push(w.clone());
                            }
                        }
                    }
                    #[cfg(not(feature = "ecr"))]
                    Written::DockerLogins { .. } => {}
                    #[cfg(feature = "codeartifact")]
                    Written::RegistryConfig { path, edit } => {
                        match crate::codeartifact::tools::take_back(path, edit) {
                            Ok(Some(done)) => cleaned
                                .registry_files
                                .push(format!("{}: {done}", path.display())),
                            Ok(None) => {}
                            Err(e) => {
                                cleaned.left.push(format!("{} ({e})", path.display()));
                                kept.push(w.clone());
                            }
                        }
                    }
                    #[cfg(not(feature = "codeartifact"))]
                    Written::RegistryConfig { .. } => {}
                    Written::Kubeconfig { .. } => {}
                }
            }
            // Newest first: each restores the current context the one before it set.
            for w in entries.iter().rev() {
                if let Written::Kubeconfig { path, .. } = w {
                    match take_back_kubeconfig(w) {
                        Ok(Some(line)) => cleaned
                            .kubeconfigs
                            .push(format!("{}: {line}", path.display())),
                        Ok(None) => {}
                        Err(why) => {
                            cleaned.left.push(format!(
                                "the kubeconfig entries it added to {} ({why})",
                                path.display()
                            ));
                            kept.push(w.clone());
                        }
                    }
                }
            }
            for (path, mut vars, from) in unset {
                vars.sort();
                vars.dedup();
                // Only variable names, which need no quoting: the fixed names
                // `assume` exports, and the ones `secrets` checked.
                vars.retain(|v| is_var_name(v));
                if !holds_exports(&path, &vars) {
                    cleaned.left.push(format!(
                        "the exports in {} (it holds none of the export lines aws-oidc wrote: \
                         no unset lines added)",
                        path.display()
                    ));
                    continue;
                }
                let line = format!("# aws-oidc cleanup\nunset {}\n", vars.join(" "));
                match files::append(&path, line.as_bytes()) {
                    Ok(()) => cleaned.unset_in.push(path),
                    Err(e) => {
                        cleaned
                            .left
                            .push(format!("the exports ({e}): unset {}", vars.join(" ")));
                        kept.extend(from.into_iter().cloned());
                    }
                }
            }
            (cleaned, kept)
        })
    }
}

/// Takes back one kubeconfig merge: what it did, in words (`None`: nothing).
#[cfg(feature = "eks")]
fn take_back_kubeconfig(w: &Written) -> Result<Option<String>, String> {
    let Written::Kubeconfig { path, merged } = w else {
        return Ok(None);
    };
    let done = crate::eks::kubeconfig::take_back(path, merged).map_err(|e| e.to_string())?;
    let mut said = Vec::new();
    if !done.removed.is_empty() {
        said.push(format!("removed {}", done.removed.join(", ")));
    }
    match done.restored_context {
        Some(Some(c)) => said.push(format!("current-context back to {c}")),
        Some(None) => said.push("current-context unset, as before".into()),
        None => {}
    }
    Ok((!said.is_empty()).then(|| said.join("; ")))
}

/// Without EKS support nothing reads kubeconfigs; a record of one is left.
#[cfg(not(feature = "eks"))]
fn take_back_kubeconfig(_: &Written) -> Result<Option<String>, String> {
    Ok(None)
}

/// Whether `name` is a variable name every shell takes: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether the regular file `path` holds an `export` line aws-oidc writes
/// for one of `vars`: only then is it a `$BASH_ENV` aws-oidc appended to.
/// A named pipe or a device (`/dev/stdout`) has nothing to check and
/// nothing an `unset` line can damage.
fn holds_exports(path: &Path, vars: &[String]) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return true,
        Err(_) => return false,
    }
    let Ok(bytes) = files::read_regular_bounded(path, files::MAX_PROFILE_FILE) else {
        return false;
    };
    String::from_utf8_lossy(&bytes).lines().any(|line| {
        line.strip_prefix("export ")
            .and_then(|rest| rest.split_once('='))
            .is_some_and(|(name, _)| vars.iter().any(|v| v == name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::env_of;
    use crate::ledger::{Ledger, Merged};
    use crate::platform;

    #[test]
    fn what_was_taken_back_is_said_in_one_phrase_each() {
        assert!(Cleaned::default().is_empty() && Cleaned::default().done().is_empty());
        let cleaned = Cleaned {
            unset_in: vec![PathBuf::from("/tmp/bash_env")],
            profiles: vec!["ci".into(), "prod".into()],
            files: 1,
            registries: vec!["public.ecr.aws".into()],
            left: vec!["something".into()],
            kubeconfigs: vec!["/k: removed context x".into()],
            registry_files: vec!["/n/.npmrc: registry put back".into()],
        };
        assert!(!cleaned.is_empty());
        assert_eq!(
            cleaned.done(),
            [
                "unset the exported variables in /tmp/bash_env",
                "removed profiles \"ci\", \"prod\"",
                "deleted 1 file of credentials",
                "removed the logins to public.ecr.aws from Docker's config file",
                "kubeconfig /k: removed context x",
                "/n/.npmrc: registry put back",
            ]
        );
    }

    /// What `$BASH_ENV` holds after aws-oidc exported into it.
    const EXPORTED: &str =
        "export AWS_ACCESS_KEY_ID='x'\nexport OK_1='y'\nexport DB_PASSWORD='z'\n";

    #[test]
    fn cleanup_unsets_removes_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, "export KEEP=1\nexport AWS_ACCESS_KEY_ID='x'\n").unwrap();
        let dotenv = dir.path().join("a.env");
        std::fs::write(&dotenv, "X=1\n").unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_SESSION_TOKEN".into(), "AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(Written::created(dotenv.clone())).unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env.clone()]);
        assert_eq!(cleaned.files, 1);
        assert!(!dotenv.exists());
        assert_eq!(
            std::fs::read_to_string(&bash_env).unwrap(),
            "export KEEP=1\nexport AWS_ACCESS_KEY_ID='x'\n# aws-oidc cleanup\nunset AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN\n"
        );
        assert!(l.entries().is_empty());
    }

    #[test]
    fn secret_exports_add_up_and_survive_a_later_assume() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let secrets = |vars: &[&str]| Written::SecretExports {
            path: bash_env.clone(),
            vars: vars.iter().map(|v| v.to_string()).collect(),
        };
        l.record(secrets(&["DB_PASSWORD", "db2"])).unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(secrets(&["API_TOKEN"])).unwrap();
        assert_eq!(l.entries().len(), 2);
        l.cleanup().unwrap();
        let text = std::fs::read_to_string(&bash_env).unwrap();
        assert!(
            text.ends_with("unset API_TOKEN AWS_ACCESS_KEY_ID DB_PASSWORD db2\n"),
            "{text}"
        );
    }

    #[test]
    fn cleanup_unsets_only_variable_names() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        // A hand-edited ledger must not put code into $BASH_ENV.
        l.record(Written::SecretExports {
            path: bash_env.clone(),
            vars: vec!["OK_1".into(), "$(id)".into(), "1X".into()],
        })
        .unwrap();
        l.cleanup().unwrap();
        let text = std::fs::read_to_string(&bash_env).unwrap();
        assert!(text.ends_with("unset OK_1\n"), "{text}");
    }

    #[test]
    fn one_file_cleanup_cannot_change_does_not_keep_it_from_unsetting_the_exports() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let dotenv = dir.path().join("a.env");
        std::fs::write(&dotenv, "X=1\n").unwrap();
        // A read-only credentials file (refused even for root): shared_files::remove fails.
        let not_a_file = dir.path().join("credentials");
        std::fs::write(&not_a_file, "[ci]\naws_access_key_id = AKIAEXAMPLE\n").unwrap();
        platform::set_mode(&not_a_file, 0o400).unwrap();
        let profile = Written::Profile {
            credentials: not_a_file.clone(),
            config: dir.path().join("config"),
            name: "ci".into(),
            region: false,
            profile_region: false,
            default_region: false,
            grant: None,
            process_role: None,
        };
        l.record(profile.clone()).unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        l.record(Written::created(dotenv.clone())).unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env.clone()]);
        assert!(!dotenv.exists());
        assert_eq!(cleaned.left.len(), 1, "{:?}", cleaned.left);
        assert!(cleaned.left[0].contains("\"ci\""), "{:?}", cleaned.left);
        assert!(std::fs::read_to_string(&bash_env)
            .unwrap()
            .ends_with("unset AWS_ACCESS_KEY_ID\n"));
        // What was not taken back stays recorded for a rerun; the rest is forgotten.
        assert_eq!(l.entries(), vec![profile]);
        let again = l.cleanup().unwrap();
        assert_eq!(again.left.len(), 1);
        assert!(again.unset_in.is_empty());
    }

    #[cfg(feature = "eks")]
    #[test]
    fn a_kubeconfig_nested_too_deep_is_left_and_named_and_the_exports_still_go() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let bash_env = dir.path().join("bash_env");
        std::fs::write(&bash_env, EXPORTED).unwrap();
        let kubeconfig = dir.path().join("config");
        let deep = "- ".repeat(20_000) + "x\n";
        std::fs::write(&kubeconfig, &deep).unwrap();
        l.record(Written::Kubeconfig {
            path: kubeconfig.clone(),
            merged: Merged {
                added_clusters: vec!["c".into()],
                current_context: "c".into(),
                ..Merged::default()
            },
        })
        .unwrap();
        l.record(Written::BashEnv {
            path: bash_env.clone(),
            vars: vec!["AWS_ACCESS_KEY_ID".into()],
            grant: None,
        })
        .unwrap();
        let cleaned = l.cleanup().unwrap();
        assert_eq!(cleaned.unset_in, vec![bash_env]);
        assert_eq!(cleaned.left.len(), 1);
        assert!(cleaned.left[0].contains("deep"), "{:?}", cleaned.left);
        assert_eq!(std::fs::read_to_string(&kubeconfig).unwrap(), deep);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_or_open_ledger_is_not_trusted_and_nothing_it_names_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep\n").unwrap();
        let text = format!(
            r#"{{"version":1,"written":[{{"kind":"file","path":{:?},"sha256":null}}]}}"#,
            victim
        );
        let elsewhere = dir.path().join("elsewhere.json");
        std::fs::write(&elsewhere, &text).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("local.ledger")).unwrap();
        assert!(l.entries().is_empty());
        let err = l.cleanup().unwrap_err();
        assert!(err.to_string().contains("a symlink"), "{err}");
        // Recording replaces the link; the file it pointed at is not written.
        l.record(Written::created(dir.path().join("x"))).unwrap();
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), text);
        std::fs::write(dir.path().join("local.ledger"), &text).unwrap();
        platform::set_mode(&dir.path().join("local.ledger"), 0o666).unwrap();
        assert!(l.entries().is_empty());
        let err = l.cleanup().unwrap_err();
        assert!(err.to_string().contains("open to other users"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    }

    #[test]
    fn a_ledger_naming_files_aws_oidc_did_not_write_leaves_them_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::in_dir(dir.path(), &env_of(&[]));
        let config = dir.path().join("config.yml");
        let body = "version: 2.1\n# aws_access_key_id\njobs: {}\n";
        std::fs::write(&config, body).unwrap();
        let entries = [
            Written::File {
                path: config.clone(),
                sha256: None,
            },
            Written::File {
                path: config.clone(),
                sha256: Some("00".repeat(32)),
            },
            Written::BashEnv {
                path: config.clone(),
                vars: vec!["AWS_ACCESS_KEY_ID".into()],
                grant: None,
            },
            Written::Profile {
                credentials: config.clone(),
                config: config.clone(),
                name: "jobs".into(),
                region: true,
                profile_region: true,
                default_region: true,
                grant: None,
                process_role: None,
            },
            Written::DockerLogins {
                config: config.clone(),
                hosts: vec!["version".into()],
                helper: false,
            },
            Written::Kubeconfig {
                path: config.clone(),
                merged: Merged {
                    added_clusters: vec!["jobs".into()],
                    current_context: "x".into(),
                    ..Merged::default()
                },
            },
        ];
        for w in entries {
            l.record(w).unwrap();
            let cleaned = l.cleanup().unwrap();
            assert!(
                cleaned.unset_in.is_empty() && cleaned.files == 0,
                "{cleaned:?}"
            );
            assert!(cleaned.profiles.is_empty(), "{cleaned:?}");
            assert_eq!(std::fs::read_to_string(&config).unwrap(), body);
        }
    }
}
