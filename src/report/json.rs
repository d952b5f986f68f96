//! JSON output: a versioned DTO (PRODUCT.md section 4), not a dump of internal types.

use std::io::{self, Write};

use serde::Serialize;

use crate::edit::Applicability;
use crate::report::{RelatedLocation, RenderContext, Report, Reported, Summary};
use crate::source::Sources;

/// The version of this document's shape; bumped only on incompatible changes.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<FindingDto<'a>>,
    changes: Vec<ChangeDto<'a>>,
    summary: SummaryDto,
}

/// One table the change touches (empty without a base revision).
#[derive(Serialize)]
struct ChangeDto<'a> {
    action: &'static str,
    table: &'a str,
    region: &'a str,
    namespace: &'a str,
    path: &'a str,
    reasons: &'a [String],
}

#[derive(Serialize)]
struct FindingDto<'a> {
    rule: &'static str,
    name: &'static str,
    severity: &'static str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    table: Option<&'a str>,
    help: Option<&'a str>,
    fingerprint: &'a str,
    related: Vec<RelatedDto<'a>>,
    /// What `--fix` would change (`null`: the rule has no fix for it).
    fix: Option<FixDto<'a>>,
}

#[derive(Serialize)]
struct FixDto<'a> {
    safe: bool,
    title: &'a str,
    edits: Vec<EditDto<'a>>,
}

/// A range of the file (as `line`/`column` of findings: 1-based, the end after the last
/// character) and the text that replaces it.
#[derive(Serialize)]
struct EditDto<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct RelatedDto<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct SummaryDto {
    files: usize,
    tables: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
    preexisting: usize,
    fixable: usize,
    unsafe_fixable: usize,
}

fn finding<'a>(item: &'a Reported, sources: &'a Sources) -> FindingDto<'a> {
    let finding = &item.finding;
    FindingDto {
        rule: finding.rule.code,
        name: finding.rule.name,
        severity: finding.severity.as_str(),
        path: &item.path,
        line: item.start.line,
        column: item.start.column,
        end_line: item.end.line,
        end_column: item.end.column,
        message: &finding.message,
        table: finding.table.as_ref().map(|table| table.name.as_str()),
        help: finding.help.as_deref(),
        fingerprint: &item.fingerprint,
        related: item.related.iter().map(related).collect(),
        fix: item.fix.as_ref().map(|fix| {
            let file = sources.get(fix.file);
            FixDto {
                safe: fix.applicability == Applicability::Safe,
                title: &fix.title,
                edits: fix
                    .edits
                    .iter()
                    .map(|edit| {
                        let (start, end) = file.range(edit.span);
                        EditDto {
                            path: &file.path,
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            text: &edit.text,
                        }
                    })
                    .collect(),
            }
        }),
    }
}

fn related(location: &RelatedLocation) -> RelatedDto<'_> {
    RelatedDto {
        path: &location.path,
        line: location.start.line,
        column: location.start.column,
        end_line: location.end.line,
        end_column: location.end.column,
        message: &location.message,
    }
}

fn summary(summary: &Summary) -> SummaryDto {
    SummaryDto {
        files: summary.files,
        tables: summary.tables,
        errors: summary.errors,
        warnings: summary.warnings,
        notes: summary.notes,
        suppressed: summary.suppressed,
        preexisting: summary.preexisting,
        fixable: summary.fixable,
        unsafe_fixable: summary.unsafe_fixable,
    }
}

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: VERSION,
        findings: report
            .findings
            .iter()
            .map(|item| finding(item, context.sources))
            .collect(),
        changes: report
            .changes
            .iter()
            .flatten()
            .map(|entry| ChangeDto {
                action: entry.action.as_str(),
                table: &entry.table.name,
                region: &entry.table.region,
                namespace: &entry.namespace,
                path: &entry.path,
                reasons: &entry.reasons,
            })
            .collect(),
        summary: summary(&report.summary),
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
