//! DL113 policy-conflict: settings that have no effect under the release's policies.

use crate::finding::Finding;
use crate::model::{Access, DeletionPolicy, ManagementPolicy};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL113",
        name: "policy-conflict",
        severity: Severity::Warning,
        summary: "`managementPolicies: Observe` with settings that only matter under Control, or other contradictory policy values",
        fix: None,
        docs: r#"
## What it catches
A release with `managementPolicies: Observe` — meant to adopt or import existing tables
without touching them — whose other values contradict that:

- `deletionPolicy: Delete`, written or left as the default: the chart then adds `Delete`
  to the management policies, so the tables are only observed while they exist, but
  removing one from the values (or uninstalling the release) deletes it in AWS;
- grants (`serviceAccountReadRoles`, `serviceAccountWriteRoles`): the IAM policy and its
  role attachments are observed too, so they are never created and the role gets no
  access;
- `backup: true`: the backup plan is never created.

Table settings that only describe the table (billing, point-in-time recovery, TTL,
stream, tags, deletion protection) are not reported: adoption usually copies the table's
full definition, and under Observe they change nothing.

## Why it matters
Observe reads as "hands off", so reviewers approve removals and grants under it without a
second thought: the adopted table is deleted with its data, the service gets
`AccessDenied`, the backup never runs.

## Example
```yaml
managementPolicies: Observe      # deletionPolicy defaults to Delete
tables:
  - name: Legacy
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    serviceAccountReadRoles: ["reporting-koa-dev"]   # never attached
```

## How to fix
Adopt with `deletionPolicy: Orphan`; switch the release to `managementPolicies: Control`
when it should manage the tables and their grants, or remove the settings that cannot take
effect.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for release in project.releases {
        if release.management.value != ManagementPolicy::Observe {
            continue;
        }
        if release.deletion.value == DeletionPolicy::Delete && !release.tables.is_empty() {
            // At `deletionPolicy: Delete` when this file writes it, else at `Observe`.
            let written = release
                .deletion
                .site
                .filter(|site| site.file == release.file);
            let site = written.or(release.management.site);
            let how = if written.is_some() {
                ""
            } else {
                " (the default)"
            };
            if let Some(site) = site {
                findings.push(
                    Finding::new(
                        &RULE.meta,
                        site,
                        format!(
                            "`managementPolicies: Observe` with `deletionPolicy: Delete`{how}: Crossplane only reads these tables, but deletes them in AWS when they are removed from the values or the release is uninstalled"
                        ),
                    )
                    .help("adopt with `deletionPolicy: Orphan`, which leaves the tables in place whatever happens to the values")
                    .locus("deletionPolicy"),
                );
            }
        }
        for table in &release.tables {
            for access in [Access::Read, Access::Write] {
                let grants = table.grants(access);
                if let (Some(key), false) = (grants.key, grants.roles.is_empty()) {
                    findings.push(
                        on_table(
                            &RULE.meta,
                            table,
                            key,
                            access.field(),
                            format!(
                                "{} access to table `{}` is never granted: under `managementPolicies: Observe` the chart's IAM policy and role attachments are not created",
                                access.as_str(),
                                table.id.name
                            ),
                        )
                        .help("manage the release with `managementPolicies: Control`, or grant access where the table is managed"),
                    );
                }
            }
            if let Some(backup) = table.backup.as_ref().filter(|backup| backup.value) {
                findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        backup.span,
                        "backup",
                        format!(
                            "`backup: true` has no effect on table `{}`: under `managementPolicies: Observe` no backup plan is created",
                            table.id.name
                        ),
                    )
                    .help("manage the release with `managementPolicies: Control`, or remove `backup: true`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        let observed = "managementPolicies: Observe\ndeletionPolicy: Orphan\ntables:\n  - name: Legacy\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n";
        check(
            &lint(&[("koa-dev.yaml", ORDERS), ("legacy.yaml", observed)]),
            "DL113",
            &[],
        );
    }

    #[test]
    fn control_only_settings_under_observe() {
        let text = "\
managementPolicies: Observe
deletionPolicy: Delete
tables:
  - name: Legacy
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    backup: true
    pointInTimeRecovery: false
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
    serviceAccountWriteRoles: []
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(
            &findings,
            "DL113",
            &[
                "koa-dev.yaml:2:17 warning DL113 `managementPolicies: Observe` with `deletionPolicy: Delete`: Crossplane only reads these tables, but deletes them in AWS when they are removed from the values or the release is uninstalled (adopt with `deletionPolicy: Orphan`, which leaves the tables in place whatever happens to the values)",
                "koa-dev.yaml:7:13 warning DL113 `backup: true` has no effect on table `koa-dev-Legacy`: under `managementPolicies: Observe` no backup plan is created (manage the release with `managementPolicies: Control`, or remove `backup: true`)",
                "koa-dev.yaml:9:5 warning DL113 read access to table `koa-dev-Legacy` is never granted: under `managementPolicies: Observe` the chart's IAM policy and role attachments are not created (manage the release with `managementPolicies: Control`, or grant access where the table is managed)",
            ],
        );
        // Under Observe, turning PITR off changes nothing.
        check(&findings, "DL112", &[]);
    }

    #[test]
    fn observe_with_the_default_deletion_policy() {
        let text = "managementPolicies: Observe\ntables:\n  - name: Legacy\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(
            &findings,
            "DL113",
            &[
                "koa-dev.yaml:1:21 warning DL113 `managementPolicies: Observe` with `deletionPolicy: Delete` (the default): Crossplane only reads these tables, but deletes them in AWS when they are removed from the values or the release is uninstalled (adopt with `deletionPolicy: Orphan`, which leaves the tables in place whatever happens to the values)",
            ],
        );
        // No grant can be created under Observe, so none is missing either.
        check(&findings, "DL205", &[]);
    }
}
