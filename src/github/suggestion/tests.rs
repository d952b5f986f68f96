use super::*;
use crate::snapshot::FileLines;
use crate::span::Span;

fn file(text: &str) -> SourceFile {
    SourceFile::new("values.yaml", Side::Head, text.to_string())
}

/// An edit that writes `new` over the first `old` after `after` in `text`.
fn edit(text: &str, after: &str, old: &str, new: &str) -> Edit {
    let from = text.find(after).unwrap();
    let start = from + text[from..].find(old).unwrap();
    Edit {
        span: Span::new(start as u32, (start + old.len()) as u32),
        text: new.to_string(),
    }
}

fn lines(first: usize, last: usize, block: &str) -> Option<Replacement> {
    Some(Replacement {
        first,
        last,
        block: block.to_string(),
    })
}

#[test]
fn a_quoted_value_is_its_line_with_either_line_ending() {
    let lf = "attributes:\n  - name: Total\n    type: N\nhashKey: Id\n";
    let quote = edit(lf, "type", "N", "'N'");
    assert_eq!(
        replacement(&file(lf), &[quote]),
        lines(3, 3, "    type: 'N'")
    );
    // GitHub normalizes line endings: no `\r` in the block.
    let crlf = lf.replace('\n', "\r\n");
    let quote = edit(&crlf, "type", "N", "'N'");
    assert_eq!(
        replacement(&file(&crlf), &[quote]),
        lines(3, 3, "    type: 'N'")
    );
}

#[test]
fn removed_lines_are_an_empty_block() {
    let text =
        "attributes:\n  - name: Id\n    type: 'S'\n  - name: Old\n    type: 'S'\nhashKey: Id\n";
    // The item's whole lines, from the start of its line to the start of the next key's.
    let start = text.find("  - name: Old").unwrap();
    let end = text.find("hashKey").unwrap();
    let removal = Edit {
        span: Span::new(start as u32, end as u32),
        text: String::new(),
    };
    assert_eq!(replacement(&file(text), &[removal]), lines(4, 5, ""));
    let crlf = text.replace('\n', "\r\n");
    let start = crlf.find("  - name: Old").unwrap();
    let end = crlf.find("hashKey").unwrap();
    let removal = Edit {
        span: Span::new(start as u32, end as u32),
        text: String::new(),
    };
    assert_eq!(replacement(&file(&crlf), &[removal]), lines(4, 5, ""));
}

#[test]
fn an_insertion_after_a_line_extends_it() {
    // As an appended list item is written: at the end of the last item, before its break.
    let text = "attributes:\n  - name: Id\n    type: 'S'\nhashKey: Id\n";
    let at = text.find("\nhashKey").unwrap() as u32;
    let append = Edit {
        span: Span::at(at),
        text: "\n  - name: Sk\n    type: 'S'".to_string(),
    };
    assert_eq!(
        replacement(&file(text), &[append]),
        lines(3, 3, "    type: 'S'\n  - name: Sk\n    type: 'S'")
    );
    // At the very end of a file that ends with a line break: on its last line.
    let append = Edit {
        span: Span::at(text.len() as u32),
        text: "rangeKey: Sk\n".to_string(),
    };
    assert_eq!(
        replacement(&file(text), &[append]),
        lines(4, 4, "hashKey: Id\nrangeKey: Sk")
    );
    // At the start of a line: before it.
    let at = text.find("hashKey").unwrap() as u32;
    let insert = Edit {
        span: Span::at(at),
        text: "rangeKey: Sk\n".to_string(),
    };
    assert_eq!(
        replacement(&file(text), &[insert]),
        lines(4, 4, "rangeKey: Sk\nhashKey: Id")
    );
}

