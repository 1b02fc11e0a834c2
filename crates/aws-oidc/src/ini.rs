//! A byte-preserving editor for the AWS shared config and credentials files.
//!
//! Users keep comments, odd spacing and other tools' profiles in these files,
//! so an edit changes only the keys it sets: every other byte (comments, CRLF
//! line ends, blank lines, other sections, even duplicate sections) stays as
//! it was.  Lines the AWS CLI itself could not parse are refused rather than
//! guessed at, with the line number and the fix.

use std::fmt;

crate::error_debug::debug_by_display!(IniError);
/// A line that makes the file unparseable.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct IniError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong and what to do.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Section(String),
    Key(String),
    Continuation,
}

#[derive(Debug, Clone)]
struct Line {
    text: String,
    eol: String,
    kind: Kind,
}

/// A parsed INI file that remembers every byte.
#[derive(Debug, Clone)]
pub struct IniDoc {
    lines: Vec<Line>,
    newline: String,
}

/// A section header's name as the AWS CLI reads it: the text between the
/// brackets as it is, except that `profile` and the name may be separated by
/// any run of blanks (`[profile   x]` is profile `x`, as botocore's shlex
/// split reads it).  Nothing else is collapsed: `[a<TAB>b]` is not `[a b]`.
fn normalise_section(inner: &str) -> String {
    let words: Vec<&str> = inner.split_whitespace().collect();
    match words.as_slice() {
        ["profile", name] => format!("profile {name}"),
        _ => inner.to_string(),
    }
}

fn classify(text: &str, in_section: bool, after_key: bool, line: usize) -> Result<Kind, IniError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Kind::Blank);
    }
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Ok(Kind::Comment);
    }
    if text.starts_with([' ', '\t']) && after_key {
        return Ok(Kind::Continuation);
    }
    if let Some(rest) = trimmed.strip_prefix('[') {
        let Some(close) = rest.find(']') else {
            return Err(IniError {
                line,
                why: "a section header is missing its closing ]".into(),
            });
        };
        let after = rest[close + 1..].trim();
        if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
            return Err(IniError {
                line,
                why: "text after a section header's ]".into(),
            });
        }
        let name = normalise_section(&rest[..close]);
        if name.is_empty() {
            return Err(IniError {
                line,
                why: "an empty section name []".into(),
            });
        }
        return Ok(Kind::Section(name));
    }
    match trimmed.find(['=', ':']) {
        Some(0) => Err(IniError {
            line,
            why: "a line starting with = has no key".into(),
        }),
        Some(i) if in_section => Ok(Kind::Key(trimmed[..i].trim().to_string())),
        Some(_) => Err(IniError {
            line,
            why: "a key = value line before any [section]; put it under a section".into(),
        }),
        None => Err(IniError {
            line,
            why: "neither a [section], a key = value line, nor a # comment".into(),
        }),
    }
}

impl IniDoc {
    /// Parses `text`, refusing lines the AWS CLI could not read.
    pub fn parse(text: &str) -> Result<Self, IniError> {
        let mut lines = Vec::new();
        let mut rest = text;
        let mut in_section = false;
        let mut after_key = false;
        let mut newline = None;
        while !rest.is_empty() {
            let (line, eol, next) = match rest.find('\n') {
                Some(i) if i > 0 && rest.as_bytes()[i - 1] == b'\r' => {
                    (&rest[..i - 1], "\r\n", &rest[i + 1..])
                }
                Some(i) => (&rest[..i], "\n", &rest[i + 1..]),
                None => (rest, "", ""),
            };
            if newline.is_none() && !eol.is_empty() {
                newline = Some(eol.to_string());
            }
            let kind = classify(line, in_section, after_key, lines.len() + 1)?;
            match &kind {
                Kind::Section(_) => {
                    in_section = true;
                    after_key = false;
                }
                Kind::Key(_) => after_key = true,
                Kind::Continuation | Kind::Comment => {}
                Kind::Blank => after_key = false,
            }
            lines.push(Line {
                text: line.to_string(),
                eol: eol.to_string(),
                kind,
            });
            rest = next;
        }
        Ok(IniDoc {
            lines,
            newline: newline.unwrap_or_else(|| "\n".into()),
        })
    }

