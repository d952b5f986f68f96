//! DL101 key-attribute-undeclared: a key that `attributes` does not declare.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::model::IndexKind;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::table::{Owner, intended_attribute};
use crate::rules::{Check, Project, Rule, on_table};
use crate::span::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL101",
        name: "key-attribute-undeclared",
        severity: Severity::Error,
        summary: "a table or index key not listed in `attributes`, or `hashKey` and `rangeKey` naming the same attribute",
        fix: Some(Applicability::Unsafe),
        docs: r#"
## What it catches
A `hashKey` or `rangeKey` of a table, or of one of its local or global secondary indexes,
that is not declared in the table's `attributes` list; and a key schema whose partition
and sort key are the same attribute.

## Why it matters
DynamoDB needs the type of every key attribute at creation: AWS rejects the CreateTable
call ("One or more parameter values were invalid: Some index key attributes are not
defined in AttributeDefinitions"), and the table never appears while the release looks
applied.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate          # not declared below
    attributes:
      - name: CustomerId
        type: 'S'
```

## How to fix
Declare the attribute with its type (`- name: OrderDate` / `type: 'S'`), or correct the
key's spelling — attribute names are case-sensitive.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        let owner = Owner::table(table);
        key(owner, &table.hash_key, "hashKey", findings);
        if let Some(range_key) = &table.range_key {
            key(owner, range_key, "rangeKey", findings);
            same_keys(owner, &table.hash_key, range_key, findings);
        }
        for (kind, index) in table.indexes() {
            let owner = Owner::index(table, kind, index);
            if let Some(hash_key) = &index.hash_key {
                key(owner, hash_key, "hashKey", findings);
            }
            if let Some(range_key) = &index.range_key {
                key(owner, range_key, "rangeKey", findings);
                if kind == IndexKind::Global
                    && let Some(hash_key) = &index.hash_key
                {
                    same_keys(owner, hash_key, range_key, findings);
                }
            }
        }
    }
}

fn key(owner: Owner<'_>, key: &Spanned<String>, field: &str, findings: &mut Vec<Finding>) {
    let table = owner.table;
    if table.attribute(&key.value).is_some() {
        return;
    }
    let intended = intended_attribute(table, &key.value);
    let help = match intended {
        Some(close) => format!("did you mean `{close}`? Attribute names are case-sensitive"),
        None => format!(
            "declare it in `attributes`: `- name: {}` with its `type` ('S', 'N' or 'B')",
            key.value
        ),
    };
    // A key's type is part of the table's definition in AWS, and 'S' is a guess: unsafe.
    // Not when it misspells a declared attribute: that one is meant.
    let fix = match (intended, table.attributes_key) {
        (None, Some(attributes)) => Some(Fix::new(
            Applicability::Unsafe,
            table.file,
            format!("declare `{}` in `attributes` as 'S'", key.value),
            Change::AppendItem {
                key: attributes,
                fields: vec![
                    ("name".to_string(), key.value.clone(), false),
                    ("type".to_string(), "S".to_string(), true),
                ],
            },
        )),
        _ => None,
    };
    findings.push(
        on_table(
            &RULE.meta,
            table,
            key.span,
            &owner.locus(field),
            format!(
                "{field} `{}` of {owner} is not declared in `attributes`",
                key.value
            ),
        )
        .help(help)
        .fix_if(fix),
    );
}

fn same_keys(
    owner: Owner<'_>,
    hash_key: &Spanned<String>,
    range_key: &Spanned<String>,
    findings: &mut Vec<Finding>,
) {
    if hash_key.value != range_key.value {
        return;
    }
    let table = owner.table;
    findings.push(
        on_table(
            &RULE.meta,
            table,
            range_key.span,
            &owner.locus("rangeKey"),
            format!(
                "hashKey and rangeKey of {owner} are both `{}`; a key schema needs two different attributes",
                range_key.value
            ),
        )
        .help("choose another attribute as the sort key, or remove `rangeKey`")
        .related(table.site(hash_key.span), "the hashKey"),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL101", &[]);
    }

    #[test]
    fn undeclared_and_identical_keys() {
        let text = "\
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: orderDate
    attributes:
      - name: CustomerId
        type: 'S'
      - name: OrderDate
        type: 'S'
      - name: Status
        type: 'S'
    localSecondaryIndex:
      - name: ByAmount
        rangeKey: Amount
        projectionType: ALL
        nonKeyAttributes: []
    globalSecondaryIndex:
      - name: ByStatus
        hashKey: Status
        rangeKey: Status
        projectionType: KEYS_ONLY
  - name: Same
    hashKey: Id
    rangeKey: Id
    attributes: [{name: Id, type: 'S'}]
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL101",
            &[
                "koa-dev.yaml:4:15 error DL101 rangeKey `orderDate` of table `koa-dev-Orders` is not declared in `attributes` (did you mean `OrderDate`? Attribute names are case-sensitive)",
                "koa-dev.yaml:14:19 error DL101 rangeKey `Amount` of LSI `ByAmount` of table `koa-dev-Orders` is not declared in `attributes` (declare it in `attributes`: `- name: Amount` with its `type` ('S', 'N' or 'B'))",
                "koa-dev.yaml:20:19 error DL101 hashKey and rangeKey of GSI `ByStatus` of table `koa-dev-Orders` are both `Status`; a key schema needs two different attributes (choose another attribute as the sort key, or remove `rangeKey`)",
                "koa-dev.yaml:24:15 error DL101 hashKey and rangeKey of table `koa-dev-Same` are both `Id`; a key schema needs two different attributes (choose another attribute as the sort key, or remove `rangeKey`)",
            ],
        );
    }

    #[test]
    fn fix_declares_the_key_as_a_string_only_when_unsafe_fixes_are_asked() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    rangeKey: At\n    attributes:\n      - name: Id\n        type: 'S'\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL101", false),
            text
        );
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL101", true),
            text.replace(
                "type: 'S'\n",
                "type: 'S'\n      - name: At\n        type: 'S'\n"
            )
        );
        // A misspelling of a declared attribute is not a new attribute.
        let typo = text
            .replace("rangeKey: At", "rangeKey: id")
            .replace("name: Id", "name: ID");
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", &typo, "DL101", true),
            typo
        );
    }
}
