//! The outline of a block-style YAML file, read line by line: its mapping
//! keys, where each one sits (line and byte range, quotes included), which
//! key's block holds it, what follows it on its line, and the plain or
//! quoted scalars that are items of block sequences, and the text of each
//! flow collection (`[...]`, `{...}`), which [`flow`] reads on demand.
//!
//! That is enough YAML for [`super::migrate`] to find single tokens and
//! rewrite them in place, so that every other byte stays as it was; no YAML
//! library keeps comments and layout through a round trip, and a full
//! parser would add some 70 KB to a binary every CI job downloads.  Scalars
//! inside block scalars (`|`, `>`) and quoted strings are skipped whole, so
//! text such as `command: echo aws-cli/setup` is never taken for structure.  What cannot be placed is an error naming the line:
//! a tab in the indentation, a `?` key, a second document, an unclosed
//! quote or bracket, a line more indented than anything it could belong to,
//! a key under a key that already has a value.

/// A key or scalar on one line: `start..end` are byte offsets in the line
/// (quotes included), `text` its value (quotes removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    /// 0-based line number.
    pub line: usize,
    /// Byte range in the line, quotes included.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// The scalar's text.
    pub text: String,
    /// Whether it was written in quotes.
    pub quoted: bool,
}

impl Token {
    /// The byte range of the text alone (inside the quotes).
    pub(crate) fn inner(&self) -> (usize, usize) {
        if self.quoted {
            (self.start + 1, self.end - 1)
        } else {
            (self.start, self.end)
        }
    }
}

/// What follows a key's colon on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Inline {
    /// Nothing: the value is the block below (or null).
    Nothing,
    /// A plain or quoted scalar that ends on this line.
    Scalar(Token),
    /// An alias, `*name`.
    Alias(String),
    /// A flow collection: its index in [`Outline::flows`].
    Flow(usize),
    /// A block scalar (`|`, `>`), or a quoted scalar that goes on below.
    Other,
}

/// A mapping key.
#[derive(Debug, Clone)]
pub(super) struct Key {
    /// The key itself.
    pub token: Token,
    /// The key whose block value holds this one (through sequences too).
    pub parent: Option<usize>,
    /// What follows the colon.
    pub value: Inline,
    /// The anchor on the value, `key: &name`.
    pub anchor: Option<String>,
}

/// A scalar item of a block sequence, `- value`.
#[derive(Debug, Clone)]
pub(super) struct Item {
    /// The scalar.
    pub token: Token,
}

/// A flow collection outside any other, as written.
#[derive(Debug, Clone)]
pub(super) struct FlowText {
    /// 0-based line of its opening bracket.
    pub line: usize,
    /// Byte offset of the opening bracket in that line.
    pub col: usize,
    /// From the opening bracket to the closing one, lines joined by `\n`
    /// (without their `\r`).
    pub text: String,
    /// The key it is the value of (None for a sequence item).
    pub of: Option<usize>,
}

/// The outline of one YAML document.
#[derive(Debug, Default)]
pub(super) struct Outline {
    /// Every mapping key, in file order.
    pub keys: Vec<Key>,
    /// Every scalar sequence item, in file order.
    pub items: Vec<Item>,
    /// Every flow collection that is not inside another, in file order.
    pub flows: Vec<FlowText>,
    /// Every alias that is a sequence item (`- *name`) or a document on
    /// its own: 0-based line and name.
    pub item_aliases: Vec<(usize, String)>,
}

impl Outline {
    /// The keys directly inside `parent`'s block (the root's when `None`).
    pub(crate) fn children(&self, parent: Option<usize>) -> impl Iterator<Item = (usize, &Key)> {
        self.keys
            .iter()
            .enumerate()
            .filter(move |(_, k)| k.parent == parent)
    }
}

crate::error_debug::debug_by_display!(SyntaxError);
/// A line the outline cannot place.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct SyntaxError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong there.
    pub reason: &'static str,
}

