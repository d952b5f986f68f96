//! DL202 cross-namespace-role: a grant to the role of another namespace's workload.

use crate::finding::Finding;
use crate::roles::Origin;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL202",
        name: "cross-namespace-role",
        severity: Severity::Warning,
        summary: "grant to a role of another namespace",
        fix: None,
        docs: r#"
## What it catches
A grant to the role of an idp-advanced workload that lives in another namespace than the
table, for example a `koa-dev` table granted to `access-service-koa-prod`.

## Why it matters
It is almost always a copy-paste slip between environments: a production service gets
access to development data, or a development service to production data, and the
workload that was meant to get access does not.

## Example
```yaml
# apps-koa/apps/koa-dev/dynamo-tables/values.yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    serviceAccountReadRoles: ["access-service-koa-prod"]   # koa-prod's workload
```

## How to fix
Grant the role of the workload in the table's own namespace. When the cross-namespace
access is intended, suppress the finding with the reason.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (release, table) in project.tables() {
        for (access, role) in grants(table) {
            let Some(Origin::Workload(workload)) = project.roles.lookup(&role.value) else {
                continue;
            };
            if workload.namespace == release.namespace {
                continue;
            }
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    role.span,
                    &format!("{}/{}", access.field(), role.value),
                    format!(
                        "role `{}` belongs to workload `{}` in namespace `{}`, but table `{}` is in namespace `{}`",
                        role.value,
                        workload.application,
                        workload.namespace,
                        table.id.name,
                        release.namespace
                    ),
                )
                .help("grant the role of the workload in the table's own namespace, or suppress with the reason the access is intended"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL202", &[]);
    }

    #[test]
    fn other_namespace() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-prod\"]
";
        check(
            &lint(&[("koa-dev.yaml", text), ("koa-prod.yaml", "tables: []\n")]),
            "DL202",
            &[
                "koa-dev.yaml:5:31 warning DL202 role `access-service-koa-prod` belongs to workload `access-service` in namespace `koa-prod`, but table `koa-dev-Orders` is in namespace `koa-dev` (grant the role of the workload in the table's own namespace, or suppress with the reason the access is intended)",
            ],
        );
    }
}
