//! The kubeconfig entries for an EKS cluster, merged as `aws eks update-kubeconfig` does.
//!
//! A cluster (named by its ARN: endpoint and CA), a user of the same name
//! whose exec plugin runs `aws-oidc eks-token`, and a context joining them
//! (named by `--alias`, else the ARN), which becomes the current context.
//! Every other entry and key is kept, in its order; comments are not
//! (kubectl does not keep them either).  The file is read (bounded), merged
//! and replaced atomically, 0600, under a lock, so parallel steps cannot
//! lose each other's entries; a file that is not a kubeconfig (not YAML,
//! or not shaped like one) is refused and left byte for byte as it was.
//! [`Merged`] says what was added, so that `cleanup` takes back only that
//! ([`take_back`]).
//!
//! YAML is read and written by yaml-rust2, the smallest maintained YAML
//! crate that does both (README.md, "kubectl and helm against EKS").  Its loader
//! copies a node for every alias, so a document is first counted, aliases
//! included, and refused beyond [`MAX_NODES`] (no "billion laughs").
//!
//! Which file: `--kubeconfig`, else the first path in `$KUBECONFIG` (the
//! file kubectl writes new entries to; the list is split as kubectl splits
//! it on this platform), else `~/.kube/config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

use super::cluster::ClusterInfo;
use crate::files::{FileError, UpdateLock};
use crate::settings::Env;

/// The `ExecCredential` version the kubeconfig names.
pub const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";

/// The most nodes a kubeconfig may hold once its aliases are expanded (one
/// with a thousand clusters holds about twenty thousand).
pub const MAX_NODES: u64 = 500_000;

/// The deepest nesting of sequences and mappings a kubeconfig may have.
/// kubectl's own files nest six deep (an extension inside a cluster); the
/// loader and emitter recurse once per level, so 20,000 levels (`- - - ...`,
/// `[[[...`, 40 KB) would overflow the stack: the depth is counted first, on
/// the parser's event stream, which does not recurse.
pub const MAX_DEPTH: usize = 64;

/// Why the kubeconfig was not written.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// No file can be named.
    #[error("no kubeconfig to write: $HOME is not set; pass --kubeconfig PATH or set KUBECONFIG")]
    NoPath,
    /// The file is not YAML.
    #[error(
        "{} is not valid YAML ({why}); it was left as it was: fix it, or point --kubeconfig \
         (KUBECONFIG) at another file", path.display()
    )]
    NotYaml {
        /// The file.
        path: PathBuf,
        /// The parser's message and position (never the content).
        why: String,
    },
    /// The file is YAML, but not a kubeconfig.
    #[error(
        "{} is not a kubeconfig: {why}; it was left as it was: fix it, or point --kubeconfig \
         (KUBECONFIG) at another file", path.display()
    )]
    NotKubeconfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// I/O.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The file to write: `flag`, else the first entry of `$KUBECONFIG`, else
/// `~/.kube/config`.
pub fn path(flag: Option<&Path>, env: Env) -> Result<PathBuf, KubeconfigError> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(first) =
        env("KUBECONFIG").and_then(|list| crate::platform::path_list(&list).into_iter().next())
    {
        return Ok(first);
    }
    crate::platform::home_dir(env)
        .map(|h| Path::new(&h).join(".kube").join("config"))
        .ok_or(KubeconfigError::NoPath)
}

/// The user's exec plugin: the command kubectl runs for a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPlugin {
    /// The program: `aws-oidc` or an absolute path.
    pub command: String,
    /// Its arguments: `eks-token --cluster-name ... --region ...` and the credential options.
    pub args: Vec<String>,
}

/// What is merged in.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    /// The cluster described.
    pub cluster: &'a ClusterInfo,
    /// The context's name (`--alias`, else the cluster ARN).
    pub context: String,
    /// How kubectl gets a token.
    pub exec: ExecPlugin,
}

