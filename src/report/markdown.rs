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
use crate::report::text::{plan_line, summary_line};
use crate::report::{Migration, RenderContext, Report, Reported, Summary, printable};
use crate::rule_meta::Severity;
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

/// The hidden line that tells this comment from other dynalint comments (another job):
/// the key made safe inside an HTML comment, and a long key shortened with a hash so
/// that it cannot eat the comment's budget.
pub fn key_marker(key: &str) -> String {
    let mut safe: String = key
        .chars()
        .filter(|character| !character.is_control())
        .map(|character| match character {
            '<' | '>' => '_',
            character => character,
        })
        .collect();
    while safe.contains("--") {
        safe = safe.replace("--", "-");
    }
    if safe.chars().count() > 100 {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        safe = format!("{}…{hash:016x}", safe.chars().take(80).collect::<String>());
    }
    format!("<!-- dynalint-key: {safe} -->")
}

/// The pull-request comment: the markers, then the report, within `budget` bytes.
pub fn comment(report: &Report, context: &RenderContext<'_>, budget: usize) -> String {
    let header = format!("{MARKER}\n{}\n", key_marker(&context.comment_key));
    let body = body(report, context, budget.saturating_sub(header.len()));
    header + &body
}

/// `--format markdown`: the pull-request comment, as a renderer.
pub fn render(
    report: &Report,
    context: &RenderContext<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(comment(report, context, COMMENT_BUDGET).as_bytes())
}

/// The job summary: the report within 1 MiB.
pub fn summary(report: &Report, context: &RenderContext<'_>) -> String {
    body(report, context, SUMMARY_BUDGET)
}

/// Plain text, safe in markdown: no HTML, links, emphasis or `@mentions` (a word joiner
/// after `@`), control characters shown escaped; `|` escaped too in a table cell.
fn text(text: &str, in_table: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@\u{2060}"),
            '|' if in_table => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(character);
            }
            character if character.is_control() => {
                out.push_str(&character.escape_default().to_string());
            }
            character => out.push(character),
        }
    }
    out
}

/// A code span showing `content` literally: its fence is longer than any run of
/// backticks inside, so a value cannot close it early; control characters are shown
/// escaped; `|` escaped in a table cell (GitHub splits cells before reading code).
fn code(content: &str, in_table: bool) -> String {
    let mut content = printable(content).into_owned();
    if in_table {
        content = content.replace('|', "\\|");
    }
    let longest = content
        .split(|character| character != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if content.starts_with('`') || content.ends_with('`') || content.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// A message or help text: our messages put names and values between backticks, which
/// become code spans; the rest is plain text. A value holding backticks itself may shift
/// that pairing, but every part is still either escaped text or a literal code span:
/// nothing from the values can become markup.
pub fn inline(message: &str, in_table: bool) -> String {
    let parts: Vec<&str> = message.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An odd number of backticks: no pairing to trust.
        return text(message, in_table);
    }
    parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            if index % 2 == 0 {
                text(part, in_table)
            } else {
                code(part, in_table)
            }
        })
        .collect()
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "❌",
        Severity::Warning => "⚠️",
        Severity::Note => "ℹ️",
    }
}

fn verdict(report: &Report, context: &RenderContext<'_>) -> String {
    let icon = if context.fails {
        "❌"
    } else if report.findings.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    // Without a base there is no change to speak of: the check found what it found.
    let outcome = match (context.fails, report.changes.is_some()) {
        (true, true) => " — **this change fails the check**",
        (true, false) => " — **the check fails**",
        (false, _) if report.findings.is_empty() => "",
        (false, _) => " — the check passes",
    };
    // What was already there is listed below, folded: not "not shown".
    let summary = Summary {
        preexisting: 0,
        ..report.summary.clone()
    };
    let mut line = summary_line(&summary);
    if let Some(rest) = line.strip_prefix("no problems") {
        line = format!("No problems{rest}");
    }
    if !report.preexisting.is_empty() {
        let _ = write!(line, "; {}", already_there(report.preexisting.len()));
    }
    format!("{icon} {}{outcome}", text(&line, false))
}

