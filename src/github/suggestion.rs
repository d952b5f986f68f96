//! `--suggest`: the findings' fixes as GitHub suggestions, apart from HTTP. A suggestion
//! replaces whole lines of the pull request's head file with a block of text; GitHub
//! takes one only on lines of the pull request's diff. Which fixes become suggestions,
//! and the text of each review comment, are decided here.

use std::collections::{HashMap, HashSet};

use crate::edit::{Applicability, Edit};
use crate::finding::stable_hash;
use crate::report::Reported;
use crate::report::markdown::inline;
use crate::snapshot::ChangedLines;
use crate::source::{FileId, Side, SourceFile, Sources};

/// What starts the hidden marker that ends each suggestion's comment.
pub const MARKER_PREFIX: &str = "<!-- dynalint-suggestion: ";

/// Lines `first..=last` (1-based) of a file, and the text that replaces them: the new
/// lines without the final line break, `\n` between them; empty deletes the lines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Replacement {
    pub first: usize,
    pub last: usize,
    pub block: String,
}

/// The whole lines that `edits` (sorted, not overlapping, byte spans of `file`'s text)
/// touch, and their text once edited: from the line of the first edit's start to the line
/// of the last edit's end (an end at the start of a line, after a removed line break, is
/// on the line before), widened to the next line while an edit leaves these lines joined
/// to it. `None` when a suggestion cannot say the fix exactly: no edit, a lone `\r` line
/// ending (git and GitHub end lines at `\n` only, so line numbers would disagree), a
/// line break removed at the very end of the file.
pub fn replacement(file: &SourceFile, edits: &[Edit]) -> Option<Replacement> {
    let text = file.text.as_str();
    let (first_edit, last_edit) = (edits.first()?, edits.last()?);
    let bytes = text.as_bytes();
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(at, byte)| *byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
    let count = file.line_count();
    if lone_cr || count == 0 {
        return None;
    }
    // An insertion at the end of a file that ends with a line break is on its last line.
    let first = file.position(first_edit.span.start).line.min(count);
    let end = last_edit.span.end;
    let mut last = file.position(end).line;
    if last_edit.span.start < end && file.line_start(last) == Some(end) {
        last -= 1;
    }
    let mut last = last.clamp(first, count);
    loop {
        let start = file.line_start(first)? as usize;
        let stop = file
            .line_start(last + 1)
            .map_or(text.len(), |next| next as usize);
        let mut new = String::new();
        let mut at = start;
        for edit in edits {
            let span = edit.span.range();
            new.push_str(text.get(at..span.start)?);
            new.push_str(&edit.text);
            at = span.end;
        }
        new.push_str(text.get(at..stop)?);
        let ended = text[start..stop].ends_with('\n');
        if ended && !new.is_empty() && !new.ends_with('\n') {
            // The last line's break is gone: the next line joins it.
            if last == count {
                return None;
            }
            last += 1;
            continue;
        }
        if !ended && new.ends_with('\n') {
            return None;
        }
        let lines = new.strip_suffix('\n').unwrap_or(&new);
        let lines = lines.strip_suffix('\r').unwrap_or(lines);
        return Some(Replacement {
            first,
            last,
            block: lines.replace("\r\n", "\n"),
        });
    }
}

/// One review comment that carries a suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// From the git repository's top, as GitHub names files.
    pub path: String,
    pub first: usize,
    pub last: usize,
    /// The comment's text: what and why, the suggestion block, the hidden marker.
    pub body: String,
    /// What the marker carries: the finding's fingerprint and a hash of the path, the
    /// text replaced and the block, so the same suggestion is recognised on a re-run,
    /// even on lines a push moved.
    pub key: String,
}

impl Suggestion {
    /// The hidden marker that ends a comment carrying the suggestion with `key`.
    pub fn marker(key: &str) -> String {
        format!("{MARKER_PREFIX}{key} -->")
    }
}

/// The suggestions of a report, and what was left out and why.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub suggestions: Vec<Suggestion>,
    /// Fixes not on lines the pull request changes (GitHub would refuse them there):
    /// left to the comment.
    pub outside_diff: usize,
    /// Fixes in files whose content in the pull request's head commit is not what was
    /// linted (the merge commit with a base branch that changed them, local changes), so
    /// that their line numbers may not be the head's: the paths, and how many fixes.
    pub other_content: Vec<String>,
    pub in_other_content: usize,
    /// Fixes a suggestion cannot say exactly.
    pub inexpressible: usize,
}

