//! Fixes as data, beside findings (a low floor). A rule proposes a [`Fix`]: what to
//! change, said at spans of the finding's file ([`Change`]), never as text it computed.
//! [`resolve`] turns it into byte edits for that file's text, with what the edit means
//! to the values as Helm reads them; [`apply`] applies non-overlapping edits and keeps
//! only those whose result reads exactly as intended: the file is parsed again and its
//! tree compared with the old one changed as the fixes say, so that a fix never changes
//! anything else (a value copied by an alias, a key merged with `<<`, a list that would
//! read as null). Every byte outside the edits stays: comments, quoting, indentation,
//! flow or block style, line endings.

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use crate::source::FileId;
use crate::span::Span;
use crate::yaml::{self, Document, Node, Value};

/// Whether a fix may be applied without asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// It can change what AWS does (a renamed field, another role, a new attribute):
    /// applied with `--unsafe-fixes` only.
    Unsafe,
    /// It keeps what the values mean to AWS, or makes them say what they evidently
    /// meant (a quoted `'N'`, a duplicate Helm ignores).
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A rule's proposed fix for one finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub applicability: Applicability,
    /// What it does, for people: "quote `N`".
    pub title: String,
    pub file: FileId,
    pub changes: Vec<Change>,
}

impl Fix {
    pub fn new(
        applicability: Applicability,
        file: FileId,
        title: impl Into<String>,
        change: Change,
    ) -> Fix {
        Fix {
            applicability,
            title: title.into(),
            file,
            changes: vec![change],
        }
    }
}

/// One change of a fix, at spans of the file as the parser gave them.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Quote the plain scalar at `at` (a value, or with `key` a mapping key), so that
    /// Helm reads the text as written.
    Quote { at: Span, key: bool },
    /// Write the string `text` in place of the scalar at `at` (a value, or with `key` a
    /// mapping key), quoted as the old one was.
    Replace { at: Span, key: bool, text: String },
    /// The value of the entry whose key is at `key` becomes an empty list.
    EmptyList { key: Span },
    /// Remove the list item at `at`.
    RemoveItem { at: Span },
    /// Remove the mapping entry `entry` (from its key to the end of its value); when
    /// the tree does not have it (a write Helm ignores), the values read the same.
    RemoveEntry { entry: Span },
    /// Append a mapping to the list of the entry whose key is at `key`: each field's
    /// name, and its string value (quoted when `quoted`).
    AppendItem {
        key: Span,
        fields: Vec<(String, String, bool)>,
    },
    /// Remove the key at `at` from the suppression comment whose `dynalint:` text is at
    /// `comment` and whose keys are at `keys`: the whole comment when it is the only one.
    RemoveSuppression {
        comment: Span,
        keys: Vec<Span>,
        at: Span,
    },
}

/// A byte range of a file and the text that replaces it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// What applying a change means to the values as Helm reads them.
#[derive(Clone, Debug, PartialEq)]
enum Intent {
    /// They read the same (a comment or an ignored write removed).
    Same,
    /// The value at this span becomes this.
    Set(Span, Json),
    /// The mapping key at this span is renamed.
    Rename(Span, String),
    /// The mapping entry whose key is at this span is removed.
    RemoveEntry(Span),
    /// The list item at this span is removed.
    RemoveItem(Span),
    /// This is appended to the list at this span.
    Append(Span, Json),
}

/// A fix made concrete for its file's text.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub applicability: Applicability,
    pub title: String,
    pub file: FileId,
    /// Sorted, not overlapping.
    pub edits: Vec<Edit>,
    intents: Vec<Intent>,
}

impl Resolved {
    fn start(&self) -> u32 {
        self.edits.first().map_or(0, |edit| edit.span.start)
    }

