//! The properties the fuzz targets check, shared with the regression test
//! that replays every crash they found (crates/aws-oidc/tests/fuzz_regressions.rs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_oidc::fuzzing::parse_entry;
use aws_oidc::fuzzing::printable;
use aws_oidc::fuzzing::read_answer;
use aws_oidc::fuzzing::IniDoc;
use aws_oidc::FailureKind;

/// An AWS config/credentials file: parsing never panics, an untouched file
/// prints back byte for byte, and an edit leaves a file that parses and holds
/// the value set.
pub(crate) fn ini_edit(data: &[u8]) {
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

/// An STS answer, from a hostile or broken endpoint: the first two bytes
/// pick the HTTP status, the rest is the body.  Reading it never panics;
/// credentials that come out are printable and not yet expired; a failure's
/// message is bounded and holds no control character.
pub(crate) fn sts_answer(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    match read_answer(status, body) {
        Ok(assumed) => {
            let c = &assumed.credentials;
            let token = c
                .session_token
                .as_ref()
                .expect("STS credentials have a session token");
            for value in [
                c.access_key_id.expose(),
                c.secret_access_key.expose(),
                token.expose(),
            ] {
                assert!(!value.is_empty() && value.chars().all(|ch| ch.is_ascii_graphic()));
            }
            assert!(c.expiration.is_some_and(|at| at > SystemTime::now()));
            assert_eq!(assumed.expiration(), c.expiration.unwrap_or(UNIX_EPOCH));
            assert_eq!(
                printable(&assumed.assumed_role_arn),
                assumed.assumed_role_arn
            );
        }
        Err(failure) => {
            for text in [failure.message.as_deref(), failure.code.as_deref()]
                .into_iter()
                .flatten()
            {
                assert!(text.chars().count() < 1100);
                assert_eq!(printable(text), text);
            }
            if let FailureKind::Response(why) = &failure.kind {
                assert!(!why.contains('\n'));
            }
            let _ = failure.to_string();
        }
    }
}

/// A cache entry as found on disk (anyone may have written it): reading it
/// never panics, and what is accepted can be judged fresh at any time.
pub(crate) fn cache_entry(data: &[u8]) {
    if let Some(cached) = parse_entry(data) {
        let expiration = cached
            .credentials
            .expiration
            .expect("cache entries hold an expiry");
        assert!(cached.issued_at < expiration);
        assert!(cached.credentials.session_token.is_some());
        for now in [
            UNIX_EPOCH,
            SystemTime::now(),
            expiration,
            UNIX_EPOCH + Duration::from_secs(253_402_300_799),
        ] {
            let _ = cached.fresh_at(now);
        }
        let _ = cached.credentials.expiration_rfc3339();
    }
}

/// The registry host the Docker config checks write for.
#[cfg(feature = "ecr")]
pub(crate) const DOCKER_HOST: &str = "registry.example";

/// Docker's config.json, as anyone may have written it: a login
/// (`auths`) and a credential helper entry (`credHelpers`) are each merged
/// in and taken back as `ecr-login` and `cleanup` do.  What the merge
/// refuses, the take-back refuses too, both without panic.  What it
/// accepts comes out as a JSON object that holds the new entry, and
/// every other value byte for byte (numbers such as
/// `12345678901234567890123` and `-0` included), less only the entries
/// for the same host that the merge replaces (any spelling of it in
/// `auths`; in `credHelpers`, every spelling for a login, the exact host
/// for a helper).  Taking the entry back leaves the input less those same
/// entries, byte for byte: an input with none is given back unchanged in
/// meaning (`"auths": null`, `{}` and no `auths` are all an empty section).
#[cfg(feature = "ecr")]
pub(crate) fn docker_config(data: &[u8]) {
    use aws_oidc::fuzzing::Secret;
    use aws_oidc::fuzzing::{DockerConfig, Entry};

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = DockerConfig::at("config.json".into());
    let password = Secret::new("fuzz-password");
    let login = Entry::Auth {
        host: DOCKER_HOST,
        username: "AWS",
        password: &password,
    };
    let helper = Entry::Helper {
        host: DOCKER_HOST,
        helper: "aws-oidc",
    };
    let hosts = [DOCKER_HOST.to_string()];
    for (entry, take_back) in [(login, None), (helper, Some("aws-oidc"))] {
        let merged = match config.merge_into(Some(text), std::slice::from_ref(&entry)) {
            Ok((merged, _notes)) => merged,
            Err(refused) => {
                let message = refused.to_string();
                assert!(message.contains("nothing was changed"), "{message}");
                assert!(!message.contains("fuzz-password"));
                assert!(config.take_back_from(text, &hosts, take_back).is_err());
                return;
            }
        };
        let merged = std::str::from_utf8(&merged).expect("the merge writes UTF-8");
        let before = docker_sections(text).expect("an accepted file is an object");
        let after = docker_sections(merged).expect("the merge writes a JSON object");
        let is_login = take_back.is_none();
        // What the merge replaces: every spelling of the host in auths; in
        // credHelpers every spelling for a login, the host itself for a helper.
        let replaced = |section: &str, key: &str| {
            let ours = aws_oidc::fuzzing::host_of(key) == DOCKER_HOST;
            match section {
                "auths" => ours,
                _ if is_login => ours,
                _ => key == DOCKER_HOST,
            }
        };
        let expected = without(&before, &replaced);
        assert_eq!(
            without(&after, &|s, k| s == added(is_login) && k == DOCKER_HOST),
            expected
        );
        let new: serde_json::Value =
            serde_json::from_str(after.sections[added(is_login)][DOCKER_HOST].as_str()).unwrap();
        if is_login {
            // base64 of "AWS:fuzz-password".
            assert_eq!(new, serde_json::json!({"auth": "QVdTOmZ1enotcGFzc3dvcmQ="}));
        } else {
            assert_eq!(new, serde_json::json!("aws-oidc"));
        }
        let (back, removed) = config
            .take_back_from(merged, &hosts, take_back)
            .expect("what the merge wrote is taken back");
        assert_eq!(removed, hosts);
        let back = String::from_utf8(back.expect("the entry went")).unwrap();
        let back = docker_sections(&back).expect("the take-back writes a JSON object");
        assert_eq!(without(&back, &|_, _| false), expected);
    }
}

/// The section a merge adds its entry to.
#[cfg(feature = "ecr")]
fn added(is_login: bool) -> &'static str {
    if is_login {
        "auths"
    } else {
        "credHelpers"
    }
}