/// What a merge changed, for `cleanup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// Cluster entries that were not there before (names).
    pub added_clusters: Vec<String>,
    /// User entries that were not there before.
    pub added_users: Vec<String>,
    /// Context entries that were not there before.
    pub added_contexts: Vec<String>,
    /// The context made current.
    pub current_context: String,
    /// The current context before, if any.
    pub previous_context: Option<String>,
}

fn s(v: &str) -> Yaml {
    Yaml::String(v.to_string())
}

fn mapping(pairs: Vec<(&str, Yaml)>) -> Yaml {
    Yaml::Hash(pairs.into_iter().map(|(k, v)| (s(k), v)).collect())
}

fn get<'a>(v: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    v.as_hash()?.get(&s(key))
}

fn name_of(entry: &Yaml) -> Option<&str> {
    get(entry, "name")?.as_str()
}

impl Entries<'_> {
    fn cluster_entry(&self) -> Yaml {
        mapping(vec![
            (
                "cluster",
                mapping(vec![
                    (
                        "certificate-authority-data",
                        s(&self.cluster.certificate_authority_data),
                    ),
                    ("server", s(&self.cluster.endpoint)),
                ]),
            ),
            ("name", s(&self.cluster.arn)),
        ])
    }

    fn user_entry(&self) -> Yaml {
        let exec =
            mapping(vec![
            ("apiVersion", s(EXEC_API_VERSION)),
            ("command", s(&self.exec.command)),
            (
                "args",
                Yaml::Array(self.exec.args.iter().map(|a| s(a)).collect()),
            ),
            ("interactiveMode", s("Never")),
            ("provideClusterInfo", Yaml::Boolean(false)),
            (
                "installHint",
                s("aws-oidc gives kubectl its EKS tokens: install it with the aws-oidc/install \
                   step of the aws-oidc orb, or put the aws-oidc binary on PATH"),
            ),
        ]);
        mapping(vec![
            ("name", s(&self.cluster.arn)),
            ("user", mapping(vec![("exec", exec)])),
        ])
    }

    fn context_entry(&self) -> Yaml {
        let cluster = &self.cluster.arn;
        mapping(vec![
            (
                "context",
                mapping(vec![("cluster", s(cluster)), ("user", s(cluster))]),
            ),
            ("name", s(&self.context)),
        ])
    }
}

/// Replaces the entry named `name` in `list` with `entry` (keeping the
/// keys of the old one's `keep` map that the new one lacks, e.g. a
/// context's namespace), or appends it.  True when appended.
fn upsert(list: &mut Vec<Yaml>, name: &str, mut entry: Yaml, keep: Option<&str>) -> bool {
    match list.iter().position(|e| name_of(e) == Some(name)) {
        Some(i) => {
            if let Some(inner) = keep {
                let old = get(&list[i], inner).and_then(Yaml::as_hash).cloned();
                let new = entry
                    .as_mut_hash()
                    .and_then(|h| h.get_mut(&s(inner)))
                    .and_then(Yaml::as_mut_hash);
                if let (Some(old), Some(new)) = (old, new) {
                    for (k, v) in old {
                        new.entry(k).or_insert(v);
                    }
                }
            }
            list[i] = entry;
            false
        }
        None => {
            list.push(entry);
            true
        }
    }
}

/// Counts a document's nodes with every alias expanded, without expanding them.
#[derive(Default)]
struct NodeCount {
    open: Vec<(u64, usize)>,
    anchored: BTreeMap<usize, u64>,
    total: u64,
}

impl NodeCount {
    fn add(&mut self, size: u64, anchor: usize) {
        if anchor > 0 {
            self.anchored.insert(anchor, size);
        }
        match self.open.last_mut() {
            Some((n, _)) => *n = n.saturating_add(size),
            None => self.total = self.total.saturating_add(size),
        }
    }
}

