//! Byte-range edits of one values file: a table entry inserted as a block item of
//! `tables:` with the file's own indentation and line endings, a `name` value replaced
//! with its quoting kept, a deleted file recreated from the base with some of its tables.
//! Every other byte stays. The result is read again and must read as the edits intend,
//! and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::edit::{after_break, line_end, line_start};
use crate::source::strip_bom;
use crate::span::Span;
use crate::yaml::{self, Document, Node, Value};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// A table entry as the base file writes it, to be written into another file.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its lines: the first from where the entry starts (after its `- `), the others
    /// whole, with the indentation they have in the base file.
    lines: Vec<String>,
    /// The column the entry starts at in the base file.
    column: usize,
    /// Written as a flow mapping (`{name: Orders, ...}`).
    flow: bool,
    /// What it reads as.
    json: Json,
}

impl Entry {
    /// The item at `position` of `tables:` in `text`, parsed as `document`.
    pub fn read(text: &str, document: &Document, position: usize) -> Result<Entry, String> {
        let list = document
            .root
            .get("tables")
            .filter(|node| node.as_seq().is_some())
            .ok_or("the base revision's file has no `tables:` list")?;
        let item = list
            .as_seq()
            .and_then(|items| items.get(position))
            .filter(|item| item.as_map().is_some())
            .ok_or("the base revision's file has no such table entry")?;
        let (start, end) = (item.span.start as usize, item.span.end as usize);
        let flow = text[start..].starts_with('{');
        let body = if text[list.span.range()].starts_with('[') {
            &text[start..end]
        } else if ends_a_line(text, end) {
            text[start..end].trim_end_matches(['\n', '\r', ' '])
        } else {
            let rest = &text[end..line_end(text, end)];
            if !is_blank_or_comment(rest) {
                return Err(
                    "the base revision's entry shares its last line with other values".into(),
                );
            }
            text[start..line_end(text, end)].trim_end_matches([' ', '\t'])
        };
        Ok(Entry {
            lines: split_lines(body),
            column: start - line_start(text, start),
            flow,
            json: item.to_json(),
        })
    }

    /// The entry with a `region` of its own: in a release whose region is not the one
    /// the table has in AWS.
    pub fn with_region(mut self, region: &str) -> Entry {
        let value = scalar(region);
        if self.flow {
            self.lines[0] = format!("{{region: {value}, {}", &self.lines[0][1..]);
        } else {
            self.lines
                .push(format!("{}region: {value}", " ".repeat(self.column)));
        }
        if let Json::Object(fields) = &mut self.json {
            fields.insert("region".into(), Json::String(region.to_string()));
        }
        self
    }
}

/// A plain scalar when it reads as the same text, else single-quoted.
fn scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./".contains(character))
        && matches!(yaml::resolve_plain(text).0, Value::String(_));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// One byte-range edit; edits at the same offset apply in the order they were made.
#[derive(Debug)]
struct Edit {
    span: Span,
    text: String,
    order: usize,
}

/// Where new items of `tables:` go once the list is opened (it was empty or missing).
#[derive(Clone, Copy, Debug)]
struct Opened {
    at: usize,
    dash: usize,
    content: usize,
}

/// One values file being rewritten.
pub struct Rewrite {
    pub path: String,
    /// The bytes as read; `None` when the head has no such file and it is recreated.
    pub before: Option<Vec<u8>>,
    bom: bool,
    text: String,
    document: Document,
    line_break: &'static str,
    edits: Vec<Edit>,
    opened: Option<Opened>,
    /// What `tables:` must read as afterwards: its items renamed (by position), entries
    /// inserted before a position, and for a recreated file the items kept.
    renames: BTreeMap<usize, String>,
    inserts: Vec<(usize, Json)>,
    keep: Option<BTreeSet<usize>>,
}