/// A Docker config read for comparison: each value's text as written, and
/// the entries of `auths` and `credHelpers` the same way (`null` and a
/// missing section read as empty).
#[cfg(feature = "ecr")]
#[derive(Debug, PartialEq, Eq, Clone, Default)]
pub(crate) struct DockerSections {
    /// Every other key and its value's text.
    pub rest: std::collections::BTreeMap<String, String>,
    /// `auths` and `credHelpers`: key -> value's text.
    pub sections:
        std::collections::BTreeMap<&'static str, std::collections::BTreeMap<String, String>>,
}

/// `text` read as a [`DockerSections`]; `None` when it is not a JSON object
/// with object (or null) sections.
#[cfg(feature = "ecr")]
pub(crate) fn docker_sections(text: &str) -> Option<DockerSections> {
    use std::collections::BTreeMap;
    type Raw = BTreeMap<String, Box<serde_json::value::RawValue>>;
    let mut out = DockerSections::default();
    // JSON's whitespace only: Docker reads a file of nothing else as empty.
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        out.sections.insert("auths", BTreeMap::new());
        out.sections.insert("credHelpers", BTreeMap::new());
        return Some(out);
    }
    let whole: Raw = serde_json::from_str(text).ok()?;
    for (key, value) in whole {
        out.rest.insert(key, value.get().to_string());
    }
    for section in ["auths", "credHelpers"] {
        let entries = match out.rest.remove(section) {
            None => BTreeMap::new(),
            Some(raw) if raw == "null" => BTreeMap::new(),
            Some(raw) => serde_json::from_str::<Raw>(&raw)
                .ok()?
                .into_iter()
                .map(|(k, v)| (k, v.get().to_string()))
                .collect(),
        };
        out.sections.insert(section, entries);
    }
    Some(out)
}

/// `doc` without the section entries `drop(section, key)` picks.
#[cfg(feature = "ecr")]
fn without(doc: &DockerSections, drop: &dyn Fn(&str, &str) -> bool) -> DockerSections {
    let mut out = doc.clone();
    for (section, entries) in out.sections.iter_mut() {
        entries.retain(|key, _| !drop(section, key));
    }
    out
}

