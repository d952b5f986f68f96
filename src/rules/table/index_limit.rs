//! DL107 index-limit: more secondary indexes than DynamoDB allows.

use crate::finding::Finding;
use crate::model::{Index, IndexKind, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub const MAX_LSIS: usize = 5;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL107",
        name: "index-limit",
        severity: Severity::Error,
        summary: "more than 5 LSIs (fixed) or more GSIs than the account's quota (`[limits] max-gsis`, default 20) on one table",
        fix: None,
        docs: r#"
## What it catches
A table with more than 5 local secondary indexes (a fixed limit) or more global secondary
indexes than the account's quota: 20 by default, an adjustable quota (set `max-gsis`
under `[limits]` in dynalint.toml once AWS has raised it).

## Why it matters
AWS rejects the table or the update that adds the index; the indexes over the limit never
exist, and queries on them fail.

## Example
```yaml
tables:
  - name: Events
    hashKey: Tenant
    rangeKey: Time
    localSecondaryIndex:       # six LSIs: one too many
      - {name: ByA, rangeKey: A, projectionType: KEYS_ONLY, nonKeyAttributes: []}
      - {name: ByB, rangeKey: B, projectionType: KEYS_ONLY, nonKeyAttributes: []}
      - {name: ByC, rangeKey: C, projectionType: KEYS_ONLY, nonKeyAttributes: []}
      - {name: ByD, rangeKey: D, projectionType: KEYS_ONLY, nonKeyAttributes: []}
      - {name: ByE, rangeKey: E, projectionType: KEYS_ONLY, nonKeyAttributes: []}
      - {name: ByF, rangeKey: F, projectionType: KEYS_ONLY, nonKeyAttributes: []}
```

## How to fix
Remove indexes, or serve some access patterns with a global secondary index or an
overloaded index key; ask AWS to raise the GSI quota, then set `max-gsis`.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        over_limit(table, IndexKind::Local, &table.lsis, MAX_LSIS, findings);
        over_limit(
            table,
            IndexKind::Global,
            &table.gsis,
            project.quotas.max_gsis,
            findings,
        );
    }
}

fn over_limit(
    table: &Table,
    kind: IndexKind,
    indexes: &[Index],
    limit: usize,
    findings: &mut Vec<Finding>,
) {
    let Some(first_excess) = indexes.get(limit) else {
        return;
    };
    let noun = match kind {
        IndexKind::Local => "local",
        IndexKind::Global => "global",
    };
    findings.push(
        on_table(
            &RULE.meta,
            table,
            first_excess.name.span,
            kind.field(),
            format!(
                "table `{}` has {} {noun} secondary indexes; {}",
                table.id.name,
                indexes.len(),
                match kind {
                    IndexKind::Local => format!("DynamoDB allows at most {limit}"),
                    IndexKind::Global => format!("the account's quota is {limit} (`[limits] max-gsis`)"),
                }
            ),
        )
        .help(match kind {
            IndexKind::Local => format!(
                "remove {} of them; from here on the indexes are over the limit",
                indexes.len() - limit
            ),
            IndexKind::Global => format!(
                "remove {} of them, or have AWS raise the GSI quota and set `max-gsis` under `[limits]`; from here on the indexes are over the quota",
                indexes.len() - limit
            ),
        }),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint, lint_tree, values_path};
    use crate::snapshot::MemoryTree;

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL107", &[]);
    }

    #[test]
    fn the_gsi_quota_is_the_accounts() {
        let mut text = String::from(
            "tables:\n  - name: Events\n    hashKey: T\n    attributes:\n      - {name: T, type: 'S'}\n    globalSecondaryIndex:\n",
        );
        for index in 0..21 {
            text.push_str(&format!(
                "      - {{name: Index{index}, hashKey: T, projectionType: KEYS_ONLY}}\n"
            ));
        }
        let tree = |toml: &str| {
            MemoryTree::new()
                .with(&values_path("koa-dev"), text.as_str())
                .with("dynalint.toml", toml)
        };
        check(
            &lint_tree(tree("")),
            "DL107",
            &[
                "koa-dev.yaml:27:16 error DL107 table `koa-dev-Events` has 21 global secondary indexes; the account's quota is 20 (`[limits] max-gsis`) (remove 1 of them, or have AWS raise the GSI quota and set `max-gsis` under `[limits]`; from here on the indexes are over the quota)",
            ],
        );
        check(&lint_tree(tree("[limits]\nmax-gsis = 25\n")), "DL107", &[]);
    }

    #[test]
    fn six_lsis() {
        let mut text = String::from(
            "tables:\n  - name: Events\n    hashKey: T\n    rangeKey: R\n    attributes:\n      - {name: T, type: 'S'}\n      - {name: R, type: 'S'}\n      - {name: A, type: 'S'}\n    localSecondaryIndex:\n",
        );
        for index in 0..6 {
            text.push_str(&format!(
                "      - {{name: Index{index}, rangeKey: A, projectionType: KEYS_ONLY, nonKeyAttributes: []}}\n"
            ));
        }
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL107",
            &[
                "koa-dev.yaml:15:16 error DL107 table `koa-dev-Events` has 6 local secondary indexes; DynamoDB allows at most 5 (remove 1 of them; from here on the indexes are over the limit)",
            ],
        );
    }
}