impl MarkedEventReceiver for NodeCount {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::Scalar(_, _, anchor, _) => self.add(1, anchor),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((1, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((n, anchor)) = self.open.pop() {
                    self.add(n, anchor);
                }
            }
            Event::Alias(id) => {
                let n = self.anchored.get(&id).copied().unwrap_or(1);
                self.add(n, 0);
            }
            _ => {}
        }
    }
}

/// Whether any node is one the loader could not make sense of.
fn has_bad_value(v: &Yaml) -> bool {
    match v {
        Yaml::BadValue | Yaml::Alias(_) => true,
        Yaml::Array(a) => a.iter().any(has_bad_value),
        Yaml::Hash(h) => h.iter().any(|(k, v)| has_bad_value(k) || has_bad_value(v)),
        _ => false,
    }
}

/// Parses a kubeconfig: `None` for an empty (or null) document.
fn parse(text: &str, path: &Path) -> Result<Option<Hash>, KubeconfigError> {
    let not_yaml = |why: String| KubeconfigError::NotYaml {
        path: path.to_path_buf(),
        why,
    };
    let not_kubeconfig = |why: &str| KubeconfigError::NotKubeconfig {
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let scan = |e: yaml_rust2::ScanError| {
        not_yaml(format!(
            "{}, line {}, column {}",
            e.info(),
            e.marker().line(),
            e.marker().col() + 1
        ))
    };
    // One pass over the events, before anything that recurses (the loader,
    // `Drop` of a nested `Yaml`, the emitter) sees the document.
    let mut count = NodeCount::default();
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        let (ev, mark) = parser.next_token().map_err(scan)?;
        match ev {
            Event::StreamEnd => break,
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(not_kubeconfig(&format!(
                        "it nests lists and mappings more than {MAX_DEPTH} deep (line {}), \
                         deeper than any kubeconfig",
                        mark.line()
                    )));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        count.on_event(ev, mark);
    }
    if count.total > MAX_NODES {
        return Err(not_kubeconfig(&format!(
            "it expands (aliases included) to more than {MAX_NODES} nodes"
        )));
    }
    let mut docs = YamlLoader::load_from_str(text).map_err(scan)?;
    if docs.len() > 1 {
        return Err(not_kubeconfig("it holds more than one YAML document"));
    }
    match docs.pop() {
        None | Some(Yaml::Null) => Ok(None),
        // An empty document (`---` alone).
        Some(Yaml::BadValue) => Ok(None),
        Some(v) if has_bad_value(&v) => Err(not_kubeconfig(
            "it holds a value that cannot be read (an unknown alias, or a bad !!int, !!bool or !!null)",
        )),
        Some(Yaml::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(not_kubeconfig("its top level is not a mapping")),
    }
}

/// The document as text.
fn emit(doc: Hash, path: &Path) -> Result<String, KubeconfigError> {
    let mut out = String::new();
    YamlEmitter::new(&mut out)
        .dump(&Yaml::Hash(doc))
        .map_err(|e| KubeconfigError::NotKubeconfig {
            path: path.to_path_buf(),
            why: format!("it cannot be written back as YAML ({e:?})"),
        })?;
    let body = out.strip_prefix("---\n").unwrap_or(&out);
    Ok(format!("{body}\n"))
}

/// The list under `key`, created if missing or null.
fn list_of<'a>(
    doc: &'a mut Hash,
    key: &str,
    path: &Path,
) -> Result<&'a mut Vec<Yaml>, KubeconfigError> {
    let list = doc.entry(s(key)).or_insert(Yaml::Array(Vec::new()));
    if list.is_null() {
        *list = Yaml::Array(Vec::new());
    }
    match list {
        Yaml::Array(list) => Ok(list),
        _ => Err(KubeconfigError::NotKubeconfig {
            path: path.to_path_buf(),
            why: format!("its {key} is not a list"),
        }),
    }
}

