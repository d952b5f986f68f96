//! SARIF 2.1.0 for GitHub code scanning (PRODUCT.md section 4), built with serde-sarif.
//!
//! Code scanning reads `partialFingerprints.primaryLocationLineHash` to follow an alert
//! across commits (our fingerprint never contains a line number), shows PR alerts only on
//! added lines, ignores `helpUri` (so the link is also in `help.markdown`) and
//! `originalUriBaseIds` (so URIs are plain repository-relative paths).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, PhysicalLocation, PropertyBag, Region, Replacement,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use crate::report::{RenderContext, Report, uri_path};
use crate::rule_meta::{RuleMeta, RuleStatuses, Severity};
use crate::rules;
use crate::source::{FileId, SourceFile};
use crate::span::Position;

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Code scanning's limit for descriptions.
const MAX_DESCRIPTION: usize = 1_000;

/// GitHub's security severity (a CVSS-like score) of the access rules; only they have
/// one, as only they are about who can reach the data.
fn security_severity(rule: &RuleMeta) -> Option<&'static str> {
    Some(match rule.code {
        // A role of another namespace gets access: data exposed across teams.
        "DL202" => "7.5",
        "DL201" | "DL204" | "DL206" | "DL207" | "DL208" => "5.0",
        "DL203" => "4.0",
        "DL205" => "2.0",
        _ => return None,
    })
}

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Note => ResultLevel::Note,
    }
}

/// `text` cut to at most `limit` bytes, on a character boundary, with an ellipsis.
fn shorten(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", text[..end].trim_end())
}

/// One line of prose from a markdown paragraph.
fn prose(markdown: &str) -> String {
    markdown.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn descriptor(rule: &RuleMeta, statuses: &RuleStatuses) -> ReportingDescriptor {
    let url = rules::docs_url(rule);
    let catches = rules::doc_section(rule, "What it catches");
    let full = if catches.is_empty() {
        rule.summary.to_string()
    } else {
        prose(&catches)
    };
    let markdown = format!(
        "{}\n\n[{} {} in the dynalint documentation]({url})",
        rule.docs.trim(),
        rule.code,
        rule.name
    );
    let severity = statuses.level(rule);
    let mut configuration = ReportingConfiguration::builder()
        .level(serde_json::json!(severity.map_or_else(
            || "none".to_string(),
            |severity| level(severity).to_string()
        )))
        .build();
    if severity.is_none() {
        configuration.enabled = Some(false);
    }
    let mut tags = vec!["dynamodb".to_string(), category(rule).to_string()];
    let mut additional = BTreeMap::new();
    additional.insert("precision".to_string(), serde_json::json!("very-high"));
    // A security alert only where the rule reports a problem, not a note.
    if let Some(score) = security_severity(rule)
        && severity.is_some_and(|severity| severity >= Severity::Warning)
    {
        tags.push("security".to_string());
        additional.insert("security-severity".to_string(), serde_json::json!(score));
    }
    ReportingDescriptor::builder()
        .id(rule.code)
        .name(rule.name)
        .short_description(
            MultiformatMessageString::builder()
                .text(shorten(rule.summary, MAX_DESCRIPTION))
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(shorten(&full, MAX_DESCRIPTION))
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(format!("{}\n\nDocumentation: {url}", rules::explain(rule)))
                .markdown(markdown)
                .build(),
        )
        .help_uri(url)
        .default_configuration(configuration)
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(additional)
                .build(),
        )
        .build()
}

fn category(rule: &RuleMeta) -> &'static str {
    match rule.code.as_bytes().get(2) {
        Some(b'0') => "structure",
        Some(b'1') => "table-definition",
        Some(b'2') => "access",
        _ => "risky-change",
    }
}

/// A position's column in UTF-16 code units, as GitHub counts them (our columns count
/// characters; they differ on characters outside the Basic Multilingual Plane).
fn utf16_column(source: &SourceFile, position: Position) -> i64 {
    let before = position.column.saturating_sub(1);
    let line = source.line_text(position.line);
    let mut units = 0;
    let mut counted = 0;
    for character in line.chars().take(before) {
        units += character.len_utf16();
        counted += 1;
    }
    (units + (before - counted) + 1) as i64
}

fn region(source: &SourceFile, start: Position, end: Position) -> Region {
    let mut region = Region::builder()
        .start_line(start.line as i64)
        .start_column(utf16_column(source, start))
        .build();
    // An empty span (a whole-file finding at 1:1) has no end to speak of.
    if end != start {
        region.end_line = Some(end.line as i64);
        region.end_column = Some(utf16_column(source, end));
    }
    region
}