impl Plan {
    /// What was left out and why, a line each; `head` names the pull request's head
    /// commit.
    pub fn notes(&self, head: &str) -> Vec<String> {
        let mut notes = Vec::new();
        if self.outside_diff > 0 {
            notes.push(format!(
                "{} not on lines this pull request changes (GitHub takes suggestions only there): left to the comment",
                fixes(self.outside_diff)
            ));
        }
        if self.in_other_content > 0 {
            notes.push(format!(
                "{} in {} not suggested: the file checked is not the one in the pull request's head commit {head} (the checkout is its merge with the base branch, which changed the file, or has local changes), so its lines may not be the pull request's; the comment lists them",
                fixes(self.in_other_content),
                self.other_content.join(", ")
            ));
        }
        if self.inexpressible > 0 {
            notes.push(format!(
                "{} that a suggestion cannot make exactly (lone carriage-return line endings, the file's last line break, the first line after a byte order mark): `dynalint check --fix` makes them",
                fixes(self.inexpressible)
            ));
        }
        notes
    }
}

/// `1 fix`, `3 fixes`.
fn fixes(count: usize) -> String {
    if count == 1 {
        "1 fix".to_string()
    } else {
        format!("{count} fixes")
    }
}

/// The text of the review that carries the suggestions.
pub const REVIEW_BODY: &str = "dynalint suggests fixes for findings on lines this pull request changes: each one applies with one click (**Commit suggestion**). Safe fixes keep what the values mean to AWS; ⚠️ unsafe ones can change what AWS does: check them before you apply them.";

/// A checked file in the pull request's head commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InHead {
    /// The text checked, after a byte order mark or not.
    Same { bom: bool },
    /// Other bytes, or no such file.
    Other,
}

/// The suggestions for the findings with a fix (safe and unsafe) whose lines are in the
/// pull request's diff (`changed`, by repository path; report paths are relative to the
/// checked folder, `repository_prefix` leads to it from the repository's top), in files
/// that `in_head` says are in the pull request's head as checked.
pub fn plan<'a>(
    findings: impl IntoIterator<Item = &'a Reported>,
    sources: &Sources,
    repository_prefix: &str,
    changed: &ChangedLines,
    in_head: &dyn Fn(&SourceFile) -> InHead,
) -> Plan {
    let mut plan = Plan::default();
    let mut same: HashMap<FileId, InHead> = HashMap::new();
    let mut seen = HashSet::new();
    for item in findings {
        let Some(fix) = &item.fix else {
            continue;
        };
        let file = sources.get(fix.file);
        if file.side != Side::Head {
            continue;
        }
        let Some(replacement) = replacement(file, &fix.edits) else {
            plan.inexpressible += 1;
            continue;
        };
        match *same.entry(fix.file).or_insert_with(|| in_head(file)) {
            InHead::Other => {
                plan.in_other_content += 1;
                if !plan.other_content.contains(&file.path) {
                    plan.other_content.push(file.path.clone());
                }
                continue;
            }
            // Whether GitHub keeps the mark when it replaces the first line is its own
            // business: that line is left to `--fix`, which keeps it.
            InHead::Same { bom: true } if replacement.first == 1 => {
                plan.inexpressible += 1;
                continue;
            }
            InHead::Same { .. } => {}
        }
        let path = format!("{repository_prefix}{}", file.path);
        if !changed.admits(&path, replacement.first, replacement.last) {
            plan.outside_diff += 1;
            continue;
        }
        // Two findings with the same fix (the same lines, the same block): one comment.
        if !seen.insert((path.clone(), replacement.clone())) {
            continue;
        }
        // By what it replaces, not where: a push that only moves the lines (GitHub keeps
        // the comment on them) does not make it a new suggestion.
        let replaced = {
            let start = file.line_start(replacement.first).unwrap_or(0) as usize;
            let end = file
                .line_start(replacement.last + 1)
                .map_or(file.text.len(), |next| next as usize);
            file.text.get(start..end).unwrap_or_default()
        };
        let key = format!(
            "{}:{}",
            item.fingerprint,
            stable_hash(&[&path, replaced, &replacement.block])
        );
        plan.suggestions.push(Suggestion {
            body: body(
                item,
                fix.applicability,
                &fix.title,
                &replacement.block,
                &key,
            ),
            path,
            first: replacement.first,
            last: replacement.last,
            key,
        });
    }
    plan
}

/// A suggestion's comment: the rule, whether the fix is safe, what it does and the
/// finding's message, the block, the marker.
fn body(
    item: &Reported,
    applicability: Applicability,
    title: &str,
    block: &str,
    key: &str,
) -> String {
    let rule = item.finding.rule;
    let kind = match applicability {
        Applicability::Safe => "Safe fix".to_string(),
        Applicability::Unsafe => {
            "⚠️ Unsafe fix (it can change what AWS does: check it before you apply it)".to_string()
        }
    };
    // A fence longer than any run of backticks in the block, so none can close it.
    let longest = block
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let lines = if block.is_empty() {
        String::new()
    } else {
        format!("{block}\n")
    };
    format!(
        "**{}** `{}`: {}\n\n{kind}: {}\n\n{fence}suggestion\n{lines}{fence}\n{}",
        rule.code,
        rule.name,
        inline(&item.finding.message, false),
        inline(title, false),
        Suggestion::marker(key),
    )
}

#[cfg(test)]
mod tests;
