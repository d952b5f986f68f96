//! JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines):
//! one test suite per values file, one failing test case per finding, and a passing
//! one for a file without findings.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::report::{RenderContext, Report, Reported};

/// Text in XML content or an attribute: markup escaped (quotes only in attributes), and
/// characters XML 1.0 cannot hold at all dropped.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            // Line breaks and tabs in an attribute would be read back as spaces.
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' | '\r' => out.push(character),
            character if (character as u32) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            character => out.push(character),
        }
    }
    out
}

fn text(text: &str) -> String {
    escape(text, false)
}

fn attribute(text: &str) -> String {
    escape(text, true)
}

pub fn render(report: &Report, context: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut files: BTreeMap<String, Vec<&Reported>> = BTreeMap::new();
    // Every file in scope is a suite, so a clean file shows as passing.
    for path in &report.files {
        files.entry(path.clone()).or_default();
    }
    for item in &report.findings {
        files.entry(item.path.clone()).or_default().push(item);
    }
    let total = report.findings.len();
    let tests: usize = files.values().map(|items| items.len().max(1)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="dynalint" tests="{tests}" failures="{total}" errors="0">"#
    )?;
    for (path, items) in &files {
        let path = attribute(&context.repository_path(path));
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{}" failures="{}" errors="0">"#,
            items.len().max(1),
            items.len()
        )?;
        if items.is_empty() {
            writeln!(out, r#"    <testcase classname="{path}" name="dynalint"/>"#)?;
        }
        for item in items {
            let finding = &item.finding;
            writeln!(
                out,
                r#"    <testcase classname="{path}" name="{} {} at {}:{}" file="{path}" line="{}">"#,
                finding.rule.code,
                finding.rule.name,
                item.start.line,
                item.start.column,
                item.start.line
            )?;
            let mut body = format!(
                "{}:{}:{}: {}[{} {}] {}",
                context.repository_path(&item.path),
                item.start.line,
                item.start.column,
                finding.severity,
                finding.rule.code,
                finding.rule.name,
                finding.message
            );
            if let Some(help) = &finding.help {
                body.push_str("\nhelp: ");
                body.push_str(help);
            }
            writeln!(
                out,
                r#"      <failure type="{}" message="{}">{}</failure>"#,
                finding.severity,
                attribute(&finding.message),
                text(&body)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::{attribute, text};

    #[test]
    fn escaping() {
        assert_eq!(
            attribute("<a href=\"x\">&'\u{1}\u{FFFF}ok\n\r\t"),
            "&lt;a href=&quot;x&quot;&gt;&amp;'ok&#10;&#13;&#9;"
        );
        assert_eq!(text("it's \"<b>\"\n"), "it's \"&lt;b&gt;\"\n");
    }
}
