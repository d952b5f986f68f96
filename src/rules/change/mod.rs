//! DL3xx: what a change does to tables that exist (head against `--base`).
//!
//! Change rules report on the head line that carries the change, with the table's
//! declaration in the base revision as related location. A removal is reported at the
//! head file's `tables:` key, or at the table in the base revision when its whole values
//! file is deleted.

use crate::diff::{ChangeSet, Declared, Pair, Removal};
use crate::finding::Finding;
use crate::model::Index;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::on_table;
use crate::source::Site;
use crate::span::{Span, Spanned};
use std::collections::BTreeMap;

pub mod access_revoked;
pub mod backup_turned_off;
pub mod billing_mode_changed;
pub mod gsi_recreated;
pub mod gsi_removed;
pub mod key_schema_changed;
pub mod lsi_changed;
pub mod management_policy_changed;
pub mod pitr_turned_off;
pub mod stream_or_ttl_changed;
pub mod table_deleted;
pub mod table_moved_between_releases;
pub mod table_replaced;
pub mod ttl_not_applied;

/// A finding at `span` of the head table, pointing back to the base declaration.
pub fn at_head(
    rule: &'static RuleMeta,
    pair: &Pair<'_>,
    span: Span,
    locus: &str,
    message: impl Into<String>,
) -> Finding {
    on_table(rule, pair.head.table, span, locus, message).related(
        pair.base.table.name_site(),
        "the table in the base revision",
    )
}

/// The key attributes of an index that keep their name but change their declared type,
/// as (name, type before, type after). The table's own keys are DL303's, not listed.
pub fn index_key_types_changed(
    pair: &Pair<'_>,
    before: &Index,
    after: &Index,
) -> Vec<(String, String, Spanned<String>)> {
    let (old, new) = (pair.base.table, pair.head.table);
    let table_keys = [Some(&new.hash_key), new.range_key.as_ref()];
    let mut changed = Vec::new();
    for (key_before, key_after) in [
        (&before.hash_key, &after.hash_key),
        (&before.range_key, &after.range_key),
    ] {
        let (Some(key_before), Some(key_after)) = (key_before, key_after) else {
            continue;
        };
        if key_before.value != key_after.value
            || table_keys
                .iter()
                .flatten()
                .any(|key| key.value == key_after.value)
        {
            continue;
        }
        let kind = |table: &crate::model::Table| {
            table
                .attribute(&key_after.value)
                .and_then(|attribute| attribute.kind.clone())
        };
        if let (Some(type_before), Some(type_after)) = (kind(old), kind(new))
            && type_before.value != type_after.value
        {
            changed.push((key_after.value.clone(), type_before.value, type_after));
        }
    }
    changed
}

/// The pairs that may change and whose head release applies changes: under
/// `managementPolicies: Observe` Crossplane changes nothing on the table.
pub fn applied<'a, 'b>(changes: &'b ChangeSet<'a>) -> impl Iterator<Item = &'b Pair<'a>> {
    changes
        .kept
        .iter()
        .filter(|pair| !pair.unchanged && !pair.head.release.observed())
}

/// How bad it is that a base table leaves its release: an error when the release
/// deletes it, a warning when deletion protection makes the deletion hang, a note when it
/// is only orphaned.
pub fn removal_severity(declared: &Declared<'_>) -> Severity {
    match Removal::of(declared) {
        Removal::Orphan => Severity::Note,
        Removal::Hang => Severity::Warning,
        Removal::Delete => Severity::Error,
    }
}

/// Where a removed table is reported: the head file's `tables:` key (its start when it
/// has none, as when the tables come from the chart's defaults), or the table in the base
/// revision when the file itself is deleted.
pub fn removal_site(changes: &ChangeSet<'_>, old: &Declared<'_>) -> Site {
    match changes.head.release_file(&old.release.path) {
        Some(file) => changes
            .head_release(&old.release.path)
            .and_then(|release| release.tables_key)
            .filter(|site| site.file == file.id)
            .unwrap_or(Site::new(file.id, Span::at(0))),
        None => old.table.name_site(),
    }
}

/// Said of a release under Observe that still deletes: the surprise, spelled out.
pub fn observe_note(declared: &Declared<'_>) -> &'static str {
    if declared.release.observed() && declared.release.deletes_removed_tables() {
        " (managementPolicies: Observe does not prevent it: with deletionPolicy: Delete the chart adds Delete to the management policies)"
    } else {
        ""
    }
}

/// A table's indexes by name (LSIs or GSIs), for pairing them across revisions.
pub(super) fn by_name(indexes: &[Index]) -> BTreeMap<&str, &Index> {
    indexes
        .iter()
        .map(|index| (index.name.value.as_str(), index))
        .collect()
}

/// The command that keeps a table AWS cannot change in place as it is and declares the
/// new definition as a new table beside it (`dynalint migrate`), for the help of DL302,
/// DL303, DL304 and DL310.
pub fn migrate_command(table: &crate::model::Table) -> String {
    let name = &table.name.value;
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character));
    if plain {
        format!("`dynalint migrate --base <REV> {name}`")
    } else {
        format!(
            "`dynalint migrate --base <REV> '{}'`",
            name.replace('\'', r"'\''")
        )
    }
}
