//! DL105 duplicate-table: two definitions resolve to the same AWS table.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::{Release, Table, TableId};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL105",
        name: "duplicate-table",
        severity: Severity::Error,
        summary: "two definitions resolve to the same AWS table (same file or across files)",
        fix: None,
        docs: r#"
## What it catches
Two table entries that resolve to the same AWS table — the same derived name in the same
region — in one values file or in two. A table copied within a file and left with its old
name, or two values files mapped to one namespace, are the usual causes.

## Why it matters
In one file, Helm renders two resources with the same name and the release fails. In
two files, two releases manage one AWS table: each sync overwrites the other's settings,
and when one of them removes the table with `deletionPolicy: Delete`, the table and its
data are deleted under the other.

## Example
```yaml
tables:
  - name: Orders
    useIdpPrefix: true
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
  - name: Orders               # copied, never renamed: the same AWS table
    useIdpPrefix: true
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
```

## How to fix
Keep one definition. Every definition is reported, each pointing to the others.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    let mut definitions: BTreeMap<&TableId, Vec<(&Release, &Table)>> = BTreeMap::new();
    for (release, table) in project.tables() {
        definitions
            .entry(&table.id)
            .or_default()
            .push((release, table));
    }
    for (id, tables) in definitions {
        if tables.len() < 2 {
            continue;
        }
        for (release, table) in &tables {
            let others: Vec<_> = tables
                .iter()
                .filter(|(_, other)| !std::ptr::eq(*other, *table))
                .collect();
            let elsewhere: Vec<&str> = others
                .iter()
                .filter(|(other_release, _)| other_release.file != release.file)
                .map(|(other_release, _)| other_release.path.as_str())
                .collect();
            let message = if elsewhere.is_empty() {
                format!(
                    "AWS table `{}` ({}) is defined {} times in this file",
                    id.name,
                    id.region,
                    tables.len()
                )
            } else {
                format!(
                    "AWS table `{}` ({}) is also defined in {}: two releases would manage one table",
                    id.name,
                    id.region,
                    elsewhere
                        .iter()
                        .map(|path| format!("`{path}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let mut finding = on_table(&RULE.meta, table, table.name.span, "name", message)
                .help("keep a single definition of the table");
            for (_, other) in others {
                finding = finding.related(
                    other.name_site(),
                    "another definition of the same AWS table",
                );
            }
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        // The same logical name in two namespaces is two AWS tables.
        check(
            &lint(&[("koa-dev.yaml", ORDERS), ("koa-prod.yaml", ORDERS)]),
            "DL105",
            &[],
        );
    }

    #[test]
    fn same_aws_table_twice() {
        let text = "\
tables:
  - name: Orders
    useIdpPrefix: true
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
  - name: Orders
    useIdpPrefix: true
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
  - name: Orders
    useIdpPrefix: true
    region: us-east-1
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL105",
            &[
                "koa-dev.yaml:2:11 error DL105 AWS table `idp-koa-dev-Orders` (eu-west-1) is defined 2 times in this file (keep a single definition of the table)",
                "koa-dev.yaml:6:11 error DL105 AWS table `idp-koa-dev-Orders` (eu-west-1) is defined 2 times in this file (keep a single definition of the table)",
            ],
        );
    }

    #[test]
    fn across_files() {
        let first =
            "tables:\n  - name: Shared\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n";
        let config = "[namespaces]\n\"apps-test/apps/koa-dev2/**\" = \"koa-dev\"\n";
        let tree = crate::snapshot::MemoryTree::new()
            .with(&crate::rules::testing::values_path("koa-dev"), first)
            .with(&crate::rules::testing::values_path("koa-dev2"), first)
            .with("dynalint.toml", config);
        check(
            &crate::rules::testing::lint_tree(tree),
            "DL105",
            &[
                "koa-dev.yaml:2:11 error DL105 AWS table `koa-dev-Shared` (eu-west-1) is also defined in `apps-test/apps/koa-dev2/dynamo-tables/values.yaml`: two releases would manage one table (keep a single definition of the table)",
                "koa-dev2.yaml:2:11 error DL105 AWS table `koa-dev-Shared` (eu-west-1) is also defined in `apps-test/apps/koa-dev/dynamo-tables/values.yaml`: two releases would manage one table (keep a single definition of the table)",
            ],
        );
    }
}