fn physical(
    context: &RenderContext<'_>,
    file: FileId,
    start: Position,
    end: Position,
) -> PhysicalLocation {
    let source = context.sources.get(file);
    PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(uri_path(&context.repository_path(&source.path)))
                .build(),
        )
        .region(region(source, start, end))
        .build()
}

/// A finding's fix as SARIF `fixes` (code scanning and editors can offer it): the edits
/// as replacements, each region with its end given, so an insertion deletes nothing.
fn sarif_fix(context: &RenderContext<'_>, fix: &crate::edit::Resolved) -> Fix {
    let source = context.sources.get(fix.file);
    let replacements = fix
        .edits
        .iter()
        .map(|edit| {
            let (start, end) = source.range(edit.span);
            let mut deleted = Region::builder()
                .start_line(start.line as i64)
                .start_column(utf16_column(source, start))
                .build();
            deleted.end_line = Some(end.line as i64);
            deleted.end_column = Some(utf16_column(source, end));
            Replacement::builder()
                .deleted_region(deleted)
                .inserted_content(ArtifactContent::builder().text(edit.text.clone()).build())
                .build()
        })
        .collect::<Vec<_>>();
    let change = ArtifactChange::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(uri_path(&context.repository_path(&source.path)))
                .build(),
        )
        .replacements(replacements)
        .build();
    Fix::builder()
        .description(Message::builder().text(fix.title.clone()).build())
        .artifact_changes(vec![change])
        .properties(
            PropertyBag::builder()
                .additional_properties(BTreeMap::from([(
                    "safe".to_string(),
                    serde_json::json!(fix.applicability == crate::edit::Applicability::Safe),
                )]))
                .build(),
        )
        .build()
}

fn sarif(report: &Report, context: &RenderContext<'_>) -> Sarif {
    let all: Vec<&'static RuleMeta> = rules::all().collect();
    let index = |rule: &RuleMeta| all.iter().position(|known| known.code == rule.code);
    let results: Vec<SarifResult> = report
        .every_finding()
        .map(|item| {
            let finding = &item.finding;
            let text = match &finding.help {
                Some(help) => format!("{}\nHelp: {help}", finding.message),
                None => finding.message.clone(),
            };
            let mut result = SarifResult::builder()
                .rule_id(finding.rule.code)
                .level(level(finding.severity))
                .message(Message::builder().text(text).build())
                .locations(vec![
                    Location::builder()
                        .physical_location(physical(
                            context,
                            item.finding.site.file,
                            item.start,
                            item.end,
                        ))
                        .build(),
                ])
                .partial_fingerprints(BTreeMap::from([(
                    "primaryLocationLineHash".to_string(),
                    item.fingerprint.clone(),
                )]))
                .build();
            result.rule_index = index(finding.rule).map(|index| index as i64);
            if !item.related.is_empty() {
                result.related_locations = Some(
                    item.related
                        .iter()
                        .enumerate()
                        .map(|(number, related)| {
                            Location::builder()
                                .id(number as i64 + 1)
                                .physical_location(physical(
                                    context,
                                    related.file,
                                    related.start,
                                    related.end,
                                ))
                                .message(Message::builder().text(related.message.clone()).build())
                                .build()
                        })
                        .collect(),
                );
            }
            if let Some(fix) = &item.fix {
                result.fixes = Some(vec![sarif_fix(context, fix)]);
            }
            if let Some(table) = &finding.table {
                result.properties = Some(
                    PropertyBag::builder()
                        .additional_properties(BTreeMap::from([
                            ("table".to_string(), serde_json::json!(table.name)),
                            ("region".to_string(), serde_json::json!(table.region)),
                        ]))
                        .build(),
                );
            }
            result
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("dynalint")
        .full_name(concat!("dynalint ", env!("CARGO_PKG_VERSION")))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(
            all.iter()
                .map(|rule| descriptor(rule, &report.rules))
                .collect::<Vec<_>>(),
        )
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        // No automationDetails: upload-sarif sets the category from its own input only
        // when the run has none, and two jobs of one repository need two categories.
        .column_kind(serde_json::json!("utf16CodeUnits"))
        .invocations(vec![
            Invocation::builder().execution_successful(true).build(),
        ])
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif(report, context))?;
    writeln!(out)
}