    /// Whether two fixes' edits touch the same bytes (or insert at the same place).
    fn overlaps(&self, other: &Resolved) -> bool {
        self.edits.iter().any(|mine| {
            other.edits.iter().any(|theirs| {
                let (a, b) = (mine.span, theirs.span);
                // An insertion at either end of another edit is ambiguous too.
                let touches = |insertion: Span, other: Span| {
                    insertion.start == insertion.end
                        && other.start <= insertion.start
                        && insertion.start <= other.end
                };
                a.start < b.end && b.start < a.end || touches(a, b) || touches(b, a)
            })
        })
    }
}

/// The fix as edits of `text` (whose parsed first document is `document`); `None` when
/// it cannot be made there safely (inside an alias, text not as the rule saw it).
pub fn resolve(fix: &Fix, text: &str, document: &Document) -> Option<Resolved> {
    let mut edits = Vec::new();
    let mut intents = Vec::new();
    for change in &fix.changes {
        let (edit, intent) = resolve_change(change, text, &document.root)?;
        edits.push(edit);
        intents.push(intent);
    }
    edits.sort();
    if edits
        .windows(2)
        .any(|pair| pair[0].span.end > pair[1].span.start)
    {
        return None;
    }
    Some(Resolved {
        applicability: fix.applicability,
        title: fix.title.clone(),
        file: fix.file,
        edits,
        intents,
    })
}

/// What applying fixes to one file gave.
#[derive(Debug, Default)]
pub struct Applied {
    /// The new text (the old one when nothing applied).
    pub text: String,
    /// Indexes (into the fixes given) of those applied.
    pub applied: Vec<usize>,
    /// Those that touch bytes an applied one touches: for another pass.
    pub deferred: Vec<usize>,
    /// Those whose result would not read as intended, and why.
    pub refused: Vec<(usize, String)>,
}

/// Applies the fixes that do not overlap (in order of their first edit) to `text`, whose
/// parse is `document`, keeping only what reads, once parsed again, as the old tree
/// changed as the applied fixes intend, and nothing else.
pub fn apply(
    text: &str,
    document: &Document,
    fixes: &[&Resolved],
    limits: &yaml::Limits,
) -> Applied {
    let (chosen, deferred) = layer(fixes, (0..fixes.len()).collect());
    let check = Check {
        text,
        document,
        fixes,
        limits,
    };
    let (ok, refused) = check.acceptable(chosen);
    let picked: Vec<&Resolved> = ok.iter().map(|&index| fixes[index]).collect();
    Applied {
        text: splice(text, &picked),
        applied: ok,
        deferred,
        refused,
    }
}

/// Why each fix would not be applied alone to `text` (`None`: it would), for the fixes a
/// report offers: one that `--fix` would refuse is not offered.
pub fn refusals(
    text: &str,
    document: &Document,
    fixes: &[&Resolved],
    limits: &yaml::Limits,
) -> Vec<Option<String>> {
    let check = Check {
        text,
        document,
        fixes,
        limits,
    };
    let mut reasons = vec![None; fixes.len()];
    // Fixes that overlap are checked in separate layers, each without the others.
    let mut rest: Vec<usize> = (0..fixes.len()).collect();
    while !rest.is_empty() {
        let (chosen, deferred) = layer(fixes, rest);
        for (index, reason) in check.acceptable(chosen).1 {
            reasons[index] = Some(reason);
        }
        rest = deferred;
    }
    reasons
}

/// Of `indexes`, those that do not overlap the ones before them (in order of their first
/// edit), and the others.
fn layer(fixes: &[&Resolved], mut indexes: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    indexes.sort_by_key(|&index| (fixes[index].start(), index));
    let mut chosen: Vec<usize> = Vec::new();
    let mut deferred = Vec::new();
    for index in indexes {
        if chosen
            .iter()
            .any(|&other| fixes[other].overlaps(fixes[index]))
        {
            deferred.push(index);
        } else {
            chosen.push(index);
        }
    }
    (chosen, deferred)
}

/// Applying fixes to one file's text and checking the result.
struct Check<'a> {
    text: &'a str,
    document: &'a Document,
    fixes: &'a [&'a Resolved],
    limits: &'a yaml::Limits,
}

