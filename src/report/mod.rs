//! Renderers: pure functions from a [`Report`](Report) to bytes. They
//! format; they never decide.

pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use crate::diff::PlanEntry;
use crate::finding::Finding;
use crate::rule_meta::{RuleStatuses, Severity};
use crate::source::Sources;
use crate::span::Position;

/// A related location, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct RelatedLocation {
    pub file: crate::source::FileId,
    pub path: String,
    /// The revision the location is in (the base, for a table's former declaration).
    pub side: crate::source::Side,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// A finding with its place resolved to a path and positions.
#[derive(Clone, Debug)]
pub struct Reported {
    pub finding: Finding,
    pub path: String,
    /// The revision the finding's file is in: the base for a table whose values file is
    /// deleted.
    pub side: crate::source::Side,
    pub start: Position,
    pub end: Position,
    pub fingerprint: String,
    pub related: Vec<RelatedLocation>,
    /// The finding's fix, made concrete for its file (none when it cannot be made there).
    pub fix: Option<crate::edit::Resolved>,
    /// A fix the rule proposes that would not read as intended here (an alias copies
    /// what it changes): its title and why, for `--fix` to say. Not offered.
    pub fix_refused: Option<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Values files in the reporting scope.
    pub files: usize,
    /// Tables declared in those files.
    pub tables: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub suppressed: usize,
    /// Findings the base revision has too, set aside by `--new-only`.
    pub preexisting: usize,
    /// Findings with a safe fix (`--fix`), and with an unsafe one (`--unsafe-fixes`).
    pub fixable: usize,
    pub unsafe_fixable: usize,
}

/// The report of one run, as the post-process leaves it for the renderers.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// What the run is judged on: every finding, or with `--new-only` those the change
    /// introduces.
    pub findings: Vec<Reported>,
    /// With `--new-only`, the findings the base revision has too (same fingerprint, at
    /// least as severe): they decide nothing, and only the formats that show a change in
    /// its context (the comment, the job summary) or that compare with the base branch
    /// themselves (code scanning, GitLab) carry them.
    pub preexisting: Vec<Reported>,
    pub summary: Summary,
    /// What the change does in AWS, when compared with a base revision.
    pub changes: Option<Vec<PlanEntry>>,
    /// `ignore` entries of the configuration, in the reporting scope, that matched no
    /// finding: stale, or mistyped.
    pub unused_ignores: Vec<String>,
    /// `ignore` entries the base has already that would have hidden a change rule's
    /// finding of this change (reported instead).
    pub outlived_ignores: Vec<String>,
    /// The values files in the reporting scope, checked with or without findings.
    pub files: Vec<String>,
    /// Each rule's status in this run (SARIF declares the rules with it).
    pub rules: RuleStatuses,
}

impl Report {
    /// The findings the run is judged on, then those the base has too: for the formats
    /// whose reader compares with the base branch itself (code scanning, GitLab), which
    /// would take a finding left out for one that was fixed.
    pub fn every_finding(&self) -> impl Iterator<Item = &Reported> {
        self.findings.iter().chain(&self.preexisting)
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings
            .iter()
            .map(|reported| reported.finding.severity)
            .max()
    }
}

/// What `dynalint migrate` would write for a table AWS cannot change in place (DL302,
/// DL303, DL304, DL310), shown in the pull-request comment under one of its findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migration {
    /// The fingerprint of the finding it is shown under.
    pub finding: String,
    /// The command that writes it: `dynalint migrate --base REV TABLE`.
    pub command: String,
    /// The table entries as they would be written (YAML), or why they cannot be.
    pub proposal: Result<String, String>,
}

/// An output format of `dynalint check --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Github,
    Markdown,
    Junit,
    Gitlab,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Markdown,
        Format::Junit,
        Format::Gitlab,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Gitlab => "gitlab",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.name() == name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// What renderers know besides the report.
pub struct RenderContext<'a> {
    pub sources: &'a Sources,
    /// Colour in text output.
    pub color: bool,
    /// Whether the report fails the run (`--fail-on`): the verdict of summaries.
    pub fails: bool,
    /// Makes report paths (relative to `--repo`) relative to the git repository's root,
    /// as code scanning and links need: `""`, or `"infra/gitops/"`.
    pub repository_prefix: String,
    /// Where a file's lines are shown in the head revision:
    /// `https://github.com/OWNER/REPO/blob/SHA`, when known.
    pub blob_url: Option<String>,
    /// The same for the base revision (`--base`).
    pub base_blob_url: Option<String>,
    /// What tells this comment from other dynalint comments on the same pull request.
    pub comment_key: String,
    /// What `dynalint migrate` would write, for the findings it answers.
    pub migrations: &'a [Migration],
}

impl RenderContext<'_> {
    /// A report path as seen from the git repository's root.
    pub fn repository_path(&self, path: &str) -> String {
        format!("{}{path}", self.repository_prefix)
    }

    /// A link to lines of a file in the head revision, when links are known.
    pub fn line_link(&self, path: &str, start: usize, end: usize) -> Option<String> {
        link(
            self.blob_url.as_deref()?,
            &self.repository_path(path),
            start,
            end,
        )
    }

    /// A link to lines of a file in the base revision, when links are known.
    pub fn base_line_link(&self, path: &str, start: usize, end: usize) -> Option<String> {
        link(
            self.base_blob_url.as_deref()?,
            &self.repository_path(path),
            start,
            end,
        )
    }
}

/// `BASE/PATH#Lstart-Lend`, the path percent-encoded.
fn link(base: &str, path: &str, start: usize, end: usize) -> Option<String> {
    let path = uri_path(path);
    Some(if end > start {
        format!("{base}/{path}#L{start}-L{end}")
    } else {
        format!("{base}/{path}#L{start}")
    })
}

/// Text from the values (names, keys) may hold control characters: escaped (`\u{1b}`),
/// they can neither break a one-line format nor drive a terminal.
pub fn printable(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|character| {
                    if character.is_control() {
                        character.escape_default().to_string()
                    } else {
                        character.to_string()
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// A repository path as a relative URI reference: each segment percent-encoded, so that
/// `:`, `#`, `%`, spaces and non-ASCII characters stay part of the path.
pub fn uri_path(path: &str) -> String {
    path.split('/')
        .map(percent_encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// One path segment of a URL: unreserved characters stay, the rest is percent-encoded.
fn percent_encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Render `report` in `format`.
pub fn render(
    format: Format,
    report: &Report,
    context: &RenderContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let render: Renderer = match format {
        Format::Text => text::render,
        Format::Json => json::render,
        Format::Sarif => sarif::render,
        Format::Github => github::render,
        Format::Markdown => markdown::render,
        Format::Junit => junit::render,
        Format::Gitlab => gitlab::render,
    };
    render(report, context, out)
}

/// What every renderer is: a report and its context in, bytes out.
pub type Renderer = fn(&Report, &RenderContext<'_>, &mut dyn Write) -> io::Result<()>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(percent_encode_segment("values.yaml"), "values.yaml");
        assert_eq!(percent_encode_segment("my dir#1"), "my%20dir%231");
        assert_eq!(percent_encode_segment("é"), "%C3%A9");
    }
}
