//! DL106 lsi-without-range-key: local secondary indexes on a table without a sort key.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL106",
        name: "lsi-without-range-key",
        severity: Severity::Error,
        summary: "LSI on a table that has no `rangeKey`",
        fix: None,
        docs: r#"
## What it catches
A table with `localSecondaryIndex` entries but no `rangeKey` of its own.

## Why it matters
DynamoDB allows local secondary indexes only on tables with a composite primary key
(partition and sort key); AWS rejects the table. Because LSIs exist only from creation,
the fix must land before the table is first created — adding a sort key later means a
new table.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId          # no rangeKey
    attributes:
      - name: CustomerId
        type: 'S'
      - name: Status
        type: 'S'
    localSecondaryIndex:
      - name: StatusIndex
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: []
```

## How to fix
Give the table a `rangeKey`, or make the index a global secondary index
(`globalSecondaryIndex` with `hashKey: CustomerId`, `rangeKey: Status`), which any table
can have and which can be added later.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let (Some(key), None) = (table.lsi_key, &table.range_key) else {
            continue;
        };
        if table.lsis.is_empty() {
            continue;
        }
        findings.push(
            on_table(
                &RULE.meta,
                table,
                key,
                "localSecondaryIndex",
                format!(
                    "table `{}` has local secondary indexes but no `rangeKey`; DynamoDB allows LSIs only on tables with a sort key",
                    table.id.name
                ),
            )
            .help("add the table's `rangeKey`, or declare these as `globalSecondaryIndex` with `hashKey` set"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL106", &[]);
    }

    #[test]
    fn lsi_on_a_hash_only_table() {
        let text = "\
tables:
  - name: Orders
    hashKey: CustomerId
    attributes:
      - {name: CustomerId, type: 'S'}
      - {name: Status, type: 'S'}
    localSecondaryIndex:
      - name: StatusIndex
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: []
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL106",
            &[
                "koa-dev.yaml:7:5 error DL106 table `koa-dev-Orders` has local secondary indexes but no `rangeKey`; DynamoDB allows LSIs only on tables with a sort key (add the table's `rangeKey`, or declare these as `globalSecondaryIndex` with `hashKey` set)",
            ],
        );
    }
}
