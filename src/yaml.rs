//! YAML as Helm reads it.
//!
//! Helm reads values with go-yaml v2 (a YAML 1.1 reader) and converts them to JSON
//! (sigs.k8s.io/yaml). This module is the only place that knows those rules:
//!
//! - plain `y`, `Y`, `yes`, `Yes`, `YES`, `n`, ..., `on`, `off` (and `true`/`false`) are
//!   booleans; `0123` is octal 83; `1_000` is 1000; `0b101` is 5; `~`, `null` and an empty
//!   value are null; timestamps stay strings;
//! - `<<` merges mappings, sequentially as go-yaml v2 does (a merge overwrites keys set
//!   before it; keys after it overwrite merged ones; in a list of mappings the earlier
//!   ones win);
//! - a key written twice keeps the last value (and is recorded, for DL003);
//! - anchors and aliases expand, within a node budget (alias bombs), and nesting is
//!   limited in depth;
//! - only the first document counts (later ones are recorded, for DL001).
//!
//! The parser's events are turned into a tree of [`Node`]s that mirrors the JSON Helm
//! sees, with the span of every value and every key, so any JSON pointer can be mapped
//! back to the exact place in the file.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use crate::span::Span;

/// Bounds that keep hostile input from exhausting time or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes in one file after aliases are expanded.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 100,
            max_nodes: 1_000_000,
        }
    }
}

/// A value as Helm sees it, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value's span. For a value that came through an alias, the alias itself.
    pub span: Span,
    pub value: Value,
    /// How a plain scalar's YAML 1.1 reading differs from YAML 1.2's, if it does.
    pub yaml11: Option<Yaml11>,
    /// Whether the value was written as a plain (unquoted, untagged) scalar.
    pub plain: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Plain scalars that a YAML 1.2 reader would read differently from Helm's YAML 1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Yaml11 {
    /// `y`, `n`, `yes`, `no`, `on`, `off` in their accepted spellings: a boolean to Helm,
    /// a string to YAML 1.2.
    Bool,
    /// A number with a leading zero such as `0123`: octal to Helm, decimal to YAML 1.2.
    Octal,
}

/// A key whose value Helm takes from another place than a reader of the file expects.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateKey {
    pub key: String,
    /// JSON pointer of the entry.
    pub pointer: String,
    /// For a repeated key, the write Helm keeps; for a merge, the key it overwrites.
    pub span: Span,
    pub kind: DuplicateKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DuplicateKind {
    /// Written two or more times; Helm keeps the last write and ignores these.
    Repeated { ignored: Vec<Span> },
    /// Written, then overwritten by a later `<<` merge (go-yaml v2 applies merges in
    /// order), so Helm keeps the merged value.
    MergedOver { merge: Span },
}

/// A loaded file: the first document's root (null when the file has no content).
#[derive(Clone, Debug)]
pub struct Document {
    pub root: Node,
    /// The file has no YAML document, or only an empty/null one.
    pub empty: bool,
    pub duplicates: Vec<DuplicateKey>,
    /// Where a second document with content starts, if there is one (Helm ignores it).
    pub extra_document: Option<Span>,
    /// Block scalars and multi-line quoted scalars: text in them that looks like a
    /// comment is content.
    pub literal_text: Vec<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not well-formed YAML, or YAML that Helm refuses (complex keys, `.inf`, ...).
    Syntax,
    /// A tab used for indentation.
    Tab,
    /// A quoted value that never ends.
    UnclosedQuote,
    /// `key: value: more`, an unquoted value containing `: `.
    UnquotedColon,
    /// Over the depth or node limits.
    Limit,
}

#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub kind: ErrorKind,
    pub span: Span,
    pub message: String,
}