/// `12 findings were already there` (in the base revision, with `--new-only`).
fn already_there(count: usize) -> String {
    if count == 1 {
        "1 finding was already there".to_string()
    } else {
        format!("{count} findings were already there")
    }
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
        text(plan_line(changes).trim_start_matches("plan: "), false)
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
            "| {} | {} ({}) | {} | {} |\n",
            action_label(entry.action),
            code(&entry.table.name, true),
            text(&entry.table.region, true),
            text(&entry.namespace, true),
            inline(&why, true)
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
fn finding(item: &Reported, context: &RenderContext<'_>) -> String {
    let finding = &item.finding;
    let place = format!("L{}", item.start.line);
    let link = match item.side {
        Side::Base => context.base_line_link(&item.path, item.start.line, item.end.line),
        Side::Head => context.line_link(&item.path, item.start.line, item.end.line),
    };
    let place = match link {
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
        inline(&finding.message, false)
    );
    for related in &item.related {
        let (line, end) = (related.start.line, related.end.line);
        let target = format!("{}:{line}", related.path);
        let link = match related.side {
            Side::Base => context.base_line_link(&related.path, line, end),
            Side::Head => context.line_link(&related.path, line, end),
        };
        let target = match link {
            Some(link) => format!("[{}]({link})", code(&target, false)),
            None => code(&target, false),
        };
        let _ = writeln!(out, "<br>↳ {}: {target}", inline(&related.message, false));
    }
    if let Some(help) = &finding.help {
        let _ = write!(
            out,
            "<details><summary>How to fix</summary>\n\n{}\n\n</details>\n",
            inline(help, false)
        );
    }
    if let Some(migration) = context
        .migrations
        .iter()
        .find(|migration| migration.finding == item.fingerprint)
    {
        out.push_str(&migration_block(migration));
    }
    out.push('\n');
    out
}

/// Bytes of YAML shown for one migration; the rest is counted, and the command shows it.
const PROPOSAL_BUDGET: usize = 3_000;

/// What `dynalint migrate` would write, folded: the command, then the YAML (or why it
/// cannot), cut at a line within [`PROPOSAL_BUDGET`].
fn migration_block(migration: &Migration) -> String {
    let mut out = String::from(
        "<details><summary>What <code>dynalint migrate</code> would write</summary>\n\n",
    );
    match &migration.proposal {
        Ok(yaml) => {
            let mut shown = String::new();
            let total = yaml.lines().count();
            for (index, line) in yaml.lines().enumerate() {
                let line = printable_block(line);
                if shown.len() + line.len() + 1 > PROPOSAL_BUDGET {
                    let _ = writeln!(
                        shown,
                        "# … {} more lines: the command writes them all",
                        total - index
                    );
                    break;
                }
                shown.push_str(&line);
                shown.push('\n');
            }
            let longest = shown
                .split(|character| character != '`')
                .map(str::len)
                .max()
                .unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            let _ = write!(
                out,
                "{} keeps the table AWS has and adds the new one beside it:\n\n{fence}yaml\n{shown}{fence}\n",
                code(&migration.command, false)
            );
        }
        Err(reason) => {
            let _ = writeln!(
                out,
                "{} cannot write this one safely: {}",
                code(&migration.command, false),
                text(reason, false)
            );
        }
    }
    out.push_str("\n</details>\n");
    out
}

/// A line of a code block: control characters shown escaped (tabs kept).
fn printable_block(line: &str) -> String {
    line.chars()
        .map(|character| {
            if character.is_control() && character != '\t' {
                character.escape_default().to_string()
            } else {
                character.to_string()
            }
        })
        .collect()
}

fn file_heading(item: &Reported, context: &RenderContext<'_>) -> String {
    let link = match item.side {
        Side::Base => context.base_line_link(&item.path, 1, 1),
        Side::Head => context.line_link(&item.path, 1, 1),
    };
    let deleted = if item.side == Side::Base {
        " (deleted)"
    } else {
        ""
    };
    match link {
        Some(link) => format!(
            "#### [{}]({}){deleted}\n\n",
            code(&item.path, false),
            link.trim_end_matches("#L1")
        ),
        None => format!("#### {}{deleted}\n\n", code(&item.path, false)),
    }
}

/// Findings grouped by file, in file order, the most severe first into `budget` bytes;
/// a line counts what did not fit.
fn listing(items: &[Reported], context: &RenderContext<'_>, budget: usize) -> String {
    let mut out = String::new();
    let blocks: Vec<String> = items.iter().map(|item| finding(item, context)).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|index| std::cmp::Reverse(items[*index].finding.severity));
    let mut chosen = vec![false; blocks.len()];
    let mut headed: BTreeSet<&str> = BTreeSet::new();
    let mut used = 0;
    for index in order {
        let path = items[index].path.as_str();
        let heading = if headed.contains(path) {
            0
        } else {
            file_heading(&items[index], context).len()
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
    for (index, item) in items.iter().enumerate() {
        if !chosen[index] {
            continue;
        }
        if current != Some(item.path.as_str()) {
            out.push_str(&file_heading(item, context));
            current = Some(item.path.as_str());
        }
        out.push_str(&blocks[index]);
    }
    let left: Vec<&Reported> = items
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
        let counted = |count: usize, noun: &str| {
            format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
        };
        let _ = writeln!(
            out,
            "… and {} not shown here ({}, {}, {}): see the job summary or the code scanning results.\n",
            counted(left.len(), "more finding"),
            counted(count(Severity::Error), "error"),
            counted(count(Severity::Warning), "warning"),
            counted(count(Severity::Note), "note")
        );
    }
    out
}

fn body(report: &Report, context: &RenderContext<'_>, budget: usize) -> String {
    let mut out = format!("## dynalint\n\n{}\n\n", verdict(report, context));
    let budget = budget.saturating_sub(RESERVE);
    if let Some(changes) = &report.changes {
        // The plan may take half of what is left; findings the rest.
        let share = budget.saturating_sub(out.len()) / 2;
        out.push_str(&plan(changes, share));
    }
    if !report.findings.is_empty() {
        out.push_str("### Findings\n\n");
        let used = out.len();
        out.push_str(&listing(
            &report.findings,
            context,
            budget.saturating_sub(used),
        ));
    }
    if !report.preexisting.is_empty() {
        // What the change did not introduce: in context, folded, after what it did.
        let open = format!(
            "<details><summary>{} (in the base revision too; they do not decide this check)</summary>\n\n",
            already_there(report.preexisting.len())
        );
        let close = "</details>\n\n";
        let room = budget.saturating_sub(out.len() + open.len() + close.len());
        out.push_str(&open);
        out.push_str(&listing(&report.preexisting, context, room));
        out.push_str(close);
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
        // Values are between backticks in messages: literal code, whatever they hold.
        assert_eq!(
            inline("role `<img src=x>` of `a|b`", true),
            "role `<img src=x>` of `a\\|b`"
        );
        // A value with backticks gets a longer fence; a mention stays text.
        assert_eq!(code("a` @octocat `b", false), "``a` @octocat `b``");
        assert_eq!(
            inline("role `a` @octocat `b` is unknown", false),
            "role `a` @\u{2060}octocat `b` is unknown"
        );
        // An odd number of backticks: all text, escaped.
        assert_eq!(
            inline("a `b [x](http://e) <b>", false),
            "a \\`b \\[x\\](http://e) &lt;b&gt;"
        );
        assert_eq!(code("`", false), "`` ` ``");
        assert_eq!(code("tab\there", false), "`tab\\there`");
        assert_eq!(key_marker("ci --> <b>"), "<!-- dynalint-key: ci -_ _b_ -->");
        let long = key_marker(&"k".repeat(70_000));
        assert!(long.len() < 200, "{long}");
    }

    #[test]
    fn a_migration_is_folded_and_cut_at_a_line_within_its_budget() {
        let migration = |proposal| Migration {
            finding: "f".into(),
            command: "dynalint migrate --base abc Orders".into(),
            proposal,
        };
        // 100 lines of 33 bytes: 90 fit in the budget; backticks cannot close the fence.
        let yaml: String = (0..100)
            .map(|line| format!("  - {{name: A{line:03}, type: ```S```}} \n"))
            .collect();
        assert_eq!(yaml.lines().next().unwrap().len() + 1, 33);
        let block = migration_block(&migration(Ok(yaml)));
        assert!(block.starts_with("<details><summary>What <code>dynalint migrate</code> would write</summary>\n\n`dynalint migrate --base abc Orders` keeps the table AWS has and adds the new one beside it:\n\n````yaml\n  - {name: A000,"), "{block}");
        assert!(block.ends_with("  - {name: A089, type: ```S```} \n# … 10 more lines: the command writes them all\n````\n\n</details>\n"), "{block}");
        assert!(block.len() < PROPOSAL_BUDGET + 300);
        // Why it cannot: plain text.
        let refused = migration_block(&migration(Err("it is a <b>flow</b> list".into())));
        assert!(refused.contains("`dynalint migrate --base abc Orders` cannot write this one safely: it is a &lt;b&gt;flow&lt;/b&gt; list\n"), "{refused}");
    }
}