impl Check<'_> {
    fn verify(&self, indexes: &[usize]) -> Result<(), String> {
        let picked: Vec<&Resolved> = indexes.iter().map(|&index| self.fixes[index]).collect();
        let new = splice(self.text, &picked);
        verify(self.document, self.text, &new, &picked, self.limits)
    }

    /// Of non-overlapping `indexes`, those that applied together read as intended, and why
    /// the others do not. A set that fails is halved until what fails is found: a file
    /// with many fixes and one bad one is parsed again a few times, not once per fix.
    fn acceptable(&self, indexes: Vec<usize>) -> (Vec<usize>, Vec<(usize, String)>) {
        match self.verify(&indexes) {
            Ok(()) => (indexes, Vec::new()),
            Err(reason) if indexes.len() == 1 => (Vec::new(), vec![(indexes[0], reason)]),
            Err(_) => {
                let mut first = indexes;
                let second = first.split_off(first.len() / 2);
                let (mut ok, mut refused) = self.acceptable(first);
                let (more, also) = self.acceptable(second);
                ok.extend(more);
                refused.extend(also);
                ok.sort_by_key(|&index| self.fixes[index].start());
                // Each half reads as intended; together they may not (two removals that
                // would empty one list): then one by one.
                if self.verify(&ok).is_err() {
                    let candidates = std::mem::take(&mut ok);
                    for index in candidates {
                        ok.push(index);
                        if let Err(reason) = self.verify(&ok) {
                            ok.pop();
                            refused.push((index, reason));
                        }
                    }
                }
                (ok, refused)
            }
        }
    }
}

/// `text` with the fixes' edits applied (they do not overlap).
fn splice(text: &str, fixes: &[&Resolved]) -> String {
    let mut edits: Vec<&Edit> = fixes.iter().flat_map(|fix| &fix.edits).collect();
    edits.sort();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.span.start as usize]);
        out.push_str(&edit.text);
        at = edit.span.end as usize;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether `new` reads as `old` with the fixes' intents applied, and introduces no
/// repeated key.
fn verify(
    old: &Document,
    old_text: &str,
    new: &str,
    fixes: &[&Resolved],
    limits: &yaml::Limits,
) -> Result<(), String> {
    let parsed = yaml::load(new, limits)
        .map_err(|error| format!("the fixed file would not parse ({})", error.message))?;
    let mut expected = Expected::default();
    for intent in fixes.iter().flat_map(|fix| &fix.intents) {
        match intent {
            Intent::Same => {}
            Intent::Set(at, value) => {
                expected.set.insert(*at, value.clone());
                // A scalar with an anchor is fixed for every alias that copies it.
                if let Some(name) = anchor(old_text, *at) {
                    expected.aliases.insert(format!("*{name}"), value.clone());
                }
            }
            Intent::Rename(at, to) => {
                expected.rename.insert(*at, to.clone());
            }
            Intent::RemoveEntry(at) => {
                expected.remove_entry.insert(*at);
            }
            Intent::RemoveItem(at) => {
                expected.remove_item.insert(*at);
            }
            Intent::Append(at, value) => {
                expected.append.entry(*at).or_default().push(value.clone())
            }
        }
    }
    let wanted = expected.intents();
    let json = expected.convert(&old.root, old_text);
    if expected.matched != wanted {
        return Err("the file no longer has what the fix changes".to_string());
    }
    if json != parsed.root.to_json() {
        return Err("it would change how Helm reads other values (an alias or a `<<` merge copies what it changes)".to_string());
    }
    if parsed.duplicates.len() > old.duplicates.len() || parsed.empty != old.empty {
        return Err("it would write a key twice".to_string());
    }
    Ok(())
}