impl Node {
    fn new(span: Span, value: Value) -> Self {
        Node {
            span,
            value,
            yaml11: None,
            plain: false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self.value {
            Value::Int(number) => u64::try_from(number).ok(),
            Value::UInt(number) => Some(number),
            // `as` saturates: a capacity of 1e20 reads as the largest number, not as none.
            Value::Float(number) if number >= 0.0 && number.fract() == 0.0 => Some(number as u64),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The entry for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|entry| entry.key == key)
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// A short name of the value's JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::UInt(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    /// The node at a JSON pointer, with the span of the key that leads to it when its
    /// parent is a mapping.
    pub fn lookup(&self, pointer: &str) -> Option<Located<'_>> {
        let mut located = Located {
            node: self,
            key_span: None,
        };
        if pointer.is_empty() {
            return Some(located);
        }
        for segment in pointer.strip_prefix('/')?.split('/') {
            let segment = unescape_pointer(segment);
            located = match &located.node.value {
                Value::Map(entries) => {
                    let entry = entries.iter().find(|entry| entry.key == segment)?;
                    Located {
                        node: &entry.value,
                        key_span: Some(entry.key_span),
                    }
                }
                Value::Seq(items) => Located {
                    node: items.get(segment.parse::<usize>().ok()?)?,
                    key_span: None,
                },
                _ => return None,
            };
        }
        Some(located)
    }

    /// A pointer with list positions replaced by the item's `name` (or, for a list of
    /// strings, the string) where there is one, so it does not change when items are
    /// inserted or reordered: `/tables/3/attributes/1/type` ->
    /// `tables/Orders/attributes/Status/type`.
    pub fn semantic_path(&self, pointer: &str) -> String {
        let mut node = Some(self);
        let mut parts = Vec::new();
        for segment in pointer.split('/').skip(1) {
            let segment = unescape_pointer(segment);
            let current = node.take();
            match current.map(|current| &current.value) {
                Some(Value::Seq(items)) => {
                    let item = segment
                        .parse::<usize>()
                        .ok()
                        .and_then(|index| items.get(index));
                    // An item by its name, even one Helm reads as a number or a boolean
                    // (a DL004): positions shift when items are added or removed.
                    let label = item.and_then(|item| {
                        item.as_str().map(str::to_string).or_else(|| {
                            let name = item.get("name")?;
                            match name.to_json() {
                                serde_json::Value::String(text) => Some(text),
                                serde_json::Value::Number(number) => Some(number.to_string()),
                                serde_json::Value::Bool(flag) => Some(flag.to_string()),
                                _ => None,
                            }
                        })
                    });
                    parts.push(label.unwrap_or_else(|| segment.to_string()));
                    node = item;
                }
                Some(Value::Map(entries)) => {
                    node = entries
                        .iter()
                        .find(|entry| entry.key == segment)
                        .map(|entry| &entry.value);
                    parts.push(segment.into_owned());
                }
                _ => parts.push(segment.into_owned()),
            }
        }
        parts.join("/")
    }

    /// The JSON value Helm would see.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(flag) => Json::Bool(*flag),
            Value::Int(number) => Json::from(*number),
            Value::UInt(number) => Json::from(*number),
            Value::Float(number) => serde_json::Number::from_f64(*number)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Value::String(text) => Json::String(text.clone()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|entry| (entry.key.clone(), entry.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The nodes that match, with their JSON pointers, depth first, parents before
    /// children. A pointer is written only for a match: walking stays cheap.
    pub fn find(&self, matches: &dyn Fn(&Node) -> bool) -> Vec<(String, &Node)> {
        let mut found = Vec::new();
        self.find_inner(&mut Vec::new(), matches, &mut found);
        found
    }

    fn find_inner<'a>(
        &'a self,
        path: &mut Vec<Segment<'a>>,
        matches: &dyn Fn(&Node) -> bool,
        found: &mut Vec<(String, &'a Node)>,
    ) {
        if matches(self) {
            let mut pointer = String::new();
            for segment in path.iter() {
                pointer.push('/');
                match segment {
                    Segment::Index(index) => pointer.push_str(&index.to_string()),
                    Segment::Key(key) => pointer.push_str(&escape_pointer(key)),
                }
            }
            found.push((pointer, self));
        }
        match &self.value {
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    item.find_inner(path, matches, found);
                    path.pop();
                }
            }
            Value::Map(entries) => {
                for entry in entries {
                    path.push(Segment::Key(&entry.key));
                    entry.value.find_inner(path, matches, found);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// A node found by [`Node::lookup`].
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    pub node: &'a Node,
    pub key_span: Option<Span>,
}

impl Located<'_> {
    /// The key when there is one, else the value: where "this field" is written.
    pub fn key_or_value(&self) -> Span {
        self.key_span.unwrap_or(self.node.span)
    }

    /// The value, unless it is empty (`key:` with nothing after it), then the key.
    pub fn value_or_key(&self) -> Span {
        match self.key_span {
            Some(key) if self.node.span.start == self.node.span.end => key,
            _ => self.node.span,
        }
    }
}

pub fn escape_pointer(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

pub fn unescape_pointer(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// Load the first document of `text` as Helm would read it.
pub fn load(text: &str, limits: &Limits) -> Result<Document, YamlError> {
    Loader::new(text, *limits).run()
}

/// Converts the parser's markers (character indexes) to byte offsets. Markers arrive in
/// almost increasing order, so a cursor that moves from the last position makes the
/// conversion linear in the file, however long its lines.
struct Offsets<'a> {
    text: &'a str,
    ascii: bool,
    /// (character index, byte offset) of the last conversion.
    cursor: std::cell::Cell<(usize, usize)>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str) -> Self {
        Offsets {
            text,
            ascii: text.is_ascii(),
            cursor: std::cell::Cell::new((0, 0)),
        }
    }

    fn offset(&self, marker: &Marker) -> u32 {
        let target = marker.index();
        if self.ascii {
            return target.min(self.text.len()) as u32;
        }
        let (mut index, mut byte) = self.cursor.get();
        while index < target && byte < self.text.len() {
            byte += self.text[byte..].chars().next().map_or(1, char::len_utf8);
            index += 1;
        }
        while index > target {
            byte -= self.text[..byte]
                .chars()
                .next_back()
                .map_or(1, char::len_utf8);
            index -= 1;
        }
        self.cursor.set((index, byte));
        byte as u32
    }

    fn span(&self, span: &saphyr_parser::Span) -> Span {
        Span::new(self.offset(&span.start), self.offset(&span.end))
    }
}

enum Pending {
    Key {
        key: String,
        span: Span,
    },
    /// A `<<` key, at this span.
    Merge(Span),
}

/// How an entry of a mapping was written so far.
#[derive(Clone, Copy)]
struct Writes {
    /// The last explicit (not merged) write of the key, if any.
    last: Option<Span>,
    /// Whether the current value came from a merge.
    merged: bool,
}

struct MapFrame {
    entries: Vec<Entry>,
    writes: Vec<Writes>,
    /// Explicit writes that Helm ignores because the key is written again: (entry, key).
    ignored: Vec<(usize, Span)>,
    /// Explicit writes overwritten by a later merge: (entry, key, `<<`).
    merged_over: Vec<(usize, Span, Span)>,
    index: Option<HashMap<String, usize>>,
    pending: Option<Pending>,
}

impl MapFrame {
    fn new() -> Self {
        MapFrame {
            entries: Vec::new(),
            writes: Vec::new(),
            ignored: Vec::new(),
            merged_over: Vec::new(),
            index: None,
            pending: None,
        }
    }

    fn position(&mut self, key: &str) -> Option<usize> {
        if self.index.is_none() && self.entries.len() > 16 {
            self.index = Some(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(position, entry)| (entry.key.clone(), position))
                    .collect(),
            );
        }
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().position(|entry| entry.key == key),
        }
    }

    /// Set `key`, overwriting an earlier value as go-yaml v2 does; `merge` is the `<<`
    /// the entry comes from, if it was merged rather than written.
    fn set(&mut self, entry: Entry, merge: Option<Span>) {
        let key_span = entry.key_span;
        let Some(position) = self.position(&entry.key) else {
            if let Some(index) = &mut self.index {
                index.insert(entry.key.clone(), self.entries.len());
            }
            self.writes.push(Writes {
                last: merge.is_none().then_some(key_span),
                merged: merge.is_some(),
            });
            self.entries.push(entry);
            return;
        };
        let writes = &mut self.writes[position];
        match merge {
            None => {
                if let Some(previous) = writes.last {
                    self.ignored.push((position, previous));
                }
                *writes = Writes {
                    last: Some(key_span),
                    merged: false,
                };
            }
            Some(merge) => {
                if let (Some(written), false) = (writes.last, writes.merged) {
                    self.merged_over.push((position, written, merge));
                }
                writes.merged = true;
            }
        }
        self.entries[position] = entry;
    }

    /// The keys Helm reads differently from how the mapping reads, once it is complete.
    fn duplicates(&self, pointer: &str) -> Vec<DuplicateKey> {
        let entry_pointer =
            |position: usize| format!("{pointer}/{}", escape_pointer(&self.entries[position].key));
        let mut duplicates = Vec::new();
        let mut positions: Vec<usize> =
            self.ignored.iter().map(|(position, _)| *position).collect();
        positions.sort_unstable();
        positions.dedup();
        for position in positions {
            let ignored: Vec<Span> = self
                .ignored
                .iter()
                .filter(|(at, _)| *at == position)
                .map(|(_, span)| *span)
                .collect();
            // The write Helm keeps: the last explicit one (a later merge is reported apart).
            let Some(kept) = self.writes[position].last else {
                continue;
            };
            duplicates.push(DuplicateKey {
                key: self.entries[position].key.clone(),
                pointer: entry_pointer(position),
                span: kept,
                kind: DuplicateKind::Repeated { ignored },
            });
        }
        for (position, written, merge) in &self.merged_over {
            duplicates.push(DuplicateKey {
                key: self.entries[*position].key.clone(),
                pointer: entry_pointer(*position),
                span: *written,
                kind: DuplicateKind::MergedOver { merge: *merge },
            });
        }
        duplicates
    }
}

enum Container {
    Seq(Vec<Node>),
    Map(MapFrame),
}

struct Frame {
    container: Container,
    start: Span,
    anchor: usize,
    /// Nodes in this subtree so far, itself included.
    size: usize,
}

struct Loader<'a> {
    text: &'a str,
    offsets: Offsets<'a>,
    limits: Limits,
    frames: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    aliases_expanded: bool,
    duplicates: Vec<DuplicateKey>,
    literal_text: Vec<Span>,
    root: Option<Node>,
}

impl<'a> Loader<'a> {
    fn new(text: &'a str, limits: Limits) -> Self {
        Loader {
            text,
            offsets: Offsets::new(text),
            limits,
            frames: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            aliases_expanded: false,
            duplicates: Vec::new(),
            literal_text: Vec::new(),
            root: None,
        }
    }

