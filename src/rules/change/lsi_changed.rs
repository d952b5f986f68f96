//! DL304 lsi-changed: local secondary indexes change on an existing table.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head, index_key_types_changed, migrate_command};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL304",
        name: "lsi-changed",
        severity: Severity::Error,
        summary: "an LSI added, removed or modified on an existing table (LSIs exist only at creation)",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision: a local secondary index is added, removed,
or changed (its sort key, the declared type of its sort key attribute, its projection or
projected attributes). A new table may declare any LSIs.

## Why it matters
DynamoDB creates local secondary indexes with the table and never changes them after;
Terraform would replace the table. The Crossplane provider refuses an update that needs
a replacement: the Table resource goes `Synced=False`, every other change to the table is
blocked until the values are reverted, and the table keeps its old indexes while the
service expects others. The only way to change an LSI is a new table.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    localSecondaryIndex:       # added to a table that already exists
      - name: StatusIndex
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: []
```

## How to fix
Use a global secondary index instead (it can be added to an existing table), or create a
new table with the LSI, migrate the data and switch over.
`dynalint migrate --base <REV> Orders` writes the first step: the old entry back as in the
base revision, and the new definition as `Orders-v2` beside it.
"#,
    },
    check: Check::Change(check),
};

use super::by_name;

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let (before, after) = (by_name(&old.lsis), by_name(&new.lsis));
        let name = &new.id.name;
        let help = format!(
            "LSIs exist only from a table's creation: use a global secondary index, or {} keeps the table as it is and declares the new LSIs on a new, versioned table beside it",
            migrate_command(old)
        );
        let help = help.as_str();
        for (index_name, index) in &after {
            let message = match before.get(index_name) {
                None => format!(
                    "local secondary index `{index_name}` is added to existing table `{name}`: AWS creates LSIs only with the table, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted"
                ),
                Some(previous) if previous.signature() != index.signature() => format!(
                    "local secondary index `{index_name}` of existing table `{name}` changes: AWS cannot change an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted"
                ),
                Some(previous) => {
                    for (key, type_before, type_after) in
                        index_key_types_changed(pair, previous, index)
                    {
                        findings.push(
                            at_head(
                                &RULE.meta,
                                pair,
                                type_after.span,
                                &format!("localSecondaryIndex/{index_name}/{key}/type"),
                                format!(
                                    "the type of key attribute `{key}` of local secondary index `{index_name}` of existing table `{name}` changes from `{type_before}` to `{}`: AWS cannot change an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted",
                                    type_after.value
                                ),
                            )
                            .help(help),
                        );
                    }
                    continue;
                }
            };
            // At the value the change touched.
            let span = before
                .get(index_name)
                .map_or(index.name.span, |previous| index.changed_span(previous));
            findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    span,
                    &format!("localSecondaryIndex/{index_name}"),
                    message,
                )
                .help(help),
            );
        }
        for index_name in before
            .keys()
            .filter(|index_name| !after.contains_key(*index_name))
        {
            findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    new.lsi_key.unwrap_or(new.name.span),
                    &format!("localSecondaryIndex/{index_name}"),
                    format!("local secondary index `{index_name}` is removed from existing table `{name}`: AWS cannot remove an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted"),
                )
                .help(help),
            );
        }
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
      - {name: Status, type: 'S'}
      - {name: Total, type: 'N'}
    localSecondaryIndex:
      - {name: ByStatus, rangeKey: Status, projectionType: ALL, nonKeyAttributes: []}
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";

    #[test]
    fn ok() {
        // A new table with LSIs is fine; so is an unchanged LSI written differently.
        check(&lint_change(&[], &[("koa-dev.yaml", ORDERS)]), "DL304", &[]);
        let reformatted = ORDERS.replace(
            "      - {name: ByStatus, rangeKey: Status, projectionType: ALL, nonKeyAttributes: []}",
            "      - name: ByStatus\n        projectionType: ALL\n        rangeKey: Status\n        nonKeyAttributes: []",
        );
        check(
            &lint_change(
                &[("koa-dev.yaml", ORDERS)],
                &[("koa-dev.yaml", &reformatted)],
            ),
            "DL304",
            &[],
        );
    }

    #[test]
    fn added_changed_removed() {
        let added = ORDERS.replace(
            "    serviceAccountReadRoles",
            "      - {name: ByTotal, rangeKey: Total, projectionType: KEYS_ONLY, nonKeyAttributes: []}\n    serviceAccountReadRoles",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &added)]),
            "DL304",
            &[
                "koa-dev.yaml:12:16 error DL304 local secondary index `ByTotal` is added to existing table `koa-dev-Orders`: AWS creates LSIs only with the table, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (LSIs exist only from a table's creation: use a global secondary index, or `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new LSIs on a new, versioned table beside it)",
            ],
        );
        let changed = ORDERS.replace("projectionType: ALL", "projectionType: KEYS_ONLY");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &changed)]),
            "DL304",
            &[
                "koa-dev.yaml:11:60 error DL304 local secondary index `ByStatus` of existing table `koa-dev-Orders` changes: AWS cannot change an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (LSIs exist only from a table's creation: use a global secondary index, or `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new LSIs on a new, versioned table beside it)",
            ],
        );
        check(
            &lint_change(&[("koa-dev.yaml", &added)], &[("koa-dev.yaml", ORDERS)]),
            "DL304",
            &[
                "koa-dev.yaml:10:5 error DL304 local secondary index `ByTotal` is removed from existing table `koa-dev-Orders`: AWS cannot remove an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (LSIs exist only from a table's creation: use a global secondary index, or `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new LSIs on a new, versioned table beside it)",
            ],
        );
    }

    #[test]
    fn key_attribute_type_changed() {
        let retyped = ORDERS.replace("{name: Status, type: 'S'}", "{name: Status, type: 'N'}");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &retyped)]),
            "DL304",
            &[
                "koa-dev.yaml:8:30 error DL304 the type of key attribute `Status` of local secondary index `ByStatus` of existing table `koa-dev-Orders` changes from `S` to `N`: AWS cannot change an LSI, and the provider refuses an update that needs a new table, so the Table stays Synced=False and every other change to it is blocked until the values are reverted; nothing is deleted (LSIs exist only from a table's creation: use a global secondary index, or `dynalint migrate --base <REV> Orders` keeps the table as it is and declares the new LSIs on a new, versioned table beside it)",
            ],
        );
    }
}
