//! GitLab Code Quality: a JSON array of issues, each with a description, the rule as
//! `check_name`, a unique fingerprint, a severity and the file and line.

use std::io::{self, Write};

use serde::Serialize;

use crate::report::{RenderContext, Report};
use crate::rule_meta::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: String,
    fingerprint: &'a str,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Note => "info",
    }
}

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let issues: Vec<Issue<'_>> = report
        .every_finding()
        .map(|item| {
            let finding = &item.finding;
            Issue {
                description: format!(
                    "{} {}: {}",
                    finding.rule.code, finding.rule.name, finding.message
                ),
                check_name: finding.rule.code.to_string(),
                // Unique per finding: our fingerprint counts repeated occurrences.
                fingerprint: &item.fingerprint,
                severity: severity(finding.severity),
                location: IssueLocation {
                    path: context.repository_path(&item.path),
                    lines: Lines {
                        begin: item.start.line,
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
