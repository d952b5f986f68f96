//! DL303 key-schema-changed: the keys of an existing table change.

use crate::diff::{ChangeSet, Pair};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head, migrate_command};
use crate::rules::{Check, Rule};
use crate::span::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL303",
        name: "key-schema-changed",
        severity: Severity::Error,
        summary: "`hashKey`/`rangeKey` changed, or the type of a key attribute changed, on an existing table",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision: its `hashKey` or `rangeKey` changes, a
`rangeKey` is added or removed, or the declared type of a key attribute changes
(`type: 'S'` to `'N'`).

## Why it matters
DynamoDB cannot change the key schema of a table, and Terraform would replace it. The
Crossplane provider (upjet) refuses any update that needs a replacement: the Table
resource goes `Synced=False` and stays there, and every other change to that table — a
new GSI, a capacity change — is blocked until the values are reverted. Nothing is
deleted; the values now lie about AWS. A key attribute's type change is worse: the
provider silently ignores it, AWS keeps the old type, and nothing says so.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: CreatedAt        # was OrderDate
```

## How to fix
Keep the key schema. To change it, create a new table (a new name) with the new keys,
migrate the data, switch the service, then remove the old table.
`dynalint migrate --base <REV> Orders` writes the first step: the old entry back as in the
base revision, and the new definition as `Orders-v2` beside it.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let name = &new.id.name;
        let help = format!(
            "keep the key schema; to change it, {} keeps the table as it is and declares the new keys as a new, versioned table beside it; migrate the data, then remove the old one",
            migrate_command(old)
        );
        let mut report = |span, locus: &str, message: String| {
            findings.push(at_head(&RULE.meta, pair, span, locus, message).help(help.clone()));
        };
        if old.hash_key.value != new.hash_key.value {
            report(
                new.hash_key.span,
                "hashKey",
                format!(
                    "the partition key of table `{name}` changes from `{}` to `{}`: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted",
                    old.hash_key.value, new.hash_key.value
                ),
            );
        }
        match (&old.range_key, &new.range_key) {
            (Some(before), Some(after)) if before.value != after.value => report(
                after.span,
                "rangeKey",
                format!(
                    "the sort key of table `{name}` changes from `{}` to `{}`: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted",
                    before.value, after.value
                ),
            ),
            (None, Some(after)) => report(
                after.span,
                "rangeKey",
                format!(
                    "a sort key `{}` is added to existing table `{name}`: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted",
                    after.value
                ),
            ),
            (Some(before), None) => report(
                new.name.span,
                "rangeKey",
                format!(
                    "the sort key `{}` of table `{name}` is removed: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted",
                    before.value
                ),
            ),
            _ => {}
        }
        key_type(pair, &new.hash_key, &mut report);
        if let Some(range_key) = &new.range_key {
            key_type(pair, range_key, &mut report);
        }
    }
}

/// A key that keeps its name but changes its declared type.
fn key_type(
    pair: &Pair<'_>,
    key: &Spanned<String>,
    report: &mut impl FnMut(crate::span::Span, &str, String),
) {
    let kind = |table: &crate::model::Table| {
        table
            .attribute(&key.value)
            .and_then(|attribute| attribute.kind.clone())
    };
    if let (Some(before), Some(after)) = (kind(pair.base.table), kind(pair.head.table))
        && before.value != after.value
        && pair
            .base
            .table
            .key_attributes()
            .contains(key.value.as_str())
    {
        report(
            after.span,
            &format!("attributes/{}/type", key.value),
            format!(
                "the type of key attribute `{}` of table `{}` changes from `{}` to `{}`: the provider silently ignores it (no update is made), and AWS keeps the old type while the values say the new one",
                key.value, pair.head.table.id.name, before.value, after.value
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "\
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - {name: CustomerId, type: 'S'}
      - {name: OrderDate, type: 'S'}
      - {name: CreatedAt, type: 'N'}
    globalSecondaryIndex:
      - {name: ByCreated, hashKey: CreatedAt, projectionType: ALL}
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";

    #[test]
    fn ok() {
        // Other settings may change; a brand-new table may have any keys.
        let other = ORDERS.replace("projectionType: ALL", "projectionType: KEYS_ONLY");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &other)]),
            "DL303",
            &[],
        );
        check(&lint_change(&[], &[("koa-dev.yaml", ORDERS)]), "DL303", &[]);
    }

    #[test]
    fn keys_and_key_types() {
        let sort = ORDERS.replace("rangeKey: OrderDate", "rangeKey: CreatedAt");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &sort)]),
            "DL303",
            &[
                "koa-dev.yaml:4:15 error DL303 the sort key of table `koa-dev-Orders` changes from `OrderDate` to `CreatedAt`: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (keep the key schema; to change it, `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new keys as a new, versioned table beside it; migrate the data, then remove the old one)",
            ],
        );
        let typed = ORDERS.replace(
            "{name: CustomerId, type: 'S'}",
            "{name: CustomerId, type: 'N'}",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &typed)]),
            "DL303",
            &[
                "koa-dev.yaml:6:34 error DL303 the type of key attribute `CustomerId` of table `koa-dev-Orders` changes from `S` to `N`: the provider silently ignores it (no update is made), and AWS keeps the old type while the values say the new one (keep the key schema; to change it, `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new keys as a new, versioned table beside it; migrate the data, then remove the old one)",
            ],
        );
        let no_sort = ORDERS
            .replace("    rangeKey: OrderDate\n", "")
            .replace("      - {name: OrderDate, type: 'S'}\n", "");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &no_sort)]),
            "DL303",
            &[
                "koa-dev.yaml:2:11 error DL303 the sort key `OrderDate` of table `koa-dev-Orders` is removed: DynamoDB cannot change a table's keys, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (keep the key schema; to change it, `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new keys as a new, versioned table beside it; migrate the data, then remove the old one)",
            ],
        );
    }
}