/// The old tree as the fixes intend it, by the spans they name.
#[derive(Default)]
struct Expected {
    set: HashMap<Span, Json>,
    rename: HashMap<Span, String>,
    remove_entry: HashSet<Span>,
    remove_item: HashSet<Span>,
    append: HashMap<Span, Vec<Json>>,
    /// Aliases (`*name`) of an anchored scalar that a fix sets, and its new value.
    aliases: HashMap<String, Json>,
    /// How many of the intents found their place (each must, exactly once).
    matched: usize,
}

impl Expected {
    fn intents(&self) -> usize {
        self.set.len()
            + self.rename.len()
            + self.remove_entry.len()
            + self.remove_item.len()
            + self.append.len()
    }

    fn convert(&mut self, node: &Node, text: &str) -> Json {
        if let Some(value) = self.set.get(&node.span) {
            self.matched += 1;
            return value.clone();
        }
        if let Some(value) = text
            .get(node.span.range())
            .and_then(|written| self.aliases.get(written))
        {
            return value.clone();
        }
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if self.remove_item.contains(&item.span) {
                        self.matched += 1;
                    } else {
                        out.push(self.convert(item, text));
                    }
                }
                if let Some(appended) = self.append.get(&node.span) {
                    self.matched += 1;
                    out.extend(appended.iter().cloned());
                }
                Json::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for entry in entries {
                    if self.remove_entry.contains(&entry.key_span) {
                        self.matched += 1;
                        continue;
                    }
                    let key = match self.rename.get(&entry.key_span) {
                        Some(to) => {
                            self.matched += 1;
                            to.clone()
                        }
                        None => entry.key.clone(),
                    };
                    let value = self.convert(&entry.value, text);
                    out.insert(key, value);
                }
                Json::Object(out)
            }
            _ => node.to_json(),
        }
    }
}

fn resolve_change(change: &Change, text: &str, root: &Node) -> Option<(Edit, Intent)> {
    let written = |span: Span| text.get(span.range());
    match change {
        Change::Quote { at, key } => {
            let raw = written(*at)?;
            if !is_plain_token(raw) {
                return None;
            }
            let edit = Edit {
                span: *at,
                text: quoted(raw),
            };
            Some((edit, string_intent(*at, *key, raw, root)?))
        }
        Change::Replace { at, key, text: new } => {
            let raw = written(*at)?;
            if raw.starts_with(['*', '&', '!', '|', '>']) || raw.contains(['\n', '\r']) {
                return None;
            }
            let replacement =
                if raw.starts_with('\'') || (!raw.starts_with('"') && !is_plain_safe(new)) {
                    format!("'{}'", new.replace('\'', "''"))
                } else if raw.starts_with('"') {
                    serde_json::to_string(new).ok()?
                } else {
                    new.clone()
                };
            let edit = Edit {
                span: *at,
                text: replacement,
            };
            Some((edit, string_intent(*at, *key, new, root)?))
        }
        Change::EmptyList { key } => {
            let entry = find_entry(root, key.start).filter(|entry| entry.key_span == *key)?;
            let value = &entry.value.span;
            if entry.value.as_seq().is_none() || written(*value)?.starts_with('*') {
                return None;
            }
            let between = text.get(key.end as usize..value.start as usize)?;
            let edit = if between.trim_start().starts_with(':') && !between.contains('#') {
                Edit {
                    span: Span::new(key.end, value.end),
                    text: ": []".to_string(),
                }
            } else {
                Edit {
                    span: *value,
                    text: "[]".to_string(),
                }
            };
            Some((edit, Intent::Set(*value, Json::Array(Vec::new()))))
        }
        Change::RemoveItem { at } => {
            if written(*at)?.starts_with('*') {
                return None;
            }
            find_node(root, *at)?;
            // The only item of a block list: the list becomes `[]` (without items a block
            // list would read as null).
            if let Some(entry) = sole_item_of(root, *at)
                && !written(entry.value.span)?.starts_with('[')
            {
                let between =
                    text.get(entry.key_span.end as usize..entry.value.span.start as usize)?;
                if between.trim_start().starts_with(':') && !between.contains('#') {
                    return Some((
                        Edit {
                            span: Span::new(entry.key_span.end, entry.value.span.end),
                            text: ": []".to_string(),
                        },
                        Intent::RemoveItem(*at),
                    ));
                }
            }
            let span = removal(text, *at, Style::Item)?;
            Some((
                Edit {
                    span,
                    text: String::new(),
                },
                Intent::RemoveItem(*at),
            ))
        }
        Change::RemoveEntry { entry } => {
            let key = find_key(root, entry.start);
            let span = removal(text, *entry, Style::Entry)?;
            let intent = match key {
                Some(key) => Intent::RemoveEntry(key),
                None => Intent::Same,
            };
            Some((
                Edit {
                    span,
                    text: String::new(),
                },
                intent,
            ))
        }
        Change::AppendItem { key, fields } => {
            let entry = find_entry(root, key.start).filter(|entry| entry.key_span == *key)?;
            append_item(text, &entry.value, fields)
        }
        Change::RemoveSuppression { comment, keys, at } => {
            let position = keys.iter().position(|key| key == at)?;
            let span = if keys.len() == 1 {
                comment_removal(text, *comment)?
            } else if let Some(next) = keys.get(position + 1) {
                Span::new(at.start, next.start)
            } else {
                Span::new(keys[position - 1].end, at.end)
            };
            Some((
                Edit {
                    span,
                    text: String::new(),
                },
                Intent::Same,
            ))
        }
    }
}

