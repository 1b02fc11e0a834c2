//! Rewrites a CircleCI config's use of the `circleci/aws-cli` orb (v3, v4 or
//! v5) into aws-oidc's, changing only the tokens that must change.
//!
//! - each `orbs:` entry `circleci/aws-cli@X` becomes `aws-oidc/aws-oidc@V`
//!   (V: this release), under the same alias;
//! - `<alias>/setup`'s v3 parameters (kebab-case) get their v5 names, and
//!   v3's `aws-region`, which named a variable, becomes `region: ${NAME}`;
//! - everything else stays byte for byte: comments, quoting, layout.
//!
//! What aws-oidc's orb cannot take (another aws-cli command, `install`'s
//! parameters for the AWS CLI, a parameter no aws-cli version had) is
//! reported with its line, and nothing is rewritten.  Running it again on
//! its own output changes nothing.  See [`outline`] for how much YAML it
//! reads, and why no YAML library does this.

mod outline;

use std::collections::{BTreeMap, BTreeSet};

pub use outline::SyntaxError;
use outline::{Inline, Key, Outline, Token};

/// The orb configs are moved to.
pub const ORB: &str = "aws-oidc/aws-oidc";

/// The orb moved from.
const AWS_CLI_ORB: &str = "circleci/aws-cli";

/// `aws-cli/setup`'s v3 parameter names and their v5 names.
const V3_NAMES: [(&str, &str); 17] = [
    ("role-arn", "role_arn"),
    ("role-session-name", "role_session_name"),
    ("session-duration", "session_duration"),
    ("profile-name", "profile_name"),
    ("aws-region", "region"),
    ("aws-access-key-id", "aws_access_key_id"),
    ("aws-secret-access-key", "aws_secret_access_key"),
    ("configure-default-region", "configure_default_region"),
    ("configure-profile-region", "configure_profile_region"),
    ("set-aws-env-vars", "set_aws_env_vars"),
    ("disable-aws-pager", "disable_aws_pager"),
    ("override-installed", "override_installed"),
    // v2's: install even where a CLI is found, which is what v5 calls this.
    ("skip-install-check", "override_installed"),
    ("install-dir", "install_dir"),
    ("binary-dir", "binary_dir"),
    ("use-brew", "use_brew"),
    ("disable-aws-install", "disable_aws_install"),
];

/// The parameters aws-oidc's `setup` takes: aws-cli@5's, then its own.
const SETUP_PARAMETERS: [&str; 30] = [
    "role_arn",
    "role_session_name",
    "session_duration",
    "profile_name",
    "region",
    "set_aws_env_vars",
    "configure_default_region",
    "configure_profile_region",
    "aws_access_key_id",
    "aws_secret_access_key",
    "disable_aws_pager",
    "version",
    "override_installed",
    "install_dir",
    "binary_dir",
    "use_brew",
    "disable_aws_install",
    "when",
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
];

/// `setup`'s parameter for aws-oidc's download mirror (no aws-cli name clashes with it).
const DOWNLOAD_URL: &str = "download_url";

/// The parameters of the orb's `default` executor.
const EXECUTOR_PARAMETERS: [&str; 2] = ["tag", "resource_class"];

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

/// Why a config was not rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    /// Not YAML that this reads.
    #[error("{0}")]
    Syntax(#[from] SyntaxError),
    /// Uses of aws-cli that aws-oidc's orb cannot take.
    #[error("{}", .0.iter().map(|n| format!("line {}: {}", n.line, n.message)).collect::<Vec<_>>().join("\n"))]
    Unsupported(Vec<Note>),
}

/// The largest CircleCI config read (4 MiB): far more than any config
/// holds, and a bound on what `/dev/zero` given by mistake can cost.
pub const MAX_CONFIG_FILE: u64 = 4 << 20;

/// Reads the config at `path`: a regular file of at most
/// [`MAX_CONFIG_FILE`] bytes (a named pipe, which would block, or a device
/// is refused before a byte is read).
pub fn read_config(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    crate::files::read_regular_bounded(path, MAX_CONFIG_FILE)
}

