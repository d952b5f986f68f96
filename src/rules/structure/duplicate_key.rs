//! DL003 duplicate-key: a key written twice in one mapping.

use crate::finding::{Finding, Severity, Site};
use crate::rules::structure::ValuesContext;
use crate::rules::{Check, Rule, RuleMeta};
use crate::yaml::DuplicateKey;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL003",
        name: "duplicate-key",
        severity: Severity::Error,
        summary: "the same mapping key twice (YAML parsers silently keep one)",
        docs: r#"
## What it catches
A key written twice in the same mapping: two `rangeKey:` lines in one table, two
`tables:` keys in one file. Keys that Helm's YAML 1.1 reader turns into the same string
count as duplicates too (`yes:` and `true:` are both the key `true`).

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
Remove one of the two keys, keeping the value you mean. The finding points at the key
Helm keeps; the related location is the one it ignores.
"#,
    },
    check: Check::Pipeline,
};

pub fn finding(context: &ValuesContext<'_>, duplicate: &DuplicateKey) -> Finding {
    let what = context.describe(&duplicate.pointer);
    let mut finding = Finding::new(
        &RULE.meta,
        Site::new(context.file, duplicate.span),
        format!(
            "{what} is written twice in the same mapping; Helm keeps this value and ignores line {}",
            context.source.position(duplicate.first.start).line
        ),
    )
    .help(format!("remove one of the two `{}` keys", duplicate.key))
    .related(
        Site::new(context.file, duplicate.first),
        "the first value, which Helm ignores",
    )
    .locus(context.root.semantic_path(&duplicate.pointer));
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
                "koa-dev.yaml:10:5 error DL003 `rangeKey` of table `koa-dev-Orders` is written twice in the same mapping; Helm keeps this value and ignores line 4 (remove one of the two `rangeKey` keys)",
                "twice.yaml:3:1 error DL003 `tables` is written twice in the same mapping; Helm keeps this value and ignores line 1 (remove one of the two `tables` keys)",
                "twice.yaml:5:1 error DL003 `true` is written twice in the same mapping; Helm keeps this value and ignores line 4 (remove one of the two `true` keys)",
            ],
        );
    }
}
