//! DL109 projected-attribute-limit: too many projected attributes over all indexes.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub const MAX_PROJECTED_PER_TABLE: usize = 100;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL109",
        name: "projected-attribute-limit",
        severity: Severity::Error,
        summary: "more than 100 projected non-key attributes summed over all of a table's indexes (an attribute in two indexes counts twice)",
        fix: None,
        docs: r#"
## What it catches
A table whose indexes together list more than 100 `nonKeyAttributes`. DynamoDB counts
the lists of all local and global secondary indexes of a table together, and an
attribute projected into two indexes counts twice.

## Why it matters
AWS rejects the table, or the update that adds the index that crosses the limit. Each
index can be within its own limit of 20 while the table is over.

## Example
```yaml
    globalSecondaryIndex:      # 6 indexes x 20 attributes = 120 > 100
      - name: ByA
        hashKey: A
        projectionType: INCLUDE
        nonKeyAttributes: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10,
                           a11, a12, a13, a14, a15, a16, a17, a18, a19, a20]
      # ... five more like it
```

## How to fix
Project fewer attributes, or use `projectionType: ALL` on the indexes that need most of
the item (ALL does not count towards the limit).
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let total: usize = table.indexes().map(|(_, index)| index.non_key.len()).sum();
        if total <= MAX_PROJECTED_PER_TABLE {
            continue;
        }
        // Report at the index whose list crosses the limit.
        let mut running = 0;
        for (kind, index) in table.indexes() {
            running += index.non_key.len();
            if running > MAX_PROJECTED_PER_TABLE {
                let span = index.non_key_key.unwrap_or(index.name.span);
                findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        span,
                        "nonKeyAttributes",
                        format!(
                            "table `{}` projects {total} non-key attributes over its indexes; DynamoDB allows {MAX_PROJECTED_PER_TABLE} in total, and {} `{}` crosses it",
                            table.id.name,
                            kind.short(),
                            index.name.value
                        ),
                    )
                    .help("project fewer attributes, or use projectionType: ALL where an index needs most of the item"),
                );
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL109", &[]);
    }

    #[test]
    fn over_one_hundred_in_total() {
        let list: Vec<String> = (0..20).map(|index| format!("a{index}")).collect();
        let mut text = String::from(
            "tables:\n  - name: Wide\n    hashKey: Id\n    attributes:\n      - {name: Id, type: 'S'}\n",
        );
        for index in 0..6 {
            text.push_str(&format!("      - {{name: K{index}, type: 'S'}}\n"));
        }
        text.push_str("    globalSecondaryIndex:\n");
        for index in 0..6 {
            text.push_str(&format!(
                "      - name: By{index}\n        hashKey: K{index}\n        projectionType: INCLUDE\n        nonKeyAttributes: [{}]\n",
                list.join(", ")
            ));
        }
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL109",
            &[
                "koa-dev.yaml:36:9 error DL109 table `koa-dev-Wide` projects 120 non-key attributes over its indexes; DynamoDB allows 100 in total, and GSI `By5` crosses it (project fewer attributes, or use projectionType: ALL where an index needs most of the item)",
            ],
        );
    }
}