    fn run(mut self) -> Result<Document, YamlError> {
        self.check_version_directive()?;
        let mut parser = Parser::new_from_str(self.text);
        let mut documents = 0;
        let mut extra_document = None;
        // A later document being read, and where it starts. Only content in it matters:
        // an empty trailing document (`---` at the end) is harmless.
        let mut later: Option<Span> = None;
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|error| self.parse_error(error))?;
            let span = self.offsets.span(&span);
            if let Some(start) = later {
                let empty_scalar = matches!(&event, Event::Scalar(text, ScalarStyle::Plain, 0, None) if text.is_empty());
                match event {
                    _ if empty_scalar => {}
                    Event::DocumentEnd => later = None,
                    Event::StreamEnd => break,
                    _ => {
                        extra_document = Some(start);
                        break;
                    }
                }
                continue;
            }
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        later = Some(self.document_start_span(span));
                    }
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let node = self.scalar(text, style, tag.as_deref(), span)?;
                    self.complete(node, 1, anchor)?;
                }
                Event::Alias(anchor) => {
                    let (node, size) = self.alias(anchor, span)?;
                    // An alias carries no anchor of its own.
                    self.complete(node, size, 0)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(Container::Seq(Vec::new()), span, anchor)?
                }
                Event::MappingStart(anchor, _) => {
                    self.open(Container::Map(MapFrame::new()), span, anchor)?
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
                Event::StreamEnd => break,
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            }
        }
        let root = self.root.take();
        let empty = matches!(
            root,
            None | Some(Node {
                value: Value::Null,
                ..
            })
        );
        Ok(Document {
            root: root.unwrap_or_else(|| Node::new(Span::at(0), Value::Null)),
            empty,
            duplicates: self.duplicates,
            extra_document,
            literal_text: self.literal_text,
        })
    }

    /// The parser's error, classified once, at the most useful position.
    fn parse_error(&self, error: saphyr_parser::ScanError) -> YamlError {
        let offset = self.offsets.offset(error.marker());
        let mut end = offset as usize + 1;
        while !self.text.is_char_boundary(end.min(self.text.len())) {
            end += 1;
        }
        let span = Span::new(offset, end.min(self.text.len()) as u32);
        let info = error.info();
        let (kind, span) = if info.contains("recursion limit") {
            // The parser's own bound on `[`/`{` nesting, met while it looks ahead.
            return self.limit_error(
                span,
                "flow collections (`[`, `{`) nested deeper than 255 levels".to_string(),
            );
        } else if info.contains("tab") {
            (ErrorKind::Tab, self.offending_tab(offset).unwrap_or(span))
        } else if info.contains("quoted scalar") && info.contains("end of stream") {
            (ErrorKind::UnclosedQuote, span)
        } else if info.contains("mapping values are not allowed") {
            (ErrorKind::UnquotedColon, span)
        } else {
            (ErrorKind::Syntax, span)
        };
        YamlError {
            kind,
            span,
            message: info.to_string(),
        }
    }

    /// go-yaml v2 refuses documents that declare another YAML version than 1.1.
    fn check_version_directive(&self) -> Result<(), YamlError> {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let trimmed = line.trim();
            if let Some(version) = trimmed.strip_prefix("%YAML") {
                let version = version.split('#').next().unwrap_or("").trim();
                if version != "1.1" {
                    let start = offset as u32 + (line.len() - line.trim_start().len()) as u32;
                    return Err(YamlError {
                        kind: ErrorKind::Syntax,
                        span: Span::new(start, start + trimmed.len() as u32),
                        message: format!(
                            "`%YAML {version}`: Helm's YAML reader (go-yaml v2) accepts only `%YAML 1.1`"
                        ),
                    });
                }
            } else if !(trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%'))
            {
                break;
            }
            offset += line.len();
        }
        Ok(())
    }

    /// A node's span starts at its anchor (`&name`) or tag (`!tag`) if it has one; the
    /// value itself starts after them.
    fn without_properties(&self, span: Span) -> Span {
        let text = &self.text[span.range()];
        let mut rest = text;
        while rest.starts_with(['&', '!']) {
            let property = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = rest[property..].trim_start();
        }
        Span::new(span.start + (text.len() - rest.len()) as u32, span.end)
    }

    /// The parser's span of a quoted scalar runs on over trailing blanks and a comment;
    /// cut it at the closing quote (`''` and `\"` are escapes, not the end).
    fn quoted_span(&self, span: Span) -> Span {
        let text = &self.text[span.range()];
        let mut characters = text.char_indices();
        let Some((_, quote)) = characters.next() else {
            return span;
        };
        while let Some((offset, character)) = characters.next() {
            if quote == '"' && character == '\\' {
                characters.next();
            } else if character == quote {
                let mut lookahead = characters.clone();
                if quote == '\'' && matches!(lookahead.next(), Some((_, '\''))) {
                    characters.next();
                    continue;
                }
                return Span::new(span.start, span.start + offset as u32 + 1);
            }
        }
        span
    }

    /// The parser reports a tab somewhere near the token it was reading, sometimes a
    /// line after the first tab it tolerated. The tab to replace first: the earliest of
    /// the run of tab-indented lines that ends at the reported line, else the first
    /// indenting tab after the reported position.
    fn offending_tab(&self, offset: u32) -> Option<Span> {
        let offset = (offset as usize).min(self.text.len());
        let indenting_tab = |line_start: usize| -> Option<usize> {
            let line = &self.text[line_start..];
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            line[..indent].find('\t').map(|tab| line_start + tab)
        };
        let line_start_of = |position: usize| {
            self.text[..position]
                .rfind(['\n', '\r'])
                .map_or(0, |index| index + 1)
        };
        let mut line_start = line_start_of(offset);
        let mut earliest = indenting_tab(line_start);
        while earliest.is_some() && line_start > 0 {
            let previous = line_start_of(line_start - 1);
            match indenting_tab(previous) {
                Some(tab) => {
                    earliest = Some(tab);
                    line_start = previous;
                }
                None => break,
            }
        }
        let tab = earliest.or_else(|| {
            let rest = &self.text[offset..];
            let mut at_line_start = true;
            rest.char_indices().find_map(|(index, character)| {
                match character {
                    '\t' if at_line_start => return Some(offset + index),
                    '\n' | '\r' => at_line_start = true,
                    ' ' => {}
                    _ => at_line_start = false,
                }
                None
            })
        })?;
        Some(Span::new(tab as u32, tab as u32 + 1))
    }

    /// The parser reports an explicit `---` with the previous document's end; point at
    /// the `---` itself.
    fn document_start_span(&self, span: Span) -> Span {
        let text = &self.text[span.range()];
        match text.find("---") {
            Some(offset) => Span::new(span.start + offset as u32, span.start + offset as u32 + 3),
            None => span,
        }
    }

    fn limit_error(&self, span: Span, message: String) -> YamlError {
        YamlError {
            kind: ErrorKind::Limit,
            span,
            message,
        }
    }

    fn count(&mut self, nodes: usize, span: Span) -> Result<(), YamlError> {
        self.nodes += nodes;
        if self.nodes > self.limits.max_nodes {
            let message = if self.aliases_expanded {
                format!(
                    "aliases expand to more than {} values (an alias bomb?); Helm would exhaust its memory too",
                    self.limits.max_nodes
                )
            } else {
                format!("more than {} values in one file", self.limits.max_nodes)
            };
            return Err(self.limit_error(span, message));
        }
        Ok(())
    }

    /// The JSON pointer of the innermost open collection, from where each open parent
    /// stands: a list at its next item, a mapping at its pending key. Only duplicates
    /// need it, so it is not kept per node.
    fn open_pointer(&self) -> String {
        let mut pointer = String::new();
        for parent in self.frames.iter().rev().skip(1).rev() {
            match &parent.container {
                Container::Seq(items) => {
                    pointer.push('/');
                    pointer.push_str(&items.len().to_string());
                }
                Container::Map(map) => {
                    // Keys and merged mappings have no pointer segment of their own.
                    if let Some(Pending::Key { key, .. }) = &map.pending {
                        pointer.push('/');
                        pointer.push_str(&escape_pointer(key));
                    }
                }
            }
        }
        pointer
    }

    fn open(&mut self, container: Container, span: Span, anchor: usize) -> Result<(), YamlError> {
        if self.frames.len() >= self.limits.max_depth {
            return Err(self.limit_error(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.count(1, span)?;
        let start = self.without_properties(span);
        self.frames.push(Frame {
            container,
            start,
            anchor,
            size: 1,
        });
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), YamlError> {
        if let Some(Frame {
            container: Container::Map(map),
            ..
        }) = self.frames.last()
            && !(map.ignored.is_empty() && map.merged_over.is_empty())
        {
            let duplicates = map.duplicates(&self.open_pointer());
            self.duplicates.extend(duplicates);
        }
        let Some(frame) = self.frames.pop() else {
            return Ok(());
        };
        let (value, last_end) = match frame.container {
            Container::Seq(items) => {
                let last = items.last().map(|node| node.span.end);
                (Value::Seq(items), last)
            }
            Container::Map(map) => {
                let last = map.entries.iter().map(|entry| entry.value.span.end).max();
                (Value::Map(map.entries), last)
            }
        };
        // Flow collections end with their closing bracket; block ones at their last value.
        let end = if end.end > end.start {
            end.end
        } else {
            last_end.unwrap_or(frame.start.end)
        };
        let node = Node::new(Span::new(frame.start.start, end), value);
        self.complete(node, frame.size, frame.anchor)
    }

    fn alias(&mut self, anchor: usize, span: Span) -> Result<(Node, usize), YamlError> {
        let Some((node, size)) = self.anchors.get(&anchor) else {
            return Err(YamlError {
                kind: ErrorKind::Syntax,
                span,
                message: "alias refers to the node that contains it (a recursive alias)".into(),
            });
        };
        let (mut node, size) = (node.clone(), *size);
        self.aliases_expanded = true;
        self.count(size, span)?;
        relocate(&mut node, span);
        Ok((node, size))
    }

    /// A finished node: remember its anchor and attach it to its parent.
    fn complete(&mut self, node: Node, size: usize, anchor: usize) -> Result<(), YamlError> {
        let is_key = matches!(
            self.frames.last(),
            Some(Frame {
                container: Container::Map(MapFrame { pending: None, .. }),
                ..
            })
        );
        // `.inf` and `.nan` are fine as keys (they become strings), not as values: JSON
        // has no such numbers, and Helm fails converting them.
        if let Value::Float(number) = node.value
            && !number.is_finite()
            && !is_key
        {
            return Err(YamlError {
                kind: ErrorKind::Syntax,
                span: node.span,
                message: format!(
                    "`{}` is a YAML {}, which Helm cannot convert to JSON; quote it if it is text",
                    &self.text[node.span.range()],
                    if number.is_nan() { "NaN" } else { "infinity" }
                ),
            });
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.frames.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return Ok(());
        };
        parent.size += size;
        match &mut parent.container {
            Container::Seq(items) => items.push(node),
            Container::Map(map) => match map.pending.take() {
                None => map.pending = Some(mapping_key(node)?),
                Some(Pending::Merge(at)) => merge(map, node, at)?,
                Some(Pending::Key { key, span }) => map.set(
                    Entry {
                        key,
                        key_span: span,
                        value: node,
                    },
                    None,
                ),
            },
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<Node, YamlError> {
        self.count(1, span)?;
        let span = self.without_properties(span);
        let syntax_error = |message: String| YamlError {
            kind: ErrorKind::Syntax,
            span,
            message,
        };
        let core_tag = tag
            .filter(|tag| tag.is_yaml_core_schema())
            .map(|tag| tag.suffix.as_str());
        let non_specific = tag.is_some_and(|tag| tag.handle.is_empty() && tag.suffix == "!");
        let plain = style == ScalarStyle::Plain;
        // go-yaml v2 takes `!!merge <<` and `! <<` for merge keys, like a plain `<<`.
        let merge_key = plain && &*text == "<<" && (core_tag == Some("merge") || non_specific);
        let untagged = tag.is_none() || merge_key;
        let (value, yaml11) = match core_tag {
            _ if merge_key => (Value::String(text.to_string()), None),
            None if plain && untagged => resolve_plain(&text),
            // Quoted, block, non-specific (`!`) and custom-tagged scalars are strings.
            None | Some("str") | Some("timestamp") => (Value::String(text.to_string()), None),
            Some("binary") => (
                Value::String(decode_base64(&text).ok_or_else(|| {
                    syntax_error("`!!binary` value is not valid base64".to_string())
                })?),
                None,
            ),
            Some(expected @ ("int" | "float" | "bool" | "null")) => {
                let (value, _) = resolve_plain(&text);
                let matches = matches!(
                    (expected, &value),
                    ("int", Value::Int(_) | Value::UInt(_))
                        | ("float", Value::Float(_))
                        | ("bool", Value::Bool(_))
                        | ("null", Value::Null)
                );
                match (expected, value) {
                    (_, value) if matches => (value, None),
                    ("float", Value::Int(number)) => (Value::Float(number as f64), None),
                    ("float", Value::UInt(number)) => (Value::Float(number as f64), None),
                    _ => {
                        return Err(syntax_error(format!(
                            "cannot read `{text}` as `!!{expected}`"
                        )));
                    }
                }
            }
            Some(other) => {
                return Err(syntax_error(format!(
                    "the tag `!!{other}` cannot be used on a scalar"
                )));
            }
        };
        let span = match style {
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => self.quoted_span(span),
            _ => span,
        };
        let multi_line = self.text[span.range()].contains(['\n', '\r']);
        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) || multi_line {
            self.literal_text.push(span);
        }
        Ok(Node {
            span,
            value,
            yaml11,
            plain: plain && untagged,
        })
    }
}

/// A copy made by an alias is located at the alias: a finding about the copy (a
/// duplicate table, a grant of the copied table) belongs where the copy is used. The
/// anchored original keeps its own positions for findings about itself.
fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|item| relocate(item, span)),
        Value::Map(entries) => {
            for entry in entries {
                entry.key_span = span;
                relocate(&mut entry.value, span);
            }
        }
        _ => {}
    }
}