/// Merges `entries` into the kubeconfig `text` (`None`: a new file) and
/// returns the new text and what changed.  `path` is for messages.
pub fn merge(
    text: Option<&str>,
    entries: &Entries,
    path: &Path,
) -> Result<(String, Merged), KubeconfigError> {
    let mut doc = match text {
        Some(t) => parse(t, path)?,
        None => None,
    }
    .unwrap_or_else(|| {
        let mut m = Hash::new();
        m.insert(s("apiVersion"), s("v1"));
        m.insert(s("kind"), s("Config"));
        m.insert(s("preferences"), Yaml::Hash(Hash::new()));
        m
    });
    if let Some(kind) = doc.get(&s("kind")).and_then(Yaml::as_str) {
        if kind != "Config" {
            return Err(KubeconfigError::NotKubeconfig {
                path: path.to_path_buf(),
                why: format!("its kind is {kind:?}, not Config"),
            });
        }
    }
    let arn = &entries.cluster.arn;
    let mut merged = Merged {
        current_context: entries.context.clone(),
        previous_context: doc
            .get(&s("current-context"))
            .and_then(Yaml::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        ..Merged::default()
    };
    if upsert(
        list_of(&mut doc, "clusters", path)?,
        arn,
        entries.cluster_entry(),
        None,
    ) {
        merged.added_clusters.push(arn.clone());
    }
    if upsert(
        list_of(&mut doc, "users", path)?,
        arn,
        entries.user_entry(),
        None,
    ) {
        merged.added_users.push(arn.clone());
    }
    // A namespace set on the context is the user's choice: kept.
    let contexts = list_of(&mut doc, "contexts", path)?;
    if upsert(
        contexts,
        &entries.context,
        entries.context_entry(),
        Some("context"),
    ) {
        merged.added_contexts.push(entries.context.clone());
    }
    doc.insert(s("current-context"), s(&entries.context));
    Ok((emit(doc, path)?, merged))
}

/// Merges `entries` into the kubeconfig at `path` (created 0600 if
/// missing, its directory 0700), atomically under a lock.
pub fn write(path: &Path, entries: &Entries) -> Result<Merged, KubeconfigError> {
    let lock = UpdateLock::acquire(path)?;
    let current = lock.read()?;
    let (text, merged) = merge(current.as_deref(), entries, lock.path())?;
    lock.replace(text.as_bytes(), 0o600)?;
    Ok(merged)
}

/// What [`take_back`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakenBack {
    /// Entries removed (`cluster NAME`, `user NAME`, `context NAME`).
    pub removed: Vec<String>,
    /// The current context restored (`Some(None)`: unset, as it was).
    pub restored_context: Option<Option<String>>,
}

/// Removes from `text` what a merge added (entries that were not there
/// before it), and puts the current context back if it is still the one
/// the merge set.  Entries that were there before are left as they are now.
pub fn unmerge(
    text: &str,
    merged: &Merged,
    path: &Path,
) -> Result<(String, TakenBack), KubeconfigError> {
    let Some(mut doc) = parse(text, path)? else {
        return Ok((text.to_string(), TakenBack::default()));
    };
    // A ledger naming some other YAML file (a CircleCI config) must not
    // have it rewritten: only a kubeconfig is.
    if let Some(kind) = doc.get(&s("kind")).and_then(Yaml::as_str) {
        if kind != "Config" {
            return Err(KubeconfigError::NotKubeconfig {
                path: path.to_path_buf(),
                why: format!("its kind is {kind:?}, not Config"),
            });
        }
    }
    let mut done = TakenBack::default();
    for (key, what, names) in [
        ("clusters", "cluster", &merged.added_clusters),
        ("users", "user", &merged.added_users),
        ("contexts", "context", &merged.added_contexts),
    ] {
        if let Some(Yaml::Array(list)) = doc.get_mut(&s(key)) {
            list.retain(|e| match name_of(e) {
                Some(n) if names.iter().any(|w| w == n) => {
                    done.removed.push(format!("{what} {n}"));
                    false
                }
                _ => true,
            });
        }
    }
    let current = doc.get(&s("current-context")).and_then(Yaml::as_str);
    if current == Some(merged.current_context.as_str()) {
        match &merged.previous_context {
            Some(p) => {
                doc.insert(s("current-context"), s(p));
            }
            None => {
                doc.remove(&s("current-context"));
            }
        }
        done.restored_context = Some(merged.previous_context.clone());
    }
    Ok((emit(doc, path)?, done))
}