/// An open block collection: a mapping whose keys start at `indent`, or a
/// sequence whose dashes do.
struct Frame {
    indent: usize,
    seq: bool,
    owner: Option<usize>,
}

/// A node opened at column `col` with nothing after it on its line: its
/// content, if any, is the more indented block below.
struct Pending {
    col: usize,
    owner: Option<usize>,
    /// A key's value may also be a sequence at the key's own indentation.
    key: bool,
}

/// Lines that belong to a scalar or collection begun on an earlier line.
enum Carry {
    None,
    /// Block scalar content: blank lines and lines indented past `usize`.
    Block(usize),
    /// A flow collection, open brackets deep.
    Flow(usize),
    /// A quoted scalar waiting for its closing quote.
    Quote(u8),
    /// A plain scalar that may go on over lines indented past `usize`.
    Plain(usize),
}

/// Reads the outline of `text`.
pub(super) fn outline(text: &str) -> Result<Outline, SyntaxError> {
    let mut reader = Reader {
        out: Outline::default(),
        frames: Vec::new(),
        pending: None,
        carry: Carry::None,
        started: false,
        line: 0,
        opened: 0,
    };
    for (number, line) in lines(text).enumerate() {
        reader.line = number;
        reader.read(line)?;
    }
    reader.line = reader.opened;
    match reader.carry {
        Carry::Flow(_) => Err(reader.error("a flow collection ([ or {) is never closed")),
        Carry::Quote(_) => Err(reader.error("a quoted string is never closed")),
        _ => Ok(reader.out),
    }
}

/// The lines of `text` without their line endings (and without a byte
/// order mark, which is kept in the file as it was).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').enumerate().map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if i == 0 {
            l.strip_prefix('\u{feff}').unwrap_or(l)
        } else {
            l
        }
    })
}

