//! The kubeconfig entries for an EKS cluster, merged as `aws eks update-kubeconfig` does.
//!
//! A cluster (named by its ARN: endpoint and CA), a user of the same name
//! whose exec plugin runs `aws-oidc eks-token`, and a context joining them
//! (named by `--alias`, else the ARN), which becomes the current context.
//! Every other entry, key, comment and byte is kept: the merge edits the
//! file's lines (see `splice`), because kubectl reads YAML 1.1 and
//! rewriting the whole document with a YAML 1.2 library changes what other
//! entries mean to it (`yes`, `on`, `0o17`, tags, escapes).  Every edit is
//! checked: the new text must read back as the same merge applied to the
//! parsed document, or nothing is written.  A layout whose lines cannot be
//! edited one entry at a time (flow-style lists holding entries, aliased
//! lists) is refused.  The file is read (bounded), merged and replaced
//! atomically, 0600, under a lock, so parallel steps cannot lose each
//! other's entries; a file that is not a kubeconfig (not YAML, or not
//! shaped like one) is refused and left byte for byte as it was.
//! [`Merged`] says what was added, so that `cleanup` takes back only that
//! ([`take_back`]), which gives back the file as it was when nothing else
//! changed it since.
//!
//! YAML is read by yaml-rust2, the smallest maintained YAML crate
//! (README.md, "kubectl and helm against EKS"); its parser's event marks
//! locate the entries.  Its loader copies a node for every alias, so a
//! document is first counted, aliases included, and refused beyond
//! [`MAX_NODES`] (no "billion laughs").
//!
//! Which file: `--kubeconfig`, else the first path in `$KUBECONFIG` (the
//! file kubectl writes new entries to; the list is split as kubectl splits
//! it on this platform), else `~/.kube/config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use super::cluster::ClusterInfo;
use super::splice::{apply, keys, node_end, quoted, Edit, Ev, KeyAt, Lines};
use crate::env::Env;
use crate::files::{FileError, UpdateLock};
use crate::ledger::Merged;

/// The `ExecCredential` version the kubeconfig names.
pub(crate) const EXEC_API_VERSION: &str = "client.authentication.k8s.io/v1beta1";

/// The most nodes a kubeconfig may hold once its aliases are expanded (one
/// with a thousand clusters holds about twenty thousand).
pub(crate) const MAX_NODES: u64 = 500_000;

/// The deepest nesting of sequences and mappings a kubeconfig may have.
/// kubectl's own files nest six deep (an extension inside a cluster); the
/// loader and `Drop` recurse once per level, so 20,000 levels (`- - - ...`,
/// `[[[...`, 40 KB) would overflow the stack: the depth is counted first, on
/// the parser's event stream, which does not recurse.
pub(crate) const MAX_DEPTH: usize = 64;

crate::error_debug::debug_by_display!(KubeconfigError);
/// Why the kubeconfig was not written.
#[derive(thiserror::Error)]
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

