//! DL110 invalid-index: a badly named, repeated or keyless index.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::{Index, IndexKind, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::table::{Owner, name_problem};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL110",
        name: "invalid-index",
        severity: Severity::Error,
        summary: "index name not 3–255 of `a-zA-Z0-9_.-` or repeated across the table's LSIs and GSIs; LSI without `rangeKey` or whose `rangeKey` is the table's `hashKey`; an LSI that repeats the table's own sort key (warning: redundant)",
        fix: None,
        docs: r#"
## What it catches
- an index name that is not 3 to 255 letters, digits, `_`, `-` or `.`;
- two indexes of one table with the same name (LSIs and GSIs share one namespace);
- a local secondary index without `rangeKey`, or whose `rangeKey` is the table's
  `hashKey` (an LSI shares the table's partition key, so it needs a different sort key);
- a warning for an LSI whose `rangeKey` is the table's own `rangeKey`: it is valid but
  duplicates the table, doubling write costs for nothing.

## Why it matters
AWS rejects the invalid cases. An LSI can only be fixed by recreating the table, so it
must be right before the first sync.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    localSecondaryIndex:
      - name: ByDate
        rangeKey: OrderDate        # the table's own sort key: redundant
        projectionType: ALL
        nonKeyAttributes: []
```

## How to fix
Rename the index, give the LSI a sort key other than the table's keys, or remove a
redundant index.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let mut seen: BTreeMap<&str, &Index> = BTreeMap::new();
        for (kind, index) in table.indexes() {
            let name = index.name.value.as_str();
            let owner = Owner::index(table, kind, index);
            if let Some(problem) = name_problem(name) {
                findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        index.name.span,
                        &owner.locus("name"),
                        format!("index name `{name}` of table `{}` {problem}", table.id.name),
                    )
                    .help("rename the index"),
                );
            }
            match seen.get(name) {
                Some(first) => findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        index.name.span,
                        &owner.locus("name"),
                        format!("table `{}` has two indexes named `{name}`; LSI and GSI names must all differ", table.id.name),
                    )
                    .help("rename one of the indexes")
                    .related(table.site(first.name.span), "the other index with this name"),
                ),
                None => {
                    seen.insert(name, index);
                }
            }
            if kind == IndexKind::Local {
                local(table, index, owner, findings);
            }
        }
    }
}

fn local(table: &Table, index: &Index, owner: Owner<'_>, findings: &mut Vec<Finding>) {
    let Some(range_key) = &index.range_key else {
        findings.push(
            on_table(&RULE.meta, table, index.name.span, &owner.locus(""), format!("{owner} has no `rangeKey`; a local secondary index sorts by another attribute than the table"))
                .help("add `rangeKey:` naming the attribute this index sorts by"),
        );
        return;
    };
    if range_key.value == table.hash_key.value {
        findings.push(
            on_table(
                &RULE.meta,
                table,
                range_key.span,
                &owner.locus("rangeKey"),
                format!("{owner} sorts by `{}`, the table's hashKey; an LSI shares the partition key and needs another sort key", range_key.value),
            )
            .help("choose another attribute as the index's `rangeKey`"),
        );
    } else if table
        .range_key
        .as_ref()
        .is_some_and(|table_range| table_range.value == range_key.value)
    {
        findings.push(
            on_table(
                &RULE.meta,
                table,
                range_key.span,
                &owner.locus("rangeKey"),
                format!("{owner} sorts by `{}`, the table's own rangeKey: it duplicates the table", range_key.value),
            )
            .severity(Severity::Warning)
            .help("remove the index, or sort it by another attribute; it doubles write costs and cannot be removed without recreating the table"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL110", &[]);
    }

    #[test]
    fn invalid_indexes() {
        let text = "\
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - {name: CustomerId, type: 'S'}
      - {name: OrderDate, type: 'S'}
      - {name: Status, type: 'S'}
    localSecondaryIndex:
      - {name: By Date, rangeKey: OrderDate, projectionType: ALL, nonKeyAttributes: []}
      - {name: ByCustomer, rangeKey: CustomerId, projectionType: ALL, nonKeyAttributes: []}
      - {name: NoKey, projectionType: ALL, nonKeyAttributes: []}
    globalSecondaryIndex:
      - {name: ByCustomer, hashKey: Status, projectionType: ALL}
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL110",
            &[
                "koa-dev.yaml:10:16 error DL110 index name `By Date` of table `koa-dev-Orders` contains ` `, which DynamoDB does not allow (only letters, digits, `_`, `-` and `.`) (rename the index)",
                "koa-dev.yaml:10:35 warning DL110 LSI `By Date` of table `koa-dev-Orders` sorts by `OrderDate`, the table's own rangeKey: it duplicates the table (remove the index, or sort it by another attribute; it doubles write costs and cannot be removed without recreating the table)",
                "koa-dev.yaml:11:38 error DL110 LSI `ByCustomer` of table `koa-dev-Orders` sorts by `CustomerId`, the table's hashKey; an LSI shares the partition key and needs another sort key (choose another attribute as the index's `rangeKey`)",
                "koa-dev.yaml:12:16 error DL110 LSI `NoKey` of table `koa-dev-Orders` has no `rangeKey`; a local secondary index sorts by another attribute than the table (add `rangeKey:` naming the attribute this index sorts by)",
                "koa-dev.yaml:14:16 error DL110 table `koa-dev-Orders` has two indexes named `ByCustomer`; LSI and GSI names must all differ (rename one of the indexes)",
            ],
        );
    }
}