    /// Index ranges `[header, end)` of every section named `section`.
    fn sections(&self, section: &str) -> Vec<(usize, usize)> {
        let want = normalise_section(section);
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.lines.len() {
            if self.lines[i].kind == Kind::Section(want.clone()) {
                let end = (i + 1..self.lines.len())
                    .find(|&j| matches!(self.lines[j].kind, Kind::Section(_)))
                    .unwrap_or(self.lines.len());
                out.push((i, end));
                i = end;
            } else {
                i += 1;
            }
        }
        out
    }

    /// How many lines after the key line `i` belong to its value: its
    /// continuation lines, and comments between them (as configparser reads them).
    fn value_extent(&self, i: usize) -> usize {
        let mut last = i;
        for j in i + 1..self.lines.len() {
            match self.lines[j].kind {
                Kind::Continuation => last = j,
                Kind::Comment => {}
                _ => break,
            }
        }
        last - i
    }

    /// The last value of `key` in `section`, trimmed.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        self.sections(section)
            .into_iter()
            .flat_map(|(start, end)| start + 1..end)
            .rfind(|&i| self.lines[i].kind == Kind::Key(key.to_string()))
            .map(|i| {
                let text = &self.lines[i].text;
                let delim = text.find(['=', ':']).unwrap_or(text.len() - 1);
                text[delim + 1..].trim().to_string()
            })
    }

    /// The last value of `key` in `section` with its continuation lines
    /// (as configparser joins them, a line each), trimmed: `.pypirc`'s
    /// `index-servers` is often written a server a line.
    pub fn get_multiline(&self, section: &str, key: &str) -> Option<String> {
        let i = self
            .sections(section)
            .into_iter()
            .flat_map(|(start, end)| start + 1..end)
            .rfind(|&i| self.lines[i].kind == Kind::Key(key.to_string()))?;
        let text = &self.lines[i].text;
        let delim = text.find(['=', ':']).unwrap_or(text.len() - 1);
        let mut value = vec![text[delim + 1..].trim().to_string()];
        for line in &self.lines[i + 1..=i + self.value_extent(i)] {
            if line.kind == Kind::Continuation {
                value.push(line.text.trim().to_string());
            }
        }
        Some(value.join("\n").trim().to_string())
    }

    /// Whether any section named `section` exists.
    pub fn has_section(&self, section: &str) -> bool {
        !self.sections(section).is_empty()
    }

    /// Sets `key = value` in `section`: every existing line for the key is
    /// rewritten in place (keeping its spacing); a missing key is added
    /// after the section's last key; a missing section is appended.
    ///
    /// A value with a line break (which would forge lines) is refused.
    pub fn set(&mut self, section: &str, key: &str, value: &str) -> Result<(), IniError> {
        if value.contains(['\n', '\r']) || section.contains(['\n', '\r', ']']) {
            return Err(IniError {
                line: 0,
                why: format!("the value for {key} holds a line break, which no INI value can hold"),
            });
        }
        let sections = self.sections(section);
        let mut found = false;
        // Walk backwards so removing continuation lines does not shift what is left to visit.
        for &(start, end) in sections.iter().rev() {
            let mut i = end;
            while i > start + 1 {
                i -= 1;
                if self.lines[i].kind != Kind::Key(key.to_string()) {
                    continue;
                }
                found = true;
                let text = &self.lines[i].text;
                let delim = text.find(['=', ':']).expect("key lines have a delimiter");
                let after = &text[delim + 1..];
                let spacing = &after[..after.len() - after.trim_start().len()];
                // Keep the line's own style; an empty value (`key =`) gets one space.
                let spacing = if after.trim().is_empty() {
                    " "
                } else {
                    spacing
                };
                self.lines[i].text = format!("{}{spacing}{value}", &text[..=delim]);
                let conts = self.value_extent(i);
                self.lines.drain(i + 1..i + 1 + conts);
            }
        }
        if found {
            return Ok(());
        }
        let new_line = |nl: &str| Line {
            text: format!("{key} = {value}"),
            eol: nl.to_string(),
            kind: Kind::Key(key.to_string()),
        };
        let nl = self.newline.clone();
        if let Some(&(start, end)) = sections.last() {
            let at = (start + 1..end)
                .rev()
                .find(|&j| matches!(self.lines[j].kind, Kind::Key(_) | Kind::Continuation))
                .unwrap_or(start)
                + 1;
            let mut line = new_line(&nl);
            if at == self.lines.len() && self.lines[at - 1].eol.is_empty() {
                // The file ended without a newline right where we append.
                self.lines[at - 1].eol = nl.clone();
                line.eol = String::new();
            }
            self.lines.insert(at, line);
            return Ok(());
        }
        let ends_without_newline = self.lines.last().is_some_and(|l| l.eol.is_empty());
        if let Some(last) = self.lines.last_mut() {
            if last.eol.is_empty() {
                last.eol = nl.clone();
            }
        }
        if !self.lines.is_empty() && self.lines.last().is_some_and(|l| l.kind != Kind::Blank) {
            self.lines.push(Line {
                text: String::new(),
                eol: nl.clone(),
                kind: Kind::Blank,
            });
        }
        self.lines.push(Line {
            text: format!("[{section}]"),
            eol: nl.clone(),
            kind: Kind::Section(normalise_section(section)),
        });
        let mut line = new_line(&nl);
        if ends_without_newline {
            // Keep the file's habit of not ending in a newline.
            line.eol = String::new();
        }
        self.lines.push(line);
        Ok(())
    }

    /// Removes `section` where nothing but blank lines is left in it, with
    /// the blank line [`IniDoc::set`] puts before a section it appends at
    /// the end: after removing what was set, the file reads as before.
    pub fn remove_section_if_empty(&mut self, section: &str) {
        for (start, end) in self.sections(section).into_iter().rev() {
            if !self.lines[start + 1..end]
                .iter()
                .all(|l| l.kind == Kind::Blank)
            {
                continue;
            }
            let at_end = end == self.lines.len();
            self.lines.drain(start..end);
            if at_end && start > 0 && self.lines[start - 1].kind == Kind::Blank {
                self.lines.remove(start - 1);
            }
        }
    }

    /// Removes every line for `key` in `section` (with its continuation lines).
    pub fn remove(&mut self, section: &str, key: &str) {
        for (start, end) in self.sections(section).into_iter().rev() {
            let mut i = end;
            while i > start + 1 {
                i -= 1;
                if self.lines[i].kind == Kind::Key(key.to_string()) {
                    let conts = self.value_extent(i);
                    let removed_eol = self.lines[i + conts].eol.is_empty();
                    self.lines.drain(i..i + 1 + conts);
                    if removed_eol && i > 0 && i == self.lines.len() {
                        self.lines[i - 1].eol.clear();
                    }
                }
            }
        }
    }
}