impl ExecPlugin {
    /// The plugin running the aws-oidc binary at `exe` with `args`: as
    /// `aws-oidc` when the first `aws-oidc` on `PATH` is that binary, so a
    /// kubeconfig carried to another job keeps working wherever aws-oidc is
    /// installed there; else by its absolute path (on Windows
    /// `...\aws-oidc.exe`, which kubectl runs as is).
    pub fn for_binary(exe: &Path, args: Vec<String>, env: Env) -> Self {
        let on_path =
            env("PATH").and_then(|path| crate::platform::find_program(&path, "aws-oidc", env));
        let same = |p: &Path| {
            p.canonicalize()
                .ok()
                .zip(exe.canonicalize().ok())
                .is_some_and(|(a, b)| a == b)
        };
        let command = match on_path {
            Some(p) if same(&p) => "aws-oidc".into(),
            _ => exe.to_string_lossy().into_owned(),
        };
        ExecPlugin { command, args }
    }
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

/// A kubeconfig read: the document (`None` for an empty or null one) and
/// the parser's events, which say where each node is in the text.
struct Parsed {
    doc: Option<Hash>,
    events: Vec<Ev>,
}

/// Parses a kubeconfig.
fn parse(text: &str, path: &Path) -> Result<Parsed, KubeconfigError> {
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
    // yaml-rust2's scanner takes a NUL for the end of the input, so a
    // file starting with one would read as empty and be replaced whole.
    // YAML allows no NUL anywhere.
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(not_yaml(format!("a NUL character, line {line}")));
    }
    // The parser counts a bare CR as a line break and `str::lines` does
    // not: the splice would misplace every line after one.
    if text.replace("\r\n", "").contains('\r') {
        return Err(not_kubeconfig(
            "it breaks lines with a bare carriage return (CR); kubectl writes LF",
        ));
    }
    // One pass over the events, before anything that recurses (the loader,
    // `Drop` of a nested `Yaml`) sees the document.
    let mut count = NodeCount::default();
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut events = Vec::new();
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
        events.push((ev.clone(), mark));
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
    let doc = match docs.pop() {
        None | Some(Yaml::Null) => None,
        // An empty document (`---` alone).
        Some(Yaml::BadValue) => None,
        Some(v) if has_bad_value(&v) => {
            return Err(not_kubeconfig(
                "it holds a value that cannot be read (an unknown alias, or a bad !!int, !!bool or !!null)",
            ))
        }
        Some(Yaml::Hash(h)) => Some(h),
        Some(_) => return Err(not_kubeconfig("its top level is not a mapping")),
    };
    if let Some(kind) = doc
        .as_ref()
        .and_then(|d| d.get(&s("kind")))
        .and_then(Yaml::as_str)
    {
        // A ledger naming some other YAML file (a CircleCI config) must not
        // have it rewritten: only a kubeconfig is.
        if kind != "Config" {
            return Err(not_kubeconfig(&format!("its kind is {kind:?}, not Config")));
        }
    }
    for key in ["clusters", "users", "contexts"] {
        match doc.as_ref().and_then(|d| d.get(&s(key))) {
            None | Some(Yaml::Null | Yaml::Array(_)) => {}
            Some(_) => return Err(not_kubeconfig(&format!("its {key} is not a list"))),
        }
    }
    Ok(Parsed { doc, events })
}

