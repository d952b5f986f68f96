//! DL111 capacity-mismatch: capacity settings that do not fit the billing mode.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::model::{BillingMode, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};
use crate::span::{Span, Spanned};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL111",
        name: "capacity-mismatch",
        severity: Severity::Error,
        summary: "PROVISIONED without read/write capacity; capacity given under PAY_PER_REQUEST (warning)",
        fix: Some(Applicability::Safe),
        docs: r#"
## What it catches
- `billingMode: PROVISIONED` on a table, or on the table of a global secondary index,
  without both `readCapacity` and `writeCapacity` (an error);
- `readCapacity` or `writeCapacity` under `PAY_PER_REQUEST`, which is the default
  (a warning: the numbers are ignored).

## Why it matters
AWS rejects a provisioned table or GSI without throughput. Capacity numbers under
on-demand billing suggest the author believes the table is provisioned — a cost or
throttling surprise waiting to happen.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    billingMode: PROVISIONED
    readCapacity: 5               # writeCapacity missing
```

## How to fix
Give both capacities under PROVISIONED (for the table and each GSI), or remove them
under PAY_PER_REQUEST.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let table_owner = format!("table `{}`", table.id.name);
        let mode_span = table
            .billing_mode
            .as_ref()
            .map_or(table.name.span, |mode| mode.span);
        capacities(
            table,
            &table_owner,
            "",
            mode_span,
            &table.read_capacity,
            &table.write_capacity,
            findings,
        );
        for index in &table.gsis {
            let owner = format!("GSI `{}` of table `{}`", index.name.value, table.id.name);
            let locus = format!("globalSecondaryIndex/{}/", index.name.value);
            capacities(
                table,
                &owner,
                &locus,
                index.name.span,
                &index.read_capacity,
                &index.write_capacity,
                findings,
            );
        }
    }
}

fn capacities(
    table: &Table,
    owner: &str,
    locus: &str,
    missing_at: Span,
    read: &Option<Spanned<u64>>,
    write: &Option<Spanned<u64>>,
    findings: &mut Vec<Finding>,
) {
    match table.billing() {
        BillingMode::Provisioned => {
            let missing: Vec<&str> = [
                ("readCapacity", read.is_none()),
                ("writeCapacity", write.is_none()),
            ]
            .into_iter()
            .filter_map(|(field, absent)| absent.then_some(field))
            .collect();
            if missing.is_empty() {
                return;
            }
            let listed = missing
                .iter()
                .map(|field| format!("`{field}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    missing_at,
                    &format!("{locus}capacity"),
                    format!("{owner} is PROVISIONED but has no {listed}"),
                )
                .help(
                    "give both readCapacity and writeCapacity, or use billingMode: PAY_PER_REQUEST",
                ),
            );
        }
        BillingMode::PayPerRequest => {
            for (field, value) in [("readCapacity", read), ("writeCapacity", write)] {
                if let Some(value) = value {
                    findings.push(
                        on_table(
                            &RULE.meta,
                            table,
                            value.key,
                            &format!("{locus}{field}"),
                            format!("`{field}` of {owner} is ignored: the table bills PAY_PER_REQUEST"),
                        )
                        .severity(Severity::Warning)
                        .help("remove it, or set billingMode: PROVISIONED if the table should be provisioned")
                        // Only under a billing mode written as such: without one, the
                        // capacity may be what was meant, and `billingMode` forgotten.
                        .fix_if(table.billing_mode.is_some().then(|| {
                            Fix::new(
                                Applicability::Safe,
                                table.file,
                                format!("remove `{field}`"),
                                Change::RemoveEntry {
                                    entry: Span::new(value.key.start, value.span.end),
                                },
                            )
                        })),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        let provisioned = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}, {name: S, type: 'S'}]
    billingMode: PROVISIONED
    readCapacity: 5
    writeCapacity: 5
    globalSecondaryIndex:
      - {name: ByS, hashKey: S, projectionType: ALL, readCapacity: 1, writeCapacity: 1}
";
        check(
            &lint(&[("koa-dev.yaml", ORDERS), ("other.yaml", provisioned)]),
            "DL111",
            &[],
        );
    }

    #[test]
    fn mismatches() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}, {name: S, type: 'S'}]
    billingMode: PROVISIONED
    readCapacity: 5
    globalSecondaryIndex:
      - {name: ByS, hashKey: S, projectionType: ALL}
  - name: OnDemand
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    readCapacity: 5
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL111",
            &[
                "koa-dev.yaml:5:18 error DL111 table `koa-dev-Orders` is PROVISIONED but has no `writeCapacity` (give both readCapacity and writeCapacity, or use billingMode: PAY_PER_REQUEST)",
                "koa-dev.yaml:8:16 error DL111 GSI `ByS` of table `koa-dev-Orders` is PROVISIONED but has no `readCapacity` and `writeCapacity` (give both readCapacity and writeCapacity, or use billingMode: PAY_PER_REQUEST)",
                "koa-dev.yaml:12:5 warning DL111 `readCapacity` of table `koa-dev-OnDemand` is ignored: the table bills PAY_PER_REQUEST (remove it, or set billingMode: PROVISIONED if the table should be provisioned)",
            ],
        );
    }

    #[test]
    fn fix_removes_capacity_under_pay_per_request() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    billingMode: PAY_PER_REQUEST\n    readCapacity: 5\n    writeCapacity: 5  # from the old table\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL111", false),
            text.replace(
                "    readCapacity: 5\n    writeCapacity: 5  # from the old table\n",
                ""
            )
        );
        // No billing mode written: PROVISIONED may have been meant, the capacity stays.
        let unwritten = text.replace("    billingMode: PAY_PER_REQUEST\n", "");
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", &unwritten, "DL111", true),
            unwritten
        );
    }
}
