//! The properties the fuzz targets check, shared with the regression test
//! that replays every crash they found (crates/aws-oidc/tests/fuzz_regressions.rs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_oidc::cache::parse_entry;
use aws_oidc::ini::IniDoc;
use aws_oidc::redact::printable;
use aws_oidc::{read_answer, FailureKind};

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

/// An STS answer, from a hostile or broken endpoint: the first two bytes
/// pick the HTTP status, the rest is the body.  Reading it never panics;
/// credentials that come out are printable and not yet expired; a failure's
/// message is bounded and holds no control character.
pub fn sts_answer(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_be_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    match read_answer(status, body) {
        Ok(assumed) => {
            let c = &assumed.credentials;
            for value in [
                c.access_key_id.expose(),
                c.secret_access_key.expose(),
                c.session_token.expose(),
            ] {
                assert!(!value.is_empty() && value.chars().all(|ch| ch.is_ascii_graphic()));
            }
            assert!(c.expiration > SystemTime::now());
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
pub fn cache_entry(data: &[u8]) {
    if let Some(cached) = parse_entry(data) {
        assert!(cached.issued_at < cached.credentials.expiration);
        for now in [
            UNIX_EPOCH,
            SystemTime::now(),
            cached.credentials.expiration,
            UNIX_EPOCH + Duration::from_secs(253_402_300_799),
        ] {
            let _ = cached.fresh_at(now);
        }
        let _ = cached.credentials.expiration_rfc3339();
    }
}

/// A kubeconfig merge (`eks-kubeconfig`) into untrusted text: never panics;
/// a merge it makes reads back with aws-oidc's entries current, every other
/// entry and key as it was, and `cleanup` (unmerge) takes back exactly what
/// it added.  A text naming none of the keys aws-oidc edits gets back every
/// byte.
#[cfg(feature = "eks")]
pub fn kubeconfig_merge(data: &[u8]) {
    use aws_oidc::eks::cluster::ClusterInfo;
    use aws_oidc::eks::kubeconfig::{merge, unmerge};
    use aws_oidc::eks::token::ClusterName;
    use aws_oidc::eks::{Entries, ExecPlugin};
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
    let untouched = ["clusters", "users", "contexts", "current-context"]
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
