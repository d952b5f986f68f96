//! DL001 yaml-syntax: the file cannot be read as Helm would read it.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::structure::{FileContext, FileFindings, ReadProblem};
use crate::rules::{Check, Rule};
use crate::source::{FileId, Site};
use crate::span::Span;
use crate::yaml::{ErrorKind, YamlError};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL001",
        name: "yaml-syntax",
        severity: Severity::Error,
        summary: "not parseable YAML, not UTF-8, or over the size/alias/depth limits",
        fix: None,
        docs: r#"
## What it catches
A values file that Helm cannot read, or that dynalint will not read: a YAML syntax error
(a tab used for indentation, an unclosed quote, a `key: value` that is not aligned), text
that is not UTF-8, a file over the size limit (4 MiB by default), aliases that expand past
the node limit (an "alias bomb"), nesting deeper than 100 levels, a symbolic link that
points outside the repository, and YAML that Helm cannot turn into JSON (`.inf`, a list
used as a mapping key). A file with a second YAML document (`---`) is reported too: Helm
reads only the first one and silently ignores the rest. An empty file is a warning: the
release then declares no tables at all.

## Why it matters
Helm stops at the first error, so nothing in this file reaches AWS, and no other rule can
check its tables. A second document is worse: its tables look declared but are never
created.

## Example
```yaml
tables:
  - name: Orders
	hashKey: CustomerId   # a tab: YAML indents with spaces only
```

## How to fix
Fix the syntax at the reported line and column; indent with spaces; save the file as
UTF-8; merge a second document's `tables:` into the first one. Limits are set in
`dynalint.toml` under `[limits]` (`max-file-size`, `max-depth`, `max-nodes`).
"#,
    },
    check: Check::File(check),
};

fn check(context: &FileContext<'_>, out: &mut FileFindings) {
    let file = context.file;
    if let Some(problem) = context.problem {
        out.push(match problem {
            ReadProblem::TooLarge { size, limit } => too_large(file, *size, *limit),
            ReadProblem::LinkOutside { target } => link_outside(file, target),
            ReadProblem::BrokenLink { target } => broken_link(file, target),
            ReadProblem::Unreadable(error) => unreadable(file, error),
            ReadProblem::NotUtf8 { offset } => not_utf8(file, *offset),
            ReadProblem::Syntax(error) => parse_error(file, error),
            ReadProblem::Workload { span, reason } => workload_unreadable(file, *span, reason),
        });
    }
    if let Some(values) = context.values {
        if let Some(span) = values.extra_document {
            out.push(extra_document(file, span));
        }
        // Empty values still get tables when the chart's defaults have some.
        let release = values.release;
        if values.empty && release.tables.is_empty() && release.invalid_tables.is_empty() {
            out.push(empty(file));
        }
    }
}

fn file_start(file: FileId) -> Site {
    Site::new(file, Span::at(0))
}

fn parse_error(file: FileId, error: &YamlError) -> Finding {
    let help = match error.kind {
        ErrorKind::Limit => {
            "simplify the file, or raise the limit under `[limits]` in dynalint.toml if it is legitimate"
        }
        ErrorKind::Tab => "YAML indents with spaces only: replace the tab with spaces",
        ErrorKind::UnquotedColon => {
            "a value containing `: ` must be quoted; otherwise check the indentation of this line"
        }
        ErrorKind::UnclosedQuote | ErrorKind::Syntax => {
            "fix the YAML at this position; Helm cannot read the file, so none of its tables are checked"
        }
    };
    let message = match error.kind {
        ErrorKind::Limit => format!("over a limit: {}", error.message),
        ErrorKind::UnclosedQuote => {
            "unclosed quote: the quoted value that starts here never ends".to_string()
        }
        ErrorKind::Syntax | ErrorKind::Tab | ErrorKind::UnquotedColon => {
            format!("YAML error: {}", error.message)
        }
    };
    // By kind, not position: the fingerprint survives edits above the error.
    let locus = format!("{:?}", error.kind);
    Finding::new(&RULE.meta, Site::new(file, error.span), message)
        .help(help)
        .locus(locus)
}

/// `offset` is where the first invalid byte starts, in the text decoded with U+FFFD
/// replacement characters (three bytes each).
fn not_utf8(file: FileId, offset: u32) -> Finding {
    Finding::new(
        &RULE.meta,
        Site::new(
            file,
            Span::new(offset, offset + '\u{FFFD}'.len_utf8() as u32),
        ),
        "the file is not valid UTF-8 text",
    )
    .help("save the file as UTF-8; Helm reads values as UTF-8")
}

fn too_large(file: FileId, size: u64, limit: u64) -> Finding {
    Finding::new(
        &RULE.meta,
        file_start(file),
        format!(
            "the file is {} bytes, over the {limit}-byte limit; it was not read",
            size
        ),
    )
    .help("split the file, or raise `max-file-size` under `[limits]` in dynalint.toml")
}

