//! Suppressions: `# dynalint: ignore[DL112, attribute-unused] -- reason` comments, and
//! `path:line` entries of `ignore` in dynalint.toml.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, RuleStatuses};
use crate::source::{FileId, SourceFile, Sources};
use crate::span::Span;

/// One rule named by a suppression comment.
#[derive(Clone, Debug)]
pub struct Key {
    /// As written: a code or a name.
    pub text: String,
    pub span: Span,
    /// The rule it names; `None`: no rule has this code or name.
    pub rule: Option<&'static RuleMeta>,
    /// Whether it matched a finding (set by [`apply`]).
    pub used: bool,
    /// A change rule's key that the base revision has already: it was for the change
    /// that added it, and covers nothing now (set by the pipeline).
    pub inherited: bool,
    /// An inherited key that would have matched a finding (set by [`apply`]).
    pub would_match: bool,
}

/// One `# dynalint: ...` comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub file: FileId,
    /// The line whose findings it suppresses.
    pub target_line: usize,
    /// The `dynalint: ...` text.
    pub span: Span,
    pub keys: Vec<Key>,
    pub reason: Option<String>,
    /// Not `ignore[KEY, ...]` with an optional ` -- reason`: it suppresses nothing.
    pub malformed: bool,
}

/// The rule a suppression key names (by code or name), from the registry.
pub type RuleLookup = fn(&str) -> Option<&'static RuleMeta>;

const MARKER: &str = "dynalint:";

/// Every suppression comment of a file.
/// `literal` holds the spans of block scalars and multi-line quoted scalars, in which
/// text that looks like a comment is content; `lookup` finds the rule a key names.
pub fn parse(
    file: FileId,
    source: &SourceFile,
    literal: &[Span],
    lookup: RuleLookup,
) -> Vec<Suppression> {
    let mut found = Vec::new();
    // Comment-only lines waiting for the line they apply to.
    let mut waiting: Vec<Suppression> = Vec::new();
    for line in 1..=source.line_count() {
        let text = source.line_text(line);
        let line_start = source.line_start(line).unwrap_or(0);
        let comment = comment_start(text);
        let code_before = comment.is_some_and(|start| !text[..start].trim().is_empty());
        let comment_only = comment.is_some_and(|start| text[..start].trim().is_empty());
        if text.trim().is_empty() {
            // A blank line ends a comment's reach: it guards its own line, where nothing
            // is, and is reported as unused rather than silencing a line further down.
            found.append(&mut waiting);
        } else if !comment_only {
            for mut suppression in waiting.drain(..) {
                suppression.target_line = line;
                found.push(suppression);
            }
        }
        let Some(start) = comment else { continue };
        let offset = line_start + start as u32;
        if literal
            .iter()
            .any(|span| span.start <= offset && offset < span.end)
        {
            continue;
        }
        let body = text[start + 1..].trim_start();
        let Some(directive) = body.strip_prefix(MARKER) else {
            continue;
        };
        let directive_offset = (text.len() - body.len()) as u32 + line_start;
        let mut suppression =
            parse_directive(file, directive, directive_offset, body.len(), lookup);
        suppression.target_line = line;
        if code_before {
            found.push(suppression);
        } else {
            waiting.push(suppression);
        }
    }
    // A suppression at the end of the file applies to nothing after it.
    found.extend(waiting);
    found
}

/// The byte offset of a `#` that starts a comment: at the line start or after
/// whitespace, and not inside a quoted scalar.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    let mut characters = line.char_indices().peekable();
    while let Some((offset, character)) = characters.next() {
        match quote {
            // `''` is an escaped quote inside a single-quoted scalar.
            Some('\'') if character == '\'' => {
                if characters.peek().is_some_and(|&(_, next)| next == '\'') {
                    characters.next();
                } else {
                    quote = None;
                }
            }
            Some('"') if character == '\\' => {
                characters.next();
            }
            Some('"') if character == '"' => quote = None,
            Some(_) => {}
            None if character == '#' && previous.is_whitespace() => return Some(offset),
            None if (character == '\'' || character == '"')
                && (previous.is_whitespace()
                    || matches!(previous, ':' | '[' | '{' | ',' | '-')) =>
            {
                quote = Some(character);
            }
            None => {}
        }
        previous = character;
    }
    None
}

