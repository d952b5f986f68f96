//! DL305 gsi-recreated: global secondary indexes rebuilt, or several changed at once.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::model::Index;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head, index_key_types_changed};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL305",
        name: "gsi-recreated",
        severity: Severity::Warning,
        summary: "a GSI's keys or projection changed (deleted and rebuilt: queries on it fail meanwhile), or more than one GSI added/removed in one change",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision:

- a global secondary index whose keys, key attribute types or projection change:
  DynamoDB cannot update them, so the index is deleted and created again;
- more than one global secondary index added or removed in one change.

## Why it matters
While a GSI is rebuilt, queries on it fail, and the backfill of a large table takes
hours. DynamoDB creates or deletes one GSI per table update, so a change that adds or
removes several is applied over several updates by Crossplane and may stop halfway.

## Example
```yaml
    globalSecondaryIndex:
      - name: ByStatus
        hashKey: Status
        projectionType: ALL      # was KEYS_ONLY: the index is rebuilt
```

## How to fix
Add a new index under a new name, switch the queries to it, then remove the old one in a
later change; add or remove one GSI per change.
"#,
    },
    check: Check::Change(check),
};

use super::by_name;

/// `1 global secondary index`, `2 global secondary indexes`.
fn gsis(count: usize) -> String {
    match count {
        1 => "1 global secondary index".to_string(),
        count => format!("{count} global secondary indexes"),
    }
}

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let (before, after) = (by_name(&old.gsis), by_name(&new.gsis));
        let name = &new.id.name;
        for (index_name, index) in &after {
            let Some(previous) = before.get(index_name) else {
                continue;
            };
            for (key, type_before, type_after) in index_key_types_changed(pair, previous, index) {
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        type_after.span,
                        &format!("globalSecondaryIndex/{index_name}/{key}/type"),
                        format!(
                            "the type of key attribute `{key}` of global secondary index `{index_name}` of table `{name}` changes from `{type_before}` to `{}`: DynamoDB deletes and rebuilds the index, and queries on it fail until it is built again",
                            type_after.value
                        ),
                    )
                    .help("add the new index under a new name, move the queries to it, and remove the old one in a later change"),
                );
            }
            if previous.signature() != index.signature() {
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        index.changed_span(previous),
                        &format!("globalSecondaryIndex/{index_name}"),
                        format!("global secondary index `{index_name}` of table `{name}` changes its keys or projection: DynamoDB deletes and rebuilds it, and queries on it fail until it is built again"),
                    )
                    .help("add the new index under a new name, move the queries to it, and remove the old one in a later change"),
                );
            }
        }
        let added: Vec<&&Index> = after
            .iter()
            .filter(|(index_name, _)| !before.contains_key(*index_name))
            .map(|(_, index)| index)
            .collect();
        let removed = before
            .keys()
            .filter(|index_name| !after.contains_key(*index_name))
            .count();
        if added.len() + removed > 1 {
            // At the second index added, else at the list.
            let span = added
                .get(1)
                .map_or(new.gsi_key.unwrap_or(new.name.span), |index| {
                    index.name.span
                });
            findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    span,
                    "globalSecondaryIndex",
                    format!(
                        "{} of table `{name}` {} added and {} removed in one change: DynamoDB changes one GSI per update, so the change is applied in steps and may stop halfway",
                        gsis(added.len()),
                        if added.len() == 1 { "is" } else { "are" },
                        if removed == 0 { "none".to_string() } else { removed.to_string() },
                    ),
                )
                .help("add or remove one global secondary index per change"),
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
    hashKey: Id
    attributes:
      - {name: Id, type: 'S'}
      - {name: Status, type: 'S'}
      - {name: Day, type: 'S'}
    globalSecondaryIndex:
      - {name: ByStatus, hashKey: Status, projectionType: KEYS_ONLY}
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";

    #[test]
    fn ok() {
        let one_more = ORDERS.replace(
            "    serviceAccountReadRoles",
            "      - {name: ByDay, hashKey: Day, projectionType: ALL}\n    serviceAccountReadRoles",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &one_more)]),
            "DL305",
            &[],
        );
    }

    #[test]
    fn rebuilt_and_several_at_once() {
        let rebuilt = ORDERS.replace("projectionType: KEYS_ONLY", "projectionType: ALL");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &rebuilt)]),
            "DL305",
            &[
                "koa-dev.yaml:9:59 warning DL305 global secondary index `ByStatus` of table `koa-dev-Orders` changes its keys or projection: DynamoDB deletes and rebuilds it, and queries on it fail until it is built again (add the new index under a new name, move the queries to it, and remove the old one in a later change)",
            ],
        );
        let two_more = ORDERS.replace(
            "    serviceAccountReadRoles",
            "      - {name: ByDay, hashKey: Day, projectionType: ALL}\n      - {name: ByDay2, hashKey: Day, projectionType: KEYS_ONLY}\n    serviceAccountReadRoles",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &two_more)]),
            "DL305",
            &[
                "koa-dev.yaml:11:16 warning DL305 2 global secondary indexes of table `koa-dev-Orders` are added and none removed in one change: DynamoDB changes one GSI per update, so the change is applied in steps and may stop halfway (add or remove one global secondary index per change)",
            ],
        );
    }

    #[test]
    fn key_attribute_type_changed() {
        let retyped = ORDERS.replace("{name: Status, type: 'S'}", "{name: Status, type: 'N'}");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &retyped)]),
            "DL305",
            &[
                "koa-dev.yaml:6:30 warning DL305 the type of key attribute `Status` of global secondary index `ByStatus` of table `koa-dev-Orders` changes from `S` to `N`: DynamoDB deletes and rebuilds the index, and queries on it fail until it is built again (add the new index under a new name, move the queries to it, and remove the old one in a later change)",
            ],
        );
    }
}
