//! DL112 pitr-disabled: point-in-time recovery turned off.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL112",
        name: "pitr-disabled",
        severity: Severity::Warning,
        summary: "point-in-time recovery turned off",
        fix: None,
        docs: r#"
## What it catches
A table with `pointInTimeRecovery: false`. The chart enables point-in-time recovery by
default. Releases with `managementPolicies: Observe` are not checked: the chart does not
change their tables.

## Why it matters
Without it, a bad deploy or a mistaken script that overwrites or deletes items cannot be
undone: point-in-time recovery restores the table to any second of the last 35 days, and
nothing else (not even the nightly `backup`) gets that close to the moment before the
damage.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    pointInTimeRecovery: false
```

## How to fix
Remove the line (the default is on). If the table is truly disposable (a cache, a
rebuildable projection), suppress the finding with the reason:
`# dynalint: ignore[pitr-disabled] -- rebuilt from the event log`.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    // Under Observe the chart changes nothing on the table, so the setting has no effect.
    for (_, table) in project.tables().filter(|(release, _)| !release.observed()) {
        if let Some(pitr) = table.pitr.as_ref().filter(|pitr| !pitr.value) {
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    pitr.span,
                    "pointInTimeRecovery",
                    format!(
                        "point-in-time recovery is off for table `{}`: its data cannot be restored to a moment before an accident",
                        table.id.name
                    ),
                )
                .help("remove `pointInTimeRecovery` (the default is on), or suppress with the reason the table is disposable"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        let explicit = "tables:\n  - name: A\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    pointInTimeRecovery: true\n";
        check(
            &lint(&[("koa-dev.yaml", ORDERS), ("other.yaml", explicit)]),
            "DL112",
            &[],
        );
    }

    #[test]
    fn turned_off() {
        let text = "tables:\n  - name: A\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    pointInTimeRecovery: false\n";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL112",
            &[
                "koa-dev.yaml:5:26 warning DL112 point-in-time recovery is off for table `koa-dev-A`: its data cannot be restored to a moment before an accident (remove `pointInTimeRecovery` (the default is on), or suppress with the reason the table is disposable)",
            ],
        );
    }
}
