//! DL113 policy-conflict: settings that have no effect under the release's policies.

use crate::finding::{Finding, Severity};
use crate::model::{Access, DeletionPolicy, ManagementPolicy};
use crate::rules::{Check, Project, Rule, RuleMeta, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL113",
        name: "policy-conflict",
        severity: Severity::Warning,
        summary: "`managementPolicies: Observe` with settings that only matter under Control, or other contradictory policy values",
        docs: r#"
## What it catches
A release with `managementPolicies: Observe` that also asks for things only `Control`
does:

- `deletionPolicy: Delete` written in the values: Crossplane never deletes what it only
  observes;
- grants (`serviceAccountReadRoles`, `serviceAccountWriteRoles`): the IAM policy and its
  role attachments are observed too, so they are never created and the role gets no
  access;
- `backup: true`: the backup plan is never created.

## Why it matters
Observe is for adopting or importing existing tables. Values that read as if the release
manages the table mislead reviewers: the grant looks applied while the service gets
`AccessDenied`, the backup looks configured while none runs.

## Example
```yaml
managementPolicies: Observe
deletionPolicy: Delete            # no effect under Observe
tables:
  - name: Legacy
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    serviceAccountReadRoles: ["reporting-koa-dev"]   # never attached
```

## How to fix
Switch the release to `managementPolicies: Control` when it should manage the tables
(review the change with `--base`: the adoption is DL309), or remove the settings that
cannot take effect.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for release in project.releases {
        if release.management.value != ManagementPolicy::Observe {
            continue;
        }
        if let (DeletionPolicy::Delete, Some(site)) =
            (release.deletion.value, release.deletion.site)
            && site.file == release.file
        {
            findings.push(
                Finding::new(
                    &RULE.meta,
                    site,
                    "`deletionPolicy: Delete` has no effect under `managementPolicies: Observe`: Crossplane never deletes what it only observes",
                )
                .help("remove it, or write `deletionPolicy: Orphan` to state the intent")
                .locus("deletionPolicy"),
            );
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
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
    serviceAccountWriteRoles: []
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL113",
            &[
                "koa-dev.yaml:2:17 warning DL113 `deletionPolicy: Delete` has no effect under `managementPolicies: Observe`: Crossplane never deletes what it only observes (remove it, or write `deletionPolicy: Orphan` to state the intent)",
                "koa-dev.yaml:7:13 warning DL113 `backup: true` has no effect on table `koa-dev-Legacy`: under `managementPolicies: Observe` no backup plan is created (manage the release with `managementPolicies: Control`, or remove `backup: true`)",
                "koa-dev.yaml:8:5 warning DL113 read access to table `koa-dev-Legacy` is never granted: under `managementPolicies: Observe` the chart's IAM policy and role attachments are not created (manage the release with `managementPolicies: Control`, or grant access where the table is managed)",
            ],
        );
    }
}
