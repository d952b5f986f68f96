//! DL003 duplicate-key: a key written twice in one mapping.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::structure::{FileContext, FileFindings, ValuesContext};
use crate::rules::{Check, Rule};
use crate::source::Site;
use crate::span::Span;
use crate::yaml::{DuplicateKey, DuplicateKind};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL003",
        name: "duplicate-key",
        severity: Severity::Error,
        summary: "the same mapping key twice (YAML parsers silently keep one)",
        fix: Some(Applicability::Safe),
        docs: r#"
## What it catches
A key written twice (or more) in the same mapping: two `rangeKey:` lines in one table,
two `tables:` keys in one file. Keys that Helm's YAML 1.1 reader turns into the same
string count as duplicates too (`yes:` and `true:` are both the key `true`). Also a key
written before a `<<` merge that brings the same key: Helm's go-yaml v2 applies merges in
order, so the merged value replaces the one written (YAML 1.2 tools do the opposite).

## Why it matters
Helm keeps the last value without a word, so the first one — often the one a reviewer
reads — has no effect. Two `tables:` keys mean every table of the first list is dropped,
and with `deletionPolicy: Delete` deleted in AWS.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - name: CustomerId
        type: 'S'
    rangeKey: CreatedAt   # Helm keeps this one
```

## How to fix
Keep one of the keys, with the value you mean; write `<<:` first in a mapping so the keys
after it override what it merges. The finding points at the key Helm keeps (for a merge,
at the key it overwrites); the related locations are the ignored ones.
"#,
    },
    check: Check::File(check),
};

fn check(context: &FileContext<'_>, out: &mut FileFindings) {
    if let Some(values) = context.values {
        for duplicate in values.duplicates {
            out.push(finding(values, duplicate));
        }
    }
}

fn finding(context: &ValuesContext<'_>, duplicate: &DuplicateKey) -> Finding {
    let what = context.describe(&duplicate.pointer);
    let line = |span: &Span| context.source.position(span.start).line;
    let site = Site::new(context.file, duplicate.span);
    let mut finding = match &duplicate.kind {
        DuplicateKind::Repeated { ignored } => {
            let lines: Vec<String> = ignored.iter().map(|span| line(span).to_string()).collect();
            let (times, ignored_lines) = match lines.as_slice() {
                [one] => ("twice".to_string(), format!("line {one}")),
                many => (format!("{} times", many.len() + 1), format!("lines {}", many.join(", "))),
            };
            let mut finding = Finding::new(
                &RULE.meta,
                site,
                format!("{what} is written {times} in the same mapping; Helm keeps this value and ignores {ignored_lines}"),
            )
            .help(format!("keep one `{}` key, with the value you mean", duplicate.key));
            for span in ignored {
                finding = finding.related(Site::new(context.file, *span), "a value Helm ignores");
            }
            finding
        }
        DuplicateKind::MergedOver { merge } => Finding::new(
            &RULE.meta,
            site,
            format!(
                "{what} is overwritten by the `<<` merge on line {}: Helm (go-yaml v2) applies merges in order and keeps the merged value, not this one",
                line(merge)
            ),
        )
        .help("write `<<:` first in the mapping, so that the keys written after it override what it merges")
        .related(Site::new(context.file, *merge), "the merge that overwrites it"),
    };
    // Helm reads the mapping the same without the writes it does not keep.
    if !duplicate.removable.is_empty() {
        let lines: Vec<String> = duplicate
            .removable
            .iter()
            .map(|span| line(span).to_string())
            .collect();
        finding = finding.fix(Fix {
            applicability: Applicability::Safe,
            title: format!(
                "remove the `{}` Helm does not keep (line {})",
                duplicate.key,
                lines.join(", ")
            ),
            file: context.file,
            changes: duplicate
                .removable
                .iter()
                .map(|entry| Change::RemoveEntry { entry: *entry })
                .collect(),
        });
    }
    finding = finding.locus(context.root.semantic_path(&duplicate.pointer));
    if let Some(table) = context.table_id(&duplicate.pointer) {
        finding = finding.table(table);
    }
    finding
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint};

    #[test]
    fn ok() {
        check(
            &lint(&[("koa-dev.yaml", crate::rules::testing::ORDERS)]),
            "DL003",
            &[],
        );
    }

    #[test]
    fn duplicates_point_at_the_key_helm_keeps() {
        let text = "\
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - name: CustomerId
        type: 'S'
      - name: CreatedAt
        type: 'S'
    rangeKey: CreatedAt
";
        let twice = "tables:\n  - name: Orders\ntables: []\nyes: 1\ntrue: 2\n";
        check(
            &lint(&[("koa-dev.yaml", text), ("twice.yaml", twice)]),
            "DL003",
            &[
                "koa-dev.yaml:10:5 error DL003 `rangeKey` of table `koa-dev-Orders` is written twice in the same mapping; Helm keeps this value and ignores line 4 (keep one `rangeKey` key, with the value you mean)",
                "twice.yaml:3:1 error DL003 `tables` is written twice in the same mapping; Helm keeps this value and ignores line 1 (keep one `tables` key, with the value you mean)",
                "twice.yaml:5:1 error DL003 `true` is written twice in the same mapping; Helm keeps this value and ignores line 4 (keep one `true` key, with the value you mean)",
            ],
        );
    }

    #[test]
    fn three_writes_and_merges() {
        let text = "\
tables:
  - &orders
    name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
  - name: Orders2
    billingMode: PAY_PER_REQUEST
    billingMode: PROVISIONED
    billingMode: PAY_PER_REQUEST
    <<: *orders
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL003",
            &[
                "koa-dev.yaml:7:5 error DL003 `name` of table `koa-dev-Orders` is overwritten by the `<<` merge on line 11: Helm (go-yaml v2) applies merges in order and keeps the merged value, not this one (write `<<:` first in the mapping, so that the keys written after it override what it merges)",
                "koa-dev.yaml:10:5 error DL003 `billingMode` of table `koa-dev-Orders` is written 3 times in the same mapping; Helm keeps this value and ignores lines 8, 9 (keep one `billingMode` key, with the value you mean)",
            ],
        );
    }

    #[test]
    fn fix_removes_the_writes_helm_ignores() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    billingMode: PROVISIONED\n    billingMode: PAY_PER_REQUEST\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL003", false),
            text.replace("    billingMode: PROVISIONED\n", "")
        );
    }
}
