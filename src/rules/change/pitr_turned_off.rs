//! DL307 pitr-turned-off: point-in-time recovery switched off on an existing table.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL307",
        name: "pitr-turned-off",
        severity: Severity::Error,
        summary: "point-in-time recovery switched off on an existing table",
        fix: None,
        docs: r#"
## What it catches
An existing table whose point-in-time recovery was on (the default) and is switched off.

## Why it matters
Switching point-in-time recovery off deletes the table's continuous backups at once: the
last 35 days of restore points are gone, and turning it on again starts from zero.

## Example
```yaml
tables:
  - name: Orders
    pointInTimeRecovery: false     # was on
```

## How to fix
Keep point-in-time recovery on. If the table is truly disposable, say so in a
suppression with the reason.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let new = pair.head.table;
        if !pair.base.table.pitr_enabled() || new.pitr_enabled() {
            continue;
        }
        let span = new.pitr.as_ref().map_or(new.name.span, |pitr| pitr.span);
        findings.push(
            at_head(
                &RULE.meta,
                pair,
                span,
                "pointInTimeRecovery",
                format!(
                    "point-in-time recovery is switched off for existing table `{}`: its restore points of the last 35 days are deleted at once",
                    new.id.name
                ),
            )
            .help("keep point-in-time recovery on, or suppress with the reason the table is disposable"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let on = ORDERS.replace("    hashKey", "    pointInTimeRecovery: true\n    hashKey");
        let off = ORDERS.replace("    hashKey", "    pointInTimeRecovery: false\n    hashKey");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &on)]),
            "DL307",
            &[],
        );
        // Off already, or a new table that starts without it (DL112 covers that).
        check(
            &lint_change(&[("koa-dev.yaml", &off)], &[("koa-dev.yaml", &off)]),
            "DL307",
            &[],
        );
        check(&lint_change(&[], &[("koa-dev.yaml", &off)]), "DL307", &[]);
    }

    #[test]
    fn switched_off() {
        let off = ORDERS.replace("    hashKey", "    pointInTimeRecovery: false\n    hashKey");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &off)]),
            "DL307",
            &[
                "koa-dev.yaml:3:26 error DL307 point-in-time recovery is switched off for existing table `koa-dev-Orders`: its restore points of the last 35 days are deleted at once (keep point-in-time recovery on, or suppress with the reason the table is disposable)",
            ],
        );
    }
}