/// The anchor name of the scalar at `at` (`&kind N`), when the file defines that name
/// once: its aliases (`*kind`) copy exactly this scalar.
fn anchor(text: &str, at: Span) -> Option<&str> {
    let before = text.get(..at.start as usize)?.trim_end_matches([' ', '\t']);
    let start =
        before.rfind(|character: char| character.is_whitespace() || "[{,:".contains(character))?;
    let name = before[start + 1..].strip_prefix('&')?;
    let defined = text.matches(&format!("&{name}")).count();
    (!name.is_empty() && defined == 1).then_some(name)
}

/// The intent of writing the string `value` at `at`: a renamed key or a set value.
fn string_intent(at: Span, key: bool, value: &str, root: &Node) -> Option<Intent> {
    if key {
        find_key(root, at.start).filter(|found| *found == at)?;
        Some(Intent::Rename(at, value.to_string()))
    } else {
        find_node(root, at)?;
        Some(Intent::Set(at, Json::String(value.to_string())))
    }
}

/// A plain scalar of one line, as a DL004 trap is written (`N`, `no`, `0123`).
fn is_plain_token(raw: &str) -> bool {
    !raw.is_empty()
        && !raw.contains(['\n', '\r', '\'', '"', '#'])
        && !raw.starts_with([
            '*', '&', '!', '|', '>', '[', '{', '-', '?', ':', '@', '`', '%',
        ])
}

