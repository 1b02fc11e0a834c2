//! Where a kubeconfig's entries are in its text, so that a merge rewrites
//! only the lines of the entries aws-oidc writes and leaves every other
//! byte as it was.
//!
//! kubectl reads kubeconfigs with a YAML 1.1 resolver (`yes`, `on`, `017`
//! and `0o17` mean other things there than in the YAML 1.2 that
//! yaml-rust2 reads), and keeps tags and escapes its own way.  Re-emitting
//! the whole document would change what other entries mean to kubectl; the
//! lines of an entry never read back the same way.  So a merge edits the
//! text: it replaces, inserts or removes whole lines inside the block
//! structure kubectl writes (a block mapping at the top, block lists of
//! named entries), located from the parser's event marks.  What is written
//! is double-quoted JSON-style strings, which mean the same in both YAML
//! versions.  The caller checks the result against the same merge applied
//! to the parsed document, and writes nothing when they disagree.

use yaml_rust2::parser::Event;
use yaml_rust2::scanner::Marker;

/// One parser event and where it starts.
pub(super) type Ev = (Event, Marker);

/// A key of a block mapping: its name (a plain or quoted scalar key) and
/// where it starts (0-based line, column in characters).
#[derive(Debug, Clone)]
pub(super) struct KeyAt {
    pub name: Option<String>,
    pub line: usize,
    pub col: usize,
    /// Index of the value's first event.
    pub value: usize,
}

/// The index just past the node that starts at event `i`.
pub(super) fn node_end(evs: &[Ev], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < evs.len() {
        match evs[i].0 {
            Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
        if depth == 0 {
            break;
        }
    }
    i
}

/// The keys of the mapping whose `MappingStart` is event `i`, and the
/// index of its `MappingEnd`.
pub(super) fn keys(evs: &[Ev], i: usize) -> (Vec<KeyAt>, usize) {
    let mut out = Vec::new();
    let mut j = i + 1;
    while j < evs.len() && !matches!(evs[j].0, Event::MappingEnd) {
        let name = match &evs[j].0 {
            Event::Scalar(v, ..) => Some(v.clone()),
            _ => None,
        };
        let mark = evs[j].1;
        let value = node_end(evs, j);
        out.push(KeyAt {
            name,
            line: mark.line().saturating_sub(1),
            col: mark.col(),
            value,
        });
        j = node_end(evs, value);
    }
    (out, j)
}

/// The text as lines (each with its line break), and the line break to use
/// for new lines.
pub(super) struct Lines<'a> {
    pub lines: Vec<&'a str>,
    pub eol: &'static str,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines {
            lines: text.split_inclusive('\n').collect(),
            eol: if text.contains("\r\n") { "\r\n" } else { "\n" },
        }
    }

    fn line(&self, n: usize) -> &'a str {
        self.lines.get(n).copied().unwrap_or("")
    }

    /// The column (in characters) of the line's first character that is
    /// not a space, or `None` for a blank line.
    fn indent(&self, n: usize) -> Option<usize> {
        let l = self.line(n).trim_end_matches(['\n', '\r']);
        let rest = l.trim_start_matches(' ');
        (!rest.is_empty()).then(|| l.len() - rest.len())
    }

    /// Whether `key` is the first thing on its line, or follows only the
    /// `- ` of a list item (the first key of an item).
    pub(crate) fn starts_line(&self, key: &KeyAt) -> bool {
        let l = self.line(key.line);
        let before: String = l.chars().take(key.col).collect();
        before.chars().all(|c| c == ' ' || c == '-')
    }

    /// Whether line `n` starts a list item (`- ` or a lone `-`), at
    /// column `col` when given.
    pub(crate) fn is_dash(&self, n: usize, col: Option<usize>) -> bool {
        let l = self.line(n);
        let rest = l.trim_start_matches(' ');
        rest.starts_with('-')
            && rest[1..].starts_with([' ', '\n', '\r'])
            && col.is_none_or(|c| l.len() - rest.len() == c)
    }

    /// The lines in `from..to` that start the items of a block list: the
    /// first line that starts one gives the column, and every line that
    /// starts one at that column is one (an item's own lines are indented
    /// further).  Found in the text rather than from the parser's marks,
    /// which put an empty item (`- # note`) at the token after it.
    pub(crate) fn dash_lines(&self, from: usize, to: usize) -> Option<(usize, Vec<usize>)> {
        let first = (from..to).find(|&n| self.is_dash(n, None))?;
        let col = self.indent(first)?;
        Some((
            col,
            (first..to)
                .filter(|&n| self.is_dash(n, Some(col)))
                .collect(),
        ))
    }

    /// `to`, moved up past the blank lines and the comments at column
    /// `col` or left of it that end `from..to`: they introduce what
    /// follows, so an edit of the range keeps them.  (A comment indented
    /// further may be the text of a block scalar, and stays in.)
    pub(crate) fn trim_end(&self, from: usize, mut to: usize, col: usize) -> usize {
        while to > from + 1 {
            let l = self.line(to - 1);
            let rest = l.trim_start_matches(' ');
            let blank = rest.trim_end_matches(['\n', '\r']).is_empty();
            if !(blank || (rest.starts_with('#') && l.len() - rest.len() <= col)) {
                break;
            }
            to -= 1;
        }
        to
    }

    /// The part of line `n` before column `col` (characters).
    pub(crate) fn prefix(&self, n: usize, col: usize) -> &'a str {
        let l = self.line(n);
        let end = l.char_indices().nth(col).map_or(l.len(), |(i, _)| i);
        &l[..end]
    }
}

/// A change to whole lines: `lines[start..end]` becomes `text`.
#[derive(Debug)]
pub(super) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The text with `edits` made (they must not overlap; insertions at a line
/// come before a replacement that starts there).  `None` if they overlap.
pub(super) fn apply(lines: &Lines, mut edits: Vec<Edit>) -> Option<String> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::new();
    let mut at = 0usize;
    for e in edits {
        if e.start < at || e.end < e.start {
            return None;
        }
        out.extend(
            lines.lines[at..e.start.min(lines.lines.len())]
                .iter()
                .copied(),
        );
        out.push_str(&e.text);
        at = e.end;
    }
    out.extend(lines.lines.get(at..).unwrap_or(&[]).iter().copied());
    Some(out)
}

/// A string as YAML reads it the same in 1.1 and 1.2: double-quoted, with
/// JSON's escapes (each is also a YAML escape).
pub(super) fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
