//! Rewrites a CircleCI config's use of the `circleci/aws-cli` orb (v3, v4 or
//! v5) into aws-oidc's, changing only the tokens that must change.
//!
//! aws-oidc's orb takes every command and parameter of aws-cli v3.1.4,
//! v4.2.3 and v5.4.1 in both spellings, so a config already runs with only
//! its orbs line changed.  What this does beyond that is give v3's names
//! their v5 spelling, which is the one documented:
//!
//! - each `orbs:` entry `circleci/aws-cli@X` becomes `aws-oidc/aws-oidc@V`
//!   (V: this release), under the same alias;
//! - v3's command names (`role-arn-setup`, `assume-role-with-web-identity`)
//!   and kebab-case parameters get their v5 names, and v3's `aws-region`,
//!   which named a variable, becomes `region: ${NAME}`;
//! - a parameter merged from an anchor (`<<: *name`) is renamed where the
//!   anchor is, so only when every alias of that anchor is merged into an
//!   aws-cli step renamed too; an anchor also used by another orb's step,
//!   the config's own command or a step kept as it is leaves the steps that
//!   merge it with their v3 names (which aws-oidc's orb takes), and a note
//!   names the anchor and the lines that use it;
//! - everything else stays byte for byte: comments, quoting, layout.
//!
//! Flow collections (`[...]`, `{...}`) are read too and rewritten the same
//! way; one this cannot read that holds an aws-cli step is refused.  What no
//! version of either orb has (a command, a parameter, an executor) is
//! reported with its line, and nothing is rewritten.  Steps under an alias
//! that is aws-oidc's orb already are left as they are: that config runs,
//! perhaps on another release, and may keep v3's spelling on purpose (this
//! repository's own pipeline does, to test it).  Running it again on its own
//! output changes nothing.  See `outline` for how much YAML it
//! reads, and why no YAML library does this.

mod outline;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

pub use outline::SyntaxError;
use outline::{FlowNode, Inline, Outline, Token};

/// The orb configs are moved to.
pub const ORB: &str = "aws-oidc/aws-oidc";

/// The orb moved from.
const AWS_CLI_ORB: &str = "circleci/aws-cli";

/// Every command of aws-oidc's orb and the parameters it declares
/// (orb/src/commands/*.yml; tests check both against it): aws-cli's in
/// both spellings, then aws-oidc's own.
const COMMANDS: [(&str, &[&str]); 12] = [
    (
        "setup",
        &[
            "version",
            "override_installed",
            "disable_aws_pager",
            "install_dir",
            "binary_dir",
            "profile_name",
            "aws_access_key_id",
            "aws_secret_access_key",
            "region",
            "configure_default_region",
            "configure_profile_region",
            "role_arn",
            "role_session_name",
            "session_duration",
            "set_aws_env_vars",
            "use_brew",
            "disable_aws_install",
            "override-installed",
            "disable-aws-pager",
            "install-dir",
            "binary-dir",
            "profile-name",
            "aws-access-key-id",
            "aws-secret-access-key",
            "aws-region",
            "configure-default-region",
            "configure-profile-region",
            "role-arn",
            "role-session-name",
            "session-duration",
            "audience",
            "chain_role_arn",
            "external_id",
            "session_policy",
            "policy_arns",
            "verify",
            "refresh",
            "allowed_account_ids",
            "skip_if_valid",
            "circleci_tags",
            "aws_oidc_version",
            "aws_oidc_install_dir",
            "download_url",
            "aws_cli_download_url",
            "aws_cli_signing_key",
            "when",
        ],
    ),
    (
        "install",
        &[
            "version",
            "override_installed",
            "disable_aws_pager",
            "install_dir",
            "binary_dir",
            "use_brew",
            "override-installed",
            "disable-aws-pager",
            "install-dir",
            "binary-dir",
            "aws_cli_download_url",
            "aws_cli_signing_key",
            "when",
        ],
    ),
    (
        "role_arn_setup",
        &["profile_name", "role_arn", "source_profile", "when"],
    ),
    (
        "role-arn-setup",
        &[
            "profile-name",
            "role-arn",
            "source-profile",
            "version",
            "override-installed",
            "disable-aws-pager",
        ],
    ),
    (
        "assume_role_with_web_identity",
        &[
            "role_arn",
            "role_session_name",
            "session_duration",
            "profile_name",
            "region",
            "set_aws_env_vars",
            "aws_oidc_version",
            "aws_oidc_install_dir",
            "download_url",
        ],
    ),
    (
        "assume-role-with-web-identity",
        &[
            "role-arn",
            "role-session-name",
            "session-duration",
            "profile-name",
        ],
    ),
    (
        "install_aws_oidc",
        &["version", "install_dir", "download_url", "when"],
    ),
    ("cleanup", &["when"]),
    (
        "ecr_login",
        &[
            "registries",
            "region",
            "public",
            "profile_name",
            "helper",
            "docker_login",
            "role_arn",
            "role_session_name",
            "audience",
            "version",
            "install_dir",
            "download_url",
            "when",
        ],
    ),
    (
        "eks_kubeconfig",
        &[
            "cluster_name",
            "aws_region",
            "cluster_context_alias",
            "kubeconfig_file_path",
            "aws_profile",
            "role_arn",
            "version",
            "install_dir",
            "download_url",
            "when",
        ],
    ),
    (
        "secrets",
        &[
            "secrets",
            "region",
            "export",
            "dotenv",
            "profile_name",
            "role_arn",
            "role_session_name",
            "audience",
            "version",
            "install_dir",
            "download_url",
            "when",
        ],
    ),
    (
        "codeartifact_login",
        &[
            "tool",
            "domain",
            "domain_owner",
            "repository",
            "duration",
            "namespace",
            "extra_index",
            "region",
            "profile_name",
            "role_arn",
            "role_session_name",
            "audience",
            "version",
            "install_dir",
            "download_url",
            "when",
        ],
    ),
];

/// The commands aws-cli had under a v3 name, and their v4/v5 names.
const V3_COMMANDS: [(&str, &str); 2] = [
    ("role-arn-setup", "role_arn_setup"),
    (
        "assume-role-with-web-identity",
        "assume_role_with_web_identity",
    ),
];

/// setup's old parameter names whose new name is not the old one with `_`
/// for `-`: v3's `aws-region` (which named a variable), and v2's
/// `skip-install-check`, which v3 renamed.
const OLD_SETUP_NAMES: [(&str, &str); 2] = [
    ("aws-region", "region"),
    ("skip-install-check", "override_installed"),
];

/// The parameters of the orb's `default` executor (orb/src/executors/default.yml).
const EXECUTOR_PARAMETERS: [&str; 3] = ["tag", "python-version", "resource_class"];

/// The parameters `command` of aws-oidc's orb declares; None if it has no such command.
fn parameters_of(command: &str) -> Option<&'static [&'static str]> {
    COMMANDS
        .iter()
        .find(|(name, _)| *name == command)
        .map(|(_, p)| *p)
}

/// `command`'s v5 name.
fn v5_command(command: &str) -> &str {
    V3_COMMANDS
        .iter()
        .find(|(v3, _)| *v3 == command)
        .map_or(command, |(_, v5)| v5)
}

/// The v5 name of an old parameter `name` of `command` (a v5 name), if
/// `command` declares it; None for a name that is no old one.
fn v5_parameter(command: &str, name: &str) -> Option<&'static str> {
    let declared = parameters_of(command)?;
    let renamed = match OLD_SETUP_NAMES.iter().find(|(old, _)| *old == name) {
        Some((_, new)) if command == "setup" => new.to_string(),
        _ if name.contains('-') => name.replace('-', "_"),
        _ => return None,
    };
    declared.iter().copied().find(|p| *p == renamed)
}

