//! DL308 access-revoked: a role loses read or write access to a table.

use std::collections::BTreeSet;

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::model::Access;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL308",
        name: "access-revoked",
        severity: Severity::Warning,
        summary: "a role loses read or write on a table (a running service may break)",
        fix: None,
        docs: r#"
## What it catches
A role granted read (`serviceAccountReadRoles`) or write (`serviceAccountWriteRoles`)
access to a table in the base revision, and no longer in the head revision.

## Why it matters
The chart rewrites the role's policy at once: a service still running with that role
gets `AccessDenied` on its next request, usually before its new version that no longer
needs the table is rolled out.

## Example
```yaml
tables:
  - name: Orders
    serviceAccountReadRoles: ["reporting-koa-dev"]   # was also "billing-koa-dev"
```

## How to fix
Remove the access after the workload stopped using the table (deploy the workload first,
then the grant change); suppress the finding with the reason when that is the case.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        for access in [Access::Read, Access::Write] {
            let after: BTreeSet<&str> = new
                .grants(access)
                .roles
                .iter()
                .map(|role| role.value.as_str())
                .collect();
            let grants = new.grants(access);
            for role in &old.grants(access).roles {
                if after.contains(role.value.as_str()) {
                    continue;
                }
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        grants.key.unwrap_or(new.name.span),
                        &format!("{}/{}", access.field(), role.value),
                        format!(
                            "role `{}` loses {} access to table `{}`: a service still running with it gets AccessDenied",
                            role.value,
                            access.as_str(),
                            new.id.name
                        ),
                    )
                    .help("remove the access once the workload no longer uses the table (deploy the workload first), and say so in a suppression"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\", \"reporting-koa-dev\"]\n    serviceAccountWriteRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let reordered = ORDERS.replace(
            "[\"access-service-koa-dev\", \"reporting-koa-dev\"]",
            "[\"reporting-koa-dev\", \"access-service-koa-dev\", \"new-koa-dev\"]",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &reordered)]),
            "DL308",
            &[],
        );
    }

    #[test]
    fn revoked() {
        let fewer = ORDERS.replace(", \"reporting-koa-dev\"", "").replace(
            "    serviceAccountWriteRoles: [\"access-service-koa-dev\"]\n",
            "",
        );
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &fewer)]),
            "DL308",
            &[
                "koa-dev.yaml:2:11 warning DL308 role `access-service-koa-dev` loses write access to table `koa-dev-Orders`: a service still running with it gets AccessDenied (remove the access once the workload no longer uses the table (deploy the workload first), and say so in a suppression)",
                "koa-dev.yaml:5:5 warning DL308 role `reporting-koa-dev` loses read access to table `koa-dev-Orders`: a service still running with it gets AccessDenied (remove the access once the workload no longer uses the table (deploy the workload first), and say so in a suppression)",
            ],
        );
    }
}
