//! From the parser's events to the tree Helm would see: anchors and aliases, `<<`
//! merges, duplicate keys, limits, and the span of every key and value.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use super::scalars::{decode_base64, go_format_float32};
use super::*;
use crate::span::Span;

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
        /// Read as a boolean or number into another text (see [`Entry::key_converted`]).
        converted: bool,
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
    /// Explicit writes that Helm ignores because the key is written again: (entry, key,
    /// the whole write).
    ignored: Vec<(usize, Span, Span)>,
    /// Explicit writes overwritten by a later merge: (entry, key, `<<`, the whole write).
    merged_over: Vec<(usize, Span, Span, Span)>,
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
        // The write being replaced, from its key to the end of its value (when it was
        // written, not merged), for a fix that removes it.
        let replaced_end = self.entries[position].value.span.end;
        let writes = &mut self.writes[position];
        let was_merged = writes.merged;
        let whole = |key: Span| {
            let end = if was_merged {
                key.end
            } else {
                replaced_end.max(key.end)
            };
            Span::new(key.start, end)
        };
        match merge {
            None => {
                if let Some(previous) = writes.last {
                    let write = whole(previous);
                    self.ignored.push((position, previous, write));
                }
                *writes = Writes {
                    last: Some(key_span),
                    merged: false,
                };
            }
            Some(merge) => {
                if let (Some(written), false) = (writes.last, writes.merged) {
                    let write = whole(written);
                    self.merged_over.push((position, written, merge, write));
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
        let mut positions: Vec<usize> = self
            .ignored
            .iter()
            .map(|(position, ..)| *position)
            .collect();
        positions.sort_unstable();
        positions.dedup();
        for position in positions {
            let writes = self.ignored.iter().filter(|(at, ..)| *at == position);
            let ignored: Vec<Span> = writes.clone().map(|(_, key, _)| *key).collect();
            let removable: Vec<Span> = writes.map(|(.., write)| *write).collect();
            // The write Helm keeps: the last explicit one (a later merge is reported apart).
            let Some(kept) = self.writes[position].last else {
                continue;
            };
            duplicates.push(DuplicateKey {
                key: self.entries[position].key.clone(),
                pointer: entry_pointer(position),
                span: kept,
                kind: DuplicateKind::Repeated { ignored },
                removable,
            });
        }
        for (position, written, merge, write) in &self.merged_over {
            duplicates.push(DuplicateKey {
                key: self.entries[*position].key.clone(),
                pointer: entry_pointer(*position),
                span: *written,
                kind: DuplicateKind::MergedOver { merge: *merge },
                removable: vec![*write],
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
                None => map.pending = Some(mapping_key(node, self.text)?),
                Some(Pending::Merge(at)) => merge(map, node, at)?,
                Some(Pending::Key {
                    key,
                    span,
                    converted,
                }) => map.set(
                    Entry {
                        key,
                        key_span: span,
                        key_converted: converted,
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
fn mapping_key(node: Node, text: &str) -> Result<Pending, YamlError> {
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
    // A plain key read as a boolean or a number is a JSON key other than the text
    // written (`no` is `false`, `0123` is `83`), unless it reads back the same (`42`).
    let converted = node.plain
        && !matches!(node.value, Value::String(_))
        && text.get(node.span.range()).map(str::trim) != Some(key.as_str());
    Ok(Pending::Key {
        key,
        span: node.span,
        converted,
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