#[test]
fn edits_over_several_lines_are_one_block() {
    // The first key of a block item removed: up to the next key, on the next line.
    let text = "tables:\n  - readCapacity: 5\n    name: Orders\n";
    let start = text.find("readCapacity").unwrap();
    let end = text.find("name").unwrap();
    let removal = Edit {
        span: Span::new(start as u32, end as u32),
        text: String::new(),
    };
    assert_eq!(
        replacement(&file(text), &[removal]),
        lines(2, 3, "  - name: Orders")
    );
    // Two edits lines apart: every line between them, as it is.
    let text = "a: N\nb: 1\nc: Y\nd: 2\n";
    let edits = [edit(text, "a", "N", "'N'"), edit(text, "c", "Y", "'Y'")];
    assert_eq!(
        replacement(&file(text), &edits),
        lines(1, 3, "a: 'N'\nb: 1\nc: 'Y'")
    );
}

#[test]
fn a_removed_line_break_takes_the_next_line_in() {
    // `,\n` removed: the end is at the start of line 2, yet line 2 joins line 1.
    let text = "roles: [a,\nb]\nname: x\n";
    let start = text.find(",\n").unwrap();
    let removal = Edit {
        span: Span::new(start as u32, start as u32 + 2),
        text: String::new(),
    };
    assert_eq!(
        replacement(&file(text), &[removal]),
        lines(1, 2, "roles: [ab]")
    );
}

#[test]
fn what_a_suggestion_cannot_say_is_none() {
    // Lone `\r` line endings: git counts lines otherwise.
    let text = "a: N\rb: 1\r";
    assert_eq!(
        replacement(&file(text), &[edit(text, "a", "N", "'N'")]),
        None
    );
    // The file's final line break removed.
    let text = "a: 1\n";
    let removal = Edit {
        span: Span::new(4, 5),
        text: String::new(),
    };
    assert_eq!(replacement(&file(text), &[removal]), None);
    assert_eq!(replacement(&file(text), &[]), None);
    assert_eq!(replacement(&file(""), &[edit("x", "x", "x", "y")]), None);
}

#[test]
fn a_file_without_a_final_line_break() {
    let text = "a: 1\nb: N";
    assert_eq!(
        replacement(&file(text), &[edit(text, "b", "N", "'N'")]),
        lines(2, 2, "b: 'N'")
    );
}

const VALUES: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

/// The report of one values file, with the fixes its findings carry.
fn report(text: &str) -> crate::pipeline::Run {
    let tree = crate::snapshot::MemoryTree::new().with(VALUES, text).with(
        "apps-shop/apps/shop-dev/api/Chart.yaml",
        "apiVersion: v2\nname: api\ndependencies:\n  - name: idp-advanced\n    version: 1.0.0\n",
    );
    let config = crate::config::Config::default();
    crate::pipeline::run(crate::pipeline::Input {
        config: &config,
        head: &tree,
        base: None,
        scope: &crate::source::Scope::everything(),
        focus: false,
        new_only: false,
    })
    .unwrap()
}

fn changed(path: &str, hunk: (usize, usize), added: &[usize]) -> ChangedLines {
    let mut changed = ChangedLines::default();
    changed.files.insert(
        path.to_string(),
        FileLines {
            hunks: vec![hunk],
            added: added.iter().copied().collect(),
        },
    );
    changed
}

const TWO_FIXES: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Legacy
        type: 'S'
  - name: Invoices
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Total
        type: N
";