/// Whether a node is a copy made by an alias (see [`relocate`]): its text is `*name`.
pub fn is_alias_copy(node: &Node, text: &str) -> bool {
    text.get(node.span.range())
        .is_some_and(|written| written.starts_with('*'))
}

/// The key of a mapping entry, as sigs.k8s.io/yaml turns it into a JSON object key.
fn mapping_key(node: Node) -> Result<Pending, YamlError> {
    let error = |message: &str| YamlError {
        kind: ErrorKind::Syntax,
        span: node.span,
        message: message.to_string(),
    };
    let key = match &node.value {
        Value::String(text) if node.plain && text == "<<" => return Ok(Pending::Merge(node.span)),
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Int(number) => number.to_string(),
        // sigs.k8s.io/yaml converts int, int64 and float64 keys, not uint64 ones.
        Value::UInt(_) => {
            return Err(error(
                "a key this large cannot be converted to JSON by Helm; quote it",
            ));
        }
        Value::Float(number) if number.is_nan() => ".nan".to_string(),
        Value::Float(number) if number.is_infinite() => {
            if *number > 0.0 { ".inf" } else { "-.inf" }.to_string()
        }
        Value::Float(number) => go_format_float32(*number),
        Value::Null => return Err(error("a null mapping key cannot be converted to JSON")),
        Value::Seq(_) | Value::Map(_) => {
            return Err(error(
                "a list or mapping used as a mapping key cannot be converted to JSON",
            ));
        }
    };
    Ok(Pending::Key {
        key,
        span: node.span,
    })
}