fn parse_directive(
    file: FileId,
    directive: &str,
    offset: u32,
    length: usize,
    lookup: RuleLookup,
) -> Suppression {
    let span = Span::new(offset, offset + length as u32);
    let mut suppression = Suppression {
        file,
        target_line: 0,
        span,
        keys: Vec::new(),
        reason: None,
        malformed: true,
    };
    let after_marker = offset + MARKER.len() as u32;
    let rest = directive.trim_start();
    let rest_offset = after_marker + (directive.len() - rest.len()) as u32;
    let Some(list) = rest.strip_prefix("ignore[") else {
        return suppression;
    };
    let Some(close) = list.find(']') else {
        return suppression;
    };
    let list_offset = rest_offset + "ignore[".len() as u32;
    let mut position = 0usize;
    for part in list[..close].split(',') {
        let trimmed = part.trim();
        let leading = part.len() - part.trim_start().len();
        let start = list_offset + (position + leading) as u32;
        position += part.len() + 1;
        if trimmed.is_empty() {
            continue;
        }
        suppression.keys.push(Key {
            text: trimmed.to_string(),
            span: Span::new(start, start + trimmed.len() as u32),
            rule: lookup(trimmed),
            used: false,
            inherited: false,
            would_match: false,
        });
    }
    let after = list[close + 1..].trim();
    if !after.is_empty() {
        match after.strip_prefix("--") {
            Some(reason) if !reason.trim().is_empty() => {
                suppression.reason = Some(reason.trim().to_string());
            }
            _ => return suppression,
        }
    }
    suppression.malformed = suppression.keys.is_empty();
    suppression
}

/// A `path:line[:RULE,...]` entry of `ignore` in dynalint.toml.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    pub path: String,
    pub line: usize,
    /// Empty: every rule.
    pub rules: Vec<&'static str>,
}

impl std::fmt::Display for Ignore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.path, self.line)?;
        if !self.rules.is_empty() {
            write!(formatter, ":{}", self.rules.join(","))?;
        }
        Ok(())
    }
}

/// Findings after suppressions: kept and suppressed, and the suppressions with what they
/// matched, for the rules about suppressions themselves (DL005).
pub struct Outcome {
    /// Positions in the `ignore` list of the entries that matched no finding.
    pub unused_ignores: Vec<usize>,
    /// Positions of the entries the base has already that would have matched a change
    /// rule's finding, which is reported (see [`IgnoreReach`]).
    pub outlived_ignores: Vec<usize>,
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Finding>,
    pub suppressions: Vec<Suppression>,
}

/// What the rules about suppressions see: every suppression comment, each key marked
/// with whether it matched a finding.
pub struct SuppressionReview<'a> {
    pub suppressions: &'a [Suppression],
    pub statuses: &'a RuleStatuses,
    /// `[suppressions] require-reason` in dynalint.toml.
    pub require_reason: bool,
    /// Whether the change rules ran (there is a base): only then can a change rule's
    /// suppression match anything.
    pub compared: bool,
    /// Whether the account rules ran (`--aws`): only then can their suppressions match.
    pub account: bool,
    pub sources: &'a Sources,
    /// The lines (first, last) of the tables no table rule read (schema errors, type
    /// traps, no name or hashKey): a suppression there of a rule that reads tables
    /// cannot be judged stale until the table reads.
    pub unread: &'a [(FileId, usize, usize)],
}

impl SuppressionReview<'_> {
    /// Whether `line` of `file` lies in a table the rules did not read.
    pub fn unread(&self, file: FileId, line: usize) -> bool {
        self.unread
            .iter()
            .any(|(at, first, last)| *at == file && (*first..=*last).contains(&line))
    }
}

/// Where a finding is, as suppressions see it: its file and line.
struct Place<'a> {
    path: &'a str,
    file: FileId,
    line: usize,
}

impl<'a> Place<'a> {
    fn of(finding: &Finding, source: &'a SourceFile) -> Place<'a> {
        Place {
            path: &source.path,
            file: finding.site.file,
            line: source.position(finding.site.span.start).line,
        }
    }
}

/// The one matcher: whether an `ignore` entry covers a finding at `place`.
fn ignore_covers(ignore: &Ignore, place: &Place<'_>, finding: &Finding) -> bool {
    ignore.path == place.path
        && ignore.line == place.line
        && (ignore.rules.is_empty() || ignore.rules.contains(&finding.rule.code))
}

/// The one matcher: whether a suppression comment's key covers a finding at `place`.
fn key_covers(suppression: &Suppression, key: &Key, place: &Place<'_>, finding: &Finding) -> bool {
    suppression.file == place.file
        && suppression.target_line == place.line
        && key
            .rule
            .is_some_and(|rule| std::ptr::eq(rule, finding.rule))
}

/// Whether a suppression comment or an `ignore` entry covers `finding`, without
/// marking anything used (that happens in [`apply`]).
pub fn covers(
    finding: &Finding,
    suppressions: &[Suppression],
    ignores: &[Ignore],
    sources: &Sources,
) -> bool {
    let place = Place::of(finding, sources.get(finding.site.file));
    ignores
        .iter()
        .any(|ignore| ignore_covers(ignore, &place, finding))
        || suppressions.iter().any(|suppression| {
            suppression
                .keys
                .iter()
                .any(|key| !key.inherited && key_covers(suppression, key, &place, finding))
        })
}

/// Which `ignore` entries may cover a change rule's finding: an entry the base revision's
/// configuration has already was for the change that added it, as a suppression comment.
pub struct IgnoreReach<'a> {
    /// Per entry of the `ignore` list: the base has it.
    pub inherited: &'a [bool],
    /// Whether a rule compares two revisions.
    pub change_rule: fn(&RuleMeta) -> bool,
}