/// A rewritten config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The new text (the old one when nothing changed).
    pub text: String,
    /// Each changed line.
    pub changes: Vec<Change>,
    /// What the user should know about lines left as they were.
    pub notes: Vec<Note>,
}

/// One changed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// 1-based line number.
    pub line: usize,
    /// The line before, without its indentation.
    pub before: String,
    /// The line after, without its indentation.
    pub after: String,
}

/// Something about one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// 1-based line number.
    pub line: usize,
    /// What it is about.
    pub message: String,
}

crate::error_debug::debug_by_display!(MigrateError);
/// Why a config was not rewritten.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    /// Not YAML that this reads.
    #[error("{0}")]
    Syntax(#[from] SyntaxError),
    /// Uses of aws-cli that aws-oidc's orb cannot take, or that this cannot rewrite.
    #[error("{}", .0.iter().map(|n| format!("line {}: {}", n.line, n.message)).collect::<Vec<_>>().join("\n"))]
    Unsupported(Vec<Note>),
}

/// The largest CircleCI config read (4 MiB): far more than any config
/// holds, and a bound on what `/dev/zero` given by mistake can cost.
pub(crate) const MAX_CONFIG_FILE: u64 = 4 << 20;

/// Reads the config at `path`: a regular file of at most
/// `MAX_CONFIG_FILE` bytes (a named pipe, which would block, or a device
/// is refused before a byte is read).
pub fn read_config(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    crate::files::read_regular_bounded(path, MAX_CONFIG_FILE)
}

/// Replaces the config at `path` with `text` atomically, keeping its mode
/// (and a symlink as a symlink); a read-only file is refused and left as it is.
pub fn write_config(path: &std::path::Path, text: &str) -> Result<(), crate::files::FileError> {
    let mode = std::fs::metadata(path)
        .map(|m| crate::platform::mode_of(&m))
        .unwrap_or(0o644);
    crate::files::write_target(path, text.as_bytes(), mode)
}

/// Rewrites `text`'s uses of `circleci/aws-cli` for aws-oidc's orb at `version`.
pub fn migrate(text: &str, version: &str) -> Result<Migration, MigrateError> {
    let outline = outline::outline(text)?;
    // Every flow collection read once; the tokens of steps point into these.
    let flows: Vec<Result<FlowNode, outline::FlowError>> =
        outline.flows.iter().map(outline::flow).collect();
    let mut plan = Plan::default();

    // The orbs: aws-cli's move to aws-oidc; aws-oidc's own are already there.
    let orbs = outline.children(None).find(|(_, k)| k.token.text == "orbs");
    let mut entries: Vec<(&Token, &Token)> = Vec::new();
    match orbs.map(|(i, k)| (i, &k.value)) {
        Some((_, Inline::Flow(f))) => match &flows[*f] {
            Ok(FlowNode::Map(map)) => entries.extend(map.iter().filter_map(|(alias, v)| match v {
                FlowNode::Scalar(reference) => Some((alias, reference)),
                _ => None,
            })),
            Ok(_) => {}
            Err(e) if outline.flows[*f].text.contains(AWS_CLI_ORB) => {
                plan.unreadable_flow(e, "orbs")
            }
            Err(_) => {}
        },
        Some((o, _)) => {
            for (_, entry) in outline.children(Some(o)) {
                if let Inline::Scalar(reference) = &entry.value {
                    entries.push((&entry.token, reference));
                }
            }
        }
        None => {}
    }
    let mut aws_cli = BTreeSet::new();
    let mut ours = BTreeSet::new();
    for (alias, reference) in entries {
        if is_orb(&reference.text, AWS_CLI_ORB) {
            aws_cli.insert(alias.text.clone());
            plan.replace(reference, &format!("{ORB}@{version}"));
        } else if is_orb(&reference.text, ORB) {
            ours.insert(alias.text.clone());
        }
    }
    if aws_cli.is_empty() && ours.is_empty() && plan.unsupported.is_empty() {
        plan.notes.push(Note {
            line: 1,
            message: format!("no {AWS_CLI_ORB} orb in the orbs: section: nothing to change"),
        });
    }

    let uses = Uses {
        outline: &outline,
        flows: &flows,
        aws_cli,
        anchors: outline
            .keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| k.anchor.as_deref().map(|a| (a, i)))
            .collect(),
        steps: RefCell::new(Vec::new()),
    };
    uses.find(&mut plan);
    uses.rename(&mut plan);

    if !plan.unsupported.is_empty() {
        plan.unsupported.sort_by_key(|n| n.line);
        plan.unsupported.dedup();
        return Err(MigrateError::Unsupported(plan.unsupported));
    }
    plan.notes.sort_by_key(|n| n.line);
    plan.notes.dedup();
    Ok(plan.apply(text))
}

/// `reference` names orb `orb` (at some version).
fn is_orb(reference: &str, orb: &str) -> bool {
    reference
        .strip_prefix(orb)
        .is_some_and(|rest| rest.starts_with('@'))
}

/// A parameter of a step or executor, wherever it is written.
struct Parameter<'a> {
    name: &'a Token,
    value: Option<&'a Token>,
    /// Written in a flow collection (a plain `${NAME}` would end a plain
    /// scalar there, so it gets quotes).
    in_flow: bool,
    /// The anchors it is written under, innermost first, each with the
    /// alias this step reached it by (`None`: the step's own mapping
    /// carries the anchor).  Renaming it renames it for every alias of them.
    via: Vec<(&'a str, Option<Site>)>,
}

/// Where an alias `*name` is written: the key it is the value of (its
/// index in the outline), or its node in a flow collection (the node's
/// address, which tells nodes apart while the flows are held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Key(usize),
    Flow(usize),
}

impl Site {
    fn of(node: &FlowNode) -> Site {
        Site::Flow(node as *const FlowNode as usize)
    }
}

/// A use of an orb's command: its name and its parameters.
struct Step<'a> {
    name: &'a Token,
    parameters: Vec<Parameter<'a>>,
}

/// Every alias in a file, by anchor name, with its 0-based line.
struct Aliases<'a> {
    /// Those a step's parameters may be reached by, with their sites.
    sites: Vec<(&'a str, Site, usize)>,
    /// Those no step follows: a sequence item `- *name`, or one in a flow
    /// collection this cannot read.
    elsewhere: Vec<(&'a str, usize)>,
}

/// A step that will take v5 names, once no anchor it renames is used
/// elsewhere: its new name, and each parameter with its new name.
struct Renaming<'a> {
    name: &'a Token,
    new_name: Option<String>,
    parameters: Vec<(Parameter<'a>, String)>,
}

/// Finds each use of an orb's command or executor, in block and flow style.
struct Uses<'a> {
    outline: &'a Outline,
    flows: &'a [Result<FlowNode, outline::FlowError>],
    aws_cli: BTreeSet<String>,
    anchors: BTreeMap<&'a str, usize>,
    /// The steps to rename, gathered by [`Uses::find`] for [`Uses::rename`].
    steps: RefCell<Vec<Renaming<'a>>>,
}

