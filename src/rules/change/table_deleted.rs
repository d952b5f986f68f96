//! DL301 table-deleted: a table disappears from the values.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{observe_note, removal_severity, removal_site};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL301",
        name: "table-deleted",
        severity: Severity::Error,
        summary: "a table disappears from values while the release deletes removed tables (`deletionPolicy: Delete`): AWS deletes it and its data (note under Orphan)",
        fix: None,
        docs: r#"
## What it catches
A table of the base revision that the head revision no longer declares — removed from its
values file, or gone with the whole file — and that keeps no AWS identity in another
table (a rename or move is DL302 or DL310). How bad it is follows what AWS will do:

- an error when the release deletes removed tables (`deletionPolicy: Delete`, the
  default — also under `managementPolicies: Observe`, where the chart still adds
  `Delete` to the management policies);
- a warning when the table has `deletionProtection: true`: Crossplane tries to delete
  it, AWS refuses, and the deletion hangs;
- a note under `deletionPolicy: Orphan`: the table stays in AWS, unmanaged.

## Why it matters
Crossplane deletes the DynamoDB table, and its data with it, as soon as Argo CD syncs the
change. Point-in-time recovery and backups belong to the table and go with it (AWS keeps
only backups made to AWS Backup vaults).

## Example
```yaml
# base                          # head
tables:                         tables:
  - name: Orders                  - name: Invoices
    hashKey: OrderId                hashKey: InvoiceId
    ...                             ...
  - name: Invoices
    hashKey: InvoiceId
```

