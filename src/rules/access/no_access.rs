//! DL205 no-access: a table that no role can read or write.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL205",
        name: "no-access",
        severity: Severity::Note,
        summary: "a table that no role can read or write",
        fix: None,
        docs: r#"
## What it catches
A table with no role in `serviceAccountReadRoles` or `serviceAccountWriteRoles`, in a
release the chart manages (not under `managementPolicies: Observe`, where it grants
nothing).

## Why it matters
No workload of the cluster can use the table through the chart's policies. That is
right for a table being retired or accessed through roles managed elsewhere, and a
forgotten grant otherwise — which the service only discovers with `AccessDenied` at
runtime.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    # no serviceAccountReadRoles / serviceAccountWriteRoles
```

## How to fix
Grant the workload's role read or write access, or suppress the note with the reason the
table needs no grant here.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    // Under Observe the chart creates no grant at all (DL113 reports those written).
    for (_, table) in project.tables().filter(|(release, _)| !release.observed()) {
        if grants(table).next().is_some() {
            continue;
        }
        findings.push(
            on_table(
                &RULE.meta,
                table,
                table.name.span,
                "roles",
                format!("no role can read or write table `{}`", table.id.name),
            )
            .help("grant a workload's role with `serviceAccountReadRoles` or `serviceAccountWriteRoles`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL205", &[]);
    }

    #[test]
    fn no_grants() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: []\n";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL205",
            &[
                "koa-dev.yaml:2:11 note DL205 no role can read or write table `koa-dev-Orders` (grant a workload's role with `serviceAccountReadRoles` or `serviceAccountWriteRoles`)",
            ],
        );
    }
}