/// [`unmerge`] on the file at `path`, under its lock.  A file that is gone
/// is nothing to take back; one that is no longer a kubeconfig is left as it is.
pub fn take_back(path: &Path, merged: &Merged) -> Result<TakenBack, KubeconfigError> {
    let lock = UpdateLock::acquire(path)?;
    let Some(current) = lock.read()? else {
        return Ok(TakenBack::default());
    };
    let (text, done) = unmerge(&current, merged, lock.path())?;
    if done != TakenBack::default() {
        lock.replace(text.as_bytes(), 0o600)?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eks::token::ClusterName;

    const ARN: &str = "arn:aws:eks:eu-west-1:123456789012:cluster/demo";

    fn info() -> ClusterInfo {
        ClusterInfo {
            name: ClusterName::parse("demo").unwrap(),
            arn: ARN.into(),
            endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com".into(),
            certificate_authority_data: "LS0tLS1CRUdJTg==".into(),
        }
    }

    fn entries(cluster: &ClusterInfo, context: &str) -> Entries<'static> {
        Entries {
            cluster: Box::leak(Box::new(cluster.clone())),
            context: context.into(),
            exec: ExecPlugin {
                command: "aws-oidc".into(),
                args: [
                    "eks-token",
                    "--cluster-name",
                    "demo",
                    "--region",
                    "eu-west-1",
                ]
                .map(String::from)
                .to_vec(),
            },
        }
    }

    fn parsed(text: &str) -> Yaml {
        YamlLoader::load_from_str(text).unwrap().remove(0)
    }

    #[test]
    fn a_new_file_gets_a_cluster_a_user_and_the_current_context() {
        let (out, merged) = merge(None, &entries(&info(), ARN), Path::new("k")).unwrap();
        let v = parsed(&out);
        assert_eq!(v["apiVersion"].as_str(), Some("v1"));
        assert_eq!(v["kind"].as_str(), Some("Config"));
        assert_eq!(v["current-context"].as_str(), Some(ARN));
        assert_eq!(v["clusters"][0]["name"].as_str(), Some(ARN));
        assert_eq!(
            v["clusters"][0]["cluster"]["server"].as_str(),
            Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
        );
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"].as_str(),
            Some("LS0tLS1CRUdJTg==")
        );
        let exec = &v["users"][0]["user"]["exec"];
        assert_eq!(exec["apiVersion"].as_str(), Some(EXEC_API_VERSION));
        assert_eq!(exec["command"].as_str(), Some("aws-oidc"));
        assert_eq!(exec["args"][0].as_str(), Some("eks-token"));
        assert_eq!(exec["interactiveMode"].as_str(), Some("Never"));
        assert_eq!(exec["provideClusterInfo"].as_bool(), Some(false));
        assert_eq!(v["contexts"][0]["context"]["user"].as_str(), Some(ARN));
        assert_eq!(merged.added_clusters, [ARN]);
        assert_eq!(merged.previous_context, None);
        assert!(!out.starts_with("---"), "{out}");
    }

    const EXISTING: &str = "apiVersion: v1\nkind: Config\npreferences:\n  colors: true\n\
         clusters:\n- name: kind-local\n  cluster:\n    server: https://127.0.0.1:6443\n\
         - name: arn:aws:eks:eu-west-1:123456789012:cluster/demo\n  cluster:\n    server: https://old\n\
         contexts:\n- name: prod\n  context:\n    cluster: old\n    user: old\n    namespace: web\n\
         - name: kind-local\n  context:\n    cluster: kind-local\n    user: kind-local\n\
         users:\n- name: kind-local\n  user:\n    token: local-token\n    flag: 'on'\n    port: 8080\n\
         current-context: kind-local\nextensions: []\n";

    #[test]
    fn every_other_entry_is_kept_and_ours_replaced() {
        let (out, merged) =
            merge(Some(EXISTING), &entries(&info(), "prod"), Path::new("k")).unwrap();
        let v = parsed(&out);
        assert_eq!(v["preferences"]["colors"].as_bool(), Some(true));
        assert_eq!(v["extensions"], Yaml::Array(vec![]));
        assert_eq!(v["clusters"].as_vec().unwrap().len(), 2);
        assert_eq!(v["clusters"][0]["name"].as_str(), Some("kind-local"));
        assert_eq!(
            v["clusters"][1]["cluster"]["server"].as_str(),
            Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
        );
        assert_eq!(v["users"][0]["user"]["token"].as_str(), Some("local-token"));
        // A YAML 1.1 boolean word stays a string for kubectl's parser.
        assert_eq!(v["users"][0]["user"]["flag"].as_str(), Some("on"));
        assert_eq!(v["users"][0]["user"]["port"].as_i64(), Some(8080));
        assert_eq!(v["users"][1]["name"].as_str(), Some(ARN));
        assert_eq!(v["contexts"][0]["context"]["user"].as_str(), Some(ARN));
        assert_eq!(
            v["contexts"][0]["context"]["namespace"].as_str(),
            Some("web")
        );
        assert_eq!(v["contexts"][1]["name"].as_str(), Some("kind-local"));
        assert_eq!(v["current-context"].as_str(), Some("prod"));
        assert_eq!(
            merged,
            Merged {
                added_clusters: vec![],
                added_users: vec![ARN.into()],
                added_contexts: vec![],
                current_context: "prod".into(),
                previous_context: Some("kind-local".into()),
            }
        );
        // Merging again changes nothing.
        let (again, _) = merge(Some(&out), &entries(&info(), "prod"), Path::new("k")).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn unmerge_takes_back_only_what_was_added() {
        let (out, merged) = merge(Some(EXISTING), &entries(&info(), "ci"), Path::new("k")).unwrap();
        let (back, done) = unmerge(&out, &merged, Path::new("k")).unwrap();
        let v = parsed(&back);
        assert_eq!(v["current-context"].as_str(), Some("kind-local"));
        assert_eq!(
            done.removed,
            [format!("user {ARN}"), "context ci".to_string()]
        );
        // The cluster entry was there before: it stays (as it is now).
        assert_eq!(v["clusters"].as_vec().unwrap().len(), 2);
        assert_eq!(v["users"].as_vec().unwrap().len(), 1);
        assert_eq!(v["contexts"].as_vec().unwrap().len(), 2);
        // A current context changed since is left alone.
        let (out, merged) = merge(None, &entries(&info(), ARN), Path::new("k")).unwrap();
        let moved = out.replace(
            &format!("current-context: \"{ARN}\""),
            "current-context: other",
        );
        assert_ne!(moved, out);
        let (back, done) = unmerge(&moved, &merged, Path::new("k")).unwrap();
        assert_eq!(done.restored_context, None);
        assert_eq!(parsed(&back)["current-context"].as_str(), Some("other"));
        assert_eq!(parsed(&back)["clusters"].as_vec().unwrap().len(), 0);
    }

    #[test]
    fn what_is_not_a_kubeconfig_is_refused() {
        let e = entries(&info(), ARN);
        let err = merge(Some("clusters: [\n"), &e, Path::new("k")).unwrap_err();
        assert!(matches!(err, KubeconfigError::NotYaml { .. }), "{err}");
        assert!(err.to_string().contains("left as it was"), "{err}");
        for (text, why) in [
            ("- a\n- b\n", "top level"),
            ("clusters: 3\n", "clusters is not a list"),
            ("kind: Pod\n", "Pod"),
            ("a: 1\n---\nb: 2\n", "more than one"),
            ("a: *nowhere\n", "not valid YAML"),
        ] {
            let err = merge(Some(text), &e, Path::new("k")).unwrap_err();
            assert!(err.to_string().contains(why), "{text:?}: {err}");
        }
        // Empty and null documents are new kubeconfigs.
        for text in ["", "\n", "---\n", "~\n"] {
            merge(Some(text), &e, Path::new("k")).unwrap();
        }
    }

    #[test]
    fn aliases_are_expanded_but_a_billion_laughs_is_refused() {
        let e = entries(&info(), ARN);
        let ok = "x: &a {k: v}\ny: *a\n";
        let (out, _) = merge(Some(ok), &e, Path::new("k")).unwrap();
        assert_eq!(parsed(&out)["y"]["k"].as_str(), Some("v"));
        let mut laughs =
            String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..9 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = merge(Some(&laughs), &e, Path::new("k")).unwrap_err();
        assert!(err.to_string().contains("nodes"), "{err}");
    }

    #[test]
    fn deeply_nested_yaml_is_refused_instead_of_overflowing_the_stack() {
        let e = entries(&info(), ARN);
        // 40 KB each: the recursive loader and emitter would need far more
        // than a test thread's 2 MiB of stack.
        for text in [
            "- ".repeat(20_000) + "x\n",
            "[".repeat(20_000) + &"]".repeat(20_000) + "\n",
            "a: ".to_string() + &"{b: ".repeat(20_000) + "c" + &"}".repeat(20_000) + "\n",
        ] {
            let err = merge(Some(&text), &e, Path::new("k")).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.contains("deep") || msg.contains("not valid YAML"),
                "{msg}"
            );
            assert!(msg.contains("left as it was"), "{msg}");
            let err = unmerge(&text, &Merged::default(), Path::new("k")).unwrap_err();
            assert!(err.to_string().contains("k "), "{err}");
        }
        // kubectl's own depth is far inside the bound.
        let nested = "a:\n".to_string()
            + &(1..MAX_DEPTH - 1)
                .map(|i| format!("{}b{i}:\n", "  ".repeat(i)))
                .collect::<String>()
            + &"  ".repeat(MAX_DEPTH - 1)
            + "c: d\n";
        merge(Some(&nested), &e, Path::new("k")).unwrap();
    }

    #[test]
    fn the_file_is_the_flag_then_the_first_of_kubeconfig_then_home() {
        let sep = if cfg!(windows) { ";" } else { ":" };
        let list = format!("{sep}/a/first{sep}/b/second");
        let env = |name: &str| match name {
            "KUBECONFIG" => Some(list.clone()),
            "HOME" => Some("/home/u".to_string()),
            _ => None,
        };
        assert_eq!(path(None, &env).unwrap(), PathBuf::from("/a/first"));
        assert_eq!(
            path(Some(Path::new("/x")), &env).unwrap(),
            PathBuf::from("/x")
        );
        let home = |name: &str| (name == "HOME").then(|| "/home/u".to_string());
        assert_eq!(
            path(None, &home).unwrap(),
            PathBuf::from("/home/u/.kube/config")
        );
        assert!(path(None, &|_| None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn write_is_private_atomic_and_leaves_a_bad_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".kube").join("config");
        write(&file, &entries(&info(), ARN)).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let bad = b"clusters: [\n\tnot: yaml\n";
        std::fs::write(&file, bad).unwrap();
        assert!(write(&file, &entries(&info(), ARN)).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), bad);
    }
}