/// A rewritten file.
pub struct Rewritten {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

impl Rewrite {
    /// The head's file as read (`bytes`), to edit.
    pub fn existing(path: &str, bytes: Vec<u8>, limits: &yaml::Limits) -> Result<Rewrite, String> {
        let mut rewrite = Rewrite::parse(path, &bytes, limits)?;
        rewrite.before = Some(bytes);
        Ok(rewrite)
    }

    /// A file the head deleted, recreated from the base's `bytes` with only the tables
    /// kept with [`Rewrite::keep`].
    pub fn recreated(path: &str, bytes: &[u8], limits: &yaml::Limits) -> Result<Rewrite, String> {
        let mut rewrite = Rewrite::parse(path, bytes, limits)?;
        rewrite.keep = Some(BTreeSet::new());
        Ok(rewrite)
    }

    fn parse(path: &str, bytes: &[u8], limits: &yaml::Limits) -> Result<Rewrite, String> {
        let text = std::str::from_utf8(strip_bom(bytes))
            .map_err(|_| "it is not UTF-8".to_string())?
            .to_string();
        let document = yaml::load(&text, limits)
            .map_err(|error| format!("it does not parse ({})", error.message))?;
        if document.extra_document.is_some() {
            return Err("it has more than one YAML document (DL001)".into());
        }
        if !document.empty && document.root.as_map().is_none() {
            return Err("its values are not a mapping".into());
        }
        let line_break = match text.find(['\n', '\r']) {
            Some(at) if text[at..].starts_with("\r\n") => "\r\n",
            Some(at) if text[at..].starts_with('\r') => "\r",
            _ => "\n",
        };
        Ok(Rewrite {
            path: path.to_string(),
            before: None,
            bom: bytes.starts_with(BOM),
            text,
            document,
            line_break,
            edits: Vec::new(),
            opened: None,
            renames: BTreeMap::new(),
            inserts: Vec::new(),
            keep: None,
        })
    }

    fn items(&self) -> &[Node] {
        self.document
            .root
            .get("tables")
            .and_then(Node::as_seq)
            .unwrap_or_default()
    }

    fn edit(&mut self, span: Span, text: String) {
        let order = self.edits.len();
        self.edits.push(Edit { span, text, order });
    }

    /// Replaces the `name` of the entry at `position`, which must read as `from`, with
    /// `to`; the entry as it will be written, for people.
    pub fn rename(&mut self, position: usize, from: &str, to: &str) -> Result<String, String> {
        let item = self
            .items()
            .get(position)
            .ok_or("the file has no such table entry")?;
        let entry = item
            .entry("name")
            .filter(|entry| entry.value.as_str() == Some(from))
            .ok_or_else(|| format!("its entry does not read as table `{from}`"))?;
        let span = entry.value.span;
        let key = self.text[entry.key_span.range()].trim_matches(['\'', '"']);
        let raw = &self.text[span.range()];
        if key != "name" || raw.starts_with('*') {
            return Err(format!(
                "the name `{from}` comes from an alias or a `<<` merge: rename it by hand"
            ));
        }
        if raw.contains(['\n', '\r']) || raw.starts_with(['|', '>', '&', '!']) {
            return Err(format!(
                "the name `{from}` is not written as a simple scalar: rename it by hand"
            ));
        }
        let written = if raw.starts_with('"') {
            serde_json::to_string(to).expect("a string serializes")
        } else if raw.starts_with('\'') {
            format!("'{}'", to.replace('\'', "''"))
        } else {
            scalar(to)
        };
        let shown = self.shown(item, Some((span, &written)));
        self.edit(span, written);
        self.renames.insert(position, to.to_string());
        Ok(shown)
    }

    /// The entry at `position` as written, for people.
    pub fn show(&self, position: usize) -> String {
        self.items()
            .get(position)
            .map(|item| self.shown(item, None))
            .unwrap_or_default()
    }

