//! Markdown for reviewers: the pull-request comment (`--format markdown`, `--comment`)
//! and the job summary (`$GITHUB_STEP_SUMMARY`).
//!
//! A verdict first, then what the change does in AWS (deletions and replacements first),
//! then the findings grouped by file with links to the head commit's lines and their help
//! folded in `<details>`. Whatever does not fit the budget (GitHub takes 65,536 characters
//! in a comment and 1 MiB in a job summary) is counted, never cut mid-way.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::diff::{Action, PlanEntry};
use crate::finding::Severity;
use crate::lint::{Report, Reported};
use crate::report::Context;
use crate::report::text::{plan_line, summary_line};
use crate::rules;
use crate::source::Side;

/// The hidden marker that makes a comment dynalint's.
pub const MARKER: &str = "<!-- dynalint -->";
/// Bytes for a pull-request comment: under GitHub's 65,536 characters with room to spare.
pub const COMMENT_BUDGET: usize = 60_000;
/// Bytes for a job summary: under GitHub's 1 MiB per step.
pub const SUMMARY_BUDGET: usize = 1_000_000;
/// Kept for the line that counts what did not fit, and the footer.
const RESERVE: usize = 1_000;

/// The hidden line that tells this comment from other dynalint comments (another job).
pub fn key_marker(key: &str) -> String {
    format!("<!-- dynalint-key: {} -->", html(key).replace("--", "- -"))
}

/// The pull-request comment: the markers, then the report, within `budget` bytes.
pub fn comment(report: &Report, context: &Context<'_>, budget: usize) -> String {
    let header = format!("{MARKER}\n{}\n", key_marker(&context.comment_key));
    let body = body(report, context, budget.saturating_sub(header.len()));
    header + &body
}

/// The job summary: the report within 1 MiB.
pub fn summary(report: &Report, context: &Context<'_>) -> String {
    body(report, context, SUMMARY_BUDGET)
}

/// Text from findings and values, safe in markdown: no HTML, no table breaks, no
/// control characters.
fn html(text: &str) -> String {
    text.chars()
        .filter_map(|character| match character {
            '<' => Some("&lt;".to_string()),
            '>' => Some("&gt;".to_string()),
            '&' => Some("&amp;".to_string()),
            '\n' | '\t' => Some(" ".to_string()),
            character if character.is_control() => None,
            character => Some(character.to_string()),
        })
        .collect()
}

fn cell(text: &str) -> String {
    html(text).replace('|', "\\|")
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    }
}

fn verdict(report: &Report, context: &Context<'_>) -> String {
    let summary = &report.summary;
    let icon = if context.fails {
        "❌"
    } else if report.findings.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let outcome = if context.fails {
        " — **this change fails the check**"
    } else if report.findings.is_empty() {
        ""
    } else {
        " — the check passes"
    };
    let line = summary_line(summary);
    let line = line
        .strip_prefix("no problems")
        .map_or(line.clone(), |rest| format!("No problems{rest}"));
    format!("{icon} {}{outcome}", html(&line))
}

fn action_label(action: Action) -> &'static str {
    match action {
        Action::Delete => "🗑️ **delete**",
        Action::Replace => "♻️ **replace**",
        Action::Create => "➕ create",
        Action::Orphan => "🔓 orphan",
        Action::Update => "✏️ update",
    }
}

/// The plan, what reviewers care most about first: deletions, replacements, creations.
fn plan(changes: &[PlanEntry], budget: usize) -> String {
    let mut out = String::from("### What this change does in AWS\n\n");
    if changes.is_empty() {
        out.push_str("No table changes in AWS.\n\n");
        return out;
    }
    let _ = writeln!(
        out,
        "{}\n",
        html(plan_line(changes).trim_start_matches("plan: "))
    );
    out.push_str("| | Table | Namespace | Why |\n|---|---|---|---|\n");
    let order = [
        Action::Delete,
        Action::Replace,
        Action::Create,
        Action::Orphan,
        Action::Update,
    ];
    let mut entries: Vec<&PlanEntry> = changes.iter().collect();
    entries.sort_by_key(|entry| {
        (
            order.iter().position(|action| *action == entry.action),
            &entry.table.name,
        )
    });
    for (shown, entry) in entries.iter().enumerate() {
        let why = match (entry.action, entry.reasons.is_empty()) {
            (Action::Create, true) => "new in the values".to_string(),
            _ => entry.reasons.join("; "),
        };
        let row = format!(
            "| {} | `{}` ({}) | {} | {} |\n",
            action_label(entry.action),
            cell(&entry.table.name),
            cell(&entry.table.region),
            cell(&entry.namespace),
            cell(&why)
        );
        if out.len() + row.len() > budget {
            let _ = writeln!(out, "| | … and {} more tables | | |", entries.len() - shown);
            break;
        }
        out.push_str(&row);
    }
    out.push('\n');
    out
}