/// Whether two documents mean the same, mappings compared without their order.
fn same(a: &Yaml, b: &Yaml) -> bool {
    match (a, b) {
        (Yaml::Hash(a), Yaml::Hash(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        (Yaml::Array(a), Yaml::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// Our entries as block YAML at `indent` (strings double-quoted, so that
/// YAML 1.1 and 1.2 readers agree): the shapes [`Entries`] builds only.
fn render(v: &Yaml, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Yaml::Hash(h) => {
            for (k, v) in h {
                let k = k.as_str().unwrap_or_default();
                match v {
                    Yaml::Hash(inner) if !inner.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        render(v, indent + 2, out);
                    }
                    Yaml::Array(items) if !items.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        render(v, indent, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Yaml::Array(items) => {
            for item in items {
                let mut inner = String::new();
                render(item, indent + 2, &mut inner);
                // `- ` takes the place of the first line's indent.
                let first = inner.get(indent + 2..).unwrap_or_default();
                out.push_str(&format!("{pad}- {first}"));
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

fn scalar(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => quoted(s),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Hash(_) => "{}".into(),
        Yaml::Array(_) => "[]".into(),
        _ => "null".into(),
    }
}

/// The text of `v` as the lines of a block list item (or of a key, when
/// `v` is a one-key mapping) at column `col`, with the file's line breaks.
fn block(v: &Yaml, col: usize, eol: &str) -> String {
    let mut out = String::new();
    render(v, col, &mut out);
    if eol == "\n" {
        out
    } else {
        out.replace('\n', eol)
    }
}

/// What the splice needs to know of the text's top level.
struct Top<'t> {
    lines: Lines<'t>,
    events: &'t [Ev],
    keys: Vec<KeyAt>,
    col: usize,
    end: usize,
}

/// A list at the top level: where its key is and its items start.
struct ListAt {
    /// The key's index in [`Top::keys`] (`None`: no such key).
    key: Option<usize>,
    /// Each item's line (its `-`) and first event.
    items: Vec<(usize, usize)>,
    /// The column of the items' `-`.
    col: usize,
    /// The line after its last item.
    end: usize,
}

impl<'t> Top<'t> {
    fn new(text: &'t str, events: &'t [Ev]) -> Result<Self, String> {
        let lines = Lines::new(text);
        let root = events
            .iter()
            .position(|(e, _)| matches!(e, Event::MappingStart(..)))
            .ok_or("its top level is not a mapping")?;
        let (keys, end) = keys(events, root);
        let col = keys.first().map_or(0, |k| k.col);
        if keys.iter().any(|k| k.col != col || !lines.starts_line(k)) {
            return Err(
                "its top level is not a block mapping (kubectl writes one key per line)".into(),
            );
        }
        let mark = events.get(end).map(|e| e.1);
        let end = mark.map_or(lines.lines.len(), |m| {
            m.line().saturating_sub(1) + usize::from(m.col() > 0)
        });
        let end = end.min(lines.lines.len());
        Ok(Top {
            lines,
            events,
            keys,
            col,
            end,
        })
    }

    /// The lines of top-level key `i`: its line to the next key's.
    fn range(&self, i: usize) -> (usize, usize) {
        let next = self.keys.get(i + 1).map_or(self.end, |k| k.line);
        let from = self.keys[i].line;
        (from, self.lines.trim_end(from, next, self.col))
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.keys
            .iter()
            .position(|k| k.name.as_deref() == Some(name))
    }

    /// Where the list `name`'s items are; an error for a list written in a
    /// way whose lines cannot be edited one item at a time.
    fn list(&self, name: &str) -> Result<ListAt, String> {
        let Some(k) = self.find(name) else {
            return Ok(ListAt {
                key: None,
                items: vec![],
                col: self.col,
                end: self.end,
            });
        };
        let (from, to) = self.range(k);
        let v = self.keys[k].value;
        let empty = ListAt {
            key: Some(k),
            items: vec![],
            col: self.col,
            end: to,
        };
        let unusual = || {
            format!(
                "its {name} list is written in a way aws-oidc cannot edit line by line \
                 (flow style [...], an alias or a tag); rewrite it as kubectl does, with \
                 `kubectl config view --raw`"
            )
        };
        match &self.events[v].0 {
            Event::Scalar(..) => return Ok(empty),
            Event::SequenceStart(0, _) => {}
            _ => return Err(unusual()),
        }
        // Each item's first event; its lines are found by its dash in the text.
        let mut starts = Vec::new();
        let mut j = v + 1;
        while j < self.events.len() && !matches!(self.events[j].0, Event::SequenceEnd) {
            starts.push(j);
            j = node_end(self.events, j);
        }
        if starts.is_empty() {
            // `[]`: nothing of anyone's to keep.
            return Ok(empty);
        }
        let (col, dashes) = self.lines.dash_lines(from + 1, to).ok_or_else(unusual)?;
        if dashes.len() != starts.len() {
            return Err(unusual());
        }
        let items = dashes.into_iter().zip(starts).collect();
        Ok(ListAt {
            key: Some(k),
            items,
            col,
            end: to,
        })
    }

    /// The lines of item `i` of `list`.
    fn item(&self, list: &ListAt, i: usize) -> (usize, usize) {
        let next = list.items.get(i + 1).map_or(list.end, |n| n.0);
        let from = list.items[i].0;
        (from, self.lines.trim_end(from, next, list.col))
    }

    /// `key: value` in place of top-level key `name`'s lines, or added at the end.
    fn set(&self, name: &str, value: &str, edits: &mut Vec<Edit>) {
        let eol = self.lines.eol;
        match self.find(name) {
            Some(k) => {
                let (from, to) = self.range(k);
                let prefix = self.lines.prefix(from, self.keys[k].col);
                edits.push(Edit {
                    start: from,
                    end: to,
                    text: format!("{prefix}{name}: {value}{eol}"),
                });
            }
            None => edits.push(Edit {
                start: self.end,
                end: self.end,
                text: format!("{}{name}: {value}{eol}", " ".repeat(self.col)),
            }),
        }
    }

    /// `entry` in place of item `at` of `list` (`None`: added at its end).
    fn put(&self, name: &str, list: &ListAt, at: Option<usize>, entry: &Yaml) -> Edit {
        let eol = self.lines.eol;
        let item = Yaml::Array(vec![entry.clone()]);
        match (at, list.key) {
            (Some(i), _) => {
                let (start, end) = self.item(list, i);
                Edit {
                    start,
                    end,
                    text: block(&item, list.col, eol),
                }
            }
            (None, Some(k)) if list.items.is_empty() => {
                // A missing, null or `[]` list becomes a block list.
                let (start, end) = self.range(k);
                let prefix = self.lines.prefix(start, self.keys[k].col);
                Edit {
                    start,
                    end,
                    text: format!("{prefix}{name}:{eol}{}", block(&item, self.col, eol)),
                }
            }
            (None, Some(_)) => Edit {
                start: list.end,
                end: list.end,
                text: block(&item, list.col, eol),
            },
            (None, None) => Edit {
                start: self.end,
                end: self.end,
                text: format!(
                    "{}{name}:{eol}{}",
                    " ".repeat(self.col),
                    block(&item, self.col, eol)
                ),
            },
        }
    }

    /// Sets `cluster` and `user` inside item `at` of the contexts list,
    /// keeping every other line of it (a namespace, extensions).
    fn point_context(
        &self,
        list: &ListAt,
        at: usize,
        pairs: &[(&str, &str)],
        edits: &mut Vec<Edit>,
    ) -> Result<(), String> {
        let eol = self.lines.eol;
        let (start, end) = self.item(list, at);
        let ev = list.items[at].1;
        let odd = || {
            "its context entry of the same name is written in a way aws-oidc cannot edit \
             line by line; rewrite it as kubectl does, with `kubectl config view --raw`"
                .to_string()
        };
        if !matches!(self.events[ev].0, Event::MappingStart(0, _)) {
            return Err(odd());
        }
        let (item_keys, _) = keys(self.events, ev);
        let item_col = item_keys.first().map_or(list.col + 2, |k| k.col);
        if item_keys
            .iter()
            .any(|k| k.col != item_col || !self.lines.starts_line(k) || k.line < start)
        {
            return Err(odd());
        }
        let lines_of = |ks: &[KeyAt], i: usize, end: usize| {
            (ks[i].line, ks.get(i + 1).map_or(end, |k| k.line))
        };
        let new_context = |at_col: usize| {
            let pad = " ".repeat(at_col + 2);
            pairs
                .iter()
                .map(|(k, v)| format!("{pad}{k}: {}{eol}", quoted(v)))
                .collect::<String>()
        };
        let Some(c) = item_keys
            .iter()
            .position(|k| k.name.as_deref() == Some("context"))
        else {
            edits.push(Edit {
                start: end,
                end,
                text: format!(
                    "{}context:{eol}{}",
                    " ".repeat(item_col),
                    new_context(item_col)
                ),
            });
            return Ok(());
        };
        let (c_from, c_to) = lines_of(&item_keys, c, end);
        let value = item_keys[c].value;
        let inner = match self.events[value].0 {
            Event::MappingStart(0, _) => {
                let (inner, _) = keys(self.events, value);
                let col = inner.first().map(|k| k.col);
                let block = inner
                    .iter()
                    .all(|k| Some(k.col) == col && self.lines.starts_line(k) && k.line > c_from);
                block.then_some(inner).filter(|i| !i.is_empty())
            }
            _ => None,
        };
        let Some(inner) = inner else {
            // Null or flow: only a value holding nothing but what is set is rewritten.
            let foreign = match &self.events[value].0 {
                Event::Scalar(..) => false,
                Event::MappingStart(0, _) => keys(self.events, value)
                    .0
                    .iter()
                    .any(|k| !pairs.iter().any(|(p, _)| k.name.as_deref() == Some(*p))),
                _ => true,
            };
            if foreign {
                return Err(odd());
            }
            let prefix = self.lines.prefix(c_from, item_keys[c].col);
            edits.push(Edit {
                start: c_from,
                end: c_to,
                text: format!("{prefix}context:{eol}{}", new_context(item_col)),
            });
            return Ok(());
        };
        for (k, v) in pairs {
            let line = match inner.iter().position(|i| i.name.as_deref() == Some(*k)) {
                Some(i) => {
                    let (from, to) = lines_of(&inner, i, c_to);
                    let prefix = self.lines.prefix(from, inner[i].col);
                    Edit {
                        start: from,
                        end: to,
                        text: format!("{prefix}{k}: {}{eol}", quoted(v)),
                    }
                }
                None => Edit {
                    start: c_to,
                    end: c_to,
                    text: format!("{}{k}: {}{eol}", " ".repeat(inner[0].col), quoted(v)),
                },
            };
            edits.push(line);
        }
        Ok(())
    }
}

/// The names of a list's entries, in order.
fn names(doc: &Hash, key: &str) -> Vec<Option<String>> {
    match doc.get(&s(key)) {
        Some(Yaml::Array(list)) => list
            .iter()
            .map(|e| name_of(e).map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// The list under `key`, created if missing or null.
fn list_of<'a>(doc: &'a mut Hash, key: &str) -> &'a mut Vec<Yaml> {
    let list = doc.entry(s(key)).or_insert(Yaml::Array(Vec::new()));
    if !matches!(list, Yaml::Array(_)) {
        *list = Yaml::Array(Vec::new());
    }
    match list {
        Yaml::Array(list) => list,
        _ => unreachable!("set to a list above"),
    }
}

/// The new text if it reads back as `model`; else the file is not touched.
fn checked(text: Option<String>, model: &Hash, path: &Path) -> Result<String, KubeconfigError> {
    let refuse = || KubeconfigError::NotKubeconfig {
        path: path.to_path_buf(),
        why: "editing its lines would not give the entries intended (a layout aws-oidc \
              does not handle); rewrite it as kubectl does, with `kubectl config view --raw`"
            .into(),
    };
    let text = text.ok_or_else(refuse)?;
    let back = parse(&text, path)
        .map_err(|_| refuse())?
        .doc
        .unwrap_or_default();
    if same(&Yaml::Hash(back), &Yaml::Hash(model.clone())) {
        Ok(text)
    } else {
        Err(refuse())
    }
}

/// The text of a kubeconfig holding nothing yet.
const NEW_FILE: &str = "apiVersion: v1\nkind: Config\npreferences: {}\n";

/// Merges `entries` into the kubeconfig `text` (`None`: a new file) and
/// returns the new text and what changed.  `path` is for messages.
///
/// Only the lines of aws-oidc's own entries (and of `current-context`)
/// change; every other byte is kept, so every other entry means to kubectl
/// what it meant before.
pub fn merge(
    text: Option<&str>,
    entries: &Entries,
    path: &Path,
) -> Result<(String, Merged), KubeconfigError> {
    let mut parsed = match text {
        Some(t) => parse(t, path)?,
        None => parse(NEW_FILE, path)?,
    };
    let mut base = text.unwrap_or(NEW_FILE).to_string();
    if parsed.doc.is_none() {
        // Comments alone are kept above the new document; `---` or `~` is not.
        let blank = !parsed
            .events
            .iter()
            .any(|(e, _)| matches!(e, Event::DocumentStart));
        base = if blank && !base.trim().is_empty() {
            let sep = if base.ends_with('\n') { "" } else { "\n" };
            format!("{base}{sep}{NEW_FILE}")
        } else {
            NEW_FILE.to_string()
        };
        parsed = parse(&base, path)?;
    }
    if !base.ends_with('\n') {
        base.push('\n');
    }
    let doc = parsed.doc.unwrap_or_default();
    let not_editable = |why: String| KubeconfigError::NotKubeconfig {
        path: path.to_path_buf(),
        why,
    };
    let top = Top::new(&base, &parsed.events).map_err(not_editable)?;
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
    let mut model = doc.clone();
    let mut edits = Vec::new();
    for (key, name, entry, added) in [
        (
            "clusters",
            arn,
            entries.cluster_entry(),
            &mut merged.added_clusters,
        ),
        ("users", arn, entries.user_entry(), &mut merged.added_users),
    ] {
        let list = top.list(key).map_err(not_editable)?;
        let at = names(&doc, key)
            .iter()
            .position(|n| n.as_deref() == Some(name));
        edits.push(top.put(key, &list, at, &entry));
        let model_list = list_of(&mut model, key);
        match at {
            Some(i) => model_list[i] = entry,
            None => {
                model_list.push(entry);
                added.push(name.clone());
            }
        }
    }
    // A context of that name keeps what the user set on it (a namespace).
    let list = top.list("contexts").map_err(not_editable)?;
    let at = names(&doc, "contexts")
        .iter()
        .position(|n| n.as_deref() == Some(entries.context.as_str()));
    let model_list = list_of(&mut model, "contexts");
    match at {
        Some(i) => {
            top.point_context(&list, i, &[("cluster", arn), ("user", arn)], &mut edits)
                .map_err(not_editable)?;
            let entry = model_list[i].as_mut_hash().ok_or_else(|| {
                not_editable("its context entry of the same name is not a mapping".into())
            })?;
            let context = entry.entry(s("context")).or_insert(Yaml::Null);
            if !matches!(context, Yaml::Hash(_)) {
                *context = Yaml::Hash(Hash::new());
            }
            if let Yaml::Hash(c) = context {
                c.insert(s("cluster"), s(arn));
                c.insert(s("user"), s(arn));
            }
        }
        None => {
            edits.push(top.put("contexts", &list, None, &entries.context_entry()));
            model_list.push(entries.context_entry());
            merged.added_contexts.push(entries.context.clone());
        }
    }
    top.set("current-context", &quoted(&entries.context), &mut edits);
    model.insert(s("current-context"), s(&entries.context));
    let text = checked(apply(&top.lines, edits), &model, path)?;
    // Written only if `cleanup` can take it back.
    unmerge(&text, &merged, path).map_err(|_| KubeconfigError::NotKubeconfig {
        path: path.to_path_buf(),
        why: "its layout would leave aws-oidc's entries where cleanup could not take them \
              back; rewrite it as kubectl does, with `kubectl config view --raw`"
            .into(),
    })?;
    Ok((text, merged))
}

/// Merges `entries` into the kubeconfig at `path` (created 0600 if
/// missing, its directory 0700), atomically under a lock.
pub(crate) fn write(path: &Path, entries: &Entries) -> Result<Merged, KubeconfigError> {
    let lock = UpdateLock::acquire(path)?;
    let current = lock.read()?;
    let (text, merged) = merge(current.as_deref(), entries, lock.path())?;
    lock.replace(text.as_bytes(), 0o600)?;
    Ok(merged)
}

/// What `take_back` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakenBack {
    /// Entries removed (`cluster NAME`, `user NAME`, `context NAME`).
    pub removed: Vec<String>,
    /// The current context restored (`Some(None)`: unset, as it was).
    pub restored_context: Option<Option<String>>,
}

/// Removes from `text` what a merge added (entries that were not there
/// before it), and puts the current context back if it is still the one
/// the merge set.  Entries that were there before are left as they are now;
/// a list left empty is removed with its key (kubectl reads both as none).
pub fn unmerge(
    text: &str,
    merged: &Merged,
    path: &Path,
) -> Result<(String, TakenBack), KubeconfigError> {
    let parsed = parse(text, path)?;
    let Some(doc) = parsed.doc else {
        return Ok((text.to_string(), TakenBack::default()));
    };
    let mut base = text.to_string();
    if !base.ends_with('\n') {
        base.push('\n');
    }
    let not_editable = |why: String| KubeconfigError::NotKubeconfig {
        path: path.to_path_buf(),
        why,
    };
    let top = Top::new(&base, &parsed.events).map_err(not_editable)?;
    let mut model = doc.clone();
    let mut edits = Vec::new();
    let mut done = TakenBack::default();
    for (key, what, added) in [
        ("clusters", "cluster", &merged.added_clusters),
        ("users", "user", &merged.added_users),
        ("contexts", "context", &merged.added_contexts),
    ] {
        let names = names(&doc, key);
        let gone: Vec<usize> = (0..names.len())
            .filter(|&i| {
                names[i]
                    .as_deref()
                    .is_some_and(|n| added.iter().any(|a| a == n))
            })
            .collect();
        if gone.is_empty() {
            continue;
        }
        let list = top.list(key).map_err(not_editable)?;
        for &i in &gone {
            done.removed.push(format!(
                "{what} {}",
                names[i].as_deref().unwrap_or_default()
            ));
        }
        if gone.len() == names.len() {
            if let Some(k) = list.key {
                let (start, end) = top.range(k);
                edits.push(Edit {
                    start,
                    end,
                    text: String::new(),
                });
            }
            model.remove(&s(key));
        } else {
            for &i in &gone {
                let (start, end) = top.item(&list, i);
                edits.push(Edit {
                    start,
                    end,
                    text: String::new(),
                });
            }
            if let Some(Yaml::Array(l)) = model.get_mut(&s(key)) {
                let mut i = 0;
                l.retain(|_| {
                    i += 1;
                    !gone.contains(&(i - 1))
                });
            }
        }
    }
    let current = doc.get(&s("current-context")).and_then(Yaml::as_str);
    if current == Some(merged.current_context.as_str()) {
        match &merged.previous_context {
            Some(p) => {
                top.set("current-context", &quoted(p), &mut edits);
                model.insert(s("current-context"), s(p));
            }
            None => {
                if let Some(k) = top.find("current-context") {
                    let (start, end) = top.range(k);
                    edits.push(Edit {
                        start,
                        end,
                        text: String::new(),
                    });
                }
                model.remove(&s("current-context"));
            }
        }
        done.restored_context = Some(merged.previous_context.clone());
    }
    if done == TakenBack::default() {
        return Ok((text.to_string(), done));
    }
    let out = checked(apply(&top.lines, edits), &model, path)?;
    Ok((out, done))
}

/// [`unmerge`] on the file at `path`, under its lock.  A file that is gone
/// is nothing to take back; one that is no longer a kubeconfig is left as it is.
pub(crate) fn take_back(path: &Path, merged: &Merged) -> Result<TakenBack, KubeconfigError> {
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

    #[cfg(unix)]
    #[test]
    fn the_exec_command_is_aws_oidc_when_that_is_this_binary_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("aws-oidc");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let on_path = crate::env::env_of(&[("PATH", dir.path().to_str().unwrap())]);
        let plugin = ExecPlugin::for_binary(&exe, vec!["eks-token".into()], &on_path);
        assert_eq!(plugin.command, "aws-oidc");
        let elsewhere = ExecPlugin::for_binary(&exe, vec![], &crate::env::env_of(&[]));
        assert_eq!(elsewhere.command, exe.to_string_lossy());
    }

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
        // The list it had made is gone with its key.
        assert!(parsed(&back)["clusters"].is_badvalue(), "{back}");
    }

    /// A kubeconfig whose other entries use what YAML 1.1 (kubectl) and
    /// YAML 1.2 (yaml-rust2) read differently, tags, escapes and comments.
    const FOREIGN: &str = "# managed by hand\napiVersion: v1\nkind: Config\n\
         clusters:\n- cluster:\n    server: https://127.0.0.1:6443\n    \
         insecure-skip-tls-verify: yes\n    tls-server-name: \"a\\x01b\"\n  name: kind # local\n\
         -\n  name: odd\n  cluster:\n    server: https://10.0.0.1\n    \
         certificate-authority-data: !!binary |\n      AAEC\n    \
         insecure-skip-tls-verify: on\n\
         users:\n  - name: kind\n    user:\n      token: 0o17\n      \
         username: 017\n      password: !custom x\n\
         contexts:\n- context: {cluster: kind, user: kind}\n  name: kind\n\
         current-context: \"kind\"\npreferences: {}\n";

    #[test]
    fn other_entries_keep_every_byte_and_cleanup_gives_the_file_back() {
        let e = entries(&info(), ARN);
        let (out, merged) = merge(Some(FOREIGN), &e, Path::new("k")).unwrap();
        // Every line there was is still there, in order: only lines were added.
        let mut rest = out.lines();
        for line in FOREIGN
            .lines()
            .filter(|l| !l.starts_with("current-context"))
        {
            assert!(rest.any(|l| l == line), "{line:?} lost from:\n{out}");
        }
        let v = parsed(&out);
        assert_eq!(v["current-context"].as_str(), Some(ARN));
        assert_eq!(v["clusters"][2]["name"].as_str(), Some(ARN));
        assert_eq!(
            v["users"][1]["user"]["exec"]["command"].as_str(),
            Some("aws-oidc")
        );
        // The new entries sit at the list's own indentation.
        assert!(out.contains("\n  - name: \""), "{out}");
        let (back, done) = unmerge(&out, &merged, Path::new("k")).unwrap();
        assert_eq!(back, FOREIGN);
        assert_eq!(done.restored_context, Some(Some("kind".into())));
    }

    #[test]
    fn a_context_of_the_same_name_keeps_its_other_lines() {
        let text = "apiVersion: v1\ncontexts:\n- context:\n    cluster: old\n    \
                    namespace: yes\n    extensions:\n    - name: x\n      extension: on\n    \
                    user: old\n  name: prod\nkind: Config\n";
        let (out, merged) = merge(Some(text), &entries(&info(), "prod"), Path::new("k")).unwrap();
        assert!(merged.added_contexts.is_empty());
        let want = text
            .replace("cluster: old", &format!("cluster: \"{ARN}\""))
            .replace("user: old", &format!("user: \"{ARN}\""));
        assert!(out.starts_with(&want), "{out}");
        // kubectl's flow style for a context of the same name holding only
        // what is set is rewritten; one holding more is refused, untouched.
        let flow = "contexts:\n- name: prod\n  context: {cluster: a, user: b}\n";
        let (out, _) = merge(Some(flow), &entries(&info(), "prod"), Path::new("k")).unwrap();
        assert_eq!(
            parsed(&out)["contexts"][0]["context"]["user"].as_str(),
            Some(ARN)
        );
        let more = "contexts:\n- name: prod\n  context: {cluster: a, namespace: on}\n";
        let err = merge(Some(more), &entries(&info(), "prod"), Path::new("k")).unwrap_err();
        assert!(
            err.to_string().contains("kubectl config view --raw"),
            "{err}"
        );
    }

    #[test]
    fn lists_it_cannot_edit_line_by_line_are_refused_and_empty_ones_become_blocks() {
        let e = entries(&info(), ARN);
        for text in [
            "clusters: [{name: a, cluster: {server: on}}]\n",
            "x: &l [{name: a}]\nclusters: *l\n",
            "{clusters: [], users: []}\n",
            "a: 1\rb: 2\n",
        ] {
            let err = merge(Some(text), &e, Path::new("k")).unwrap_err();
            assert!(
                matches!(err, KubeconfigError::NotKubeconfig { .. }),
                "{text:?}: {err}"
            );
        }
        for text in [
            "clusters: []\nusers:\ncontexts: ~\n",
            "kind: Config",
            "a: b\r\n",
        ] {
            let (out, _) = merge(Some(text), &e, Path::new("k")).unwrap();
            let v = parsed(&out);
            assert_eq!(v["clusters"][0]["name"].as_str(), Some(ARN), "{out}");
            assert_eq!(v["contexts"][0]["name"].as_str(), Some(ARN), "{out}");
        }
        // An empty item (`- # note`): the parser marks it at the next line.
        let empty = "clusters:\n- name: a\n- # nothing here\n# note\n- name: b\n";
        let (out, merged) = merge(Some(empty), &e, Path::new("k")).unwrap();
        assert!(out.starts_with(empty), "{out}");
        assert_eq!(unmerge(&out, &merged, Path::new("k")).unwrap().0, empty);
        let (crlf, _) = merge(Some("a: b\r\n"), &e, Path::new("k")).unwrap();
        assert!(!crlf.replace("\r\n", "").contains('\n'), "{crlf:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Whatever other entries say and however their lists are indented,
        /// merging keeps each of their lines, and taking back gives the
        /// file back byte for byte.
        #[test]
        fn merge_then_unmerge_gives_back_every_byte(
            indent in 0usize..3,
            dash_alone in proptest::bool::ANY,
            values in proptest::collection::vec(
                proptest::sample::select(vec![
                    "yes", "on", "No", "017", "0o17", "0x1f", "1e3", ".inf", "~", "null",
                    "'yes'", "\"\\x07\\u00e9\"", "!!binary AAEC", "!x tagged", "\"a # b\"",
                    "y", "2001-12-14", "=", "<<", "|\n        lit\n        # not a comment",
                ]),
                1..6,
            ),
            comment in proptest::bool::ANY,
            current in proptest::bool::ANY,
        ) {
            let pad = " ".repeat(indent);
            let mut text = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
            for (i, v) in values.iter().enumerate() {
                let lead = if dash_alone { format!("{pad}-\n{pad}  ") } else { format!("{pad}- ") };
                text.push_str(&format!("{lead}name: c{i}\n{pad}  cluster:\n{pad}    x: {v}\n"));
                if comment {
                    text.push_str("# between\n\n");
                }
            }
            text.push_str("users:\n- name: u\n  user: {token: on}\n");
            if current {
                text.push_str("current-context: \"c0\"\n");
            }
            if comment {
                text.push_str("# the end\n");
            }
            let e = entries(&info(), "ci");
            let (out, merged) = merge(Some(&text), &e, Path::new("k")).unwrap();
            let mut rest = out.lines();
            for line in text.lines().filter(|l| !l.starts_with("current-context")) {
                proptest::prop_assert!(rest.any(|l| l == line), "{:?} lost from {}", line, out);
            }
            let (back, _) = unmerge(&out, &merged, Path::new("k")).unwrap();
            proptest::prop_assert_eq!(back, text);
        }
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
            ("\0\0sers: 1\n", "NUL"),
            ("apiVersion: v1\nkind: Config\n\0clusters: []\n", "line 3"),
        ] {
            let err = merge(Some(text), &e, Path::new("k")).unwrap_err();
            assert!(err.to_string().contains(why), "{text:?}: {err}");
        }
        // Empty and null documents are new kubeconfigs; comments stay.
        for text in ["", "\n", "---\n", "~\n", "# mine\n", "# mine"] {
            let (out, _) = merge(Some(text), &e, Path::new("k")).unwrap();
            assert_eq!(parsed(&out)["kind"].as_str(), Some("Config"), "{text:?}");
            assert_eq!(out.starts_with("# mine\n"), text.starts_with('#'), "{out}");
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
        // 40 KB each: the recursive loader would need far more
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
