//! Text output, like rustc's: `path:line:col: severity[code name] message`, the source
//! snippet with the span underlined, help and related locations, then a summary.

use std::io::{self, Write};

use annotate_snippets::renderer::{DEFAULT_ERROR_STYLE, DEFAULT_NOTE_STYLE, DEFAULT_WARNING_STYLE};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diff::{Action, PlanEntry};
use crate::edit::Applicability;
use crate::report::{RenderContext, Report, Reported, Summary, printable};
use crate::rule_meta::Severity;
use crate::source::Sources;

/// Lines of context shown at most for one finding.
const MAX_SNIPPET_LINES: usize = 6;

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let (sources, color) = (context.sources, context.color);
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for item in &report.findings {
        write_header(item, color, out)?;
        let group = snippet_group(item, sources);
        writeln!(out, "{}", renderer.render(&[group]))?;
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(&report.summary))?;
    if let Some(line) = fixable_line(&report.summary) {
        writeln!(out, "{line}")?;
    }
    if let Some(changes) = &report.changes {
        writeln!(out, "{}", plan_line(changes))?;
    }
    Ok(())
}

/// `plan: 2 to create, 1 to replace, 1 to delete`.
pub fn plan_line(changes: &[PlanEntry]) -> String {
    let counts: Vec<String> = [
        Action::Create,
        Action::Update,
        Action::Replace,
        Action::Delete,
        Action::Orphan,
    ]
    .into_iter()
    .filter_map(|action| {
        let count = changes
            .iter()
            .filter(|entry| entry.action == action)
            .count();
        (count > 0).then(|| format!("{count} to {}", action.as_str()))
    })
    .collect();
    if counts.is_empty() {
        "plan: no table changes in AWS".to_string()
    } else {
        format!("plan: {}", counts.join(", "))
    }
}

/// `2 fixable with --fix (1 more with --unsafe-fixes)`, when a finding has a fix.
pub fn fixable_line(summary: &Summary) -> Option<String> {
    match (summary.fixable, summary.unsafe_fixable) {
        (0, 0) => None,
        (safe, 0) => Some(format!("{safe} fixable with --fix")),
        (safe, more) => Some(format!(
            "{safe} fixable with --fix ({more} more with --unsafe-fixes)"
        )),
    }
}

fn paint(text: &str, style: annotate_snippets::renderer::Style, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

fn write_header(item: &Reported, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let finding = &item.finding;
    let style = match finding.severity {
        Severity::Error => DEFAULT_ERROR_STYLE,
        Severity::Warning => DEFAULT_WARNING_STYLE,
        Severity::Note => DEFAULT_NOTE_STYLE,
    };
    let label = paint(
        &format!(
            "{}[{} {}]",
            finding.severity, finding.rule.code, finding.rule.name
        ),
        style,
        color,
    );
    // Fixable findings are marked as ruff marks them: `[*]`, and `[*unsafe]`.
    let mark = match item.fix.as_ref().map(|fix| fix.applicability) {
        Some(Applicability::Safe) => " [*]",
        Some(Applicability::Unsafe) => " [*unsafe]",
        None => "",
    };
    writeln!(
        out,
        "{}:{}:{}: {label}{mark} {}",
        printable(&item.path),
        item.start.line,
        item.start.column,
        printable(&finding.message)
    )
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

fn snippet_group<'a>(item: &'a Reported, sources: &'a Sources) -> Group<'a> {
    let finding = &item.finding;
    let file = sources.get(finding.site.file);
    let first = item.start.line;
    let last = item.end.line.clamp(first, first + MAX_SNIPPET_LINES - 1);
    let start = file.line_start(first).unwrap_or(0) as usize;
    let end = file.line_span(last).end as usize;
    let excerpt = &file.text[start..end.max(start)];
    // Spans are byte ranges; the snippet needs whole characters.
    let boundary = |offset: usize, forward: bool| {
        let mut offset = offset.min(excerpt.len());
        while !excerpt.is_char_boundary(offset) {
            offset = if forward { offset + 1 } else { offset - 1 };
        }
        offset
    };
    let span_start = boundary(
        (finding.site.span.start as usize).saturating_sub(start),
        false,
    );
    let span_end =
        boundary((finding.site.span.end as usize).saturating_sub(start), true).max(span_start);
    let mut group = Group::with_level(level(finding.severity)).element(
        Snippet::source(excerpt)
            .line_start(first)
            .annotation(AnnotationKind::Primary.span(span_start..span_end)),
    );
    if let Some(help) = &finding.help {
        group = group.element(Level::HELP.message(printable(help)));
    }
    if let Some(fix) = &item.fix {
        let how = match fix.applicability {
            Applicability::Safe => "fix (--fix)",
            Applicability::Unsafe => {
                "unsafe fix (--fix --unsafe-fixes; it can change what AWS does)"
            }
        };
        group = group.element(Level::HELP.message(format!("{how}: {}", printable(&fix.title))));
    }
    for related in &item.related {
        group = group.element(Level::NOTE.message(format!(
            "{}: {}:{}:{}",
            printable(&related.message),
            printable(&related.path),
            related.start.line,
            related.start.column
        )));
    }
    group
}

/// `1 file`, `2 files`, `3 fixes`.
pub fn plural(count: usize, noun: &str) -> String {
    match (count, noun.ends_with('x')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{count} {noun}es"),
        _ => format!("{count} {noun}s"),
    }
}

/// `3 errors, 1 warning and 2 notes`, or `no problems`.
pub fn counts_line(summary: &Summary) -> String {
    let counts: Vec<String> = [
        (summary.errors, "error"),
        (summary.warnings, "warning"),
        (summary.notes, "note"),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(count, noun)| plural(count, noun))
    .collect();
    match counts.as_slice() {
        [] => "no problems".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `3 errors, 1 warning and 2 notes in 4 values files (57 tables); 1 suppressed`.
pub fn summary_line(summary: &Summary) -> String {
    let found = counts_line(summary);
    let mut hidden = String::new();
    if summary.suppressed > 0 {
        hidden.push_str(&format!("; {} suppressed", summary.suppressed));
    }
    if summary.preexisting > 0 {
        hidden.push_str(&format!(
            "; {} already in the base revision, not shown",
            summary.preexisting
        ));
    }
    format!(
        "{found} in {} ({}){hidden}",
        plural(summary.files, "values file"),
        plural(summary.tables, "table")
    )
}

#[cfg(test)]
mod tests {
    use super::summary_line;
    use crate::report::Summary;

    #[test]
    fn summary_lines() {
        let mut summary = Summary {
            files: 4,
            tables: 57,
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&summary),
            "no problems in 4 values files (57 tables)"
        );
        summary.errors = 3;
        summary.warnings = 1;
        summary.notes = 2;
        summary.suppressed = 1;
        assert_eq!(
            summary_line(&summary),
            "3 errors, 1 warning and 2 notes in 4 values files (57 tables); 1 suppressed"
        );
        let single = Summary {
            files: 1,
            tables: 1,
            notes: 1,
            ..Summary::default()
        };
        assert_eq!(summary_line(&single), "1 note in 1 values file (1 table)");
    }
}
