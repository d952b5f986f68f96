//! DL201 unknown-role: a grant to a role that no known source creates.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::{grants, invalid_role_name::role_name_problem};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL201",
        name: "unknown-role",
        severity: Severity::Error,
        summary: "grant to a role that no known source creates (with a did-you-mean)",
        fix: Some(Applicability::Unsafe),
        docs: r#"
## What it catches
A role in `serviceAccountReadRoles` or `serviceAccountWriteRoles` that is not created by
any `idp-advanced` workload of the repository and is not listed under `[roles] known` in
dynalint.toml. A workload is a folder `apps-*/apps/<namespace>/<application>/` whose
`Chart.yaml` depends on `idp-advanced`; its role is `<application>-<namespace>`. When the
name is close to a known role, dynalint suggests it.

When the repository has no idp-advanced workload and the config lists no roles,
dynalint cannot tell known from unknown: it says so once, as a note, instead of flagging
every grant.

## Why it matters
The chart attaches the table's policy to the role by name. A role that does not exist
makes the attachment fail ("no role based policy allows the assignment"), the sync
degrades, and the service that was meant to get access does not.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    serviceAccountReadRoles: ["acess-service-koa-dev"]   # typo: access-service-koa-dev
```

## How to fix
Correct the role name. For roles created outside this repository, list them (globs
allowed) in dynalint.toml:

```toml
[roles]
known = ["legacy-batch-role", "data-platform-*"]
```
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    if !project.roles.has_sources() {
        if let Some((table, (_, role))) = project
            .tables()
            .flat_map(|(_, table)| grants(table).map(move |grant| (table, grant)))
            .next()
        {
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    role.span,
                    "roles",
                    "role names cannot be checked: the repository has no idp-advanced workload and dynalint.toml lists no `roles.known`",
                )
                .severity(Severity::Note)
                .help("list the roles that exist under `[roles] known = [...]` in dynalint.toml"),
            );
        }
        return;
    }
    for (_, table) in project.tables() {
        for (access, role) in grants(table) {
            if role_name_problem(&role.value).is_some()
                || project.roles.lookup(&role.value).is_some()
            {
                continue;
            }
            let close = crate::suggest::closest(&role.value, project.roles.names());
            let help = match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => "check the name (an idp-advanced workload's role is `<application>-<namespace>`); list roles created elsewhere under `[roles] known` in dynalint.toml".to_string(),
            };
            // Another role is other access in IAM: unsafe. A pattern of `roles.known` names
            // no one role.
            let fix = close
                .filter(|close| !close.contains(['*', '?', '[', '{']))
                .map(|close| {
                    Fix::new(
                        Applicability::Unsafe,
                        table.file,
                        format!("replace `{}` by `{close}`", role.value),
                        Change::Replace {
                            at: role.span,
                            key: false,
                            text: close.to_string(),
                        },
                    )
                });
            let mut finding = on_table(
                    &RULE.meta,
                    table,
                    role.span,
                    &format!("{}/{}", access.field(), role.value),
                    format!(
                        "role `{}` ({} access to table `{}`) is not created by any idp-advanced workload of this repository nor listed in `roles.known`",
                        role.value,
                        access.as_str(),
                        table.id.name
                    ),
                )
                .help(help);
            if let Some(fix) = fix {
                finding = finding.fix(fix);
            }
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint, lint_tree, values_path};
    use crate::snapshot::MemoryTree;

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL201", &[]);
    }

    #[test]
    fn unknown_roles_with_suggestions() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"acess-service-koa-dev\", \"legacy-importer\", \"nobody-at-all\"]
";
        let tree = MemoryTree::new()
            .with(&values_path("koa-dev"), text)
            .with(
                "apps-test/apps/koa-dev/access-service/Chart.yaml",
                crate::rules::testing::IDP_ADVANCED_CHART,
            )
            .with("dynalint.toml", "[roles]\nknown = [\"legacy-*\"]\n");
        check(
            &lint_tree(tree),
            "DL201",
            &[
                "koa-dev.yaml:5:31 error DL201 role `acess-service-koa-dev` (read access to table `koa-dev-Orders`) is not created by any idp-advanced workload of this repository nor listed in `roles.known` (did you mean `access-service-koa-dev`?)",
                "koa-dev.yaml:5:75 error DL201 role `nobody-at-all` (read access to table `koa-dev-Orders`) is not created by any idp-advanced workload of this repository nor listed in `roles.known` (check the name (an idp-advanced workload's role is `<application>-<namespace>`); list roles created elsewhere under `[roles] known` in dynalint.toml)",
            ],
        );
    }

    #[test]
    fn without_any_source_a_single_note() {
        let tree = MemoryTree::new()
            .with(&values_path("koa-dev"), ORDERS)
            .with(&values_path("koa-prod"), ORDERS);
        check(
            &lint_tree(tree),
            "DL201",
            &[
                "koa-dev.yaml:25:31 note DL201 role names cannot be checked: the repository has no idp-advanced workload and dynalint.toml lists no `roles.known` (list the roles that exist under `[roles] known = [...]` in dynalint.toml)",
            ],
        );
    }

    #[test]
    fn fix_replaces_the_role_only_when_unsafe_fixes_are_asked() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles:\n      - acess-service-koa-dev\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL201", false),
            text
        );
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL201", true),
            text.replace("acess-service", "access-service")
        );
        // Nothing close: no role to guess.
        let far = text.replace("acess-service-koa-dev", "billing-reader");
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", &far, "DL201", true),
            far
        );
    }
}