struct Reader {
    out: Outline,
    frames: Vec<Frame>,
    pending: Option<Pending>,
    carry: Carry,
    started: bool,
    line: usize,
    /// The line the scalar or collection being carried began on.
    opened: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank_or_comment(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

/// `-` as a block sequence indicator: followed by a space or the line's end.
fn is_dash(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t")
}

/// The offset of the quote closing the one at `rest[0]`, if on this line.
fn closing_quote(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let quote = bytes[0];
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The offset where a closing quote of kind `quote` ends a quoted scalar
/// that began on an earlier line (the text before it is inside).
fn closing_quote_from(line: &str, quote: u8) -> Option<usize> {
    let mut padded = String::with_capacity(line.len() + 1);
    padded.push(quote as char);
    padded.push_str(line);
    closing_quote(&padded).map(|i| i - 1)
}

/// Follows a flow collection over `text`: the depth after it, starting at
/// `depth`, and where it closed (the byte after the last bracket) if it did.
fn flow_depth(text: &str, mut depth: usize) -> (usize, Option<usize>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => match closing_quote(&text[i..]) {
                Some(close) => i += close,
                None => return (depth, None),
            },
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return (depth, None),
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (0, Some(i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    (depth, None)
}

/// The end of a plain scalar starting at `rest[0]`: before ` #` or the line's end, trimmed.
fn plain_end(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut end = rest.len();
    for i in 1..bytes.len() {
        if bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t') {
            end = i;
            break;
        }
    }
    rest[..end].trim_end_matches([' ', '\t']).len()
}

/// A mapping key at `rest[0]`: its token range and text, and the offset
/// just after its colon.
fn key_at(rest: &str) -> Option<(usize, String, bool, usize)> {
    let first = *rest.as_bytes().first()?;
    let (end, text, quoted) = match first {
        b'"' | b'\'' => {
            let close = closing_quote(rest)?;
            let inner = &rest[1..close];
            let text = if first == b'\'' {
                inner.replace("''", "'")
            } else {
                inner.to_string()
            };
            (close + 1, text, true)
        }
        b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b'#' | b'?' => {
            return None
        }
        _ => {
            let bytes = rest.as_bytes();
            let colon = (0..bytes.len()).find(|&i| {
                bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t'))
                    || (bytes[i] == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t'))
            })?;
            if bytes[colon] == b'#' {
                return None;
            }
            let text = rest[..colon].trim_end_matches([' ', '\t']);
            (text.len(), text.to_string(), false)
        }
    };
    let after = &rest[end..];
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    let after = &after[spaces..];
    let is_key = after == ":" || after.starts_with(": ") || after.starts_with(":\t");
    (is_key && !text.is_empty()).then_some((end, text, quoted, end + spaces + 1))
}

impl Reader {
    fn error(&self, reason: &'static str) -> SyntaxError {
        SyntaxError {
            line: self.line + 1,
            reason,
        }
    }

    fn read(&mut self, line: &str) -> Result<(), SyntaxError> {
        if self.carried(line)? {
            return Ok(());
        }
        let ind = indent_of(line);
        let rest = &line[ind..];
        if is_blank_or_comment(rest) {
            return Ok(());
        }
        if rest.starts_with('\t') {
            return Err(self.error("a tab in the indentation: YAML indents with spaces"));
        }
        if ind == 0 && (rest.starts_with("---") || rest.starts_with("...") || rest.starts_with('%'))
        {
            let marker_alone = rest.starts_with("---") && is_blank_or_comment(&rest[3..]);
            if marker_alone && !self.started {
                return Ok(());
            }
            return Err(self.error(
                "a second document, or a directive: a CircleCI config is one YAML document",
            ));
        }
        self.started = true;
        let dash = is_dash(rest);
        if rest == "?" || rest.starts_with("? ") {
            return Err(self.error("a complex key (?): write the key on one line"));
        }

        if let Some(p) = self.pending.take() {
            let opens = ind > p.col || (p.key && ind == p.col && dash);
            if opens {
                if dash || key_at(rest).is_some() {
                    self.frames.push(Frame {
                        indent: ind,
                        seq: dash,
                        owner: p.owner,
                    });
                } else {
                    // A scalar on its own line is the node's value.
                    return self.value(line, ind, p.col, None);
                }
            }
        }
        while let Some(top) = self.frames.last() {
            if top.indent > ind || (top.seq && top.indent == ind && !dash) {
                self.frames.pop();
            } else {
                break;
            }
        }
        let top = match self.frames.last() {
            Some(top) => top,
            None if self.out.keys.is_empty() && self.out.items.is_empty() => {
                self.frames.push(Frame {
                    indent: ind,
                    seq: dash,
                    owner: None,
                });
                self.frames.last().expect("just pushed")
            }
            None => return Err(self.error("less indented than the document's top level")),
        };
        if top.indent != ind {
            return Err(self.error(
                "more indented than any key or item it could belong to (or a key under a key that already has a value)",
            ));
        }
        let owner = top.owner;
        if top.seq {
            self.item(line, ind, owner)
        } else if dash {
            Err(self.error("a sequence item where a mapping key was expected"))
        } else {
            self.key(line, ind, owner)
        }
    }

    /// Handles a line that continues something begun above; true if it did.
    fn carried(&mut self, line: &str) -> Result<bool, SyntaxError> {
        match self.carry {
            Carry::None => Ok(false),
            Carry::Block(parent) => {
                if line.trim().is_empty() || indent_of(line) > parent {
                    return Ok(true);
                }
                self.carry = Carry::None;
                Ok(false)
            }
            Carry::Flow(depth) => {
                let (depth, closed) = flow_depth(line, depth);
                let flow = self
                    .out
                    .flows
                    .last_mut()
                    .expect("an open flow was recorded");
                flow.text.push('\n');
                match closed {
                    Some(end) => {
                        flow.text.push_str(&line[..end]);
                        self.carry = Carry::None;
                    }
                    None => {
                        flow.text.push_str(line);
                        self.carry = Carry::Flow(depth);
                    }
                }
                Ok(true)
            }
            Carry::Quote(quote) => {
                if closing_quote_from(line, quote).is_some() {
                    self.carry = Carry::None;
                }
                Ok(true)
            }
            Carry::Plain(parent) => {
                let ind = indent_of(line);
                if is_blank_or_comment(&line[ind..]) {
                    return Ok(true);
                }
                if ind > parent {
                    if key_at(&line[ind..]).is_some() || is_dash(&line[ind..]) {
                        return Err(self.error(
                            "a key or item under a key that already has a value on its line",
                        ));
                    }
                    return Ok(true);
                }
                self.carry = Carry::None;
                Ok(false)
            }
        }
    }

    /// A sequence item whose dash is at `col`.
    fn item(&mut self, line: &str, col: usize, owner: Option<usize>) -> Result<(), SyntaxError> {
        let after = &line[col + 1..];
        let at = col + 1 + (after.len() - after.trim_start_matches([' ', '\t']).len());
        let rest = &line[at..];
        if is_blank_or_comment(rest) {
            self.pending = Some(Pending {
                col,
                owner,
                key: false,
            });
            return Ok(());
        }
        if is_dash(rest) {
            self.frames.push(Frame {
                indent: at,
                seq: true,
                owner,
            });
            return self.item(line, at, owner);
        }
        if key_at(rest).is_some() {
            self.frames.push(Frame {
                indent: at,
                seq: false,
                owner,
            });
            return self.key(line, at, owner);
        }
        self.value(line, at, col, owner.map(|o| (o, false)))
    }

    /// A mapping key at `col`, and what follows it on the line.
    fn key(&mut self, line: &str, col: usize, owner: Option<usize>) -> Result<(), SyntaxError> {
        let Some((end, text, quoted, after)) = key_at(&line[col..]) else {
            return Err(self.error("expected a mapping key (name: value) here"));
        };
        self.out.keys.push(Key {
            token: Token {
                line: self.line,
                start: col,
                end: col + end,
                text,
                quoted,
            },
            parent: owner,
            value: Inline::Nothing,
            anchor: None,
        });
        let index = self.out.keys.len() - 1;
        let rest = &line[col + after..];
        let at = col + after + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
        if is_blank_or_comment(&line[at..]) {
            self.pending = Some(Pending {
                col,
                owner: Some(index),
                key: true,
            });
            return Ok(());
        }
        self.value(line, at, col, Some((index, true)))
    }

    /// A value starting at `at` on the line, belonging to the node opened
    /// at `parent_col`: a key's value (`Some((key, true))`), a sequence
    /// item of the key's block (`Some((key, false))`), or neither.
    fn value(
        &mut self,
        line: &str,
        mut at: usize,
        parent_col: usize,
        of: Option<(usize, bool)>,
    ) -> Result<(), SyntaxError> {
        // Node properties: an anchor (kept for merge keys), a tag (skipped).
        let mut anchor = None;
        while matches!(line.as_bytes().get(at), Some(b'&' | b'!')) {
            let rest = &line[at..];
            let len = rest.find([' ', '\t']).unwrap_or(rest.len());
            if rest.starts_with('&') {
                anchor = Some(rest[1..len].to_string());
            }
            let after = &rest[len..];
            at += len + (after.len() - after.trim_start_matches([' ', '\t']).len());
        }
        let key = of.filter(|(_, is_value)| *is_value).map(|(k, _)| k);
        if let Some(k) = key {
            self.out.keys[k].anchor = anchor;
        }
        let rest = &line[at..];
        if is_blank_or_comment(rest) {
            // Only properties on the line: the node is the block below.
            self.pending = Some(Pending {
                col: parent_col,
                owner: of.map(|(k, _)| k),
                key: key.is_some(),
            });
            return Ok(());
        }
        let inline = match rest.as_bytes()[0] {
            b'*' => Inline::Alias(rest[1..plain_end(rest)].to_string()),
            b'|' | b'>' => {
                self.carry = Carry::Block(parent_col);
                Inline::Other
            }
            b'[' | b'{' => {
                let (text, carry) = match flow_depth(rest, 0) {
                    (_, Some(end)) => (&rest[..end], None),
                    (depth, None) => (rest, Some(depth.max(1))),
                };
                if let Some(depth) = carry {
                    self.opened = self.line;
                    self.carry = Carry::Flow(depth);
                }
                self.out.flows.push(FlowText {
                    line: self.line,
                    col: at,
                    text: text.to_string(),
                    of: key,
                });
                Inline::Flow(self.out.flows.len() - 1)
            }
            quote @ (b'"' | b'\'') => match closing_quote(rest) {
                Some(close) => Inline::Scalar(Token {
                    line: self.line,
                    start: at,
                    end: at + close + 1,
                    text: if quote == b'\'' {
                        rest[1..close].replace("''", "'")
                    } else {
                        rest[1..close].to_string()
                    },
                    quoted: true,
                }),
                None => {
                    self.opened = self.line;
                    self.carry = Carry::Quote(quote);
                    Inline::Other
                }
            },
            b'-' if is_dash(rest) => {
                return Err(self.error("a sequence on the same line as its key"));
            }
            _ => {
                self.carry = Carry::Plain(parent_col);
                let end = plain_end(rest);
                Inline::Scalar(Token {
                    line: self.line,
                    start: at,
                    end: at + end,
                    text: rest[..end].to_string(),
                    quoted: false,
                })
            }
        };
        match (of, inline) {
            (Some((k, true)), inline) => self.out.keys[k].value = inline,
            (_, Inline::Scalar(token)) => self.out.items.push(Item { token }),
            (_, Inline::Alias(name)) => self.out.item_aliases.push((self.line, name)),
            _ => {}
        }
        Ok(())
    }
}

/// A flow collection read into its nodes, each scalar with its place in
/// the file, so that a name inside one is rewritten as in block style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FlowNode {
    /// A plain or quoted scalar on one line.
    Scalar(Token),
    /// An alias, `*name`.
    Alias(String),
    /// `[...]`.
    Seq(Vec<FlowNode>),
    /// `{...}`, or a single `key: value` item of a sequence.
    Map(Vec<(Token, FlowNode)>),
    /// No value (`{a}`, `{a: }`).
    Null,
}

/// Why a flow collection was not read: what is there is more YAML than
/// this reads (a plain scalar over lines, a collection as a key, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FlowError {
    /// 0-based line.
    pub line: usize,
    /// What is there.
    pub reason: &'static str,
}

/// Collections nested deeper than this are refused rather than followed,
/// so that no file can exhaust the stack.
const MAX_FLOW_DEPTH: usize = 64;

/// Reads `flow`'s text into its nodes.
pub(super) fn flow(flow: &FlowText) -> Result<FlowNode, FlowError> {
    let mut reader = FlowReader {
        text: &flow.text,
        pos: 0,
        line: flow.line,
        line_start: 0,
        col: flow.col,
        depth: 0,
    };
    let node = reader.node()?;
    reader.space();
    if reader.pos != reader.text.len() {
        return Err(reader.error("text after the collection's closing bracket"));
    }
    Ok(node)
}

struct FlowReader<'a> {
    text: &'a str,
    pos: usize,
    /// The file's line `pos` is on (0-based).
    line: usize,
    /// Where that line starts in `text`.
    line_start: usize,
    /// Column of `text[0]` in its line (only the first line starts mid-line).
    col: usize,
    depth: usize,
}

/// The flow indicators, which end a plain scalar.
fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl FlowReader<'_> {
    fn error(&self, reason: &'static str) -> FlowError {
        FlowError {
            line: self.line,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips white space, line breaks and comments.
    fn space(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                    self.col = 0;
                }
                b'#' if self.pos == 0 || matches!(bytes[self.pos - 1], b' ' | b'\t' | b'\n') => {
                    while bytes.get(self.pos).is_some_and(|&b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// A token for `text[start..end]`, which is on the current line.
    fn token(&self, start: usize, end: usize, text: String, quoted: bool) -> Token {
        Token {
            line: self.line,
            start: self.col + start - self.line_start,
            end: self.col + end - self.line_start,
            text,
            quoted,
        }
    }

    fn node(&mut self) -> Result<FlowNode, FlowError> {
        self.space();
        // Node properties: an anchor or a tag, skipped.
        while matches!(self.peek(), Some(b'&' | b'!')) {
            while self
                .peek()
                .is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\n') && !is_flow_indicator(b))
            {
                self.pos += 1;
            }
            self.space();
        }
        match self.peek() {
            None => Err(self.error("the collection ends where a value was expected")),
            Some(b'[' | b'{') => {
                if self.depth == MAX_FLOW_DEPTH {
                    return Err(self.error("collections nested too deep"));
                }
                self.depth += 1;
                let node = if self.peek() == Some(b'[') {
                    self.seq()
                } else {
                    self.map()
                };
                self.depth -= 1;
                node
            }
            Some(b',' | b']' | b'}') => Ok(FlowNode::Null),
            Some(b'*') => {
                let start = self.pos + 1;
                self.pos = start;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b' ' | b'\t' | b'\n') && !is_flow_indicator(b))
                {
                    self.pos += 1;
                }
                Ok(FlowNode::Alias(self.text[start..self.pos].to_string()))
            }
            Some(quote @ (b'"' | b'\'')) => {
                let rest = &self.text[self.pos..];
                let close = closing_quote(rest)
                    .filter(|&c| !rest[..c].contains('\n'))
                    .ok_or_else(|| self.error("a quoted string over lines"))?;
                let inner = &rest[1..close];
                let text = if quote == b'\'' {
                    inner.replace("''", "'")
                } else {
                    inner.to_string()
                };
                let start = self.pos;
                self.pos += close + 1;
                Ok(FlowNode::Scalar(self.token(start, self.pos, text, true)))
            }
            Some(b'?' | b'|' | b'>' | b'@' | b'`' | b'%' | b':') => {
                Err(self.error("more YAML than a plain value, a quoted one or a collection"))
            }
            Some(b'-')
                if matches!(
                    self.text.as_bytes().get(self.pos + 1),
                    None | Some(b' ' | b'\t' | b'\n')
                ) =>
            {
                Err(self.error("a block sequence item inside a flow collection"))
            }
            Some(_) => Ok(FlowNode::Scalar(self.plain())),
        }
    }

    /// A plain scalar, which ends at a flow indicator, `: `, ` #` or the
    /// line's end (one that goes on over lines is refused by the caller,
    /// which then finds no `,` where one belongs).
    fn plain(&mut self) -> Token {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        while let Some(&b) = bytes.get(self.pos) {
            let next = bytes.get(self.pos + 1).copied();
            let ends = b == b'\n'
                || is_flow_indicator(b)
                || (b == b':'
                    && next
                        .is_none_or(|n| matches!(n, b' ' | b'\t' | b'\n') || is_flow_indicator(n)))
                || (b == b'#' && matches!(bytes[self.pos - 1], b' ' | b'\t'));
            if ends {
                break;
            }
            self.pos += 1;
        }
        let text = self.text[start..self.pos].trim_end_matches([' ', '\t']);
        self.token(start, start + text.len(), text.to_string(), false)
    }

    /// After a key: `:` and its value, or nothing (a key with no value).
    fn value_after_key(&mut self) -> Result<FlowNode, FlowError> {
        self.space();
        if self.peek() != Some(b':') {
            return Ok(FlowNode::Null);
        }
        self.pos += 1;
        self.space();
        match self.peek() {
            Some(b',' | b']' | b'}') => Ok(FlowNode::Null),
            _ => self.node(),
        }
    }

    /// After an entry: `,` (true), or the closing bracket `close` (false).
    fn separator(&mut self, close: u8) -> Result<bool, FlowError> {
        self.space();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => {
                Err(self
                    .error("no , or closing bracket after an entry (a plain value over lines?)"))
            }
        }
    }

    fn seq(&mut self) -> Result<FlowNode, FlowError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.space();
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            let item = self.node()?;
            self.space();
            let item = match (item, self.peek()) {
                (FlowNode::Scalar(key), Some(b':')) => {
                    FlowNode::Map(vec![(key, self.value_after_key()?)])
                }
                (_, Some(b':')) => return Err(self.error("a collection as a key")),
                (item, _) => item,
            };
            items.push(item);
            if !self.separator(b']')? {
                break;
            }
        }
        Ok(FlowNode::Seq(items))
    }

