//! GitHub Actions workflow commands: one annotation per finding
//! (`::error file=…,line=…,col=…,title=…::message`).
//!
//! GitHub shows at most 10 annotations of each type per step, so the most severe come
//! first and one notice says how many more there are (they are all in the job summary).

use std::io::{self, Write};

use crate::report::text::{plan_line, summary_line};
use crate::report::{RenderContext, Report, Reported, printable};
use crate::rule_meta::Severity;

/// Annotations GitHub renders per type (error, warning, notice) and step.
pub const PER_TYPE: usize = 10;

/// A command's message: `%`, CR and LF escaped, as the runner expects.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A command's property value: also `:` and `,`, which separate properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// The workflow command of one finding.
pub fn annotation(item: &Reported, context: &RenderContext<'_>) -> String {
    let finding = &item.finding;
    let mut properties = vec![
        format!(
            "file={}",
            escape_property(&context.repository_path(&item.path))
        ),
        format!("line={}", item.start.line),
    ];
    if item.end.line > item.start.line {
        properties.push(format!("endLine={}", item.end.line));
    }
    // Columns only for a span on one line: GitHub ignores them otherwise.
    if item.end.line == item.start.line {
        properties.push(format!("col={}", item.start.column));
        if item.end.column > item.start.column {
            properties.push(format!("endColumn={}", item.end.column));
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("{} {}", finding.rule.code, finding.rule.name))
    ));
    // Control characters from the values escaped; the one line break is ours.
    let mut message = printable(&finding.message).into_owned();
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(&printable(help));
    }
    format!(
        "::{} {}::{}",
        command(finding.severity),
        properties.join(","),
        escape_data(&message)
    )
}

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let count = |severity| {
        report
            .findings
            .iter()
            .filter(|item| item.finding.severity == severity)
            .count()
    };
    let truncated = [Severity::Error, Severity::Warning, Severity::Note]
        .into_iter()
        .any(|severity| count(severity) > PER_TYPE);
    // The notice about the rest takes one of the ten notices.
    let limit = |severity| {
        if severity == Severity::Note && truncated {
            PER_TYPE - 1
        } else {
            PER_TYPE
        }
    };
    let mut hidden = 0;
    for severity in [Severity::Error, Severity::Warning, Severity::Note] {
        hidden += count(severity).saturating_sub(limit(severity));
        for item in report
            .findings
            .iter()
            .filter(|item| item.finding.severity == severity)
            .take(limit(severity))
        {
            writeln!(out, "{}", annotation(item, context))?;
        }
    }
    if hidden > 0 {
        writeln!(
            out,
            "::notice title=dynalint::{}",
            escape_data(&format!(
                "{hidden} more finding{} not shown as annotations (GitHub shows {PER_TYPE} per type): see the job summary, or the SARIF results in code scanning",
                if hidden == 1 { " is" } else { "s are" }
            ))
        )?;
    }
    writeln!(out, "dynalint: {}", summary_line(&report.summary))?;
    if let Some(changes) = &report.changes {
        writeln!(out, "dynalint: {}", plan_line(changes))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\nd"), "a%3Ab%2Cc%25%0Ad".to_string());
        // Data keeps `:` and `,`: only properties need them escaped.
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }
}