/// Rewrites `text`'s uses of `circleci/aws-cli` for aws-oidc's orb at `version`.
pub fn migrate(text: &str, version: &str) -> Result<Migration, MigrateError> {
    let outline = outline::outline(text)?;
    let mut plan = Plan::default();

    // The orbs: aws-cli's move to aws-oidc; aws-oidc's own are already there.
    let orbs = outline
        .children(None)
        .find(|(_, k)| k.token.text == "orbs")
        .map(|(i, _)| i);
    let mut aws_cli = BTreeSet::new();
    let mut ours = BTreeSet::new();
    for (_, entry) in orbs.iter().flat_map(|&o| outline.children(Some(o))) {
        let Inline::Scalar(reference) = &entry.value else {
            continue;
        };
        if is_orb(&reference.text, AWS_CLI_ORB) {
            aws_cli.insert(entry.token.text.clone());
            plan.replace(reference, &format!("{ORB}@{version}"));
        } else if is_orb(&reference.text, ORB) {
            ours.insert(entry.token.text.clone());
        }
    }
    if aws_cli.is_empty() && ours.is_empty() {
        plan.notes.push(Note {
            line: 1,
            message: format!("no {AWS_CLI_ORB} orb in the orbs: section: nothing to change"),
        });
    }

    let anchors: BTreeMap<&str, usize> = outline
        .keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.anchor.as_deref().map(|a| (a, i)))
        .collect();
    let orb_of = |reference: &str| -> Option<(bool, String)> {
        let (alias, name) = reference.split_once('/')?;
        if aws_cli.contains(alias) {
            Some((true, name.to_string()))
        } else if ours.contains(alias) {
            Some((false, name.to_string()))
        } else {
            None
        }
    };

    for (index, key) in outline.keys.iter().enumerate() {
        if let Some((from_aws_cli, name)) = orb_of(&key.token.text) {
            match name.as_str() {
                "setup" => plan.setup(&outline, index, &anchors),
                _ if !from_aws_cli => {}
                "install" => plan.install(&outline, index),
                _ => plan.no_such_command(&key.token, &name),
            }
        }
        if key.token.text == "executor" {
            plan.executor(&outline, index, &orb_of);
        }
    }
    for item in &outline.items {
        match orb_of(&item.token.text) {
            Some((true, name)) if name == "install" => plan.install_note(&item.token),
            Some((true, name)) if name != "setup" => plan.no_such_command(&item.token, &name),
            _ => {}
        }
    }

    if !plan.unsupported.is_empty() {
        plan.unsupported.sort_by_key(|n| n.line);
        return Err(MigrateError::Unsupported(plan.unsupported));
    }
    Ok(plan.apply(text))
}