/// Text that a plain scalar reads as the same string (names of fields and roles).
fn is_plain_safe(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./".contains(character))
        && matches!(yaml::resolve_plain(text).0, Value::String(_))
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The node whose span is `span` (not a copy through an alias, whose span is the alias).
fn find_node(root: &Node, span: Span) -> Option<&Node> {
    if root.span == span {
        return Some(root);
    }
    let children: Box<dyn Iterator<Item = &Node>> = match &root.value {
        Value::Seq(items) => Box::new(items.iter()),
        Value::Map(entries) => Box::new(entries.iter().map(|entry| &entry.value)),
        _ => return None,
    };
    for child in children {
        if child.span.start <= span.start
            && span.end <= child.span.end
            && let Some(found) = find_node(child, span)
        {
            return Some(found);
        }
    }
    None
}

/// The span of the mapping key that starts at `start`, if the tree has one there.
fn find_key(root: &Node, start: u32) -> Option<Span> {
    find_entry(root, start).map(|entry| entry.key_span)
}

/// The mapping entry whose value is a list of exactly the item at `item`.
fn sole_item_of(root: &Node, item: Span) -> Option<&yaml::Entry> {
    match &root.value {
        Value::Map(entries) => entries.iter().find_map(|entry| {
            if entry.value.span.start > item.start || item.end > entry.value.span.end {
                return None;
            }
            match entry.value.as_seq() {
                Some([only]) if only.span == item => Some(entry),
                _ => sole_item_of(&entry.value, item),
            }
        }),
        Value::Seq(items) => items
            .iter()
            .filter(|child| child.span.start <= item.start && item.end <= child.span.end)
            .find_map(|child| sole_item_of(child, item)),
        _ => None,
    }
}

/// The mapping entry whose key starts at `start`.
fn find_entry(root: &Node, start: u32) -> Option<&yaml::Entry> {
    match &root.value {
        Value::Map(entries) => entries.iter().find_map(|entry| {
            if entry.key_span.start == start {
                Some(entry)
            } else if entry.value.span.start <= start && start < entry.value.span.end {
                find_entry(&entry.value, start)
            } else {
                None
            }
        }),
        Value::Seq(items) => items
            .iter()
            .filter(|item| item.span.start <= start && start < item.span.end)
            .find_map(|item| find_entry(item, start)),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// A list item (after its `- `, or in `[...]`).
    Item,
    /// A mapping entry (`key: value`, or in `{...}`).
    Entry,
}

/// Where the line holding `offset` starts (after `\n`, `\r\n` or `\r`).
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind(['\n', '\r']).map_or(0, |at| at + 1)
}

/// Where the line holding `offset` ends, before its line break.
pub fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |at| offset + at)
}

/// The offset after the line break at `offset` (a line end), if there is one.
pub fn after_break(text: &str, offset: usize) -> usize {
    if text[offset..].starts_with("\r\n") {
        offset + 2
    } else if offset < text.len() {
        offset + 1
    } else {
        offset
    }
}

/// The bytes to remove for an item or entry at `span`: its whole lines in block style
/// (with a trailing comment on its last line), or it and one comma in flow style.
fn removal(text: &str, span: Span, style: Style) -> Option<Span> {
    let (start, end) = (span.start as usize, span.end as usize);
    let first_line = line_start(text, start);
    let before = &text[first_line..start];
    let last_line_end = line_end(text, end);
    let after = text[end..last_line_end].trim_start();
    let rest_of_line_free = after.is_empty() || after.starts_with('#');
    let block_item = {
        let trimmed = before.trim_end();
        trimmed.ends_with('-') && trimmed[..trimmed.len() - 1].trim().is_empty()
    };
    let whole_lines = match style {
        Style::Item => block_item,
        Style::Entry => before.trim().is_empty(),
    };
    if whole_lines && rest_of_line_free {
        return Some(Span::new(
            first_line as u32,
            after_break(text, last_line_end) as u32,
        ));
    }
    // The first key of a block list item (`- key: value`): up to where the next key of
    // the item starts, on the next line at the same column.
    if style == Style::Entry && block_item && rest_of_line_free {
        let next_line = after_break(text, last_line_end);
        let column = start - first_line;
        let next = text.get(next_line..)?;
        let indent = next.len() - next.trim_start_matches(' ').len();
        let content = next.trim_start_matches(' ');
        if indent == column && !content.starts_with(['#', '-', '\n', '\r']) && !content.is_empty() {
            return Some(Span::new(start as u32, (next_line + indent) as u32));
        }
        return None;
    }
    // Flow style: the item and the comma after it, else the comma before it.
    let opener = before.trim_end().chars().next_back();
    if !matches!(opener, Some('[' | '{' | ',')) {
        return None;
    }
    let following = &text[end..];
    let skipped = following.len() - following.trim_start().len();
    if following.trim_start().starts_with(',') {
        let after_comma = &following[skipped + 1..];
        let spaces = after_comma.len() - after_comma.trim_start_matches([' ', '\t']).len();
        return Some(Span::new(start as u32, (end + skipped + 1 + spaces) as u32));
    }
    if opener == Some(',') {
        let comma = text[..start].rfind(',')?;
        return Some(Span::new(comma as u32, end as u32));
    }
    Some(Span::new(start as u32, end as u32))
}

