//! DL312 backup-turned-off: the nightly AWS Backup copies of an existing table stop.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL312",
        name: "backup-turned-off",
        severity: Severity::Warning,
        summary: "`backup: true` -> false on an existing table: the nightly AWS Backup copies stop",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision with `backup: true`: `backup` becomes false,
or is removed (its default is false).

## Why it matters
`backup: true` puts the table in the nightly AWS Backup plan. Turning it off stops the
copies: a recoverability loss like turning point-in-time recovery off, and one nobody
notices until a restore is needed.

## Example
```yaml
tables:
  - name: Orders
    backup: false      # was true
```

## How to fix
Keep `backup: true` on tables with data worth restoring, or suppress with the reason the
table does not need it (its data is rebuilt from elsewhere).
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let on = |table: &crate::model::Table| table.backup.as_ref().is_some_and(|flag| flag.value);
        let new = pair.head.table;
        if !on(pair.base.table) || on(new) {
            continue;
        }
        let span = new.backup.as_ref().map_or(new.name.span, |flag| flag.span);
        findings.push(
            at_head(
                &RULE.meta,
                pair,
                span,
                "backup",
                format!(
                    "backup is switched off for existing table `{}`: its nightly AWS Backup copies stop",
                    new.id.name
                ),
            )
            .help("keep `backup: true`, or suppress with the reason the table needs no backup"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    backup: true\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let never = ORDERS.replace("    backup: true\n", "");
        for (base, head) in [
            (ORDERS, ORDERS),
            (never.as_str(), ORDERS),
            (never.as_str(), never.as_str()),
        ] {
            check(
                &lint_change(&[("koa-dev.yaml", base)], &[("koa-dev.yaml", head)]),
                "DL312",
                &[],
            );
        }
    }

    #[test]
    fn switched_off_or_removed() {
        let off = ORDERS.replace("backup: true", "backup: false");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &off)]),
            "DL312",
            &[
                "koa-dev.yaml:4:13 warning DL312 backup is switched off for existing table `koa-dev-Orders`: its nightly AWS Backup copies stop (keep `backup: true`, or suppress with the reason the table needs no backup)",
            ],
        );
        let removed = ORDERS.replace("    backup: true\n", "");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &removed)]),
            "DL312",
            &[
                "koa-dev.yaml:2:11 warning DL312 backup is switched off for existing table `koa-dev-Orders`: its nightly AWS Backup copies stop (keep `backup: true`, or suppress with the reason the table needs no backup)",
            ],
        );
    }
}
