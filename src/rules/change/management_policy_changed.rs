//! DL309 management-policy-changed: a release takes over, or starts deleting, tables.

use std::collections::HashMap;

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::model::{DeletionPolicy, ManagementPolicy, Release, Setting};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Rule};
use crate::source::Site;
use crate::span::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL309",
        name: "management-policy-changed",
        severity: Severity::Warning,
        summary: "Observe→Control (Crossplane takes over an adopted table) or Orphan→Delete on existing tables",
        fix: None,
        docs: r#"
## What it catches
A release with existing tables whose policies change:

- `managementPolicies` from `Observe` to `Control`: Crossplane stops only reading the
  adopted tables and starts applying the values to them;
- `deletionPolicy` from `Orphan` to `Delete`: removing one of these tables from the
  values will from now on delete it in AWS.

## Why it matters
Taking over an adopted table applies every setting of the values at once — billing mode,
point-in-time recovery, TTL, streams, grants — and any difference from the real table
becomes a change in AWS. After Orphan→Delete, a later removal that was harmless deletes
data.

## Example
```yaml
managementPolicies: Control     # was Observe
tables:
  - name: LegacySessions
```

## How to fix
Before taking over, make the values describe the real table exactly (compare with
`aws dynamodb describe-table`); review the first sync. Make Orphan→Delete its own change,
so that no removal rides along.
"#,
    },
    check: Check::Change(check),
};

/// A finding about a release setting, on the line the change touched: the setting in
/// the values file; the chart's defaults when the change edited them there (the values
/// file as related); else the values file's start (its line was removed), pointing to
/// the defaults that now apply.
fn at_setting<T>(
    old: &Release,
    release: &Release,
    before: &Setting<T>,
    setting: &Setting<T>,
    message: String,
) -> Finding {
    let file_start = Site::new(release.file, Span::at(0));
    let from_defaults = |setting: &Setting<T>, release: &Release| {
        setting.site.is_some_and(|site| site.file != release.file)
    };
    match setting.site {
        Some(site) if site.file == release.file => Finding::new(&RULE.meta, site, message),
        Some(defaults) if from_defaults(before, old) => Finding::new(&RULE.meta, defaults, message)
            .related(file_start, "the release the chart's defaults apply to"),
        Some(defaults) => Finding::new(&RULE.meta, file_start, message)
            .related(defaults, "set by the chart's defaults"),
        None => Finding::new(&RULE.meta, file_start, message),
    }
}

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    // Existing tables that stay in their release, per values file.
    let mut kept: HashMap<&str, usize> = HashMap::new();
    for pair in changes.kept.iter().filter(|pair| !pair.moved()) {
        *kept.entry(pair.head.release.path.as_str()).or_default() += 1;
    }
    for new in &changes.head.releases {
        let Some(old) = changes.base.release_at(&new.path) else {
            continue;
        };
        let existing = kept.get(new.path.as_str()).copied().unwrap_or(0);
        if existing == 0 {
            continue;
        }
        let tables = format!("{existing} existing tables");
        if old.management.value == ManagementPolicy::Observe
            && new.management.value == ManagementPolicy::Control
        {
            findings.push(
                at_setting(
                    old,
                    new,
                    &old.management,
                    &new.management,
                    if existing == 1 {
                        "managementPolicies changes from Observe to Control: Crossplane takes over the existing table and applies these values to it".to_string()
                    } else {
                        format!("managementPolicies changes from Observe to Control: Crossplane takes over {tables} and applies these values to them")
                    },
                )
                .help("make the values describe the real tables exactly before taking over (compare with `aws dynamodb describe-table`), and watch the first sync")
                .locus("managementPolicies"),
            );
        }
        if old.deletion.value == DeletionPolicy::Orphan
            && new.deletion.value == DeletionPolicy::Delete
        {
            findings.push(
                at_setting(
                    old,
                    new,
                    &old.deletion,
                    &new.deletion,
                    if existing == 1 {
                        "deletionPolicy changes from Orphan to Delete: removing the existing table from the values now deletes it in AWS".to_string()
                    } else {
                        format!("deletionPolicy changes from Orphan to Delete: removing one of its {tables} from the values now deletes it in AWS")
                    },
                )
                .help("make this its own change, with no table removed along with it")
                .locus("deletionPolicy"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const TABLE: &str = "tables:\n  - name: Legacy\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let observed = format!("managementPolicies: Observe\ndeletionPolicy: Orphan\n{TABLE}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &observed)],
                &[("koa-dev.yaml", &observed)],
            ),
            "DL309",
            &[],
        );
        // Control to Observe, and a new release, take nothing over.
        check(
            &lint_change(&[("koa-dev.yaml", TABLE)], &[("koa-dev.yaml", &observed)]),
            "DL309",
            &[],
        );
        check(
            &lint_change(&[], &[("koa-dev.yaml", &observed)]),
            "DL309",
            &[],
        );
    }

    #[test]
    fn taken_over_and_deleting() {
        let before = format!("managementPolicies: Observe\ndeletionPolicy: Orphan\n{TABLE}");
        let after = format!("managementPolicies: Control\ndeletionPolicy: Delete\n{TABLE}");
        check(
            &lint_change(&[("koa-dev.yaml", &before)], &[("koa-dev.yaml", &after)]),
            "DL309",
            &[
                "koa-dev.yaml:1:21 warning DL309 managementPolicies changes from Observe to Control: Crossplane takes over the existing table and applies these values to it (make the values describe the real tables exactly before taking over (compare with `aws dynamodb describe-table`), and watch the first sync)",
                "koa-dev.yaml:2:17 warning DL309 deletionPolicy changes from Orphan to Delete: removing the existing table from the values now deletes it in AWS (make this its own change, with no table removed along with it)",
            ],
        );
        // Removing the line sets the default, Delete: at the file's start then.
        let defaulted = format!("deletionPolicy: Orphan\n{TABLE}");
        check(
            &lint_change(&[("koa-dev.yaml", &defaulted)], &[("koa-dev.yaml", TABLE)]),
            "DL309",
            &[
                "koa-dev.yaml:1:1 warning DL309 deletionPolicy changes from Orphan to Delete: removing the existing table from the values now deletes it in AWS (make this its own change, with no table removed along with it)",
            ],
        );
    }
}