    fn map(&mut self) -> Result<FlowNode, FlowError> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.space();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let FlowNode::Scalar(key) = self.node()? else {
                return Err(self.error("a key that is not a plain or quoted name"));
            };
            let value = self.value_after_key()?;
            entries.push((key, value));
            if !self.separator(b'}')? {
                break;
            }
        }
        Ok(FlowNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, Option<String>)> {
        let o = outline(text).unwrap();
        o.keys
            .iter()
            .map(|k| {
                let parent = k.parent.map(|p| o.keys[p].token.text.clone());
                (k.token.text.clone(), parent)
            })
            .collect()
    }

    fn pairs(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(k, p)| (k.to_string(), p.map(str::to_string)))
            .collect()
    }

    #[test]
    fn keys_know_the_key_whose_block_holds_them_through_sequences() {
        let text = "\
version: 2.1
orbs:
  aws-cli: circleci/aws-cli@3.1.4 # a comment
jobs:
  build:
    steps:
      - checkout
      - aws-cli/setup:
          role-arn: x
      -   run:
            name: n
workflows: {}
";
        assert_eq!(
            keys(text),
            pairs(&[
                ("version", None),
                ("orbs", None),
                ("aws-cli", Some("orbs")),
                ("jobs", None),
                ("build", Some("jobs")),
                ("steps", Some("build")),
                ("aws-cli/setup", Some("steps")),
                ("role-arn", Some("aws-cli/setup")),
                ("run", Some("steps")),
                ("name", Some("run")),
                ("workflows", None),
            ])
        );
        let o = outline(text).unwrap();
        let Inline::Scalar(orb) = &o.keys[2].value else {
            panic!()
        };
        assert_eq!(
            (orb.text.as_str(), orb.start, orb.end),
            ("circleci/aws-cli@3.1.4", 11, 33)
        );
        assert_eq!(o.items[0].token.text, "checkout");
    }

    #[test]
    fn block_scalars_quotes_and_flow_collections_are_skipped_whole() {
        let text = "\
steps:
- run:
    command: |
      aws-cli/setup:
        role-arn: not a key
    other: \"quoted: still
      a value\"
- [aws-cli/setup, {role-arn: x,
   y: z}]
- 'single ''quoted'''
compact:
- a
after: 1
";
        assert_eq!(
            keys(text),
            pairs(&[
                ("steps", None),
                ("run", Some("steps")),
                ("command", Some("run")),
                ("other", Some("run")),
                ("compact", None),
                ("after", None),
            ])
        );
        let o = outline(text).unwrap();
        let items: Vec<_> = o.items.iter().map(|i| i.token.text.as_str()).collect();
        assert_eq!(items, ["single 'quoted'", "a"]);
    }

    #[test]
    fn quoted_keys_anchors_and_aliases() {
        let o = outline("\"a/b\": &x\n  k: v\n'c': *x\n").unwrap();
        assert_eq!(o.keys[0].token.text, "a/b");
        assert!(o.keys[0].token.quoted);
        assert_eq!(o.keys[0].anchor.as_deref(), Some("x"));
        assert_eq!(o.keys[1].parent, Some(0));
        assert_eq!(o.keys[2].value, Inline::Alias("x".into()));
    }

    #[test]
    fn what_it_cannot_place_is_an_error_with_the_line() {
        for (text, line) in [
            ("a:\n\tb: 1\n", 2),
            ("a: 1\n  b: 2\n", 2),
            ("a:\n  b: 1\n c: 2\n", 3),
            ("a: [1, 2\n", 1),
            ("a: \"open\n", 1),
            ("a: 1\n---\nb: 2\n", 2),
            ("? complex\n: value\n", 1),
            ("a:\n  - 1\n  b: 2\n", 3),
            ("a: - 1\n", 1),
        ] {
            let err = outline(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err}");
        }
    }

    /// The one flow collection of `text`, read.
    fn only_flow(text: &str) -> Result<FlowNode, FlowError> {
        let o = outline(text).unwrap();
        assert_eq!(o.flows.len(), 1, "{text:?}");
        flow(&o.flows[0])
    }

    #[test]
    fn flow_collections_are_read_with_each_scalars_place_in_the_file() {
        let text = "\
steps:
  - checkout
  - [a, {\"aws-cli/setup\": {role-arn: r, 'x''y': &anchor v}},
     k: *alias,  # a comment
     {z}, plain with spaces]
";
        let FlowNode::Seq(items) = only_flow(text).unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 5, "{items:#?}");
        let FlowNode::Map(step) = &items[1] else {
            panic!()
        };
        let (name, FlowNode::Map(parameters)) = &step[0] else {
            panic!()
        };
        assert_eq!(
            (name.line, name.start, name.end, name.quoted),
            (2, 9, 24, true)
        );
        assert_eq!(name.text, "aws-cli/setup");
        let (role_arn, FlowNode::Scalar(value)) = &parameters[0] else {
            panic!()
        };
        assert_eq!(
            (role_arn.start, role_arn.end, value.start, value.end),
            (27, 35, 37, 38)
        );
        assert_eq!(parameters[1].0.text, "x'y");
        assert_eq!(
            parameters[1].1,
            FlowNode::Scalar(Token {
                line: 2,
                start: 56,
                end: 57,
                text: "v".into(),
                quoted: false
            })
        );
        let FlowNode::Map(single) = &items[2] else {
            panic!()
        };
        assert_eq!(single[0].0.line, 3);
        assert_eq!(single[0].1, FlowNode::Alias("alias".into()));
        assert_eq!(
            items[3],
            FlowNode::Map(vec![(
                Token {
                    line: 4,
                    start: 6,
                    end: 7,
                    text: "z".into(),
                    quoted: false
                },
                FlowNode::Null
            )])
        );
        let FlowNode::Scalar(last) = &items[4] else {
            panic!()
        };
        assert_eq!(
            (last.line, last.start, last.text.as_str()),
            (4, 10, "plain with spaces")
        );
        // A sequence item that is a flow collection is recorded as one too.
        assert_eq!(outline(text).unwrap().flows[0].of, None);
    }

    #[test]
    fn what_a_flow_collection_holds_beyond_this_reader_is_an_error_with_the_line() {
        let deep = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        for (text, line) in [
            ("a: [one\n  two]\n", 1),
            ("a: [k: v w: x]\n", 0),
            ("a: {k: \"q\" x}\n", 0),
            ("a: {[k]: v}\n", 0),
            ("a: [[k]: v]\n", 0),
            ("a: {? k: v}\n", 0),
            ("a: [x, |]\n", 0),
            (deep.as_str(), 0),
        ] {
            let err = only_flow(text).unwrap_err();
            assert_eq!(err.line, line, "{text:?}: {err:?}");
        }
    }

    #[test]
    fn plain_scalars_may_go_on_over_lines() {
        let o = outline("a: one\n  two\nb:\n  three\n  four\nc: 1\n").unwrap();
        let names: Vec<_> = o.keys.iter().map(|k| k.token.text.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