fn link_outside(file: FileId, target: &str) -> Finding {
    Finding::new(
        &RULE.meta,
        file_start(file),
        format!("symbolic link to `{target}`, outside the repository; not followed"),
    )
    .help("commit the values file itself; a link out of the repository is not part of the change under review")
}

fn broken_link(file: FileId, target: &str) -> Finding {
    Finding::new(
        &RULE.meta,
        file_start(file),
        format!("symbolic link to `{target}`, which is not a file"),
    )
    .help("point the link at an existing values file, or replace it with the file")
}

fn unreadable(file: FileId, error: &std::io::Error) -> Finding {
    Finding::new(
        &RULE.meta,
        file_start(file),
        format!("cannot read the file: {error}"),
    )
    .help("check the file's permissions")
}

fn extra_document(file: FileId, span: Span) -> Finding {
    Finding::new(
        &RULE.meta,
        Site::new(file, span),
        "a second YAML document starts here; Helm reads only the first and ignores the rest",
    )
    .help("move these values into the first document and remove the `---` separator")
}

/// A workload's `Chart.yaml` that cannot be read: the role it may create is unknown.
fn workload_unreadable(file: FileId, span: Span, reason: &str) -> Finding {
    Finding::new(
        &RULE.meta,
        Site::new(file, span),
        format!("this workload's Chart.yaml cannot be read ({reason}), so dynalint cannot tell whether it creates an IAM role"),
    )
    .severity(Severity::Warning)
    .help("fix the Chart.yaml; until then grants to this workload's role are reported as unknown (DL201)")
    .locus("workload")
}

fn empty(file: FileId) -> Finding {
    Finding::new(
        &RULE.meta,
        file_start(file),
        "the file is empty: this release declares no tables",
    )
    .severity(Severity::Warning)
    .help("add `tables:`, or delete the file if the release is meant to go")
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("values.yaml", "tables: []\n")]), "DL001", &[]);
    }

    #[test]
    fn syntax_errors_point_at_the_fault() {
        let findings = lint(&[
            ("tabs.yaml", "tables:\n  - name: A\n\thashKey: Id\n"),
            ("quote.yaml", "tables:\n  - name: 'A\n"),
        ]);
        check(
            &findings,
            "DL001",
            &[
                "quote.yaml:2:11 error DL001 unclosed quote: the quoted value that starts here never ends (fix the YAML at this position; Helm cannot read the file, so none of its tables are checked)",
                "tabs.yaml:3:1 error DL001 YAML error: while scanning a plain scalar, found a tab (YAML indents with spaces only: replace the tab with spaces)",
            ],
        );
    }

    #[test]
    fn encoding_size_documents_and_empty_files() {
        let findings = lint(&[
            ("latin1.yaml", b"tables: []\n# caf\xe9\n".as_slice()),
            ("two.yaml", b"tables: []\n---\ntables: []\n".as_slice()),
            ("empty.yaml", b"".as_slice()),
            ("big.yaml", vec![b'#'; 5 * 1024 * 1024].as_slice()),
            ("bom.yaml", b"\xef\xbb\xbftables: []\n".as_slice()),
            ("crlf.yaml", b"tables: []\r\n".as_slice()),
        ]);
        check(
            &findings,
            "DL001",
            &[
                "big.yaml:1:1 error DL001 the file is 5242880 bytes, over the 4194304-byte limit; it was not read (split the file, or raise `max-file-size` under `[limits]` in dynalint.toml)",
                "empty.yaml:1:1 warning DL001 the file is empty: this release declares no tables (add `tables:`, or delete the file if the release is meant to go)",
                "latin1.yaml:2:6 error DL001 the file is not valid UTF-8 text (save the file as UTF-8; Helm reads values as UTF-8)",
                "two.yaml:2:1 error DL001 a second YAML document starts here; Helm reads only the first and ignores the rest (move these values into the first document and remove the `---` separator)",
            ],
        );
    }

    #[test]
    fn limits() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        let deep = "[".repeat(10_000);
        let findings = lint(&[("bomb.yaml", bomb), ("deep.yaml", deep.as_str())]);
        check(
            &findings,
            "DL001",
            &[
                "bomb.yaml:6:36 error DL001 over a limit: aliases expand to more than 1000000 values (an alias bomb?); Helm would exhaust its memory too (simplify the file, or raise the limit under `[limits]` in dynalint.toml if it is legitimate)",
                "deep.yaml:1:256 error DL001 over a limit: flow collections (`[`, `{`) nested deeper than 255 levels (simplify the file, or raise the limit under `[limits]` in dynalint.toml if it is legitimate)",
            ],
        );
    }
}