/// One finding: a line with its place, rule and message, and the help folded.
fn finding(item: &Reported, context: &Context<'_>) -> String {
    let finding = &item.finding;
    let place = format!("L{}", item.start.line);
    let place = match context.line_link(&item.path, item.start.line, item.end.line) {
        Some(link) => format!("[{place}]({link})"),
        None => place,
    };
    let rule = format!(
        "[`{} {}`]({})",
        finding.rule.code,
        finding.rule.name,
        rules::docs_url(finding.rule)
    );
    let mut out = format!(
        "{} **{place}** {rule}: {}\n",
        icon(finding.severity),
        html(&finding.message)
    );
    for related in &item.related {
        let (line, end) = (related.start.line, related.end.line);
        let target = format!("{}:{line}", related.path);
        let link = match related.side {
            Side::Base => context.base_line_link(&related.path, line, end),
            Side::Head => context.line_link(&related.path, line, end),
        };
        let target = match link {
            Some(link) => format!("[`{}`]({link})", cell(&target)),
            None => format!("`{}`", cell(&target)),
        };
        let _ = writeln!(out, "<br>↳ {}: {target}", html(&related.message));
    }
    if let Some(help) = &finding.help {
        let _ = write!(
            out,
            "<details><summary>How to fix</summary>\n\n{}\n\n</details>\n",
            html(help)
        );
    }
    out.push('\n');
    out
}

fn file_heading(path: &str, context: &Context<'_>) -> String {
    match &context.blob_url {
        Some(_) => format!(
            "#### [`{}`]({})\n\n",
            cell(path),
            context
                .line_link(path, 1, 1)
                .map(|link| link.trim_end_matches("#L1").to_string())
                .unwrap_or_default()
        ),
        None => format!("#### `{}`\n\n", cell(path)),
    }
}

fn body(report: &Report, context: &Context<'_>, budget: usize) -> String {
    let mut out = format!("## dynalint\n\n{}\n\n", verdict(report, context));
    let budget = budget.saturating_sub(RESERVE);
    if let Some(changes) = &report.changes {
        // The plan may take half of what is left; findings the rest.
        let share = budget.saturating_sub(out.len()) / 2;
        out.push_str(&plan(changes, share));
    }
    if !report.findings.is_empty() {
        out.push_str("### Findings\n\n");
        // Most severe first into the budget; shown grouped by file, in file order.
        let blocks: Vec<String> = report
            .findings
            .iter()
            .map(|item| finding(item, context))
            .collect();
        let mut order: Vec<usize> = (0..report.findings.len()).collect();
        order.sort_by_key(|index| std::cmp::Reverse(report.findings[*index].finding.severity));
        let mut chosen = vec![false; blocks.len()];
        let mut headed: BTreeSet<&str> = BTreeSet::new();
        let mut used = out.len();
        for index in order {
            let path = report.findings[index].path.as_str();
            let heading = if headed.contains(path) {
                0
            } else {
                file_heading(path, context).len()
            };
            let cost = blocks[index].len() + heading;
            if used + cost > budget {
                continue;
            }
            used += cost;
            headed.insert(path);
            chosen[index] = true;
        }
        let mut current: Option<&str> = None;
        for (index, item) in report.findings.iter().enumerate() {
            if !chosen[index] {
                continue;
            }
            if current != Some(item.path.as_str()) {
                out.push_str(&file_heading(&item.path, context));
                current = Some(item.path.as_str());
            }
            out.push_str(&blocks[index]);
        }
        let left: Vec<&Reported> = report
            .findings
            .iter()
            .zip(&chosen)
            .filter(|(_, chosen)| !**chosen)
            .map(|(item, _)| item)
            .collect();
        if !left.is_empty() {
            let count = |severity| {
                left.iter()
                    .filter(|item| item.finding.severity == severity)
                    .count()
            };
            let _ = writeln!(
                out,
                "… and {} more findings not shown here ({} errors, {} warnings, {} notes): see the job summary or the code scanning results.\n",
                left.len(),
                count(Severity::Error),
                count(Severity::Warning),
                count(Severity::Note)
            );
        }
    }
    let _ = writeln!(
        out,
        "<sub>[dynalint]({}) {} · `dynalint explain CODE` shows a rule's documentation</sub>",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_cannot_inject_markup() {
        assert_eq!(
            cell("<img src=x> | a\nb"),
            "&lt;img src=x&gt; \\| a b".to_string()
        );
        assert_eq!(
            key_marker("ci --> <b>"),
            "<!-- dynalint-key: ci - -&gt; &lt;b&gt; -->"
        );
    }
}