    /// An item's lines (its `- ` included) with one replacement, dedented to its dash.
    fn shown(&self, item: &Node, replace: Option<(Span, &str)>) -> String {
        let (start, dash, end) = match block_item(&self.text, item) {
            Ok(found) => (found.line_start, found.dash, found.lines_end),
            Err(_) => (item.span.start as usize, 0, item.span.end as usize),
        };
        let mut text = self.text[start..end].to_string();
        if let Some((span, with)) = replace {
            let at = span.start as usize - start..span.end as usize - start;
            text.replace_range(at, with);
        }
        dedent(&text, dash)
    }

    /// Inserts `entry` as a block item of `tables:` before the item at `index` (at the
    /// end when there is none), opening the list when the file has none; the entry as it
    /// will be written, for people.
    pub fn insert(&mut self, index: usize, entry: &Entry) -> Result<String, String> {
        let line_break = self.line_break;
        let index = index.min(self.items().len());
        let (at, dash, content, lead) = match self.place(index)? {
            Place::Before(item) => (item.line_start, item.dash, item.content, false),
            Place::After(item) => {
                let lead =
                    item.lines_end == self.text.len() && !ends_a_line(&self.text, item.lines_end);
                (item.lines_end, item.dash, item.content, lead)
            }
            Place::Opened(opened) => (opened.at, opened.dash, opened.content, false),
        };
        let block = render(entry, dash, content, line_break)?;
        let text = if lead {
            format!("{line_break}{block}")
        } else {
            format!("{block}{line_break}")
        };
        self.edit(Span::at(at as u32), text);
        self.inserts.push((index, entry.json.clone()));
        Ok(dedent(&block, dash))
    }

    /// Where an item inserted before `index` goes.
    fn place(&mut self, index: usize) -> Result<Place, String> {
        if let Some(opened) = self.opened {
            return Ok(Place::Opened(opened));
        }
        let line_break = self.line_break;
        // The `tables` entry: its key, its value's span, how many items it has (none: not
        // a list), whether it is null.
        let tables = self.document.root.entry("tables").map(|entry| {
            (
                entry.key_span,
                entry.value.span,
                entry.value.as_seq().map(<[Node]>::len),
                matches!(entry.value.value, Value::Null),
            )
        });
        match tables {
            Some((_, value, Some(items), _)) if items > 0 => {
                if self.text[value.range()].starts_with('[') {
                    return Err("its `tables:` is a flow list (`[...]`): write its items as a block list (`- name: ...`) and run migrate again".into());
                }
                let items = self.items();
                match items.get(index) {
                    Some(item) => Ok(Place::Before(block_item(&self.text, item)?)),
                    None => Ok(Place::After(block_item(
                        &self.text,
                        items.last().expect("not empty"),
                    )?)),
                }
            }
            Some((key, _, items, null)) => {
                // `tables: []` or `tables:` with nothing: the value gives way to a block list.
                let list = items.is_some();
                let key_end = key.end as usize;
                let end = line_end(&self.text, key_end);
                let rest = &self.text[key_end..end];
                let after_colon = rest
                    .strip_prefix(':')
                    .ok_or("its `tables:` key is not followed by `:`")?;
                let value_text = after_colon.split(" #").next().unwrap_or_default();
                let value = value_text.trim();
                let written = ["[]", "[ ]", "", "~", "null", "Null", "NULL"].contains(&value)
                    && if value.is_empty() {
                        null
                    } else {
                        value.starts_with('[') == list
                    };
                if !(null || list) || !written {
                    return Err("its `tables:` is not a list dynalint can add an entry to".into());
                }
                let value_end = key_end + 1 + value_text.trim_end().len();
                self.edit(Span::new(key_end as u32, value_end as u32), ":".into());
                let column = key.start as usize - line_start(&self.text, key.start as usize);
                let at = if end == self.text.len() && !ends_a_line(&self.text, end) {
                    self.edit(Span::at(end as u32), line_break.into());
                    end
                } else {
                    after_break(&self.text, end)
                };
                Ok(self.open(at, column))
            }
            None => {
                if let Some(first) = self
                    .document
                    .root
                    .as_map()
                    .and_then(|entries| entries.first())
                {
                    let start = first.key_span.start as usize;
                    if start != line_start(&self.text, start) {
                        return Err("its values are not a block mapping at the first column: add `tables:` by hand".into());
                    }
                }
                let end = self.text.len();
                let lead = if end > 0 && !ends_a_line(&self.text, end) {
                    line_break
                } else {
                    ""
                };
                self.edit(Span::at(end as u32), format!("{lead}tables:{line_break}"));
                Ok(self.open(end, 0))
            }
        }
    }

