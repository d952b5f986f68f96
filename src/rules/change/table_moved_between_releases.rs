//! DL310 table-moved-between-releases: the same AWS table now lives in another file.

use crate::diff::{ChangeSet, Removal};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{at_head, migrate_command, observe_note, removal_severity};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL310",
        name: "table-moved-between-releases",
        severity: Severity::Error,
        summary: "the same AWS table now lives in another values file: one release deletes it while the other creates it",
        fix: None,
        docs: r#"
## What it catches
A table that keeps its AWS name and region but moves to another values file — another
Helm release, for example when a namespace's values are split or merged.

## Why it matters
Each values file is a separate release. On sync, the release that loses the table removes
it — and with `deletionPolicy: Delete` Crossplane deletes the AWS table — while the
release that gains it creates it again, empty. Severity follows what the old release
does: an error when it deletes, a warning with deletion protection (the deletion hangs),
a note under `deletionPolicy: Orphan` (the new release adopts the table) — raised to a
warning when the new release takes over more than the old one had: `Control` where the
old release only observed the table, or `deletionPolicy: Delete` where it orphaned it.

## Example
```yaml
# apps-koa/apps/koa-dev/dynamo-tables/values.yaml      (Orders removed here)
# apps-koa/apps/koa-dev/dynamo-tables-v2/values.yaml   (Orders added here)
```

## How to fix
First set `deletionPolicy: Orphan` on the old release (its own change), then move the
table; or keep it where it is. To move its data to a new table of the new release instead,
`dynalint migrate --base <REV> Orders` writes the first step: the entry back in the old
release as in the base revision, and the new release's definition as `Orders-v2`.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in changes.kept.iter().filter(|pair| pair.moved()) {
        let new = pair.head.table;
        let mut severity = removal_severity(&pair.base);
        let (from, to) = (pair.base.release, pair.head.release);
        // Adopted by a release with stronger policies than the old one: said, and a
        // warning even when the old release only orphans it.
        let mut takeover = String::new();
        if from.observed() && !to.observed() {
            takeover.push_str("; the new release manages it (managementPolicies: Control) where the old one only observed it, and applies these values to it");
        }
        if !from.deletes_removed_tables() && to.deletes_removed_tables() {
            takeover.push_str("; the new release has deletionPolicy: Delete, so a later removal deletes it in AWS");
        }
        if !takeover.is_empty() {
            severity = severity.max(Severity::Warning);
        }
        let help = if removal_severity(&pair.base) == Severity::Note {
            format!(
                "the old release leaves the table and the new one adopts it: check that the new release's values match the table, or {} keeps it in the old release and declares a new, versioned table in the new one",
                migrate_command(pair.base.table)
            )
        } else {
            format!(
                "set `deletionPolicy: Orphan` on the old release first, in a change of its own, then move the table; or {} keeps it in the old release and declares a new, versioned table in the new one",
                migrate_command(pair.base.table)
            )
        };
        findings.push(
            at_head(
                &RULE.meta,
                pair,
                new.name.span,
                "name",
                format!(
                    "table `{}` moves from `{}` to `{}`, another release: in the old release it {}{}, while the new one creates it{takeover}",
                    new.id.name,
                    pair.base.release.path,
                    pair.head.release.path,
                    Removal::of(&pair.base).outcome(),
                    observe_note(&pair.base)
                ),
            )
            .severity(severity)
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
    /// Another release of the namespace, in another team's folder.
    const OTHER: &str = "apps-other/apps/koa-dev/dynamo-tables/values.yaml";

    #[test]
    fn ok() {
        // Moving within its file is no move.
        let moved_down = format!("{}  - name: Carts\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n", ORDERS.replace("tables:\n", "tables:\n  - name: First\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n"));
        check(
            &lint_change(
                &[("koa-dev.yaml", ORDERS)],
                &[("koa-dev.yaml", &moved_down)],
            ),
            "DL310",
            &[],
        );
    }

    #[test]
    fn moved_to_another_release() {
        check(
            &lint_change(
                &[("koa-dev.yaml", ORDERS)],
                &[("koa-dev.yaml", "tables: []\n"), (OTHER, ORDERS)],
            ),
            "DL310",
            &[
                "apps-other/apps/koa-dev/dynamo-tables/values.yaml:2:11 error DL310 table `koa-dev-Orders` moves from `apps-test/apps/koa-dev/dynamo-tables/values.yaml` to `apps-other/apps/koa-dev/dynamo-tables/values.yaml`, another release: in the old release it is deleted with its data, while the new one creates it (set `deletionPolicy: Orphan` on the old release first, in a change of its own, then move the table; or `dynalint migrate --base <REV> Orders` keeps it in the old release and declares a new, versioned table in the new one)",
            ],
        );
        let orphaned = format!("deletionPolicy: Orphan\n{ORDERS}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &orphaned)],
                &[
                    ("koa-dev.yaml", "deletionPolicy: Orphan\ntables: []\n"),
                    (OTHER, &orphaned),
                ],
            ),
            "DL310",
            &[
                "apps-other/apps/koa-dev/dynamo-tables/values.yaml:3:11 note DL310 table `koa-dev-Orders` moves from `apps-test/apps/koa-dev/dynamo-tables/values.yaml` to `apps-other/apps/koa-dev/dynamo-tables/values.yaml`, another release: in the old release it is left in AWS (deletionPolicy: Orphan), while the new one creates it (the old release leaves the table and the new one adopts it: check that the new release's values match the table, or `dynalint migrate --base <REV> Orders` keeps it in the old release and declares a new, versioned table in the new one)",
            ],
        );
        // Into a release that deletes, or that manages what was only observed: a warning.
        let observed = format!("managementPolicies: Observe\n{orphaned}");
        check(
            &lint_change(
                &[("koa-dev.yaml", &observed)],
                &[
                    ("koa-dev.yaml", "deletionPolicy: Orphan\ntables: []\n"),
                    (OTHER, ORDERS),
                ],
            ),
            "DL310",
            &[
                "apps-other/apps/koa-dev/dynamo-tables/values.yaml:2:11 warning DL310 table `koa-dev-Orders` moves from `apps-test/apps/koa-dev/dynamo-tables/values.yaml` to `apps-other/apps/koa-dev/dynamo-tables/values.yaml`, another release: in the old release it is left in AWS (deletionPolicy: Orphan), while the new one creates it; the new release manages it (managementPolicies: Control) where the old one only observed it, and applies these values to it; the new release has deletionPolicy: Delete, so a later removal deletes it in AWS (the old release leaves the table and the new one adopts it: check that the new release's values match the table, or `dynalint migrate --base <REV> Orders` keeps it in the old release and declares a new, versioned table in the new one)",
            ],
        );
    }
}