impl fmt::Display for IniDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            f.write_str(&line.text)?;
            f.write_str(&line.eol)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn edit(text: &str, f: impl FnOnce(&mut IniDoc)) -> String {
        let mut doc = IniDoc::parse(text).unwrap();
        f(&mut doc);
        doc.to_string()
    }

    #[test]
    fn round_trips_untouched_files_byte_for_byte() {
        let text = "# top comment\r\n[default]\r\nregion=eu-west-1\r\n\r\n; other\r\n[profile x]\r\ns3 =\r\n  max_concurrent_requests = 20\r\n[dup]\na = 1\n[dup]\na = 2";
        assert_eq!(IniDoc::parse(text).unwrap().to_string(), text);
    }

    #[test]
    fn updates_only_the_named_key_keeping_spacing() {
        let text = "[a]\nk   =   old # not a comment in AWS files\nother=1\n[b]\nk=keep\n";
        let out = edit(text, |d| d.set("a", "k", "new").unwrap());
        assert_eq!(out, "[a]\nk   =   new\nother=1\n[b]\nk=keep\n");
    }

    #[test]
    fn adds_missing_keys_after_the_last_key_of_the_section() {
        let text = "[a]\nx = 1\n\n# about b\n[b]\ny = 2\n";
        let out = edit(text, |d| d.set("a", "k", "v").unwrap());
        assert_eq!(out, "[a]\nx = 1\nk = v\n\n# about b\n[b]\ny = 2\n");
    }

    #[test]
    fn appends_a_new_section_in_the_files_line_ending_style() {
        assert_eq!(edit("", |d| d.set("p", "k", "v").unwrap()), "[p]\nk = v\n");
        assert_eq!(
            edit("[a]\r\nx=1\r\n", |d| d.set("p", "k", "v").unwrap()),
            "[a]\r\nx=1\r\n\r\n[p]\r\nk = v\r\n"
        );
        assert_eq!(
            edit("[a]\nx=1", |d| d.set("p", "k", "v").unwrap()),
            "[a]\nx=1\n\n[p]\nk = v"
        );
        assert_eq!(
            edit("[a]\nx=1", |d| d.set("a", "k", "v").unwrap()),
            "[a]\nx=1\nk = v"
        );
    }

    #[test]
    fn section_names_match_with_normalised_spacing() {
        let out = edit("[profile   prod]\nregion = a\n", |d| {
            d.set("profile prod", "region", "b").unwrap()
        });
        assert_eq!(out, "[profile   prod]\nregion = b\n");
    }

    #[test]
    fn section_names_are_compared_exactly_but_for_the_profile_prefix() {
        // `[a<TAB>b]` is another profile than `a b`: it is kept, and `a b` added.
        let out = edit("[a\tb]\nk = 1\n", |d| d.set("a b", "k", "2").unwrap());
        assert_eq!(out, "[a\tb]\nk = 1\n\n[a b]\nk = 2\n");
        let out = edit("[ p ]\nk = 1\n", |d| d.set("p", "k", "2").unwrap());
        assert_eq!(out, "[ p ]\nk = 1\n\n[p]\nk = 2\n");
        let out = edit("[profile\tx ]\nk = 1\n", |d| {
            d.set("profile x", "k", "2").unwrap()
        });
        assert_eq!(out, "[profile\tx ]\nk = 2\n");
    }

    #[test]
    fn a_value_with_a_line_break_is_refused_not_a_panic() {
        let mut doc = IniDoc::parse("[p]\n").unwrap();
        for bad in ["a\nb", "a\rb", "\n[evil]\nk = v"] {
            let e = doc.set("p", "aws_session_token", bad).unwrap_err();
            assert!(e.why.contains("line break"), "{e}");
        }
        assert_eq!(doc.to_string(), "[p]\n");
    }

    #[test]
    fn duplicate_sections_are_all_updated_and_kept() {
        let out = edit("[p]\nk = 1\n[q]\n[p]\nk = 2\n", |d| {
            d.set("p", "k", "3").unwrap()
        });
        assert_eq!(out, "[p]\nk = 3\n[q]\n[p]\nk = 3\n");
    }

    #[test]
    fn continuation_lines_of_a_replaced_key_go_with_it() {
        let out = edit("[p]\nk =\n  a = 1\n  b = 2\nz = 9\n", |d| {
            d.set("p", "k", "v").unwrap()
        });
        assert_eq!(out, "[p]\nk = v\nz = 9\n");
    }

    #[test]
    fn a_value_continued_across_a_comment_goes_whole() {
        // Found by `make fuzz` (ini_edit): removing the key left its
        // continuation line behind a comment, where it no longer parsed.
        let text = "[other]\nregion=x\n# c\n  more\n# after\nz = 1\n";
        let removed = edit(text, |d| d.remove("other", "region"));
        assert_eq!(removed, "[other]\n# after\nz = 1\n");
        assert!(IniDoc::parse(&removed).is_ok());
        let set = edit(text, |d| d.set("other", "region", "v").unwrap());
        assert_eq!(set, "[other]\nregion=v\n# after\nz = 1\n");
    }

    #[test]
    fn remove_drops_the_key_only() {
        let out = edit("[p]\nk = 1\nz = 2\n[q]\nk = 3\n", |d| d.remove("p", "k"));
        assert_eq!(out, "[p]\nz = 2\n[q]\nk = 3\n");
    }

    #[test]
    fn get_reads_the_last_value() {
        let d = IniDoc::parse("[p]\nk = 1\n[p]\nk : 2 \n").unwrap();
        assert_eq!(d.get("p", "k").as_deref(), Some("2"));
        assert_eq!(d.get("p", "nope"), None);
        assert!(d.has_section("p") && !d.has_section("q"));
    }

    #[test]
    fn refuses_lines_the_aws_cli_cannot_parse() {
        for (text, line, needle) in [
            ("key = 1\n", 1, "before any [section]"),
            ("[a]\njust words\n", 2, "neither"),
            ("[a\nk=1\n", 1, "closing ]"),
            ("[]\n", 1, "empty section"),
            ("[a]\n= 1\n", 2, "no key"),
        ] {
            let err = IniDoc::parse(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}");
            assert!(err.why.contains(needle), "{text:?}: {err}");
        }
    }

    fn ini_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[a-z ]{1,8}".prop_map(|s| format!("[{s}x]")),
            "[a-z_]{1,8}".prop_map(|k| format!("{k} = v")),
            "[a-z]{1,8}".prop_map(|s| format!("# {s}")),
            "[a-z]{1,8}".prop_map(|s| format!("  nested = {s}")),
        ]
    }

    proptest! {
        #[test]
        fn setting_a_key_changes_nothing_outside_its_section(
            lines in proptest::collection::vec(ini_line(), 0..20),
            crlf in any::<bool>(),
            trailing in any::<bool>(),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::from("[keep]\nsecret = unchanged\n");
            text.push_str(&lines.join(nl));
            if trailing { text.push_str(nl); }
            let Ok(mut doc) = IniDoc::parse(&text) else { return Ok(()); };
            prop_assert_eq!(doc.to_string(), text.clone());
            doc.set("target", "aws_access_key_id", "NEW").unwrap();
            let out = doc.to_string();
            let reparsed = IniDoc::parse(&out).unwrap();
            prop_assert_eq!(reparsed.get("target", "aws_access_key_id"), Some("NEW".to_string()));
            prop_assert_eq!(reparsed.get("keep", "secret"), Some("unchanged".to_string()));
            // Everything before the new section is as it was (bar one added newline at most).
            prop_assert!(out.starts_with(text.trim_end_matches(['\r', '\n'])));
        }

        #[test]
        fn parse_never_panics(text in "(?s).{0,200}") {
            let _ = IniDoc::parse(&text);
        }
    }

    #[test]
    fn a_section_set_then_emptied_is_removed_and_the_file_reads_as_before() {
        let before = "# mine\n[other]\nregion = eu-west-1\n";
        let after = edit(before, |d| {
            d.set("profile ci", "region", "us-east-1").unwrap();
            d.set("profile ci", "output", "json").unwrap();
            d.remove("profile ci", "region");
            d.remove("profile ci", "output");
            d.remove_section_if_empty("profile ci");
        });
        assert_eq!(after, before);
        // A section that still holds a key or a comment stays.
        let kept = "[a]\n# note\n[b]\nk = v\n";
        assert_eq!(edit(kept, |d| d.remove_section_if_empty("a")), kept);
        assert_eq!(edit(kept, |d| d.remove_section_if_empty("b")), kept);
    }
}