## How to fix
Keep the table in the values. If it must go, first switch the release to
`deletionPolicy: Orphan` in a change of its own, or delete the table deliberately after
a backup; if the removal is intended, say so with a suppression and a reason.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for old in &changes.removed {
        let name = &old.table.id.name;
        let file_deleted = changes.head.release_file(&old.release.path).is_none();
        let what = if file_deleted {
            format!("its values file is deleted, and with it table `{name}`")
        } else {
            format!("table `{name}` is removed from the values")
        };
        let severity = removal_severity(old);
        let (outcome, help) = match severity {
            Severity::Error => (
                format!("Crossplane deletes it in AWS, with its data{}", observe_note(old)),
                "keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup",
            ),
            Severity::Warning => (
                "Crossplane tries to delete it, AWS refuses (deletionProtection), and the deletion hangs".to_string(),
                "keep the table in the values, or turn deletionProtection off deliberately first if it must go",
            ),
            Severity::Note => (
                "it stays in AWS (deletionPolicy: Orphan), managed by nothing any more".to_string(),
                "delete it by hand once nothing uses it, or keep it in the values",
            ),
        };
        findings.push(
            Finding::new(
                &RULE.meta,
                removal_site(changes, old),
                format!("{what}: {outcome}"),
            )
            .severity(severity)
            .help(help)
            .table(old.table.id.clone())
            .locus(format!("tables/{}", old.table.name.value))
            .related(old.table.name_site(), "the table in the base revision"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const TWO: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
  - name: Invoices
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";
    const ONE: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";

    #[test]
    fn ok() {
        // Reordering, reformatting and a new table are not deletions.
        let reordered = "tables:\n  - {name: Invoices, hashKey: Id, attributes: [{name: Id, type: \"S\"}], serviceAccountReadRoles: [access-service-koa-dev]}\n  - name: Orders   # the orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        check(
            &lint_change(&[("koa-dev.yaml", TWO)], &[("koa-dev.yaml", reordered)]),
            "DL301",
            &[],
        );
    }

    #[test]
    fn removed_under_each_policy() {
        check(
            &lint_change(&[("koa-dev.yaml", TWO)], &[("koa-dev.yaml", ONE)]),
            "DL301",
            &[
                "koa-dev.yaml:1:1 error DL301 table `koa-dev-Invoices` is removed from the values: Crossplane deletes it in AWS, with its data (keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup)",
            ],
        );
        let orphan = |text: &str| format!("deletionPolicy: Orphan\n{text}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &orphan(TWO))],
                &[("koa-dev.yaml", &orphan(ONE))],
            ),
            "DL301",
            &[
                "koa-dev.yaml:2:1 note DL301 table `koa-dev-Invoices` is removed from the values: it stays in AWS (deletionPolicy: Orphan), managed by nothing any more (delete it by hand once nothing uses it, or keep it in the values)",
            ],
        );
        let protected = TWO.replace(
            "  - name: Invoices\n",
            "  - name: Invoices\n    deletionProtection: true\n",
        );
        check(
            &lint_change(&[("koa-dev.yaml", &protected)], &[("koa-dev.yaml", ONE)]),
            "DL301",
            &[
                "koa-dev.yaml:1:1 warning DL301 table `koa-dev-Invoices` is removed from the values: Crossplane tries to delete it, AWS refuses (deletionProtection), and the deletion hangs (keep the table in the values, or turn deletionProtection off deliberately first if it must go)",
            ],
        );
        // Observe does not prevent the deletion while deletionPolicy is Delete; Orphan does.
        let observed =
            |text: &str, policy: &str| format!("managementPolicies: Observe\n{policy}{text}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &observed(TWO, ""))],
                &[("koa-dev.yaml", &observed(ONE, ""))],
            ),
            "DL301",
            &[
                "koa-dev.yaml:2:1 error DL301 table `koa-dev-Invoices` is removed from the values: Crossplane deletes it in AWS, with its data (managementPolicies: Observe does not prevent it: with deletionPolicy: Delete the chart adds Delete to the management policies) (keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup)",
            ],
        );
        let with_orphan = "deletionPolicy: Orphan\n";
        check(
            &lint_change(
                &[("koa-dev.yaml", &observed(TWO, with_orphan))],
                &[("koa-dev.yaml", &observed(ONE, with_orphan))],
            ),
            "DL301",
            &[
                "koa-dev.yaml:3:1 note DL301 table `koa-dev-Invoices` is removed from the values: it stays in AWS (deletionPolicy: Orphan), managed by nothing any more (delete it by hand once nothing uses it, or keep it in the values)",
            ],
        );
    }

    #[test]
    fn a_deleted_file_deletes_each_table_and_points_at_the_base() {
        check(
            &lint_change(
                &[("koa-dev.yaml", TWO), ("koa-prod.yaml", ONE)],
                &[("koa-prod.yaml", ONE)],
            ),
            "DL301",
            &[
                "koa-dev.yaml:2:11 error DL301 its values file is deleted, and with it table `koa-dev-Orders`: Crossplane deletes it in AWS, with its data (keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup)",
                "koa-dev.yaml:6:11 error DL301 its values file is deleted, and with it table `koa-dev-Invoices`: Crossplane deletes it in AWS, with its data (keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup)",
            ],
        );
    }

    #[test]
    fn a_table_with_schema_errors_may_exist_and_its_removal_counts() {
        let broken = TWO.replace(
            "  - name: Invoices\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n",
            "  - name: Invoices\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n",
        );
        check(
            &lint_change(&[("koa-dev.yaml", &broken)], &[("koa-dev.yaml", ONE)]),
            "DL301",
            &[
                "koa-dev.yaml:1:1 error DL301 table `koa-dev-Invoices` is removed from the values: Crossplane deletes it in AWS, with its data (keep the table in the values; to retire it, set `deletionPolicy: Orphan` first in a change of its own, or delete it deliberately after a backup)",
            ],
        );
        // Fixed in the head: kept, not created anew.
        let fixed = lint_change(&[("koa-dev.yaml", &broken)], &[("koa-dev.yaml", TWO)]);
        check(&fixed, "DL301", &[]);
    }

    #[test]
    fn unreadable_head_files_are_not_deletions() {
        // A YAML error or a schema error in the head does not make its tables "gone".
        check(
            &lint_change(
                &[("koa-dev.yaml", TWO)],
                &[("koa-dev.yaml", "tables:\n\t- oops\n")],
            ),
            "DL301",
            &[],
        );
        let typo = TWO.replace(
            "  - name: Invoices\n    hashKey: Id\n",
            "  - name: Invoices\n    hashkey: Id\n",
        );
        check(
            &lint_change(&[("koa-dev.yaml", TWO)], &[("koa-dev.yaml", &typo)]),
            "DL301",
            &[],
        );
    }
}
