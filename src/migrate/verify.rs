//! The last check before anything is written: the head read again, with the plan
//! applied, through the pipeline.

use std::collections::BTreeSet;

use super::{Error, Plan, RULES};
use crate::diff::{self, Declared, Pair};
use crate::model::{Table, TableId, same_release};
use crate::pipeline::Run;

/// Whether the head read again with the plan written (`after`, a run against the same
/// base) says what the plan intends: each old table is there, as in the base, where the
/// base had it; each new table is there, as the head defined it but for its name, and
/// AWS creates it; none of them has a finding of [`RULES`] any more.
pub fn verify(plan: &Plan, after: &Run) -> Result<(), Error> {
    let Some(base) = &after.base else {
        return Ok(());
    };
    let changes = diff::pair(&base.values, &after.head.values);
    for migration in &plan.tables {
        let refuse = |path: &str, reason: String| Error::Refused {
            table: migration.old.id.name.clone(),
            path: path.to_string(),
            reason: format!("read again, {reason}"),
        };
        let kept = changes.kept.iter().find(|pair| {
            pair.base.table.id == migration.old.id
                && same_release(&pair.head.release.path, &migration.old.path)
        });
        let Some(kept) = kept else {
            return Err(refuse(
                &migration.old.path,
                format!(
                    "the values would not keep `{}` as the table the base has",
                    migration.old.id.name
                ),
            ));
        };
        let same = |release, before: &Table, now: &Table| {
            let declared = |table| Declared { release, table };
            diff::differences(&Pair {
                base: declared(before),
                head: declared(now),
                unchanged: false,
            })
        };
        let differences = same(kept.base.release, &migration.base_table, kept.head.table);
        if !differences.is_empty() {
            return Err(refuse(
                &migration.old.path,
                format!(
                    "`{}` would differ from the base ({})",
                    migration.old.name,
                    differences.join("; ")
                ),
            ));
        }
        let created = changes.added.iter().find(|added| {
            added.table.id == migration.new.id && added.release.path == migration.new.path
        });
        let Some(created) = created else {
            return Err(refuse(
                &migration.new.path,
                format!(
                    "the values would not declare `{}` as a new table",
                    migration.new.id.name
                ),
            ));
        };
        let differences = same(created.release, &migration.head_table, created.table);
        if !differences.is_empty() {
            return Err(refuse(
                &migration.new.path,
                format!(
                    "`{}` would differ from the head's definition ({})",
                    migration.new.name,
                    differences.join("; ")
                ),
            ));
        }
        for (release, name) in [
            (kept.head.release, &migration.old.name),
            (created.release, &migration.new.name),
        ] {
            if release
                .tables
                .iter()
                .filter(|table| &table.name.value == name)
                .count()
                > 1
            {
                return Err(refuse(
                    &release.path,
                    format!("the release would declare two tables named `{name}`"),
                ));
            }
        }
        let ids: BTreeSet<&TableId> = [&migration.old.id, &migration.new.id].into();
        if let Some(left) = after.report.findings.iter().find(|reported| {
            RULES.contains(&reported.finding.rule.code)
                && reported
                    .finding
                    .table
                    .as_ref()
                    .is_some_and(|table| ids.contains(table))
        }) {
            return Err(refuse(
                &left.path,
                format!(
                    "{} would remain: {}",
                    left.finding.rule.code, left.finding.message
                ),
            ));
        }
    }
    Ok(())
}