    fn open(&mut self, at: usize, column: usize) -> Place {
        let opened = Opened {
            at,
            dash: column + 2,
            content: column + 4,
        };
        self.opened = Some(opened);
        Place::Opened(opened)
    }

    /// Keeps the base's entry at `position` in a recreated file; it as written, for
    /// people.
    pub fn keep(&mut self, position: usize) -> String {
        if let Some(keep) = &mut self.keep {
            keep.insert(position);
        }
        self.show(position)
    }

    /// The edits applied, the result read again and compared with what they intend.
    pub fn finish(mut self, limits: &yaml::Limits) -> Result<Rewritten, String> {
        if let Some(keep) = self.keep.clone() {
            let items: Vec<Node> = self.items().to_vec();
            if keep.len() < items.len() {
                let list = self.document.root.get("tables").expect("items");
                if self.text[list.span.range()].starts_with('[') {
                    return Err("its `tables:` is a flow list (`[...]`) with other tables: restore the file from the base by hand".into());
                }
                for (position, item) in items.iter().enumerate() {
                    if !keep.contains(&position) {
                        let found = block_item(&self.text, item)?;
                        self.edit(
                            Span::new(found.line_start as u32, found.lines_end as u32),
                            String::new(),
                        );
                    }
                }
            }
        }
        let mut edits = std::mem::take(&mut self.edits);
        edits.sort_by_key(|edit| (edit.span.start, edit.order));
        let mut text = String::with_capacity(self.text.len() + 1024);
        let mut at = 0;
        for edit in &edits {
            let start = edit.span.start as usize;
            if start < at {
                return Err("two edits of the file overlap".into());
            }
            text.push_str(&self.text[at..start]);
            text.push_str(&edit.text);
            at = edit.span.end as usize;
        }
        text.push_str(&self.text[at..]);
        let parsed = yaml::load(&text, limits)
            .map_err(|error| format!("the edited file would not parse ({})", error.message))?;
        self.compare(&parsed)?;
        let mut after = Vec::with_capacity(text.len() + 3);
        if self.bom {
            after.extend_from_slice(BOM);
        }
        after.extend_from_slice(text.as_bytes());
        Ok(Rewritten {
            path: self.path,
            before: self.before,
            after,
        })
    }