/// Applies `ignore` entries and suppression comments to findings.
pub fn apply(
    findings: Vec<Finding>,
    mut suppressions: Vec<Suppression>,
    ignores: &[Ignore],
    reach: &IgnoreReach<'_>,
    sources: &Sources,
) -> Outcome {
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    let mut ignore_used = vec![false; ignores.len()];
    let mut ignore_outlived = vec![false; ignores.len()];
    for finding in findings {
        let place = Place::of(&finding, sources.get(finding.site.file));
        let mut ignored = false;
        for (index, ignore) in ignores.iter().enumerate() {
            if ignore_covers(ignore, &place, &finding) {
                if reach.inherited.get(index).copied().unwrap_or(false)
                    && (reach.change_rule)(finding.rule)
                {
                    ignore_outlived[index] = true;
                    continue;
                }
                ignore_used[index] = true;
                ignored = true;
            }
        }
        let mut matched = false;
        if !ignored {
            for suppression in &mut suppressions {
                for index in 0..suppression.keys.len() {
                    if key_covers(suppression, &suppression.keys[index], &place, &finding) {
                        let key = &mut suppression.keys[index];
                        if key.inherited {
                            key.would_match = true;
                        } else {
                            key.used = true;
                            matched = true;
                        }
                    }
                }
            }
        }
        if ignored || matched {
            suppressed.push(finding);
        } else {
            kept.push(finding);
        }
    }
    Outcome {
        unused_ignores: (0..ignores.len())
            .filter(|index| !ignore_used[*index] && !ignore_outlived[*index])
            .collect(),
        outlived_ignores: (0..ignores.len())
            .filter(|index| ignore_outlived[*index])
            .collect(),
        kept,
        suppressed,
        suppressions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Side;

    fn parsed(text: &str) -> Vec<(usize, Vec<String>, Option<String>, bool)> {
        let source = SourceFile::new("v.yaml", Side::Head, text.to_string());
        parse(FileId(0), &source, &[], crate::rules::find)
            .into_iter()
            .map(|suppression| {
                (
                    suppression.target_line,
                    suppression
                        .keys
                        .iter()
                        .map(|key| source.slice(key.span).to_string())
                        .collect(),
                    suppression.reason,
                    suppression.malformed,
                )
            })
            .collect()
    }

    #[test]
    fn trailing_and_preceding_comments() {
        let text = "a: 1 # dynalint: ignore[DL101, attribute-unused] -- why\n# dynalint: ignore[DL112]\n# another comment\nb: 2\nc: '# dynalint: ignore[DL001]'\n";
        assert_eq!(
            parsed(text),
            [
                (
                    1,
                    vec!["DL101".into(), "attribute-unused".into()],
                    Some("why".into()),
                    false
                ),
                (4, vec!["DL112".into()], None, false),
            ]
        );
    }

    #[test]
    fn a_blank_line_ends_the_reach_of_a_comment() {
        let text = "# dynalint: ignore[DL112] -- archive\n\npointInTimeRecovery: false\n# dynalint: ignore[DL101]\n# why\nb: 2\n";
        assert_eq!(
            parsed(text),
            [
                (1, vec!["DL112".into()], Some("archive".into()), false),
                (6, vec!["DL101".into()], None, false),
            ]
        );
    }

    #[test]
    fn malformed_directives() {
        assert!(parsed("a: 1 # dynalint: ignore DL101\n")[0].3);
        assert!(parsed("a: 1 # dynalint: ignore[]\n")[0].3);
        assert!(parsed("a: 1 # dynalint: ignore[DL101] because\n")[0].3);
        assert!(parsed("a: 1 # not dynalint: ignore[DL101]\n").is_empty());
    }

    #[test]
    fn hashes_inside_quotes_are_not_comments() {
        assert_eq!(comment_start("a: \"x # y\" # z"), Some(11));
        assert_eq!(comment_start("a: 'it''s # x'"), None);
        assert_eq!(comment_start("a: b#c"), None);
        assert_eq!(comment_start("# top"), Some(0));
    }
}
