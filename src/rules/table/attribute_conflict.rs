//! DL103 attribute-conflict: an attribute declared twice, or with two types.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::Attribute;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL103",
        name: "attribute-conflict",
        severity: Severity::Error,
        summary: "an attribute declared twice, or with two types",
        fix: None,
        docs: r#"
## What it catches
The same attribute name listed twice in a table's `attributes`, whether with the same
type or (worse) with two different types.

## Why it matters
AWS rejects duplicate attribute definitions, so the table is not created or updated.
With two types, which one the key really has depends on which entry you remove, and
changing a key attribute's type later means replacing the table.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
      - name: OrderId
        type: 'N'
```

## How to fix
Keep one entry per attribute, with the type the data really has.
"#,
    },
    check: Check::Head(check),
};

fn kind(attribute: &Attribute) -> &str {
    attribute
        .kind
        .as_ref()
        .map_or("?", |kind| kind.value.as_str())
}

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let mut first: BTreeMap<&str, &Attribute> = BTreeMap::new();
        for attribute in &table.attributes {
            let name = attribute.name.value.as_str();
            let Some(earlier) = first.get(name) else {
                first.insert(name, attribute);
                continue;
            };
            let (message, help) = if kind(earlier) == kind(attribute) {
                (
                    format!(
                        "attribute `{name}` of table `{}` is declared twice",
                        table.id.name
                    ),
                    "remove the second entry".to_string(),
                )
            } else {
                (
                    format!(
                        "attribute `{name}` of table `{}` is declared twice, as `{}` and as `{}`",
                        table.id.name,
                        kind(earlier),
                        kind(attribute)
                    ),
                    "keep the entry with the type the data has, and remove the other".to_string(),
                )
            };
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    attribute.name.span,
                    &format!("attributes/{name}"),
                    message,
                )
                .help(help)
                .related(table.site(earlier.name.span), "first declared here"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL103", &[]);
    }

    #[test]
    fn declared_twice() {
        let text = "\
tables:
  - name: Orders
    hashKey: OrderId
    rangeKey: Day
    attributes:
      - {name: OrderId, type: 'S'}
      - {name: Day, type: 'S'}
      - {name: OrderId, type: 'N'}
      - {name: Day, type: 'S'}
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL103",
            &[
                "koa-dev.yaml:8:16 error DL103 attribute `OrderId` of table `koa-dev-Orders` is declared twice, as `S` and as `N` (keep the entry with the type the data has, and remove the other)",
                "koa-dev.yaml:9:16 error DL103 attribute `Day` of table `koa-dev-Orders` is declared twice (remove the second entry)",
            ],
        );
    }
}