/// Apply the `<<` merge at `at`: a mapping, or a list of mappings where earlier ones win.
fn merge(map: &mut MapFrame, source: Node, at: Span) -> Result<(), YamlError> {
    let not_a_mapping = |span| YamlError {
        kind: ErrorKind::Syntax,
        span,
        message: "`<<` needs a mapping or a list of mappings to merge".to_string(),
    };
    match source.value {
        Value::Map(entries) => {
            for entry in entries {
                map.set(entry, Some(at));
            }
        }
        Value::Seq(items) => {
            if let Some(item) = items.iter().find(|item| item.as_map().is_none()) {
                return Err(not_a_mapping(item.span));
            }
            for item in items.into_iter().rev() {
                if let Value::Map(entries) = item.value {
                    for entry in entries {
                        map.set(entry, Some(at));
                    }
                }
            }
        }
        _ => return Err(not_a_mapping(source.span)),
    }
    Ok(())
}

/// Resolve a plain scalar as go-yaml v2 does.
pub fn resolve_plain(text: &str) -> (Value, Option<Yaml11>) {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return (Value::Null, None),
        "true" | "True" | "TRUE" => return (Value::Bool(true), None),
        "false" | "False" | "FALSE" => return (Value::Bool(false), None),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return (Value::Bool(true), Some(Yaml11::Bool));
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return (Value::Bool(false), Some(Yaml11::Bool));
        }
        ".nan" | ".NaN" | ".NAN" => return (Value::Float(f64::NAN), None),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (Value::Float(f64::INFINITY), None);
        }
        "-.inf" | "-.Inf" | "-.INF" => return (Value::Float(f64::NEG_INFINITY), None),
        _ => {}
    }
    let string = || (Value::String(text.to_string()), None);
    match text.as_bytes()[0] {
        // go-yaml hands these to Go's ParseFloat, which refuses overflow.
        b'.' => match text.parse::<f64>() {
            Ok(number) if number.is_finite() => (Value::Float(number), None),
            _ => string(),
        },
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            if let Some(number) = go_parse_int(&plain) {
                let yaml11 = is_leading_zero_octal(&plain).then_some(Yaml11::Octal);
                return (number, yaml11);
            }
            if is_yaml_float(&plain)
                && let Ok(number) = plain.parse::<f64>()
                && number.is_finite()
            {
                return (Value::Float(number), None);
            }
            let binary = plain
                .strip_prefix("0b")
                .map(|digits| (false, digits))
                .or_else(|| plain.strip_prefix("-0b").map(|digits| (true, digits)));
            // Go's ParseInt refuses an empty digit string: `0b` alone stays text.
            if let Some((negative, digits)) = binary
                && !digits.is_empty()
                && let Some(number) = parse_digits(digits, 2)
            {
                return (
                    signed(number, negative).unwrap_or(Value::UInt(number)),
                    None,
                );
            }
            string()
        }
        _ => string(),
    }
}