impl<'a> Uses<'a> {
    /// The name in aws-cli's orb of a reference `alias/name`, if `alias` is aws-cli's.
    fn orb_of<'r>(&self, reference: &'r str) -> Option<&'r str> {
        let (alias, name) = reference.split_once('/')?;
        self.aws_cli.contains(alias).then_some(name)
    }

    fn find(&self, plan: &mut Plan) {
        let outline = self.outline;
        for (index, key) in outline.keys.iter().enumerate() {
            if self.orb_of(&key.token.text).is_some() {
                let mut parameters = Vec::new();
                match &key.value {
                    Inline::Nothing => {
                        self.block_parameters(plan, &key.token, index, &mut parameters)
                    }
                    Inline::Flow(f) => match &self.flows[*f] {
                        Ok(node) => self.flow_parameters(plan, &key.token, node, &mut parameters),
                        Err(e) => plan.unreadable_flow(e, &key.token.text),
                    },
                    Inline::Alias(a) => {
                        self.merge(plan, &key.token, a, Site::Key(index), &mut parameters)
                    }
                    Inline::Scalar(_) | Inline::Other => {}
                }
                if let Some(own) = key.anchor.as_deref() {
                    for p in &mut parameters {
                        p.via.push((own, None));
                    }
                }
                self.step(
                    plan,
                    Step {
                        name: &key.token,
                        parameters,
                    },
                );
            }
            if key.token.text == "executor" {
                match &key.value {
                    Inline::Scalar(name) => self.executor(plan, name, Vec::new()),
                    Inline::Nothing => {
                        let children: Vec<_> =
                            outline.children(Some(index)).map(|(_, k)| k).collect();
                        let name = children.iter().find(|k| k.token.text == "name");
                        if let Some(Inline::Scalar(name)) = name.map(|k| &k.value) {
                            let parameters = children
                                .iter()
                                .filter(|k| k.token.text != "name")
                                .map(|k| &k.token)
                                .collect();
                            self.executor(plan, name, parameters);
                        }
                    }
                    _ => {}
                }
            }
        }
        for item in &outline.items {
            if self.orb_of(&item.token.text).is_some() {
                self.step(
                    plan,
                    Step {
                        name: &item.token,
                        parameters: Vec::new(),
                    },
                );
            }
        }
        for (flow, node) in outline.flows.iter().zip(self.flows) {
            // Parameters of a step are read with the step, above.
            let of = flow.of.map(|k| &outline.keys[k]);
            if of.is_some_and(|k| self.orb_of(&k.token.text).is_some()) {
                continue;
            }
            let of_orbs = of.is_some_and(|k| k.parent.is_none() && k.token.text == "orbs");
            match node {
                Ok(node) if of.is_some_and(|k| k.token.text == "executor") => {
                    self.flow_executor(plan, node)
                }
                Ok(node) => self.walk(plan, node),
                Err(e) if !of_orbs && self.mentions_an_orb(&flow.text) => {
                    plan.unreadable_flow(e, "a step");
                }
                Err(_) => {}
            }
        }
    }

    /// `text` has `alias/` for an aws-cli alias in it (a flow collection
    /// that could not be read may hold a step).
    fn mentions_an_orb(&self, text: &str) -> bool {
        self.aws_cli
            .iter()
            .any(|alias| text.contains(&format!("{alias}/")))
    }

    /// Steps and executors inside a flow collection.
    fn walk(&self, plan: &mut Plan, node: &'a FlowNode) {
        match node {
            FlowNode::Seq(items) => {
                for item in items {
                    match item {
                        FlowNode::Scalar(name) if self.orb_of(&name.text).is_some() => self.step(
                            plan,
                            Step {
                                name,
                                parameters: Vec::new(),
                            },
                        ),
                        _ => self.walk(plan, item),
                    }
                }
            }
            FlowNode::Map(entries) => {
                for (key, value) in entries {
                    if self.orb_of(&key.text).is_some() {
                        let mut parameters = Vec::new();
                        self.flow_parameters(plan, key, value, &mut parameters);
                        self.step(
                            plan,
                            Step {
                                name: key,
                                parameters,
                            },
                        );
                    } else if key.text == "executor" {
                        self.flow_executor(plan, value);
                    } else {
                        self.walk(plan, value);
                    }
                }
            }
            FlowNode::Scalar(_) | FlowNode::Alias(_) | FlowNode::Null => {}
        }
    }

    /// The parameters in the block under key `index`, merges followed.
    fn block_parameters(
        &self,
        plan: &mut Plan,
        step: &Token,
        index: usize,
        out: &mut Vec<Parameter<'a>>,
    ) {
        for (i, p) in self.outline.children(Some(index)) {
            if p.token.text == "<<" {
                match &p.value {
                    Inline::Alias(a) => self.merge(plan, step, a, Site::Key(i), out),
                    _ => plan.refuse(step, merge_message(&step.text)),
                }
            } else {
                out.push(Parameter {
                    name: &p.token,
                    value: match &p.value {
                        Inline::Scalar(v) => Some(v),
                        _ => None,
                    },
                    in_flow: false,
                    via: Vec::new(),
                });
            }
        }
    }

    /// The parameters an anchor `*name`, written at `site`, stands for
    /// (renamed where the anchor is).
    fn merge(
        &self,
        plan: &mut Plan,
        step: &Token,
        name: &'a str,
        site: Site,
        out: &mut Vec<Parameter<'a>>,
    ) {
        let first = out.len();
        self.merge_anchor(plan, step, name, out);
        for p in &mut out[first..] {
            p.via.push((name, Some(site)));
        }
    }

    /// The parameters under the anchor `name`.
    fn merge_anchor(
        &self,
        plan: &mut Plan,
        step: &Token,
        name: &str,
        out: &mut Vec<Parameter<'a>>,
    ) {
        match self.anchors.get(name) {
            Some(&anchor) => match &self.outline.keys[anchor].value {
                Inline::Nothing => self.block_parameters(plan, step, anchor, out),
                Inline::Flow(f) => match &self.flows[*f] {
                    Ok(node) => self.flow_parameters(plan, step, node, out),
                    Err(e) => plan.unreadable_flow(e, &step.text),
                },
                _ => plan.refuse(step, merge_message(&step.text)),
            },
            None => plan.refuse(step, merge_message(&step.text)),
        }
    }

    /// The parameters in a flow mapping.
    fn flow_parameters(
        &self,
        plan: &mut Plan,
        step: &Token,
        node: &'a FlowNode,
        out: &mut Vec<Parameter<'a>>,
    ) {
        match node {
            FlowNode::Map(entries) => {
                for (name, value) in entries {
                    if name.text == "<<" {
                        match value {
                            FlowNode::Alias(a) => self.merge(plan, step, a, Site::of(value), out),
                            _ => plan.refuse(step, merge_message(&step.text)),
                        }
                        continue;
                    }
                    out.push(Parameter {
                        name,
                        value: match value {
                            FlowNode::Scalar(v) => Some(v),
                            _ => None,
                        },
                        in_flow: true,
                        via: Vec::new(),
                    });
                }
            }
            FlowNode::Null => {}
            FlowNode::Alias(a) => self.merge(plan, step, a, Site::of(node), out),
            FlowNode::Scalar(_) | FlowNode::Seq(_) => plan.refuse(
                step,
                format!(
                    "{}: its parameters are not a mapping (name: value): write them one per line",
                    step.text
                ),
            ),
        }
    }

    /// One step: v3 names get their v5 names; what neither orb has is refused.
    fn step(&self, plan: &mut Plan, step: Step<'a>) {
        let Some(command) = self.orb_of(&step.name.text) else {
            return;
        };
        let alias = &step.name.text[..step.name.text.len() - command.len() - 1];
        let Some(declared) = parameters_of(command) else {
            plan.refuse(step.name, no_such_command(&step.name.text, command));
            return;
        };
        let v5 = v5_command(command);
        let declared_v5 = parameters_of(v5).expect("every v3 command has a v5 one");
        let mut renames: Vec<(Parameter<'a>, String)> = Vec::new();
        // Parameters only the v3 command takes: the step keeps its v3 name.
        let mut v3_only: Vec<&str> = Vec::new();
        for p in step.parameters {
            let name = p.name.text.as_str();
            if let Some(new) = v5_parameter(v5, name) {
                renames.push((p, new.to_string()));
            } else if declared_v5.contains(&name) {
                renames.push((p, name.to_string()));
            } else if declared.contains(&name) {
                v3_only.push(name);
            } else {
                plan.refuse(p.name, no_such_parameter(&step.name.text, command, name));
            }
        }
        if !v3_only.is_empty() {
            plan.notes.push(Note {
                line: step.name.line + 1,
                message: format!(
                    "{}: kept under its v3 name, which aws-oidc's orb takes: {v5} has no {} (they \
                     never changed what it does); remove them and run this again to get {alias}/{v5}",
                    step.name.text,
                    v3_only.join(", ")
                ),
            });
            return;
        }
        let mut seen: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
        for (p, new) in &renames {
            let old = p.name.text.as_str();
            match seen.insert(new.as_str(), (old, p.name.line + 1)) {
                // The same name twice is a merge overridden, as YAML means it.
                Some((first, line)) if first != old => plan.refuse(
                    p.name,
                    format!(
                        "{}: {old} would become {new}, which line {line} sets already as {first}: keep one",
                        step.name.text
                    ),
                ),
                _ => {}
            }
        }
        self.steps.borrow_mut().push(Renaming {
            name: step.name,
            new_name: (v5 != command).then(|| format!("{alias}/{v5}")),
            parameters: renames,
        });
    }

    /// Every alias in the file.
    fn aliases(&self) -> Aliases<'a> {
        fn walk<'n>(node: &'n FlowNode, line: usize, out: &mut Vec<(&'n str, Site, usize)>) {
            match node {
                FlowNode::Alias(a) => out.push((a, Site::of(node), line)),
                FlowNode::Seq(items) => items.iter().for_each(|i| walk(i, line, out)),
                FlowNode::Map(entries) => entries.iter().for_each(|(_, v)| walk(v, line, out)),
                FlowNode::Scalar(_) | FlowNode::Null => {}
            }
        }
        let mut sites = Vec::new();
        let mut elsewhere = Vec::new();
        for (i, key) in self.outline.keys.iter().enumerate() {
            if let Inline::Alias(a) = &key.value {
                sites.push((a.as_str(), Site::Key(i), key.token.line));
            }
        }
        for (flow, node) in self.outline.flows.iter().zip(self.flows) {
            match node {
                Ok(node) => walk(node, flow.line, &mut sites),
                Err(_) => elsewhere.extend(
                    self.anchors
                        .keys()
                        .filter(|a| flow.text.contains(&format!("*{a}")))
                        .map(|a| (*a, flow.line)),
                ),
            }
        }
        elsewhere.extend(
            self.outline
                .item_aliases
                .iter()
                .map(|(line, a)| (a.as_str(), *line)),
        );
        Aliases { sites, elsewhere }
    }

    /// Gives the steps found their v5 names.  A name written under an
    /// anchor is renamed where the anchor is, so for every alias of it:
    /// only when each alias is one a renamed step merges.  A step whose
    /// renames would reach anything else (another orb's step, the
    /// config's own command, a step kept as it is) keeps every v3 name,
    /// which aws-oidc's orb takes, with a note saying where.
    fn rename(&self, plan: &mut Plan) {
        let steps = self.steps.take();
        let Aliases { sites, elsewhere } = self.aliases();
        let renamed = |(p, new): &(Parameter, String)| p.name.text != *new;
        let mut kept: Vec<Option<BTreeMap<&str, BTreeSet<usize>>>> = vec![None; steps.len()];
        loop {
            // The aliases the steps still to be renamed merge.
            let followed: Vec<(&str, Site)> = steps
                .iter()
                .zip(&kept)
                .filter(|(_, k)| k.is_none())
                .flat_map(|(s, _)| &s.parameters)
                .flat_map(|(p, _)| &p.via)
                .filter_map(|(a, site)| site.map(|site| (*a, site)))
                .collect();
            // Where each anchor is used other than by them (0-based lines).
            let mut others: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
            for (a, site, line) in &sites {
                if !followed.contains(&(*a, *site)) {
                    others.entry(a).or_default().insert(*line);
                }
            }
            for (a, line) in &elsewhere {
                others.entry(a).or_default().insert(*line);
            }
            let mut changed = false;
            for (step, k) in steps.iter().zip(kept.iter_mut()) {
                if k.is_some() {
                    continue;
                }
                let shared: BTreeMap<&str, BTreeSet<usize>> = step
                    .parameters
                    .iter()
                    .filter(|r| renamed(r))
                    .flat_map(|(p, _)| &p.via)
                    .filter_map(|(a, _)| others.get(a).map(|lines| (*a, lines.clone())))
                    .collect();
                if !shared.is_empty() {
                    *k = Some(shared);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (step, k) in steps.iter().zip(kept) {
            match k {
                Some(shared) => plan.notes.push(Note {
                    line: step.name.line + 1,
                    message: self.shared_message(step, &shared),
                }),
                None => {
                    if let Some(new_name) = &step.new_name {
                        plan.replace(step.name, new_name);
                    }
                    for (p, new) in step.parameters.iter().filter(|r| renamed(r)) {
                        plan.replace(p.name, new);
                        if p.name.text == "aws-region" {
                            plan.region_value(p);
                        }
                    }
                }
            }
        }
    }

    /// Why `step` keeps its v3 names: the anchors, by line, used elsewhere.
    fn shared_message(&self, step: &Renaming, shared: &BTreeMap<&str, BTreeSet<usize>>) -> String {
        let names: BTreeSet<&str> = step
            .parameters
            .iter()
            .filter(|(p, new)| p.name.text != *new)
            .map(|(p, _)| p.name.text.as_str())
            .collect();
        let anchors: Vec<String> = shared
            .iter()
            .map(|(a, lines)| {
                let at = self
                    .anchors
                    .get(a)
                    .map(|&k| self.outline.keys[k].token.line + 1);
                let used: Vec<String> = lines.iter().map(|l| (l + 1).to_string()).collect();
                format!(
                    "&{a}{} is used on line{} {} too",
                    at.map(|l| format!(" (line {l})")).unwrap_or_default(),
                    if used.len() == 1 { "" } else { "s" },
                    used.join(", ")
                )
            })
            .collect();
        format!(
            "{}: kept its v3 names ({}), which aws-oidc's orb takes, so it runs as it is: they \
             come through an anchor, and renamed there they would be renamed for a step this \
             does not rename (another orb's, the config's own command, or one kept as it is): \
             {}. To get the v5 names, write these parameters out under this step and run this \
             again",
            step.name.text,
            names.into_iter().collect::<Vec<_>>().join(", "),
            anchors.join("; ")
        )
    }

    /// An executor given in a flow collection: a name, or `{name: ..., parameters}`.
    fn flow_executor(&self, plan: &mut Plan, node: &'a FlowNode) {
        match node {
            FlowNode::Scalar(name) => self.executor(plan, name, Vec::new()),
            FlowNode::Map(entries) => {
                let name = entries.iter().find_map(|(k, v)| match v {
                    FlowNode::Scalar(name) if k.text == "name" => Some(name),
                    _ => None,
                });
                if let Some(name) = name {
                    let parameters = entries
                        .iter()
                        .filter(|(k, _)| k.text != "name")
                        .map(|(k, _)| k)
                        .collect();
                    self.executor(plan, name, parameters);
                }
            }
            _ => {}
        }
    }

    /// An executor named `name`: only aws-cli's `default` carries over,
    /// with the parameters it has (and v3's python-version, which picks no
    /// image any more).
    fn executor(&self, plan: &mut Plan, name: &Token, parameters: Vec<&Token>) {
        let Some(executor) = self.orb_of(&name.text) else {
            return;
        };
        if executor != "default" {
            plan.refuse(
                name,
                format!(
                    "executor {}: aws-oidc's orb has only default (cimg/base, as aws-cli v4 and v5): \
                     use it, or name an image",
                    name.text
                ),
            );
        }
        for p in parameters {
            if p.text == "python-version" {
                plan.notes.push(Note {
                    line: p.line + 1,
                    message: format!(
                        "executor {}: python-version is accepted and not used: the image is cimg/base \
                         now (aws-cli v3's was cimg/python), so a job that runs Python should name \
                         cimg/python:<version> as its image",
                        name.text
                    ),
                });
            } else if !EXECUTOR_PARAMETERS.contains(&p.text.as_str()) {
                plan.refuse(
                    p,
                    format!(
                        "executor {}: the default executor takes {}, not {}",
                        name.text,
                        EXECUTOR_PARAMETERS.join(", "),
                        p.text
                    ),
                );
            }
        }
    }
}

/// What a config's rewrite will be, gathered before any byte changes.
#[derive(Default)]
struct Plan {
    /// (0-based line, byte range, replacement).
    edits: Vec<(usize, usize, usize, String)>,
    notes: Vec<Note>,
    unsupported: Vec<Note>,
}

impl Plan {
    /// Replaces a scalar's text, keeping its quotes.
    fn replace(&mut self, token: &Token, text: &str) {
        let (start, end) = token.inner();
        self.edits.push((token.line, start, end, text.to_string()));
    }

    fn refuse(&mut self, token: &Token, message: String) {
        self.unsupported.push(Note {
            line: token.line + 1,
            message,
        });
    }

    /// A flow collection that holds a step and that this cannot read.
    fn unreadable_flow(&mut self, error: &outline::FlowError, what: &str) {
        self.unsupported.push(Note {
            line: error.line + 1,
            message: format!(
                "{what}: in a flow collection ([...] or {{...}}) this cannot rewrite safely ({}): \
                 rewrite this step in block style (one name: value per line) and run this again",
                error.reason
            ),
        });
    }

    /// v3's `aws-region` named the variable holding the region; v5's
    /// `region` is the region, and expands `${NAME}`.
    fn region_value(&mut self, parameter: &Parameter) {
        let Some(value) = parameter.value else {
            return;
        };
        let text = value.text.trim();
        let is_name = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let is_parameter = text.starts_with("<<") && text.ends_with(">>");
        if is_name || is_parameter {
            // In a flow collection `{` and `}` end a plain scalar.
            let quote = if parameter.in_flow && !value.quoted {
                "\""
            } else {
                ""
            };
            self.replace(value, &format!("{quote}${{{text}}}{quote}"));
        }
    }

    /// The edits applied, and the changed lines listed.
    fn apply(mut self, text: &str) -> Migration {
        self.edits.sort_by_key(|e| (e.0, e.1));
        self.edits.dedup();
        let mut out = String::with_capacity(text.len() + 64);
        let mut changes = Vec::new();
        let bom = if text.starts_with('\u{feff}') {
            "\u{feff}".len()
        } else {
            0
        };
        let mut edits = self.edits.iter().peekable();
        for (number, raw) in text.split_inclusive('\n').enumerate() {
            let base = if number == 0 { bom } else { 0 };
            let mut line = raw.to_string();
            let mut shift: isize = 0;
            let mut changed = false;
            while let Some((_, start, end, new)) = edits.next_if(|e| e.0 == number) {
                let (s, e) = (
                    (base + start) as isize + shift,
                    (base + end) as isize + shift,
                );
                line.replace_range(s as usize..e as usize, new);
                shift += new.len() as isize - (end - start) as isize;
                changed = true;
            }
            if changed && line != raw {
                changes.push(Change {
                    line: number + 1,
                    before: raw.trim().to_string(),
                    after: line.trim().to_string(),
                });
            }
            out.push_str(&line);
        }
        Migration {
            text: out,
            changes,
            notes: self.notes,
        }
    }
}

fn merge_message(step: &str) -> String {
    format!("{step}: merges parameters from something other than one anchor above: write them out and run this again")
}

fn no_such_command(reference: &str, command: &str) -> String {
    let names: Vec<&str> = COMMANDS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !n.contains('-'))
        .collect();
    format!(
        "{reference}: neither circleci/aws-cli nor aws-oidc's orb has a command {command}; aws-oidc's \
         has {}: use one of them and run this again",
        names.join(", ")
    )
}

fn no_such_parameter(reference: &str, command: &str, parameter: &str) -> String {
    if V3_COMMANDS
        .iter()
        .any(|(v3, v5)| command == *v3 || command == *v5)
        || ["setup", "install"].contains(&command)
    {
        format!(
            "{reference}: no version of aws-cli's {} has a parameter {parameter} (nor has aws-oidc's): \
             remove it or correct its name, and run this again",
            v5_command(command)
        )
    } else {
        format!(
            "{reference}: aws-oidc's {command} has no parameter {parameter}: remove it or correct its \
             name, and run this again"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V: &str = "0.1.0";

    fn run(text: &str) -> Migration {
        migrate(text, V).unwrap_or_else(|e| panic!("{e}"))
    }

    const TUTORIAL: &str = "\
version: 2.1

orbs:
  aws-cli: circleci/aws-cli@3.1.4 # use 3.1 for OIDC support

jobs:
  aws-example:
    executor: aws-cli/default
    steps:
      - checkout
      # set up the AWS CLI with the job's OIDC token
      - aws-cli/setup:
          role-arn: \"arn:aws:iam::123456789012:role/OIDC-ROLE\"
          aws-region: AWS_REGION
          profile-name: \"OIDC-PROFILE\"
          role-session-name: example-session
          session-duration: '1800'
      - run:
          name: List the buckets
          command: |
            aws-cli/setup:
              role-arn: inside a block scalar, left alone
            aws s3 ls --profile OIDC-PROFILE
";

    #[test]
    fn the_tutorials_v3_config_becomes_aws_oidcs_with_only_those_tokens_changed() {
        let m = run(TUTORIAL);
        let expected = TUTORIAL
            .replace("circleci/aws-cli@3.1.4 #", "aws-oidc/aws-oidc@0.1.0 #")
            .replacen("role-arn: \"arn", "role_arn: \"arn", 1)
            .replace("aws-region: AWS_REGION", "region: ${AWS_REGION}")
            .replace("profile-name:", "profile_name:")
            .replace("role-session-name:", "role_session_name:")
            .replace("session-duration:", "session_duration:");
        assert_eq!(m.text, expected);
        let lines: Vec<_> = m.changes.iter().map(|c| c.line).collect();
        assert_eq!(lines, [4, 13, 14, 15, 16, 17]);
        assert_eq!(
            m.changes[1].before,
            "role-arn: \"arn:aws:iam::123456789012:role/OIDC-ROLE\""
        );
        assert_eq!(m.changes[2].after, "region: ${AWS_REGION}");
        assert_eq!(m.notes, []);
    }

    #[test]
    fn a_v5_config_changes_its_orbs_line_only_and_keeps_quotes_and_alias() {
        let text = "orbs:\n  aws: \"circleci/aws-cli@5.1.1\"\n  node: circleci/node@5\njobs:\n  a:\n    steps:\n      - aws/setup:\n          role_arn: x\n          region: ${AWS_REGION}\n      - aws/setup\n";
        let m = run(text);
        assert_eq!(
            m.text,
            text.replace("circleci/aws-cli@5.1.1", "aws-oidc/aws-oidc@0.1.0")
        );
        assert_eq!(m.changes.len(), 1);
    }

    #[test]
    fn running_it_again_changes_nothing() {
        let once = run(TUTORIAL);
        let twice = run(&once.text);
        assert_eq!(twice.text, once.text);
        assert_eq!(twice.changes, []);
    }

    #[test]
    fn crlf_and_a_byte_order_mark_are_kept() {
        let text = "\u{feff}orbs:\r\n  aws-cli: circleci/aws-cli@4.0\r\nx:\r\n  - aws-cli/setup:\r\n      aws-region: R\r\n";
        let m = run(text);
        assert_eq!(
            m.text,
            "\u{feff}orbs:\r\n  aws-cli: aws-oidc/aws-oidc@0.1.0\r\nx:\r\n  - aws-cli/setup:\r\n      region: ${R}\r\n"
        );
    }

    #[test]
    fn region_values_that_are_not_variable_names_stay() {
        let text = "orbs: {}\n";
        assert_eq!(run(text).text, text);
        let text = "orbs:\n  a: circleci/aws-cli@3\ns:\n  - a/setup:\n      aws-region: us-east-1\n  - a/setup:\n      aws-region: << parameters.region >>\n";
        let m = run(text);
        assert!(m.text.contains("region: us-east-1\n"), "{}", m.text);
        assert!(
            m.text.contains("region: ${<< parameters.region >>}\n"),
            "{}",
            m.text
        );
    }

    #[test]
    fn merged_parameters_are_renamed_where_the_anchor_is() {
        let text = "orbs:\n  a: circleci/aws-cli@3\ndefaults: &aws\n  role-arn: r\ns:\n  - a/setup:\n      <<: *aws\n      profile-name: p\n";
        let m = run(text);
        assert!(
            m.text.contains("defaults: &aws\n  role_arn: r\n"),
            "{}",
            m.text
        );
        assert!(m.text.contains("      profile_name: p\n"), "{}", m.text);
    }

    #[test]
    fn an_anchor_another_orbs_step_merges_too_keeps_its_v3_names_with_a_note_naming_it() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@3
  other: acme/other@1
aws_params: &aws_params
  role-arn: r
  aws-region: AWS_REGION
jobs:
  j:
    steps:
      - aws-cli/setup:
          <<: *aws_params
          profile-name: p
      - other/deploy:
          <<: *aws_params
";
        let m = run(text);
        // Renamed at the anchor, other/deploy would get role_arn and region
        // instead of the role-arn and aws-region it takes: only the orbs
        // line changes, and the step keeps v3 names the orb takes.
        assert_eq!(
            m.text,
            text.replace("circleci/aws-cli@3", "aws-oidc/aws-oidc@0.1.0")
        );
        assert_eq!(m.notes.len(), 1, "{:#?}", m.notes);
        assert_eq!(m.notes[0].line, 10);
        let said = &m.notes[0].message;
        for what in [
            "aws-cli/setup: kept its v3 names (aws-region, profile-name, role-arn)",
            "&aws_params (line 4) is used on line 14 too",
            "write these parameters out under this step",
        ] {
            assert!(said.contains(what), "{what:?} not in {said}");
        }
        // The same anchor in flow style, as a sequence item, or the step's
        // own mapping carrying the anchor: the same.
        for other in [
            "      - {other/deploy: {<<: *aws_params}}\n",
            "      - other/deploy: *aws_params\n",
            "      - other/deploy:\n          list:\n            - *aws_params\n",
        ] {
            let text = text.replace("      - other/deploy:\n          <<: *aws_params\n", other);
            let m = run(&text);
            assert_eq!(
                m.text,
                text.replace("circleci/aws-cli@3", "aws-oidc/aws-oidc@0.1.0"),
                "{other}"
            );
            assert_eq!(m.notes.len(), 1, "{other}: {:#?}", m.notes);
        }
        let own = "orbs:\n  a: circleci/aws-cli@3\ns:\n  - a/setup: &mine\n      role-arn: r\n  - other/deploy: *mine\n";
        let m = run(own);
        assert!(m.text.contains("role-arn: r"), "{}", m.text);
        assert!(
            m.notes[0]
                .message
                .contains("&mine (line 4) is used on line 6 too"),
            "{:?}",
            m.notes
        );
    }

    #[test]
    fn an_anchor_only_aws_cli_steps_merge_is_renamed_where_it_is() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@3
aws_params: &aws_params
  role-arn: r
jobs:
  j:
    steps:
      - aws-cli/setup:
          <<: *aws_params
      - aws-cli/setup: {<<: *aws_params, profile-name: p}
      - aws-cli/assume-role-with-web-identity: *aws_params
";
        let m = run(text);
        assert_eq!(m.notes, []);
        assert!(
            m.text.contains("aws_params: &aws_params\n  role_arn: r\n"),
            "{}",
            m.text
        );
        assert!(m.text.contains("profile_name: p}"), "{}", m.text);
        assert!(
            m.text
                .contains("aws-cli/assume_role_with_web_identity: *aws_params"),
            "{}",
            m.text
        );
    }

    #[test]
    fn a_step_kept_for_a_shared_anchor_keeps_the_anchors_it_shares_with_other_steps_too() {
        // The first step keeps its names (other/deploy merges &a); renaming
        // &b for the second would rename it under the first as well (&a
        // merges &b), leaving that step half renamed.
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@3
b: &b
  profile-name: p
a: &a
  role-arn: r
  <<: *b
s:
  - aws-cli/setup:
      <<: *a
  - aws-cli/setup:
      <<: *b
  - other/deploy:
      <<: *a
";
        let m = run(text);
        assert_eq!(
            m.text,
            text.replace("circleci/aws-cli@3", "aws-oidc/aws-oidc@0.1.0")
        );
        let lines: Vec<_> = m.notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [9, 11], "{:#?}", m.notes);
    }

    #[test]
    fn what_no_version_of_either_orb_has_is_refused_with_its_lines() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@4
jobs:
  a:
    executor:
      name: aws-cli/default
      python_version: '3.9'
    steps:
      - aws-cli/role_arn_setup:
          role_arn: x
          source: y
      - aws-cli/install:
          version: 2.15.0
      - aws-cli/setup:
          not-a-parameter: 1
          skip-install-check: true
          override-installed: true
      - aws-cli/setup: {role-arn: x}
      - aws-cli/configure
  b:
    executor: aws-cli/python
";
        let MigrateError::Unsupported(notes) = migrate(text, V).unwrap_err() else {
            panic!()
        };
        let lines: Vec<_> = notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [7, 11, 15, 17, 19, 21], "{notes:#?}");
        let says = |i: usize, what: &str| {
            assert!(notes[i].message.contains(what), "{}", notes[i].message);
        };
        says(
            0,
            "takes tag, python-version, resource_class, not python_version",
        );
        says(
            1,
            "no version of aws-cli's role_arn_setup has a parameter source",
        );
        says(2, "not-a-parameter");
        says(
            3,
            "override-installed would become override_installed, which line 16 sets already",
        );
        says(4, "has a command configure");
        says(5, "has only default (cimg/base");
    }

    #[test]
    fn every_command_the_orb_has_passes_with_only_the_orbs_line_changed() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@4.2.3