    /// Whether the edited file (`parsed`) reads as the old one with the edits' intent.
    fn compare(&self, parsed: &Document) -> Result<(), String> {
        let mut expected = match self.document.root.to_json() {
            Json::Null => Json::Object(Default::default()),
            other => other,
        };
        let old: Vec<Json> = expected
            .get("tables")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        let mut items = Vec::new();
        for position in 0..=old.len() {
            items.extend(
                self.inserts
                    .iter()
                    .filter(|(at, _)| *at == position)
                    .map(|(_, json)| json.clone()),
            );
            let Some(item) = old.get(position) else {
                continue;
            };
            if self
                .keep
                .as_ref()
                .is_some_and(|keep| !keep.contains(&position))
            {
                continue;
            }
            let mut item = item.clone();
            if let (Some(name), Json::Object(fields)) = (self.renames.get(&position), &mut item) {
                fields.insert("name".into(), Json::String(name.clone()));
            }
            items.push(item);
        }
        if let Json::Object(fields) = &mut expected {
            fields.insert("tables".into(), Json::Array(items));
        }
        let actual = parsed.root.to_json();
        if actual != expected {
            let tables = |json: &Json| {
                json.get("tables")
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default()
            };
            let (want, got) = (tables(&expected), tables(&actual));
            let reason = if want.len() != got.len() {
                format!(
                    "the edited `tables:` would read as {} tables, not {}",
                    got.len(),
                    want.len()
                )
            } else if let Some(differs) = want.iter().zip(&got).find(|(want, got)| want != got) {
                format!(
                    "table `{}` would not read as intended after the edit (an alias or a `<<` merge whose anchor is elsewhere?)",
                    differs.0.get("name").and_then(Json::as_str).unwrap_or("?")
                )
            } else {
                "values outside `tables:` would read differently after the edit".to_string()
            };
            return Err(reason);
        }
        if parsed.duplicates.len() > self.document.duplicates.len() {
            return Err("the edit would write a key twice".into());
        }
        Ok(())
    }
}

enum Place {
    Before(Item),
    After(Item),
    Opened(Opened),
}

/// A block list item's place: where its `- ` line starts, the columns of the dash and of
/// its content, and where its last line ends (after the line break).
#[derive(Clone, Copy, Debug)]
struct Item {
    line_start: usize,
    dash: usize,
    content: usize,
    lines_end: usize,
}

fn block_item(text: &str, item: &Node) -> Result<Item, String> {
    let start = item.span.start as usize;
    let line_start = line_start(text, start);
    let prefix = &text[line_start..start];
    let dash = prefix.find('-').filter(|dash| {
        prefix[..*dash].bytes().all(|byte| byte == b' ')
            && prefix.len() > dash + 1
            && prefix[dash + 1..].bytes().all(|byte| byte == b' ')
    });
    let Some(dash) = dash else {
        return Err("its `tables:` items are not written as `- name: ...` lines".into());
    };
    let end = item.span.end as usize;
    let lines_end = if ends_a_line(text, end) {
        end
    } else {
        let line_end = line_end(text, end);
        if !is_blank_or_comment(&text[end..line_end]) {
            return Err("a table entry shares its last line with other values".into());
        }
        after_break(text, line_end)
    };
    Ok(Item {
        line_start,
        dash,
        content: start - line_start,
        lines_end,
    })
}

/// `entry` as a block item whose dash is at column `dash` and content at `content`.
fn render(entry: &Entry, dash: usize, content: usize, line_break: &str) -> Result<String, String> {
    let mut out = format!(
        "{}-{}{}",
        " ".repeat(dash),
        " ".repeat(content.saturating_sub(dash + 1).max(1)),
        entry.lines[0]
    );
    let content = content.max(dash + 2);
    for line in &entry.lines[1..] {
        out.push_str(line_break);
        if line.is_empty() {
            continue;
        }
        if content >= entry.column {
            out.push_str(&" ".repeat(content - entry.column));
            out.push_str(line);
        } else {
            let remove = entry.column - content;
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces < remove && !line.trim().is_empty() {
                return Err("the base's entry is indented in a way that cannot move to this list's indentation".into());
            }
            out.push_str(&line[remove.min(spaces)..]);
        }
    }
    Ok(out)
}

/// Lines without `column` leading spaces (as many as they have, up to it), joined by
/// `\n`: an entry shown apart from its file.
fn dedent(text: &str, column: usize) -> String {
    split_lines(text.trim_end_matches(['\n', '\r']))
        .iter()
        .map(|line| {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            &line[spaces.min(column)..]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn split_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['\n', '\r']) {
        lines.push(rest[..at].to_string());
        rest = &rest[after_break(rest, at)..];
    }
    lines.push(rest.to_string());
    lines
}

fn is_blank_or_comment(text: &str) -> bool {
    let text = text.trim_start_matches([' ', '\t']);
    text.is_empty() || text.starts_with('#')
}

/// Whether `offset` is at the start of a line that follows a line break.
fn ends_a_line(text: &str, offset: usize) -> bool {
    offset > 0 && text[..offset].ends_with(['\n', '\r'])
}