/// `0123`-style integers, octal to Go's `ParseInt(s, 0, 64)` and decimal to YAML 1.2,
/// where the two readings differ (`05` is 5 either way; `010` is 8 or 10).
fn is_leading_zero_octal(plain: &str) -> bool {
    let digits = plain.trim_start_matches(['+', '-']);
    digits.len() > 1
        && digits.starts_with('0')
        && digits[1..].bytes().all(|byte| byte.is_ascii_digit())
        && parse_digits(&digits[1..], 8) != parse_digits(&digits[1..], 10)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's float syntax.
fn is_yaml_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        index += 1;
    }
    let digits = |index: &mut usize| {
        let start = *index;
        while *index < bytes.len() && bytes[*index].is_ascii_digit() {
            *index += 1;
        }
        *index - start
    };
    if bytes.get(index) == Some(&b'.') {
        index += 1;
        if digits(&mut index) == 0 {
            return false;
        }
    } else {
        if digits(&mut index) == 0 {
            return false;
        }
        if bytes.get(index) == Some(&b'.') {
            index += 1;
            digits(&mut index);
        }
    }
    if matches!(bytes.get(index), Some(b'e' | b'E')) {
        index += 1;
        if matches!(bytes.get(index), Some(b'+' | b'-')) {
            index += 1;
        }
        if digits(&mut index) == 0 {
            return false;
        }
    }
    index == bytes.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` as go-yaml does.
fn go_parse_int(text: &str) -> Option<Value> {
    let (negative, unsigned_text, had_sign) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..], true),
        b'+' => (false, &text[1..], true),
        _ => (false, text, false),
    };
    if unsigned_text.is_empty() {
        return None;
    }
    // Go: a leading `0b`, `0o` or `0x` (with at least one digit after it) picks the
    // base; any other leading `0` means octal.
    let (base, digits) = match unsigned_text.strip_prefix('0') {
        Some(rest) if rest.len() >= 2 => match rest.as_bytes()[0].to_ascii_lowercase() {
            b'b' => (2, &rest[1..]),
            b'o' => (8, &rest[1..]),
            b'x' => (16, &rest[1..]),
            _ => (8, rest),
        },
        Some(rest) => (8, rest),
        None => (10, unsigned_text),
    };
    let magnitude = parse_digits(digits, base)?;
    match signed(magnitude, negative) {
        Some(value) => Some(value),
        // ParseUint accepts no sign.
        None if !had_sign => Some(Value::UInt(magnitude)),
        None => None,
    }
}

fn signed(magnitude: u64, negative: bool) -> Option<Value> {
    if negative {
        if magnitude == 1 << 63 {
            Some(Value::Int(i64::MIN))
        } else {
            i64::try_from(magnitude)
                .ok()
                .map(|number| Value::Int(-number))
        }
    } else {
        i64::try_from(magnitude).ok().map(Value::Int)
    }
}

fn parse_digits(digits: &str, base: u32) -> Option<u64> {
    let mut value: u64 = 0;
    for character in digits.chars() {
        let digit = character.to_digit(base)?;
        value = value.checked_mul(base as u64)?.checked_add(digit as u64)?;
    }
    Some(value)
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for float keys.
fn go_format_float32(number: f64) -> String {
    let single = number as f32;
    if single == 0.0 {
        return "0".to_string();
    }
    // Shortest round-trip digits of the f32, in scientific form: d.ddddde±x.
    let scientific = format!("{single:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // With the shortest precision Go switches to exponent form from 1e6 on.
    if !(-4..6).contains(&exponent) {
        let fraction = &digits[1..];
        let dot = if fraction.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}{dot}{fraction}e{exponent_sign}{:02}",
            &digits[..1],
            exponent.abs()
        )
    } else {
        format!("{sign}{single}")
    }
}

fn decode_base64(text: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    let mut bytes = Vec::new();
    for character in text.chars().filter(|c| !c.is_whitespace()) {
        let value = match character {
            'A'..='Z' => character as u32 - 'A' as u32,
            'a'..='z' => character as u32 - 'a' as u32 + 26,
            '0'..='9' => character as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            '=' => break,
            _ => return None,
        };
        bits = (bits << 6) | value;
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json(text: &str) -> serde_json::Value {
        load(text, &Limits::default()).unwrap().root.to_json()
    }

    fn error(text: &str) -> YamlError {
        load(text, &Limits::default()).unwrap_err()
    }

    #[test]
    fn yaml11_scalars_as_helm_reads_them() {
        let value = json(concat!(
            "a: y\nb: N\nc: yes\nd: Off\ne: true\nf: yEs\n",
            "g: 0123\nh: 089\ni: 1_000\nj: 0b101\nk: 0x1F\nl: -0b11\nm: 0o17\n",
            "nn: ~\no:\np: 1.5\nq: .5\nr: 1e3\ns: 2001-12-14\nt: '0123'\nu: \"yes\"\n",
            "v: 99999999999999999999\nw: 1e400\nx: +12\nyy: -0\nz: 18446744073709551615\n",
        ));
        assert_eq!(
            value,
            json!({
                "a": true, "b": false, "c": true, "d": false, "e": true, "f": "yEs",
                "g": 83, "h": 89.0, "i": 1000, "j": 5, "k": 31, "l": -3, "m": 15,
                "nn": null, "o": null, "p": 1.5, "q": 0.5, "r": 1000.0, "s": "2001-12-14",
                "t": "0123", "u": "yes", "v": 1e20, "w": "1e400", "x": 12, "yy": 0,
                "z": 18446744073709551615u64,
            })
        );
    }

    #[test]
    fn yaml11_disagreements_are_marked() {
        let document = load(
            "a: N\nb: 0123\nc: true\nd: 'N'\ne: 00\n",
            &Limits::default(),
        )
        .unwrap();
        let marks: Vec<_> = ["/a", "/b", "/c", "/d", "/e"]
            .iter()
            .map(|pointer| document.root.lookup(pointer).unwrap().node.yaml11)
            .collect();
        assert_eq!(
            marks,
            [Some(Yaml11::Bool), Some(Yaml11::Octal), None, None, None]
        );
    }

    #[test]
    fn tags() {
        let value = json(
            "a: !!str 0123\nb: !!int '12'\nc: !!float 1\nd: !custom yes\ne: ! 12\nf: !!binary aGVsbG8=\n",
        );
        assert_eq!(
            value,
            json!({"a": "0123", "b": 12, "c": 1.0, "d": "yes", "e": "12", "f": "hello"})
        );
        assert_eq!(
            error("a: !!int abc\n").message,
            "cannot read `abc` as `!!int`"
        );
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2() {
        let value = json(concat!(
            "base: &base {a: 1, b: 2}\n",
            "other: &other {b: 3, c: 4}\n",
            "after: {a: 0, <<: *base}\n",
            "before: {<<: *base, a: 0}\n",
            "list: {<<: [*base, *other]}\n",
            "quoted: {'<<': 1}\n",
        ));
        assert_eq!(value["after"], json!({"a": 1, "b": 2}));
        assert_eq!(value["before"], json!({"a": 0, "b": 2}));
        assert_eq!(value["list"], json!({"a": 1, "b": 2, "c": 4}));
        assert_eq!(value["quoted"], json!({"<<": 1}));
        assert!(
            error("a: {<<: 1}\n")
                .message
                .contains("needs a mapping or a list of mappings")
        );
    }

    #[test]
    fn keys_become_json_strings() {
        // `yes` is the boolean true, so it overwrites the `true` key.
        let value = json("1: a\ntrue: b\n1.5: c\nyes: d\n0x10: e\n");
        assert_eq!(value, json!({"1": "a", "true": "d", "1.5": "c", "16": "e"}));
        assert_eq!(go_format_float32(1e10), "1e+10");
        assert_eq!(go_format_float32(0.0001), "0.0001");
        assert_eq!(go_format_float32(0.00001), "1e-05");
        assert_eq!(go_format_float32(123456.0), "123456");
        assert_eq!(go_format_float32(1234567.0), "1.234567e+06");
        assert!(error("? [a]\n: b\n").message.contains("mapping key"));
        assert!(error("~: b\n").message.contains("null mapping key"));
    }

    #[test]
    fn duplicates_keep_the_last_value_and_are_recorded() {
        let text = "a: 1\nb:\n  c: 1\n  c: 2\n  c: 3\na: 4\n";
        let document = load(text, &Limits::default()).unwrap();
        assert_eq!(document.root.to_json(), json!({"a": 4, "b": {"c": 3}}));
        let found: Vec<_> = document
            .duplicates
            .iter()
            .map(|duplicate| {
                let DuplicateKind::Repeated { ignored } = &duplicate.kind else {
                    panic!("{duplicate:?}")
                };
                let ignored: Vec<u32> = ignored.iter().map(|span| span.start).collect();
                (duplicate.pointer.as_str(), duplicate.span.start, ignored)
            })
            .collect();
        // Every ignored write is listed; the finding is at the write Helm keeps.
        assert_eq!(found, [("/b/c", 24, vec![10, 17]), ("/a", 29, vec![0])]);
    }

    #[test]
    fn merges_overriding_a_written_key_are_recorded() {
        // Keys after the merge override it: as expected, nothing to report.
        // (Not `y:` as a key: that is the boolean true to YAML 1.1.)
        let after = load("x: &x {a: 1}\np: {<<: *x, a: 2}\n", &Limits::default()).unwrap();
        assert!(after.duplicates.is_empty());
        assert_eq!(after.root.to_json()["p"], json!({"a": 2}));
        // A key before the merge is overwritten by it (go-yaml v2).
        let text = "x: &x {a: 1}\np:\n  a: 2\n  <<: *x\n";
        let before = load(text, &Limits::default()).unwrap();
        assert_eq!(before.root.to_json()["p"], json!({"a": 1}));
        let [duplicate] = before.duplicates.as_slice() else {
            panic!("{:?}", before.duplicates)
        };
        assert_eq!(duplicate.pointer, "/p/a");
        assert_eq!(&text[duplicate.span.range()], "a");
        let DuplicateKind::MergedOver { merge } = duplicate.kind else {
            panic!("{duplicate:?}")
        };
        assert_eq!(&text[merge.range()], "<<");
        // `!!merge <<` and `! <<` are merge keys too.
        let tagged = load(
            "x: &x {a: 1}\np: {!!merge <<: *x}\nq: {! <<: *x}\n",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(tagged.root.to_json()["p"], json!({"a": 1}));
        assert_eq!(tagged.root.to_json()["q"], json!({"a": 1}));
    }

    #[test]
    fn go_yaml_v2_corner_cases() {
        assert_eq!(
            json("a: 0b\nb: -0b\nc: 05\n"),
            json!({"a": "0b", "b": "-0b", "c": 5})
        );
        let document = load("c: 05\nd: 010\n", &Limits::default()).unwrap();
        assert_eq!(
            document.root.lookup("/c").unwrap().node.yaml11,
            None,
            "5 either way"
        );
        assert_eq!(
            document.root.lookup("/d").unwrap().node.yaml11,
            Some(Yaml11::Octal)
        );
        assert_eq!(json(".inf: 1\n-.inf: 2\n"), json!({".inf": 1, "-.inf": 2}));
        assert!(error("a: [.inf]\n").message.contains("infinity"));
        assert!(
            error("18446744073709551615: a\n")
                .message
                .contains("key this large")
        );
        let version = error("%YAML 1.2\n---\na: 1\n");
        assert!(
            version.message.contains("accepts only `%YAML 1.1`"),
            "{version:?}"
        );
        assert_eq!(version.span, Span::new(0, 9));
        assert_eq!(json("%YAML 1.1\n---\na: 1\n"), json!({"a": 1}));
        // An empty trailing document is harmless; one with content is not.
        assert!(
            load("a: 1\n---\n", &Limits::default())
                .unwrap()
                .extra_document
                .is_none()
        );
        assert!(
            load("a: 1\n---\n...\n", &Limits::default())
                .unwrap()
                .extra_document
                .is_none()
        );
        assert!(
            load("a: 1\n---\n---\nb: 2\n", &Limits::default())
                .unwrap()
                .extra_document
                .is_some()
        );
    }

    #[test]
    fn spans_skip_anchors_and_tags() {
        let text = "a: &c 010\nb: !!str x\nc: &t !custom 'q'\nd: &m {k: v}\n";
        let document = load(text, &Limits::default()).unwrap();
        let slice = |pointer| &text[document.root.lookup(pointer).unwrap().node.span.range()];
        assert_eq!(slice("/a"), "010");
        assert_eq!(slice("/b"), "x");
        assert_eq!(slice("/c"), "'q'");
        assert_eq!(slice("/d"), "{k: v}");
    }

    #[test]
    fn long_non_ascii_lines_convert_in_linear_time() {
        let mut text = String::from("tags: {é: ü");
        for index in 0..50_000 {
            text.push_str(&format!(", k{index}: v"));
        }
        text.push_str("}\n");
        let started = std::time::Instant::now();
        let document = load(&text, &Limits::default()).unwrap();
        assert_eq!(
            document.root.get("tags").unwrap().as_map().unwrap().len(),
            50_001
        );
        let last = document.root.lookup("/tags/k49999").unwrap();
        assert_eq!(&text[last.node.span.range()], "v");
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn literal_text_is_recorded() {
        let text = "a: |\n  # dynalint: ignore[DL001]\nb: \"x\n  y\"\nc: z\n";
        let document = load(text, &Limits::default()).unwrap();
        let literal: Vec<&str> = document
            .literal_text
            .iter()
            .map(|span| &text[span.range()])
            .collect();
        assert_eq!(literal, ["# dynalint: ignore[DL001]\n", "\"x\n  y\""]);
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "tables:\n  - name: Orders\n    rangekey: Id\n    empty:\n";
        let document = load(text, &Limits::default()).unwrap();
        let located = document.root.lookup("/tables/0/rangekey").unwrap();
        assert_eq!(&text[located.key_span.unwrap().range()], "rangekey");
        assert_eq!(&text[located.node.span.range()], "Id");
        let table = document.root.lookup("/tables/0").unwrap();
        assert_eq!(
            table.node.span.start, 12,
            "a block mapping starts at its first key"
        );
        let empty = document.root.lookup("/tables/0/empty").unwrap();
        assert_eq!(&text[empty.value_or_key().range()], "empty");
    }

    #[test]
    fn quoted_spans_end_at_the_closing_quote() {
        let text =
            "a: \"5\"    # c\nb: 'it''s'  # d\nc: \"say \\\"hi\\\"\"  \nd: \"multi\n  line\"  \n";
        let document = load(text, &Limits::default()).unwrap();
        let slice = |pointer| &text[document.root.lookup(pointer).unwrap().node.span.range()];
        assert_eq!(slice("/a"), "\"5\"");
        assert_eq!(slice("/b"), "'it''s'");
        assert_eq!(slice("/c"), "\"say \\\"hi\\\"\"");
        assert_eq!(slice("/d"), "\"multi\n  line\"");
    }

    #[test]
    fn spans_are_bytes_in_non_ascii_text() {
        let text = "tags:\n  team: \"équipe\"\n  owner: ü\n";
        let document = load(text, &Limits::default()).unwrap();
        let owner = document.root.lookup("/tags/owner").unwrap();
        assert_eq!(&text[owner.node.span.range()], "ü");
    }

    #[test]
    fn aliases_expand_with_their_definition_spans() {
        let text = "a: &t {name: X}\nb: *t\n";
        let document = load(text, &Limits::default()).unwrap();
        let alias = document.root.lookup("/b").unwrap();
        assert_eq!(&text[alias.node.span.range()], "*t");
        // The copy is located where it is used, the original where it is defined.
        let inner = document.root.lookup("/b/name").unwrap();
        assert_eq!(&text[inner.node.span.range()], "*t");
        assert_eq!(&text[inner.key_span.unwrap().range()], "*t");
        assert!(is_alias_copy(inner.node, text));
        let original = document.root.lookup("/a/name").unwrap();
        assert_eq!(&text[original.node.span.range()], "X");
        assert!(!is_alias_copy(original.node, text));
        let merged = load(
            "a: &t {name: X}\nb: {<<: *t, other: 1}\n",
            &Limits::default(),
        )
        .unwrap();
        let name = merged.root.lookup("/b/name").unwrap();
        assert_eq!(name.node.span, Span::new(24, 26));
    }

    #[test]
    fn alias_bombs_stop_at_the_node_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            text.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                [previous.as_str(); 10].join(", ")
            ));
        }
        let failure = error(&text);
        assert_eq!(failure.kind, ErrorKind::Limit);
        assert!(failure.message.contains("alias bomb"));
        assert!(error("a: &x [*x]\n").message.contains("recursive alias"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let flow = "[".repeat(10_000);
        assert_eq!(error(&flow).kind, ErrorKind::Limit);
        let block: String = (0..10_000)
            .map(|depth| format!("{}k:\n", " ".repeat(depth)))
            .collect();
        let failure = error(&block);
        assert_eq!(failure.kind, ErrorKind::Limit);
        assert!(failure.message.contains("nesting deeper than 100 levels"));
    }

    #[test]
    fn documents() {
        let document = load("a: 1\n---\nb: 2\n", &Limits::default()).unwrap();
        assert_eq!(document.root.to_json(), json!({"a": 1}));
        assert_eq!(document.extra_document, Some(Span::new(5, 8)));
        assert!(load("", &Limits::default()).unwrap().empty);
        assert!(load("# nothing\n", &Limits::default()).unwrap().empty);
        assert!(load("---\n", &Limits::default()).unwrap().empty);
        assert!(
            load("---\na: 1\n", &Limits::default())
                .unwrap()
                .extra_document
                .is_none()
        );
    }

    #[test]
    fn tab_errors_point_at_the_first_indenting_tab() {
        // The parser tolerates the tab of line 5 and stops on line 6.
        let text =
            "tables:\n  - name: Q\n    hashKey: Id\n    attributes:\n\t- name: Id\n\t  type: S\n";
        let failure = error(text);
        assert_eq!(
            text[..failure.span.start as usize].matches('\n').count() + 1,
            5
        );
        assert_eq!(&text[failure.span.range()], "\t");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let failure = error("a:\n\tb: 1\n");
        assert_eq!(failure.kind, ErrorKind::Tab);
        assert_eq!(failure.span.start, 3, "the tab itself");
        assert!(error("a: .inf\n").message.contains("infinity"));
    }

    #[test]
    fn semantic_paths_name_list_items() {
        let document = load(
            "tables:\n  - name: A\n  - name: Orders\n    attributes: [{name: Id, type: S}]\n    roles: [x, z]\n    list: [[1]]\n",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            document.root.semantic_path("/tables/1/attributes/0/type"),
            "tables/Orders/attributes/Id/type"
        );
        assert_eq!(
            document.root.semantic_path("/tables/1/roles/1"),
            "tables/Orders/roles/z"
        );
        assert_eq!(
            document.root.semantic_path("/tables/1/list/0/0"),
            "tables/Orders/list/0/0"
        );
        assert_eq!(
            document.root.semantic_path("/tables/7/name"),
            "tables/7/name"
        );
        assert_eq!(document.root.semantic_path(""), "");
    }

    #[test]
    fn pointers_escape() {
        let document = load("\"a/b\": {\"c~d\": 1}\n", &Limits::default()).unwrap();
        assert!(document.root.lookup("/a~1b/c~0d").is_some());
        let pointers: Vec<String> = document
            .root
            .find(&|_| true)
            .into_iter()
            .map(|(pointer, _)| pointer)
            .collect();
        assert_eq!(pointers, ["", "/a~1b", "/a~1b/c~0d"]);
    }
}