jobs:
  a:
    executor: {name: aws-cli/default, tag: '2024.03', resource_class: large}
    steps:
      - aws-cli/install:
          version: 2.15.0
          override_installed: true
      - aws-cli/setup:
          role_arn: r
          when: always
      - aws-cli/role_arn_setup:
          profile_name: other
          role_arn: r2
      - aws-cli/assume_role_with_web_identity:
          role_arn: r
          region: eu-west-1
      - aws-cli/ecr_login
      - aws-cli/cleanup: {when: always}
      - aws-cli/install_aws_oidc
";
        let m = run(text);
        assert_eq!(
            m.text,
            text.replace("circleci/aws-cli@4.2.3", "aws-oidc/aws-oidc@0.1.0")
        );
        assert_eq!(m.notes, []);
    }

    #[test]
    fn v3_command_names_get_their_v5_names_with_their_parameters() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@3.1.4
jobs:
  a:
    steps:
      - aws-cli/install:
          override-installed: true
          install-dir: /opt/aws-cli
          binary-dir: /opt/bin
          disable-aws-pager: false
      - aws-cli/role-arn-setup:
          profile-name: other
          role-arn: r2
          source-profile: default
      - aws-cli/assume-role-with-web-identity:
          role-arn: r
          role-session-name: s
          session-duration: '900'
          profile-name: p
      - aws-cli/role-arn-setup