/// A suppression comment's bytes: its line when it is alone on it, else from the spaces
/// before its `#` to the end of the line.
fn comment_removal(text: &str, comment: Span) -> Option<Span> {
    let start = comment.start as usize;
    let first = line_start(text, start);
    let hash = first + text[first..start].rfind('#')?;
    if !text[hash + 1..start].trim().is_empty() {
        return None;
    }
    let end = line_end(text, start);
    let before = &text[first..hash];
    if before.trim().is_empty() {
        return Some(Span::new(first as u32, after_break(text, end) as u32));
    }
    let kept = before.trim_end_matches([' ', '\t']).len();
    Some(Span::new((first + kept) as u32, end as u32))
}

/// A mapping of string fields appended to the list at `list`.
fn append_item(
    text: &str,
    node: &Node,
    fields: &[(String, String, bool)],
) -> Option<(Edit, Intent)> {
    let list = node.span;
    let items = node.as_seq()?;
    let scalar = |value: &str, quote: bool| {
        if quote || !is_plain_safe(value) {
            quoted(value)
        } else {
            value.to_string()
        }
    };
    let json = Json::Object(
        fields
            .iter()
            .map(|(key, value, _)| (key.clone(), Json::String(value.clone())))
            .collect(),
    );
    let raw = text.get(list.range())?;
    let edit = if raw.starts_with('[') {
        let body: Vec<String> = fields
            .iter()
            .map(|(key, value, quote)| format!("{key}: {}", scalar(value, *quote)))
            .collect();
        let item = format!("{{{}}}", body.join(", "));
        match items.last() {
            Some(last) => Edit {
                span: Span::at(last.span.end),
                text: format!(", {item}"),
            },
            None => Edit {
                span: Span::at(list.start + 1),
                text: item,
            },
        }
    } else {
        let last = items.last()?;
        let end = line_end(text, last.span.end as usize);
        let first_line = line_start(text, last.span.start as usize);
        let before = &text[first_line..last.span.start as usize];
        let trimmed = before.trim_end();
        if !(trimmed.ends_with('-') && trimmed[..trimmed.len() - 1].trim().is_empty()) {
            return None;
        }
        let dash = " ".repeat(trimmed.len() - 1);
        let inner = " ".repeat(before.len());
        let line_break = if text[end..].starts_with("\r\n") || text[..end].ends_with('\r') {
            "\r\n"
        } else if text[end..].starts_with('\r') {
            "\r"
        } else {
            "\n"
        };
        let mut item = String::new();
        let written: Vec<String> = fields
            .iter()
            .map(|(key, value, quote)| format!("{key}: {}", scalar(value, *quote)))
            .collect();
        // In the style of the item before it: `- {name: Id, type: 'S'}`, or a block.
        if text[last.span.range()].starts_with('{') {
            item.push_str(line_break);
            item.push_str(&format!("{dash}- {{{}}}", written.join(", ")));
        } else {
            for (index, field) in written.iter().enumerate() {
                let lead = if index == 0 {
                    format!("{dash}- ")
                } else {
                    inner.clone()
                };
                item.push_str(line_break);
                item.push_str(&lead);
                item.push_str(field);
            }
        }
        Edit {
            span: Span::at(end as u32),
            text: item,
        }
    };
    Some((edit, Intent::Append(list, json)))
}

/// The unified diff (`git diff` style, three lines of context) that turns `old` into
/// `new`, for the file at `path`; empty when they are the same.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    // Patience, as `git diff --patience`: a removed list item shows as its own lines.
    similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .diff_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests;
