//! DL108 projection-mismatch: `nonKeyAttributes` that do not fit the projection type.

use std::collections::BTreeSet;

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::model::{Index, IndexKind, Projection, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::table::Owner;
use crate::rules::{Check, Project, Rule, on_table};

pub const MAX_NON_KEY_PER_INDEX: usize = 20;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL108",
        name: "projection-mismatch",
        severity: Severity::Error,
        summary: "`INCLUDE` without 1–20 `nonKeyAttributes`, or `ALL`/`KEYS_ONLY` with a non-empty list, or a key attribute listed as non-key",
        fix: Some(Applicability::Unsafe),
        docs: r#"
## What it catches
An index whose `nonKeyAttributes` do not fit its `projectionType`:

- `INCLUDE` with an empty list, or with more than 20 attributes;
- `ALL` or `KEYS_ONLY` with attributes listed (the chart still requires the field: write
  `nonKeyAttributes: []`);
- a key attribute of the table or of the index listed as non-key (keys are always
  projected), or the same attribute listed twice.

## Why it matters
AWS rejects the index, so the table (for an LSI) or the index (for a GSI) is not created.
`ALL` with a list is a sign the author expected only those attributes in the index — and
pays for copying every attribute.

## Example
```yaml
    localSecondaryIndex:
      - name: AmountIndex
        rangeKey: TotalAmount
        projectionType: ALL
        nonKeyAttributes: ["items"]     # only INCLUDE takes a list
```

## How to fix
Use `projectionType: INCLUDE` with 1 to 20 attributes, or keep `ALL`/`KEYS_ONLY` with
`nonKeyAttributes: []`; remove key attributes and repeats from the list.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        for (kind, index) in table.indexes() {
            check_index(table, kind, index, findings);
        }
    }
}

fn check_index(table: &Table, kind: IndexKind, index: &Index, findings: &mut Vec<Finding>) {
    let Some(projection) = &index.projection else {
        return;
    };
    let owner = Owner::index(table, kind, index);
    let list_span = index.non_key_key.unwrap_or(projection.span);
    let count = index.non_key.len();
    match projection.value {
        Projection::Include if count == 0 => findings.push(
            on_table(
                &RULE.meta,
                table,
                projection.span,
                &owner.locus("nonKeyAttributes"),
                format!("{owner} projects INCLUDE but lists no `nonKeyAttributes`"),
            )
            .help("list 1 to 20 attributes to copy into the index, or use projectionType: KEYS_ONLY"),
        ),
        Projection::Include if count > MAX_NON_KEY_PER_INDEX => findings.push(
            on_table(
                &RULE.meta,
                table,
                list_span,
                &owner.locus("nonKeyAttributes"),
                format!(
                    "{owner} lists {count} `nonKeyAttributes`; DynamoDB allows at most {MAX_NON_KEY_PER_INDEX} per index"
                ),
            )
            .help("project fewer attributes, or use projectionType: ALL"),
        ),
        Projection::All | Projection::KeysOnly if count > 0 => findings.push(
            on_table(
                &RULE.meta,
                table,
                list_span,
                &owner.locus("nonKeyAttributes"),
                format!(
                    "{owner} projects {} but lists {count} `nonKeyAttributes`; only INCLUDE takes a list",
                    projection.value.as_str()
                ),
            )
            .help("set `nonKeyAttributes: []`, or use projectionType: INCLUDE to project just these attributes")
            .fix_if(index.non_key_key.map(|key| {
                // AWS then projects what the projection type says, not the list: unsafe,
                // as INCLUDE may have been meant.
                Fix::new(
                    Applicability::Unsafe,
                    table.file,
                    "set `nonKeyAttributes: []`",
                    Change::EmptyList { key },
                )
            })),
        ),
        _ => {}
    }
    let mut keys: BTreeSet<&str> = BTreeSet::from([table.hash_key.value.as_str()]);
    keys.extend(table.range_key.iter().map(|key| key.value.as_str()));
    keys.extend(index.hash_key.iter().map(|key| key.value.as_str()));
    keys.extend(index.range_key.iter().map(|key| key.value.as_str()));
    let mut seen = BTreeSet::new();
    for attribute in &index.non_key {
        let name = attribute.value.as_str();
        let problem = if keys.contains(name) {
            Some((
                format!(
                    "`{name}` is a key attribute, always projected; it cannot be listed in `nonKeyAttributes` of {owner}"
                ),
                "remove it from the list",
            ))
        } else if !seen.insert(name) {
            Some((
                format!("`{name}` is listed twice in `nonKeyAttributes` of {owner}"),
                "remove the repeat",
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    attribute.span,
                    &owner.locus(&format!("nonKeyAttributes/{name}")),
                    message,
                )
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL108", &[]);
    }

    #[test]
    fn mismatches() {
        let many: Vec<String> = (0..21).map(|index| format!("a{index}")).collect();
        let text = format!(
            "\
tables:
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - {{name: CustomerId, type: 'S'}}
      - {{name: OrderDate, type: 'S'}}
      - {{name: Total, type: 'N'}}
      - {{name: Status, type: 'S'}}
    localSecondaryIndex:
      - name: ByTotal
        rangeKey: Total
        projectionType: INCLUDE
        nonKeyAttributes: []
      - name: ByStatus
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: [items]
    globalSecondaryIndex:
      - name: Wide
        hashKey: Status
        projectionType: INCLUDE
        nonKeyAttributes: [{}]
      - name: Keys
        hashKey: Status
        projectionType: INCLUDE
        nonKeyAttributes: [CustomerId, items, items]
",
            many.join(", ")
        );
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL108",
            &[
                "koa-dev.yaml:13:25 error DL108 LSI `ByTotal` of table `koa-dev-Orders` projects INCLUDE but lists no `nonKeyAttributes` (list 1 to 20 attributes to copy into the index, or use projectionType: KEYS_ONLY)",
                "koa-dev.yaml:18:9 error DL108 LSI `ByStatus` of table `koa-dev-Orders` projects ALL but lists 1 `nonKeyAttributes`; only INCLUDE takes a list (set `nonKeyAttributes: []`, or use projectionType: INCLUDE to project just these attributes)",
                "koa-dev.yaml:23:9 error DL108 GSI `Wide` of table `koa-dev-Orders` lists 21 `nonKeyAttributes`; DynamoDB allows at most 20 per index (project fewer attributes, or use projectionType: ALL)",
                "koa-dev.yaml:27:28 error DL108 `CustomerId` is a key attribute, always projected; it cannot be listed in `nonKeyAttributes` of GSI `Keys` of table `koa-dev-Orders` (remove it from the list)",
                "koa-dev.yaml:27:47 error DL108 `items` is listed twice in `nonKeyAttributes` of GSI `Keys` of table `koa-dev-Orders` (remove the repeat)",
            ],
        );
    }

    #[test]
    fn fix_empties_the_list_only_when_unsafe_fixes_are_asked() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    rangeKey: At\n    attributes: [{name: Id, type: 'S'}, {name: At, type: 'S'}]\n    globalSecondaryIndex:\n      - name: ByAt\n        hashKey: At\n        projectionType: ALL\n        nonKeyAttributes:\n          - Total\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL108", false),
            text
        );
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL108", true),
            text.replace(
                "nonKeyAttributes:\n          - Total\n",
                "nonKeyAttributes: []\n"
            )
        );
    }
}