/// `reference` names orb `orb` (at some version).
fn is_orb(reference: &str, orb: &str) -> bool {
    reference
        .strip_prefix(orb)
        .is_some_and(|rest| rest.starts_with('@'))
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

    fn no_such_command(&mut self, token: &Token, name: &str) {
        self.refuse(
            token,
            format!(
                "{}: aws-oidc's orb has no {name}; replace it with setup (role_arn, profile_name, \
                 region, ...) and run this again",
                token.text
            ),
        );
    }

    fn install_note(&mut self, token: &Token) {
        self.notes.push(Note {
            line: token.line + 1,
            message: format!(
                "{}: now installs aws-oidc, not the AWS CLI: steps that run `aws` need an image that \
                 has it (the orb's default executor does)",
                token.text
            ),
        });
    }

    /// aws-cli's `install` takes only parameters about the AWS CLI, which
    /// aws-oidc's `install` does not have or reads otherwise.
    fn install(&mut self, outline: &Outline, index: usize) {
        let key = &outline.keys[index];
        let has_parameters = outline.children(Some(index)).next().is_some()
            || matches!(&key.value, Inline::Flow { text: Some(t) } if t.trim() != "{}");
        if has_parameters {
            self.refuse(
                &key.token,
                format!(
                    "{}: its parameters install the AWS CLI, which aws-oidc does not: remove the step \
                     (aws-cli/setup installs aws-oidc by itself) and run `aws` on an image that has \
                     it, such as the orb's default executor",
                    key.token.text
                ),
            );
        } else {
            self.install_note(&key.token);
        }
    }

    /// Gives `setup`'s parameters their v5 names.
    fn setup(&mut self, outline: &Outline, index: usize, anchors: &BTreeMap<&str, usize>) {
        let step = &outline.keys[index];
        if let Inline::Flow { text } = &step.value {
            let names = text.as_deref().and_then(flow_keys);
            let all_current = names
                .as_ref()
                .is_some_and(|n| n.iter().all(|p| is_setup_parameter(p)));
            if !all_current {
                self.refuse(
                    &step.token,
                    format!(
                        "{}: its parameters are a flow mapping ({{...}}) with names to change: write \
                         them one per line and run this again",
                        step.token.text
                    ),
                );
            }
            return;
        }
        let mut parameters: Vec<&Key> = Vec::new();
        for (_, p) in outline.children(Some(index)) {
            if p.token.text == "<<" {
                match &p.value {
                    Inline::Alias(a) if anchors.contains_key(a.as_str()) => {
                        parameters.extend(outline.children(Some(anchors[a.as_str()])).map(|(_, k)| k))
                    }
                    _ => self.refuse(
                        &p.token,
                        format!(
                            "{}: merges parameters from something other than one anchor above: write \
                             them out and run this again",
                            step.token.text
                        ),
                    ),
                }
            } else {
                parameters.push(p);
            }
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for p in parameters {
            let name = p.token.text.as_str();
            let v5 = if is_setup_parameter(name) {
                name
            } else if let Some((_, v5)) = V3_NAMES.iter().find(|(v3, _)| *v3 == name) {
                self.replace(&p.token, v5);
                if name == "aws-region" {
                    self.region_value(p);
                }
                v5
            } else {
                self.refuse(
                    &p.token,
                    format!(
                        "{}: no version of aws-cli's setup has a parameter {name} (nor has aws-oidc's)",
                        step.token.text
                    ),
                );
                continue;
            };
            if let Some(first) = seen.insert(v5, p.token.line + 1) {
                self.refuse(
                    &p.token,
                    format!(
                        "{}: {name} would become {v5}, which line {first} sets already",
                        step.token.text
                    ),
                );
            }
        }
    }

    /// v3's `aws-region` named the variable holding the region; v5's
    /// `region` is the region, and expands `${NAME}`.
    fn region_value(&mut self, parameter: &Key) {
        let Inline::Scalar(value) = &parameter.value else {
            return;
        };
        let text = value.text.trim();
        let is_name = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let is_parameter = text.starts_with("<<") && text.ends_with(">>");
        if is_name || is_parameter {
            self.replace(value, &format!("${{{text}}}"));
        }
    }

    /// An `executor:` naming one of aws-cli's executors: only `default`,
    /// with the parameters it has here, carries over.
    fn executor(
        &mut self,
        outline: &Outline,
        index: usize,
        orb_of: &dyn Fn(&str) -> Option<(bool, String)>,
    ) {
        let key = &outline.keys[index];
        let (name, parameters): (Option<&Token>, Vec<(String, &Token)>) = match &key.value {
            Inline::Scalar(name) => (Some(name), Vec::new()),
            Inline::Nothing => {
                let children: Vec<_> = outline.children(Some(index)).map(|(_, k)| k).collect();
                let name = children
                    .iter()
                    .find(|k| k.token.text == "name")
                    .and_then(|k| match &k.value {
                        Inline::Scalar(t) => Some(t),
                        _ => None,
                    });
                let parameters = children
                    .iter()
                    .filter(|k| k.token.text != "name")
                    .map(|k| (k.token.text.clone(), &k.token))
                    .collect();
                (name, parameters)
            }
            Inline::Flow { text: Some(text) } => {
                if let Some(reference) = flow_value(text, "name") {
                    if let Some((true, _)) = orb_of(&reference) {
                        let keys = flow_keys(text).unwrap_or_default();
                        let names = keys.into_iter().filter(|k| k != "name");
                        for p in names.filter(|p| !EXECUTOR_PARAMETERS.contains(&p.as_str())) {
                            self.refuse(&key.token, executor_parameter(&reference, &p));
                        }
                        if !reference.ends_with("/default") {
                            self.refuse(&key.token, no_such_executor(&reference));
                        }
                    }
                }
                return;
            }
            _ => return,
        };
        let Some(name) = name else { return };
        if let Some((true, executor)) = orb_of(&name.text) {
            if executor != "default" {
                self.refuse(name, no_such_executor(&name.text));
            }
            for (p, token) in parameters {
                if !EXECUTOR_PARAMETERS.contains(&p.as_str()) {
                    self.refuse(token, executor_parameter(&name.text, &p));
                }
            }
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

fn is_setup_parameter(name: &str) -> bool {
    SETUP_PARAMETERS.contains(&name) || name == DOWNLOAD_URL
}

fn no_such_executor(reference: &str) -> String {
    format!("executor {reference}: aws-oidc's orb has only default (cimg/aws): use it, or name an image")
}

fn executor_parameter(reference: &str, parameter: &str) -> String {
    format!(
        "executor {reference}: aws-oidc's default executor takes {} and not {parameter}",
        EXECUTOR_PARAMETERS.join(" and ")
    )
}

/// The keys of a one-line flow mapping `{a: 1, b: 2}`; None for anything else.
fn flow_keys(text: &str) -> Option<Vec<String>> {
    Some(flow_entries(text)?.into_iter().map(|(k, _)| k).collect())
}

/// The value of `key` in a one-line flow mapping.
fn flow_value(text: &str, key: &str) -> Option<String> {
    flow_entries(text)?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The entries of a one-line flow mapping of scalars, unquoted.
fn flow_entries(text: &str) -> Option<Vec<(String, String)>> {
    let inner = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    if inner.contains(['{', '[', '"', '\'']) {
        return None;
    }
    inner
        .split(',')
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let (k, v) = e.split_once(':')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
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
    fn what_aws_oidc_cannot_take_is_refused_with_its_lines() {
        let text = "\
orbs:
  aws-cli: circleci/aws-cli@4
jobs:
  a:
    executor:
      name: aws-cli/default
      python-version: '3.9'
    steps:
      - aws-cli/role_arn_setup:
          role_arn: x
      - aws-cli/install:
          version: 2.15.0
      - aws-cli/setup:
          not-a-parameter: 1
          skip-install-check: true
          override-installed: true
      - aws-cli/setup: {role-arn: x}
";
        let MigrateError::Unsupported(notes) = migrate(text, V).unwrap_err() else {
            panic!()
        };
        let lines: Vec<_> = notes.iter().map(|n| n.line).collect();
        assert_eq!(lines, [7, 9, 11, 14, 16, 17], "{notes:#?}");
        assert!(
            notes[1].message.contains("has no role_arn_setup"),
            "{}",
            notes[1].message
        );
    }

    #[test]
    fn aws_oidcs_own_parameters_and_flow_mappings_with_current_names_pass() {
        let text = "orbs:\n  aws-cli: circleci/aws-cli@5\nj:\n  executor: {name: aws-cli/default, tag: '2024.03'}\n  s:\n    - aws-cli/setup: {role_arn: x, region: y}\n    - aws-cli/setup:\n        audience: a\n        download_url: u\n    - aws-cli/install\n";
        let m = run(text);
        assert_eq!(m.changes.len(), 1);
        assert_eq!(m.notes.len(), 1, "{:?}", m.notes);
        assert!(m.notes[0].message.contains("now installs aws-oidc"));
    }

    #[test]
    fn the_setup_parameters_known_here_are_the_orbs() {
        let source = include_str!("../../../orb/src/commands/setup.yml");
        let outline = outline::outline(source).unwrap();
        let (parameters, _) = outline
            .children(None)
            .find(|(_, k)| k.token.text == "parameters")
            .unwrap();
        let declared: BTreeSet<&str> = outline
            .children(Some(parameters))
            .map(|(_, k)| k.token.text.as_str())
            .collect();
        let known: BTreeSet<&str> = SETUP_PARAMETERS
            .iter()
            .copied()
            .chain([DOWNLOAD_URL])
            .collect();
        assert_eq!(
            known, declared,
            "orb/src/commands/setup.yml and SETUP_PARAMETERS differ"
        );
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
                format!("version: 2.1\norbs:\n  aws-cli: {orb}\njobs:\n  j:\n    executor: aws-cli/default\n    steps:\n{}", steps.concat())
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
