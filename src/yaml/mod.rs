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

mod loader;
mod scalars;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use crate::span::Span;

pub use loader::{is_alias_copy, load};
pub use scalars::resolve_plain;

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
    /// The key was written as a plain scalar that Helm reads as a boolean or a number,
    /// so the JSON key is not the text written (`no:` is the key `false`).
    pub key_converted: bool,
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
    /// The writes Helm does not keep, each from its key to the end of its value (only
    /// the key when the value was merged): what removing them leaves reading the same.
    pub removable: Vec<Span>,
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
