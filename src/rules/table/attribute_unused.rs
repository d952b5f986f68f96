//! DL102 attribute-unused: an attribute declared but used by no key.

use std::collections::BTreeSet;

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::table::intended_attribute;
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL102",
        name: "attribute-unused",
        severity: Severity::Error,
        summary: "an attribute listed but used by no table or index key (AWS rejects CreateTable)",
        fix: Some(Applicability::Safe),
        docs: r#"
## What it catches
An entry of `attributes` that is neither the table's `hashKey` or `rangeKey` nor a key of
one of its indexes.

## Why it matters
Unlike a relational schema, `attributes` (AttributeDefinitions) may only list key
attributes. AWS rejects the whole CreateTable or UpdateTable call ("The number of
attributes in key schema must match the number of attributes defined in attribute
definitions"), so the table is not created or not updated. It usually means an index
was removed or renamed but its key attribute stayed behind.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    attributes:
      - name: CustomerId
        type: 'S'
      - name: TotalAmount      # no key uses it
        type: 'N'
```

## How to fix
Remove the attribute: items may still carry it, DynamoDB needs no declaration for
non-key attributes. If an index was meant to use it, add or fix that index.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let keys = table.key_attributes();
        // A repeated declaration is DL103's; report an unused name once. An attribute that
        // an undeclared key misspells is DL101's, which suggests it: removing it, as this
        // rule would advise, would be the wrong fix.
        let mut reported: BTreeSet<&str> = keys
            .iter()
            .filter_map(|key| intended_attribute(table, key))
            .collect();
        for attribute in &table.attributes {
            let name = &attribute.name.value;
            if keys.contains(name.as_str()) || !reported.insert(name.as_str()) {
                continue;
            }
            let misspelled = table.misspelled_keys.contains(name);
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    attribute.name.span,
                    &format!("attributes/{name}"),
                    format!(
                        "attribute `{name}` of table `{}` is not a key of the table or of any index; AWS rejects the table",
                        table.id.name
                    ),
                )
                .help(if misspelled {
                    "a field that misspells `hashKey` or `rangeKey` names it: correct that field (DL002), and the attribute is used".to_string()
                } else {
                    "remove it from `attributes`: only key attributes are declared, items may carry any other attribute".to_string()
                })
                // Not when a misspelled key field names it: it is meant as a key, and
                // removing it would lose its type.
                .fix_if((!misspelled).then(|| {
                    Fix::new(
                        Applicability::Safe,
                        table.file,
                        format!("remove attribute `{name}`"),
                        Change::RemoveItem { at: attribute.span },
                    )
                })),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL102", &[]);
    }

    #[test]
    fn unused_attributes() {
        let text = "\
tables:
  - name: Orders
    hashKey: CustomerId
    attributes:
      - name: CustomerId
        type: 'S'
      - name: TotalAmount
        type: 'N'
      - name: TotalAmount
        type: 'N'
    globalSecondaryIndex:
      - name: ByCustomer
        hashKey: CustomerId
        projectionType: ALL
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL102",
            &[
                "koa-dev.yaml:7:15 error DL102 attribute `TotalAmount` of table `koa-dev-Orders` is not a key of the table or of any index; AWS rejects the table (remove it from `attributes`: only key attributes are declared, items may carry any other attribute)",
            ],
        );
    }

    #[test]
    fn a_misspelled_key_is_reported_once_by_dl101() {
        let text = "\
tables:
  - name: Trips
    hashKey: TripId
    rangeKey: startedAt
    attributes:
      - {name: TripId, type: 'S'}
      - {name: StartedAt, type: 'S'}
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(&findings, "DL102", &[]);
        check(
            &findings,
            "DL101",
            &[
                "koa-dev.yaml:4:15 error DL101 rangeKey `startedAt` of table `koa-dev-Trips` is not declared in `attributes` (did you mean `StartedAt`? Attribute names are case-sensitive)",
            ],
        );
    }

    #[test]
    fn fix_removes_the_attribute() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: 'S'\n      - name: Total   # no key uses it\n        type: 'N'\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL102", false),
            text.replace(
                "      - name: Total   # no key uses it\n        type: 'N'\n",
                ""
            )
        );
    }
}
