//! DL313 gsi-removed: a global secondary index removed (or renamed) on an existing table.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head, by_name};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL313",
        name: "gsi-removed",
        severity: Severity::Warning,
        summary: "a GSI removed or renamed on an existing table: every query that uses it fails from then on",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision: a global secondary index that is no longer in
the values, whether removed or renamed (a rename is a removal and a new index).

## Why it matters
DynamoDB deletes the index. Every query that names it fails from then on
(`ValidationException: The table does not have the specified index`); a renamed index is
also built again from scratch, and queries on the new name fail until the backfill ends.

## Example
```yaml
tables:
  - name: Orders
    globalSecondaryIndex:
      - name: ByCustomerId      # was ByCustomer: the old index is deleted
        hashKey: CustomerId
        projectionType: ALL
```

## How to fix
Move every query off the index first, in the services' code; remove the index in a later
change. To rename, add the new index beside the old one, switch the queries, then remove
the old one.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let after = by_name(&new.gsis);
        for index in old
            .gsis
            .iter()
            .filter(|index| !after.contains_key(index.name.value.as_str()))
        {
            // At the list of indexes, else at the table.
            let span = new.gsi_key.unwrap_or(new.name.span);
            findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    span,
                    &format!("globalSecondaryIndex/{}", index.name.value),
                    format!(
                        "global secondary index `{}` is removed from existing table `{}`: DynamoDB deletes it, and every query that uses it fails from then on",
                        index.name.value, new.id.name
                    ),
                )
                .help("move the queries off the index first; to rename it, add the new index beside the old one and remove the old one in a later change"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}, {name: C, type: 'S'}]\n    globalSecondaryIndex:\n      - {name: ByC, hashKey: C, projectionType: ALL}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let other = ORDERS.replace("projectionType: ALL", "projectionType: KEYS_ONLY");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &other)]),
            "DL313",
            &[],
        );
    }

    #[test]
    fn removed_or_renamed() {
        let renamed = ORDERS.replace("name: ByC,", "name: ByCustomer,");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &renamed)]),
            "DL313",
            &[
                "koa-dev.yaml:5:5 warning DL313 global secondary index `ByC` is removed from existing table `koa-dev-Orders`: DynamoDB deletes it, and every query that uses it fails from then on (move the queries off the index first; to rename it, add the new index beside the old one and remove the old one in a later change)",
            ],
        );
    }
}