";
        let m = run(text);
        let expected = text
            .replace("circleci/aws-cli@3.1.4", "aws-oidc/aws-oidc@0.1.0")
            .replace("override-installed", "override_installed")
            .replace("install-dir", "install_dir")
            .replace("binary-dir", "binary_dir")
            .replace("disable-aws-pager", "disable_aws_pager")
            .replace("role-arn-setup", "role_arn_setup")
            .replace(
                "assume-role-with-web-identity",
                "assume_role_with_web_identity",
            )
            .replace("profile-name", "profile_name")
            .replace("role-arn:", "role_arn:")
            .replace("source-profile", "source_profile")
            .replace("role-session-name", "role_session_name")
            .replace("session-duration", "session_duration");
        assert_eq!(m.text, expected);
        assert_eq!(m.notes, []);
        assert_eq!(run(&m.text).changes, []);
    }

    #[test]
    fn a_v3_role_arn_setup_with_parameters_only_v3_had_keeps_its_name_with_a_note() {
        // role_arn_setup has no version: renaming the step would not compile.
        let text = "orbs:\n  a: circleci/aws-cli@3\ns:\n  - a/role-arn-setup:\n      profile-name: p\n      role-arn: r\n      version: 2.15.0\n";
        let m = run(text);
        assert_eq!(m.changes.len(), 1, "{:?}", m.changes);
        assert_eq!(
            m.text,
            text.replace("circleci/aws-cli@3", "aws-oidc/aws-oidc@0.1.0")
        );
        assert_eq!(m.notes.len(), 1);
        assert_eq!(m.notes[0].line, 4);
        assert!(
            m.notes[0].message.contains("role_arn_setup has no version"),
            "{}",
            m.notes[0].message
        );
    }

    #[test]
    fn the_executor_takes_tag_and_resource_class_and_python_version_is_a_note() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@3.1.4