#[test]
fn only_fixes_on_changed_lines_of_files_as_in_the_head_are_suggested() {
    let run = report(TWO_FIXES);
    assert_eq!(
        run.report
            .findings
            .iter()
            .filter(|item| item.fix.is_some())
            .count(),
        2
    );
    // The pull request adds `Total` (lines 14 and 15), in a folder of the repository.
    let path = format!("infra/{VALUES}");
    let plan = plan(
        &run.report.findings,
        &run.sources,
        "infra/",
        &changed(&path, (11, 15), &[14, 15]),
        &|_| InHead::Same { bom: false },
    );
    assert_eq!(plan.outside_diff, 1, "Legacy's lines are not changed");
    let [suggestion] = plan.suggestions.as_slice() else {
        panic!("{plan:?}")
    };
    let trap = run
        .report
        .findings
        .iter()
        .find(|item| item.finding.rule.code == "DL004")
        .unwrap();
    // Keyed by the text it replaces (line 15 as written), not by its line number.
    let hash = stable_hash(&[&path, "        type: N\n", "        type: 'N'"]);
    let key = format!("{}:{hash}", trap.fingerprint);
    assert_eq!(
        *suggestion,
        Suggestion {
            path: path.clone(),
            first: 15,
            last: 15,
            body: format!(
                "**DL004** `yaml-type-trap`: `attributes[1].type` of table `shop-dev-Invoices`: Helm reads unquoted `N` as the boolean false, not the text \"N\"\n\nSafe fix: quote it: `'N'`\n\n```suggestion\n        type: 'N'\n```\n<!-- dynalint-suggestion: {key} -->"
            ),
            key,
        }
    );

    // Context lines only: nothing.
    let plan_on_context = super::plan(
        &run.report.findings,
        &run.sources,
        "infra/",
        &changed(&path, (4, 10), &[10]),
        &|_| InHead::Same { bom: false },
    );
    assert!(plan_on_context.suggestions.is_empty());
    assert_eq!(plan_on_context.outside_diff, 2);

    // The head commit's file is not what was linted: its lines may be others.
    let other = super::plan(
        &run.report.findings,
        &run.sources,
        "infra/",
        &changed(&path, (1, 15), &[7, 8, 14, 15]),
        &|_| InHead::Other,
    );
    assert!(other.suggestions.is_empty());
    assert_eq!(
        (other.other_content, other.in_other_content),
        (vec![VALUES.to_string()], 2)
    );
}

#[test]
fn an_unsafe_fix_says_it_can_change_what_aws_does() {
    // DL201: the one did-you-mean role, an unsafe fix.
    let run = report(
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-shop-dve]\n",
    );
    let plan = plan(
        &run.report.findings,
        &run.sources,
        "",
        &changed(VALUES, (1, 5), &[5]),
        &|_| InHead::Same { bom: false },
    );
    let [suggestion] = plan.suggestions.as_slice() else {
        panic!("{plan:?}")
    };
    assert!(
        suggestion.body.contains(
            "⚠️ Unsafe fix (it can change what AWS does: check it before you apply it): "
        ),
        "{}",
        suggestion.body
    );
    assert!(
        suggestion
            .body
            .contains("```suggestion\n    serviceAccountReadRoles: [api-shop-dev]\n```"),
        "{}",
        suggestion.body
    );
}

#[test]
fn a_block_with_backticks_gets_a_longer_fence() {
    let run = report(TWO_FIXES);
    let trap = run
        .report
        .findings
        .iter()
        .find(|item| item.finding.rule.code == "DL004")
        .unwrap();
    let text = body(trap, Applicability::Safe, "t", "a: '```'", "k");
    assert!(
        text.contains("\n````suggestion\na: '```'\n````\n"),
        "{text}"
    );
    let deletion = body(trap, Applicability::Safe, "t", "", "k");
    assert!(deletion.contains("\n```suggestion\n```\n"), "{deletion}");
}

#[test]
fn the_first_line_after_a_byte_order_mark_is_left_to_fix() {
    let text = "tables: [{name: Orders, hashKey: Id, attributes: [{name: Id, type: S}, {name: Total, type: N}]}]\n";
    let run = report(text);
    let fixes = run
        .report
        .findings
        .iter()
        .filter(|item| item.fix.is_some())
        .count();
    assert!(fixes > 0);
    let changed = changed(VALUES, (1, 1), &[1]);
    let with_mark = plan(&run.report.findings, &run.sources, "", &changed, &|_| {
        InHead::Same { bom: true }
    });
    assert!(with_mark.suggestions.is_empty());
    assert_eq!(with_mark.inexpressible, fixes);
    let without = plan(&run.report.findings, &run.sources, "", &changed, &|_| {
        InHead::Same { bom: false }
    });
    assert_eq!(without.suggestions.len(), fixes);
}