/// The ledger of what aws-oidc wrote, as found on disk: reading it never
/// panics, an oversized or malformed one reads as empty, and every entry
/// read writes back out and reads back equal (so recording one more
/// write never loses the others).  A grant read is judged at any time
/// without overflow: fresh exactly while it has more time left than asked.
pub(crate) fn ledger(data: &[u8]) {
    use aws_oidc::fuzzing::{read_ledger, write_ledger, Written};

    let read = read_ledger(data);
    if data.len() > 1024 * 1024 {
        assert!(read.is_empty());
    }
    let text = write_ledger(&read).expect("what was read writes out");
    assert_eq!(read_ledger(&text), read);
    for written in &read {
        let grant = match written {
            Written::BashEnv { grant, .. } | Written::Profile { grant, .. } => grant.as_ref(),
            _ => None,
        };
        let Some(grant) = grant else {
            continue;
        };
        let _ = grant.expiry();
        for now in [
            UNIX_EPOCH,
            SystemTime::now(),
            grant.expiry(),
            UNIX_EPOCH + Duration::from_secs(253_402_300_799),
        ] {
            let now_secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
            for min_left in [0, 3600, u64::MAX] {
                let left = i128::from(grant.expires_at) - i128::from(now_secs);
                assert_eq!(
                    grant.fresh_for(&grant.role_arn, Duration::from_secs(min_left), now),
                    left > i128::from(min_left),
                    "{grant:?} at {now_secs} with {min_left} s to go"
                );
            }
        }
    }
}

/// A kubeconfig merge (`eks-kubeconfig`) into untrusted text: never panics;
/// a merge it makes reads back with aws-oidc's entries current, every other
/// entry and key as it was, and `cleanup` (unmerge) takes back exactly what
/// it added.  A text naming none of the keys aws-oidc edits gets back every
/// byte.
#[cfg(feature = "eks")]
pub(crate) fn kubeconfig_merge(data: &[u8]) {
    use aws_oidc::eks::ClusterInfo;
    use aws_oidc::eks::ClusterName;
    use aws_oidc::eks::ExecPlugin;
    use aws_oidc::fuzzing::Entries;
    use aws_oidc::fuzzing::{merge, unmerge};
    use yaml_rust2::{Yaml, YamlLoader};

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let arn = "arn:aws:eks:eu-west-1:123456789012:cluster/fuzz";
    let cluster = ClusterInfo {
        name: ClusterName::parse("fuzz").expect("a valid name"),
        arn: arn.into(),
        endpoint: "https://fuzz.example".into(),
        certificate_authority_data: "Zm96eg==".into(),
    };
    let entries = Entries {
        cluster: &cluster,
        context: "fuzz-ci".into(),
        exec: ExecPlugin {
            command: "aws-oidc".into(),
            args: vec!["eks-token".into(), "--cluster-name".into(), "fuzz".into()],
        },
    };
    let path = std::path::Path::new("fuzz");
    let Ok((out, merged)) = merge(Some(text), &entries, path) else {
        return;
    };
    let load = |t: &str| match YamlLoader::load_from_str(t).expect("the text reads").pop() {
        Some(Yaml::Hash(h)) => Some(h),
        _ => None,
    };
    let key = |k: &str| Yaml::String(k.into());
    // An empty or null document is a new kubeconfig.
    let new = "apiVersion: v1\nkind: Config\npreferences: {}\n";
    let was = load(text).unwrap_or_else(|| load(new).expect("a mapping"));
    let now = load(&out).expect("a mapping");
    assert_eq!(now.get(&key("current-context")), Some(&key("fuzz-ci")));
    for (k, v) in &was {
        match k.as_str() {
            Some("clusters" | "users" | "contexts" | "current-context") => {}
            _ => assert_eq!(now.get(k), Some(v), "{k:?} changed"),
        }
    }
    let (back, _) = unmerge(&out, &merged, path).expect("what merge wrote is taken back");
    // (A text holding no document becomes a new kubeconfig, which stays.)
    let untouched = load(text).is_some()
        && ["clusters", "users", "contexts", "current-context"]
            .iter()
            .all(|k| !text.contains(k))
        && !text.contains(arn)
        && text.ends_with('\n');
    if untouched {
        assert_eq!(back, text);
    } else {
        let mut back = load(&back).unwrap_or_default();
        let mut was = was;
        for k in ["clusters", "users", "contexts"] {
            // An empty or null list may come back as no list: kubectl reads both as none.
            for doc in [&mut back, &mut was] {
                if doc
                    .get(&key(k))
                    .is_some_and(|v| v.is_null() || v.as_vec().is_some_and(Vec::is_empty))
                {
                    doc.remove(&key(k));
                }
            }
        }
        back.remove(&key("current-context"));
        was.remove(&key("current-context"));
        assert_eq!(back, was);
    }
}