jobs:
  a:
    executor:
      name: aws-cli/default
      python-version: '3.10'
      resource_class: large
  b:
    executor: {name: aws-cli/default, tag: '2025.01'}
";
        let m = run(text);
        assert_eq!(m.changes.len(), 1);
        assert_eq!(m.notes.len(), 1, "{:?}", m.notes);
        assert_eq!(m.notes[0].line, 7);
        assert!(m.notes[0].message.contains("cimg/python:<version>"));
    }

    #[test]
    fn steps_in_flow_collections_are_rewritten_as_block_ones_are() {
        let text = "\
orbs: {aws-cli: 'circleci/aws-cli@3.1.4', node: circleci/node@5}
jobs:
  a:
    steps: [checkout, aws-cli/role-arn-setup, {aws-cli/role-arn-setup: {role-arn: r, profile-name: p}}]
  b:
    steps:
      - {aws-cli/setup: {role-arn: r, aws-region: AWS_REGION}}
      - aws-cli/setup: {aws-region: 'R', profile-name: p} # a comment
      - aws-cli/setup: {
          role-arn: r,   # a comment, then a line break
          aws-region: << parameters.r >>
        }
workflows:
  w: {jobs: [a, b]}
";
        let m = run(text);
        let expected = "\
orbs: {aws-cli: 'aws-oidc/aws-oidc@0.1.0', node: circleci/node@5}
jobs:
  a:
    steps: [checkout, aws-cli/role_arn_setup, {aws-cli/role_arn_setup: {role_arn: r, profile_name: p}}]
  b:
    steps:
      - {aws-cli/setup: {role_arn: r, region: \"${AWS_REGION}\"}}
      - aws-cli/setup: {region: '${R}', profile_name: p} # a comment
      - aws-cli/setup: {
          role_arn: r,   # a comment, then a line break
          region: \"${<< parameters.r >>}\"
        }
workflows:
  w: {jobs: [a, b]}
";
        assert_eq!(m.text, expected);
        let lines: Vec<_> = m.changes.iter().map(|c| c.line).collect();
        assert_eq!(lines, [1, 4, 7, 8, 10, 11]);
        assert_eq!(run(&m.text).changes, []);
    }

    #[test]
    fn a_flow_collection_it_cannot_read_is_refused_when_it_holds_a_step() {
        // A plain scalar over two lines: legal YAML, more than this reads.
        let text = "orbs:\n  aws-cli: circleci/aws-cli@3\nj:\n  steps: [checkout, {aws-cli/setup: {role-arn: an\n    arn}}]\n";
        let MigrateError::Unsupported(notes) = migrate(text, V).unwrap_err() else {
            panic!()
        };
        assert_eq!(notes.len(), 1, "{notes:#?}");
        assert_eq!(notes[0].line, 5);
        assert!(
            notes[0]
                .message
                .contains("rewrite this step in block style"),
            "{}",
            notes[0].message
        );
        // The same as a step's parameters, and in the orbs: section.
        for text in [
            "orbs:\n  aws-cli: circleci/aws-cli@3\nj:\n  - aws-cli/setup: {role-arn: an\n      arn}\n",
            "orbs: {aws-cli: circleci/aws-cli@3, x: [a\n  b]}\n",
        ] {
            let err = migrate(text, V).unwrap_err();
            assert!(err.to_string().contains("rewrite this step in block style"), "{err}");
        }
        // One that holds no step is none of this tool's business.
        let text = "orbs:\n  aws-cli: circleci/aws-cli@3\nx: [a\n  b]\n";
        assert_eq!(run(text).changes.len(), 1);
    }

    #[test]
    fn what_is_unknown_in_a_flow_collection_is_refused_too() {
        let text = "orbs:\n  aws-cli: circleci/aws-cli@3\nj:\n  steps: [{aws-cli/setup: {role-arn: r, nope: 1}}, {aws-cli/nothing: {}}]\n  executor: {name: aws-cli/default, python: '3'}\n";
        let MigrateError::Unsupported(notes) = migrate(text, V).unwrap_err() else {
            panic!()
        };
        let lines: Vec<_> = notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [4, 4, 5], "{notes:#?}");
    }

    #[test]
    fn steps_of_aws_oidcs_orb_are_left_as_they_are() {
        // Already aws-oidc's, perhaps at another release, v3's names on purpose.
        let text = "orbs:\n  o: aws-oidc/aws-oidc@0.2\ns:\n  - o/setup:\n      role-arn: r\n      brand_new: 1\n  - o/brand_new_command\n  - [o/role-arn-setup, {o/x: {a: 1}}]\n";
        let m = run(text);
        assert_eq!(m.text, text);
        assert_eq!(m.notes, []);
    }

    #[test]
    fn aws_oidcs_own_parameters_and_flow_mappings_with_current_names_pass() {
        let text = "orbs:\n  aws-cli: circleci/aws-cli@5\nj:\n  executor: {name: aws-cli/default, tag: '2024.03'}\n  s:\n    - aws-cli/setup: {role_arn: x, region: y}\n    - aws-cli/setup:\n        audience: a\n        download_url: u\n    - aws-cli/install\n";
        let m = run(text);
        assert_eq!(m.changes.len(), 1);
        assert_eq!(m.notes, []);
    }

    /// The keys under `parameters:` of an orb source file.
    fn declared(source: &str) -> Vec<String> {
        let outline = outline::outline(source).unwrap();
        let (parameters, _) = outline
            .children(None)
            .find(|(_, k)| k.token.text == "parameters")
            .unwrap();
        outline
            .children(Some(parameters))
            .map(|(_, k)| k.token.text.clone())
            .collect()
    }

    /// The orb's source files of one kind, by name (a file added there
    /// without an entry here fails the tests below).
    fn orb_files(kind: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../orb/src")
            .join(kind);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_setup_parameters_known_here_are_the_orbs() {
        let declared = declared(include_str!("../../../orb/src/commands/setup.yml"));
        assert_eq!(
            parameters_of("setup").unwrap(),
            declared,
            "orb/src/commands/setup.yml and COMMANDS differ"
        );
    }

    #[test]
    fn every_command_and_parameter_known_here_is_the_orbs() {
        let sources = [
            ("setup", include_str!("../../../orb/src/commands/setup.yml")),
            (
                "install",
                include_str!("../../../orb/src/commands/install.yml"),
            ),
            (
                "role_arn_setup",
                include_str!("../../../orb/src/commands/role_arn_setup.yml"),
            ),
            (
                "role-arn-setup",
                include_str!("../../../orb/src/commands/role-arn-setup.yml"),
            ),
            (
                "assume_role_with_web_identity",
                include_str!("../../../orb/src/commands/assume_role_with_web_identity.yml"),
            ),
            (
                "assume-role-with-web-identity",
                include_str!("../../../orb/src/commands/assume-role-with-web-identity.yml"),
            ),
            (
                "install_aws_oidc",
                include_str!("../../../orb/src/commands/install_aws_oidc.yml"),
            ),
            (
                "cleanup",
                include_str!("../../../orb/src/commands/cleanup.yml"),
            ),
            (
                "ecr_login",
                include_str!("../../../orb/src/commands/ecr_login.yml"),
            ),
            (
                "eks_kubeconfig",
                include_str!("../../../orb/src/commands/eks_kubeconfig.yml"),
            ),
            (
                "secrets",
                include_str!("../../../orb/src/commands/secrets.yml"),
            ),
            (
                "codeartifact_login",
                include_str!("../../../orb/src/commands/codeartifact_login.yml"),
            ),
        ];
        let files: BTreeSet<String> = sources.iter().map(|(n, _)| format!("{n}.yml")).collect();
        assert_eq!(
            files,
            orb_files("commands"),
            "a command of the orb is missing here"
        );
        for (command, source) in sources {
            assert_eq!(
                parameters_of(command).unwrap(),
                declared(source),
                "orb/src/commands/{command}.yml and COMMANDS differ"
            );
        }
    }

    #[test]
    fn the_executor_parameters_known_here_are_the_orbs() {
        assert_eq!(
            orb_files("executors"),
            BTreeSet::from(["default.yml".to_string()])
        );
        let declared = declared(include_str!("../../../orb/src/executors/default.yml"));
        assert_eq!(EXECUTOR_PARAMETERS.as_slice(), declared);
    }

    #[test]
    fn every_old_name_the_orb_takes_has_its_v5_name_beside_it() {
        // v3's only parameters of role-arn-setup, which v5 dropped.
        let dropped = ["version", "override-installed", "disable-aws-pager"];
        for (command, parameters) in COMMANDS {
            let v5 = v5_command(command);
            assert!(parameters_of(v5).is_some(), "{command} -> {v5}");
            for p in parameters
                .iter()
                .filter(|p| p.contains('-') || v5 != command)
            {
                let renamed = v5_parameter(v5, p)
                    .or_else(|| parameters_of(v5).unwrap().contains(p).then_some(*p));
                assert!(
                    renamed.is_some() || (command == "role-arn-setup" && dropped.contains(p)),
                    "{command}'s {p} has no name in {v5}"
                );
            }
        }
        assert_eq!(v5_parameter("setup", "aws-region"), Some("region"));
        assert_eq!(
            v5_parameter("setup", "skip-install-check"),
            Some("override_installed")
        );
        assert_eq!(v5_parameter("install", "aws-region"), None);
    }

    #[test]
    fn a_config_without_aws_cli_is_left_alone_with_a_note() {
        let m = run("version: 2.1\njobs: {}\n");
        assert_eq!(m.changes, []);
        assert!(m.notes[0].message.contains("nothing to change"));
    }

    #[test]
    fn yaml_it_cannot_read_is_an_error_naming_the_line() {
        let err = migrate("orbs:\n  a: circleci/aws-cli@3\n\tb: 1\n", V).unwrap_err();
        assert!(
            matches!(err, MigrateError::Syntax(SyntaxError { line: 3, .. })),
            "{err}"
        );
    }

    /// Lines a config is made of, in any order: the ones that change and
    /// the ones that must not (block scalars that look like steps, comments,
    /// quotes).
    fn config() -> impl Strategy<Value = String> {
        let params = prop::sample::subsequence(
            vec![
                "role-arn: \"arn:aws:iam::1:role/r\"",
                "aws-region: AWS_REGION",
                "profile-name: p # a comment",
                "role_session_name: ${CIRCLE_JOB}",
                "'session-duration': '900'",
                "when: always",
                "disable_aws_pager: false",
            ],
            0..6,
        );
        let steps = prop::collection::vec(
            prop_oneof![
                Just("      - checkout\n".to_string()),
                Just("      - aws-cli/setup\n".to_string()),
                Just("      - run:\n          command: |\n            aws-cli/setup:\n              role-arn: x\n".to_string()),
                Just("      # - aws-cli/setup:\n".to_string()),
                Just("      - {aws-cli/setup: {role-arn: r, aws-region: R}}\n".to_string()),
                Just("      - aws-cli/role-arn-setup: {profile-name: p, role-arn: r}\n".to_string()),
                Just("      - [aws-cli/assume-role-with-web-identity, aws-cli/install]\n".to_string()),
                Just("      - aws-cli/install:\n          install-dir: /opt\n          version: latest\n".to_string()),
                Just("      - aws-cli/role-arn-setup:\n          role-arn: r\n          version: latest\n".to_string()),
                params.prop_map(|ps| {
                    let mut s = "      - aws-cli/setup:\n".to_string();
                    for p in ps {
                        s += &format!("          {p}\n");
                    }
                    s
                }),
            ],
            0..6,
        );
        (
            prop_oneof![Just("circleci/aws-cli@3.1.4"), Just("'circleci/aws-cli@5'"), Just("aws-oidc/aws-oidc@0.1")],
            steps,
        )
            .prop_map(|(orb, steps)| {
                format!("version: 2.1\norbs:\n  aws-cli: {orb}\njobs:\n  j:\n    executor:\n      name: aws-cli/default\n      python-version: '3.9'\n    steps:\n{}", steps.concat())
            })
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in "\\PC{0,200}") {
            let _ = migrate(&text, V);
        }

        #[test]
        fn never_panics_on_yaml_like_text(text in "([ \\-:#'\"{}\\[\\]|>&*a-z/@\n]){0,160}") {
            let _ = migrate(&text, V);
        }

        #[test]
        fn only_changed_lines_differ_and_a_second_run_changes_nothing(text in config()) {
            let m = migrate(&text, V).unwrap();
            let before: Vec<_> = text.split('\n').collect();
            let after: Vec<_> = m.text.split('\n').collect();
            prop_assert_eq!(before.len(), after.len());
            let changed: BTreeSet<_> = m.changes.iter().map(|c| c.line).collect();
            for (i, (b, a)) in before.iter().zip(&after).enumerate() {
                prop_assert_eq!(b != a, changed.contains(&(i + 1)), "line {}: {:?} -> {:?}", i + 1, b, a);
            }
            prop_assert!(!m.text.contains("circleci/aws-cli"));
            let again = migrate(&m.text, V).unwrap();
            prop_assert_eq!(&again.text, &m.text);
            prop_assert!(again.changes.is_empty());
        }
    }
}
