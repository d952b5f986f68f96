//! Pair the tables of two revisions by identity (AWS name and region) and say what the
//! change does in AWS: which tables are created, updated, replaced, deleted or orphaned.
//!
//! Position, file, formatting and comments are not identity: a table that only moves
//! within its file is the same table. A table that keeps its logical name but changes
//! its prefix, region or namespace, or is renamed in place with the same keys, is a
//! replacement: the old AWS table goes and a new, empty one comes.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::{Access, Index, Release, Table, TableId, Values, same_release};
use crate::source::Site;

/// A table where one revision declares it.
#[derive(Clone, Copy, Debug)]
pub struct Declared<'a> {
    pub release: &'a Release,
    pub table: &'a Table,
}

/// The same AWS table in both revisions.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    pub base: Declared<'a>,
    pub head: Declared<'a>,
    /// Declared in the same file, whose content (and chart) did not change: nothing about
    /// the table can differ.
    pub unchanged: bool,
}

impl Pair<'_> {
    /// Declared in another values file (another Helm release) than before.
    pub fn moved(&self) -> bool {
        !same_release(&self.base.release.path, &self.head.release.path)
    }
}

/// Why a base table and a head table are one table replaced by another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceReason {
    Renamed {
        from: String,
        to: String,
    },
    Prefix {
        from: bool,
        to: bool,
    },
    Region {
        from: String,
        to: String,
    },
    Namespace {
        from: String,
        to: String,
    },
    /// None of the above: the AWS name's template (`[naming]`) changed.
    Naming {
        from: String,
        to: String,
    },
}

impl std::fmt::Display for ReplaceReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplaceReason::Renamed { from, to } => {
                write!(formatter, "renamed from `{from}` to `{to}`")
            }
            ReplaceReason::Prefix { from, to } => {
                write!(formatter, "useIdpPrefix changes from {from} to {to}")
            }
            ReplaceReason::Region { from, to } => {
                write!(formatter, "region changes from {from} to {to}")
            }
            ReplaceReason::Namespace { from, to } => {
                write!(formatter, "moves from namespace `{from}` to `{to}`")
            }
            ReplaceReason::Naming { from, to } => write!(
                formatter,
                "its AWS name changes from `{from}` to `{to}` with the naming template (`[naming]` in dynalint.toml)"
            ),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Replacement<'a> {
    pub base: Declared<'a>,
    pub head: Declared<'a>,
    pub reasons: Vec<ReplaceReason>,
}

impl Replacement<'_> {
    /// Only the region changes, on the same resource: the provider refuses the update
    /// (it would need a new table) instead of replacing the table.
    pub fn refused(&self) -> bool {
        self.reasons
            .iter()
            .all(|reason| matches!(reason, ReplaceReason::Region { .. }))
    }
}

/// Two revisions' tables, paired.
pub struct ChangeSet<'a> {
    pub base: &'a Values,
    pub head: &'a Values,
    /// In both revisions.
    pub kept: Vec<Pair<'a>>,
    pub replaced: Vec<Replacement<'a>>,
    /// Only in the base revision.
    pub removed: Vec<Declared<'a>>,
    /// Only in the head revision.
    pub added: Vec<Declared<'a>>,
    /// Where the head has the values files the base checked and the head's
    /// configuration no longer does (their tables are not compared).
    pub unchecked: Vec<Site>,
}

fn declared(revision: &Values) -> impl Iterator<Item = Declared<'_>> {
    revision.releases.iter().flat_map(|release| {
        release
            .tables
            .iter()
            .map(move |table| Declared { release, table })
    })
}

/// Tables with schema errors that could still be read: they may exist in AWS (from an
/// earlier revision), so their removal counts; their settings are not compared.
fn declared_invalid(revision: &Values) -> impl Iterator<Item = (Declared<'_>, bool)> {
    revision.releases.iter().flat_map(|release| {
        release.invalid_tables.iter().filter_map(move |invalid| {
            invalid
                .table
                .as_ref()
                .map(|table| (Declared { release, table }, invalid.complete))
        })
    })
}

/// The key schema of a table, for telling a rename from a new table.
fn key_schema(table: &Table) -> (String, Option<String>, BTreeSet<(String, String)>) {
    (
        table.hash_key.value.clone(),
        table.range_key.as_ref().map(|key| key.value.clone()),
        table.attribute_set(),
    )
}

pub fn pair<'a>(base: &'a Values, head: &'a Values) -> ChangeSet<'a> {
    // A table declared twice (DL105) pairs by its first declaration.
    let mut head_ids: HashMap<&TableId, Declared<'a>> = HashMap::new();
    for declared in declared(head) {
        head_ids.entry(&declared.table.id).or_insert(declared);
    }
    let base_ids: HashSet<&TableId> = declared(base)
        .map(|declared| &declared.table.id)
        .chain(base.releases.iter().flat_map(|release| {
            release
                .invalid_tables
                .iter()
                .filter_map(|invalid| invalid.id.as_ref())
        }))
        .collect();
    // What the head revision declares but cannot be read: never claim those tables gone.
    let head_unknown: HashSet<&TableId> = head
        .releases
        .iter()
        .flat_map(|release| &release.invalid_tables)
        .filter_map(|table| table.id.as_ref())
        .collect();
    // Values files whose tables cannot be read at all (not YAML, not a mapping).
    let head_opaque_files: HashSet<&str> = head
        .files
        .iter()
        .filter(|file| file.release.is_none())
        .map(|file| file.path.as_str())
        .collect();

    let mut changes = ChangeSet {
        base,
        head,
        kept: Vec::new(),
        replaced: Vec::new(),
        removed: Vec::new(),
        added: Vec::new(),
        unchecked: Vec::new(),
    };
    let alike = base.reads_alike(head);
    let content = |revision: &Values, path: &str| revision.file(path).and_then(|file| file.content);
    let unchanged = |old: &Declared<'_>, new: &Declared<'_>| {
        let before = content(base, &old.release.path);
        alike
            && old.release.path == new.release.path
            && before.is_some()
            && before == content(head, &new.release.path)
    };
    let mut gone = Vec::new();
    for (old, complete) in declared_invalid(base) {
        // A base table read in full and set aside for its schema errors, that the head
        // reads without them (the same change suppressed, downgraded or fixed them), is
        // compared: a key swap in that change must not pass.
        if complete && let Some(new) = head_ids.get(&old.table.id) {
            changes.kept.push(Pair {
                base: old,
                head: *new,
                unchanged: false,
            });
            continue;
        }
        let present = head_ids.contains_key(&old.table.id)
            || head_unknown.contains(&old.table.id)
            || head_opaque_files.contains(old.release.path.as_str());
        if !present {
            gone.push(old);
        }
    }
    for old in declared(base) {
        match head_ids.get(&old.table.id) {
            Some(new) => changes.kept.push(Pair {
                base: old,
                head: *new,
                unchanged: unchanged(&old, new),
            }),
            None if head_unknown.contains(&old.table.id)
                || head_opaque_files.contains(old.release.path.as_str()) => {}
            None => gone.push(old),
        }
    }
    set_aside_unidentified(base, head, &mut gone);
    let mut new: Vec<Option<Declared<'a>>> = declared(head)
        .filter(|declared| !base_ids.contains(&declared.table.id))
        .map(Some)
        .collect();
    // The same logical table under another AWS identity: prefix, region or namespace.
    let same_name = |old: &Declared<'_>, candidate: &Declared<'_>| {
        old.table.name.value == candidate.table.name.value
            && (same_release(&old.release.path, &candidate.release.path)
                || old.release.namespace != candidate.release.namespace)
    };
    // A rename in place: same file, same keys.
    let renamed = |old: &Declared<'_>, candidate: &Declared<'_>| {
        same_release(&old.release.path, &candidate.release.path)
            && key_schema(old.table) == key_schema(candidate.table)
    };
    let mut unmatched = Vec::new();
    for old in gone {
        let found = [
            &same_name as &dyn Fn(&Declared<'_>, &Declared<'_>) -> bool,
            &renamed,
        ]
        .into_iter()
        .find_map(|matches| {
            new.iter_mut()
                .find(|candidate| {
                    candidate
                        .as_ref()
                        .is_some_and(|candidate| matches(&old, candidate))
                })
                .and_then(Option::take)
        });
        match found {
            Some(head) => changes.replaced.push(Replacement {
                reasons: replace_reasons(&old, &head),
                base: old,
                head,
            }),
            None => unmatched.push(old),
        }
    }
    changes.removed = unmatched;
    changes.added = new.into_iter().flatten().collect();
    changes
}

/// A head table without a readable name (DL004) may be any base table of its file: each
/// one stands for the gone table of its file nearest to its position, which is then
/// neither removed nor replaced. Nameless tables already in the base stand for
/// themselves first, so that an old DL004 does not hide a real removal.
fn set_aside_unidentified(base: &Values, head: &Values, gone: &mut Vec<Declared<'_>>) {
    let nameless = |revision: &Values| -> HashMap<String, Vec<usize>> {
        let mut found: HashMap<String, Vec<usize>> = HashMap::new();
        for release in &revision.releases {
            for table in release
                .invalid_tables
                .iter()
                .filter(|table| table.id.is_none())
            {
                found
                    .entry(release.path.clone())
                    .or_default()
                    .push(table.position);
            }
        }
        found
    };
    let base_nameless = nameless(base);
    for (path, mut positions) in nameless(head) {
        for old in base_nameless.get(&path).into_iter().flatten() {
            if let Some(nearest) = nearest(&positions, *old) {
                positions.remove(nearest);
            }
        }
        for position in positions {
            let candidates: Vec<usize> = gone
                .iter()
                .map(|old| {
                    if old.release.path == path {
                        old.table.position
                    } else {
                        usize::MAX
                    }
                })
                .collect();
            if let Some(index) = nearest(&candidates, position)
                && candidates[index] != usize::MAX
            {
                gone.remove(index);
            }
        }
    }
}

/// The index of the value nearest to `target` (the first on ties).
fn nearest(values: &[usize], target: usize) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .min_by_key(|(_, value)| value.abs_diff(target))
        .map(|(index, _)| index)
}

fn replace_reasons(old: &Declared<'_>, new: &Declared<'_>) -> Vec<ReplaceReason> {
    let mut reasons = Vec::new();
    if old.table.name.value != new.table.name.value {
        reasons.push(ReplaceReason::Renamed {
            from: old.table.name.value.clone(),
            to: new.table.name.value.clone(),
        });
    }
    let prefix = |declared: &Declared<'_>| {
        declared
            .table
            .use_idp_prefix
            .as_ref()
            .is_some_and(|flag| flag.value)
    };
    if prefix(old) != prefix(new) {
        reasons.push(ReplaceReason::Prefix {
            from: prefix(old),
            to: prefix(new),
        });
    }
    if old.table.id.region != new.table.id.region {
        reasons.push(ReplaceReason::Region {
            from: old.table.id.region.clone(),
            to: new.table.id.region.clone(),
        });
    }
    if old.release.namespace != new.release.namespace {
        reasons.push(ReplaceReason::Namespace {
            from: old.release.namespace.clone(),
            to: new.release.namespace.clone(),
        });
    }
    if reasons.is_empty() {
        reasons.push(ReplaceReason::Naming {
            from: old.table.id.name.clone(),
            to: new.table.id.name.clone(),
        });
    }
    reasons
}

impl<'a> ChangeSet<'a> {
    /// The head release of a values file, if the head revision reads one there.
    pub fn head_release(&self, path: &str) -> Option<&'a Release> {
        self.head.release_at(path)
    }

    /// What the change does in AWS, one entry per table it touches.
    pub fn plan(&self) -> Vec<PlanEntry> {
        let mut plan = Vec::new();
        let entry = |action, declared: &Declared<'_>, reasons| PlanEntry {
            action,
            table: declared.table.id.clone(),
            namespace: declared.release.namespace.clone(),
            path: declared.release.path.clone(),
            reasons,
        };
        for added in &self.added {
            let reasons = if added.release.observed() {
                vec![
                    "adopted read-only (managementPolicies: Observe): nothing is created"
                        .to_string(),
                ]
            } else {
                Vec::new()
            };
            let action = if added.release.observed() {
                Action::Update
            } else {
                Action::Create
            };
            plan.push(entry(action, added, reasons));
        }
        for pair in self.kept.iter().filter(|pair| !pair.unchanged) {
            let mut reasons = differences(pair);
            if pair.head.release.observed() && !pair.moved() {
                // Under Observe nothing is applied: only letting go of the table counts.
                reasons.retain(|reason| reason.starts_with("managementPolicies"));
            }
            if reasons.is_empty() {
                continue;
            }
            let action = if pair.moved() && pair.base.release.deletes_removed_tables() {
                Action::Replace
            } else {
                Action::Update
            };
            plan.push(entry(action, &pair.head, reasons));
        }
        for replacement in &self.replaced {
            let mut reasons: Vec<String> = replacement
                .reasons
                .iter()
                .map(ToString::to_string)
                .collect();
            if replacement.refused() {
                reasons.push(
                    "refused by the provider: the Table stays Synced=False, its other changes wait until this is reverted".to_string(),
                );
                plan.push(entry(Action::Update, &replacement.head, reasons));
                continue;
            }
            reasons.push(format!(
                "`{}` {}, `{}` is created empty",
                replacement.base.table.id.name,
                Removal::of(&replacement.base).outcome(),
                replacement.head.table.id.name
            ));
            plan.push(entry(Action::Replace, &replacement.head, reasons));
        }
        for removed in &self.removed {
            let file_deleted = self.head.release_file(&removed.release.path).is_none();
            let mut reasons = vec![if file_deleted {
                "its values file is deleted".to_string()
            } else {
                "removed from the values".to_string()
            }];
            let action = match Removal::of(removed) {
                Removal::Delete => Action::Delete,
                Removal::Hang => {
                    reasons.push(
                        "deletionProtection is on: AWS refuses, and the deletion hangs".to_string(),
                    );
                    Action::Delete
                }
                Removal::Orphan => {
                    reasons.push("deletionPolicy: Orphan leaves it in AWS".to_string());
                    Action::Orphan
                }
            };
            plan.push(entry(action, removed, reasons));
        }
        plan.sort_by(|left, right| (left.action, &left.table).cmp(&(right.action, &right.table)));
        plan
    }
}

/// What AWS does with a base table that leaves its release, decided once for the plan
/// and the change rules (DL301, DL302, DL310).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// The release deletes it, with its data (`deletionPolicy: Delete`).
    Delete,
    /// The release deletes it, but `deletionProtection` in the base makes AWS refuse: the
    /// deletion hangs.
    Hang,
    /// It is left in AWS (`deletionPolicy: Orphan`).
    Orphan,
}

impl Removal {
    pub fn of(declared: &Declared<'_>) -> Removal {
        if !declared.release.deletes_removed_tables() {
            Removal::Orphan
        } else if declared
            .table
            .deletion_protection
            .as_ref()
            .is_some_and(|flag| flag.value)
        {
            Removal::Hang
        } else {
            Removal::Delete
        }
    }

    /// What happens to the table, as a sentence's predicate.
    pub fn outcome(self) -> &'static str {
        match self {
            Removal::Orphan => "is left in AWS (deletionPolicy: Orphan)",
            Removal::Hang => {
                "is to be deleted, which deletionProtection refuses: the deletion hangs"
            }
            Removal::Delete => "is deleted with its data",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    Orphan,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Orphan => "orphan",
        }
    }
}

/// One table the change touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanEntry {
    pub action: Action,
    pub table: TableId,
    pub namespace: String,
    /// The values file: the head's, or the base's for a removal.
    pub path: String,
    pub reasons: Vec<String>,
}

fn change(reasons: &mut Vec<String>, what: &str, before: String, after: String) {
    if before != after {
        reasons.push(format!("{what}: {before} -> {after}"));
    }
}

fn optional(value: Option<String>) -> String {
    value.unwrap_or_else(|| "none".to_string())
}

fn stream(table: &Table) -> String {
    optional(table.stream.as_ref().map(|stream| stream.value.clone()))
}

fn ttl(table: &Table) -> String {
    optional(table.ttl.as_ref().map(|ttl| {
        let attribute = ttl
            .attribute
            .as_ref()
            .map_or("?", |attribute| attribute.value.as_str());
        let enabled = ttl.enabled.as_ref().is_none_or(|enabled| enabled.value);
        format!("{attribute}{}", if enabled { "" } else { " (disabled)" })
    }))
}

fn number(value: &Option<crate::span::Spanned<u64>>) -> String {
    optional(value.as_ref().map(|value| value.value.to_string()))
}

fn flag(value: &Option<crate::span::Spanned<bool>>) -> String {
    value.as_ref().is_some_and(|flag| flag.value).to_string()
}

/// What changes between the two declarations of one table, in words.
pub fn differences(pair: &Pair<'_>) -> Vec<String> {
    let (old, new) = (pair.base.table, pair.head.table);
    let mut reasons = Vec::new();
    if pair.moved() {
        reasons.push(format!(
            "moves from `{}` to `{}`",
            pair.base.release.path, pair.head.release.path
        ));
    }
    let (before, after) = (pair.base.release, pair.head.release);
    if before.observed() != after.observed() {
        reasons.push(if after.observed() {
            "managementPolicies: Control -> Observe: Crossplane stops applying the values"
                .to_string()
        } else {
            "managementPolicies: Observe -> Control: Crossplane applies the values to the table"
                .to_string()
        });
    }
    if before.deletes_removed_tables() != after.deletes_removed_tables() {
        reasons.push(if after.deletes_removed_tables() {
            "deletionPolicy: Orphan -> Delete: removing it from the values deletes it".to_string()
        } else {
            "deletionPolicy: Delete -> Orphan: removing it from the values leaves it in AWS"
                .to_string()
        });
    }
    let range = |table: &Table| optional(table.range_key.as_ref().map(|key| key.value.clone()));
    let attributes = |table: &Table| {
        let listed: Vec<String> = key_schema(table)
            .2
            .into_iter()
            .map(|(name, kind)| {
                if kind.is_empty() {
                    name
                } else {
                    format!("{name} {kind}")
                }
            })
            .collect();
        if listed.is_empty() {
            "none".to_string()
        } else {
            listed.join(", ")
        }
    };
    change(
        &mut reasons,
        "hashKey",
        old.hash_key.value.clone(),
        new.hash_key.value.clone(),
    );
    change(&mut reasons, "rangeKey", range(old), range(new));
    change(&mut reasons, "attributes", attributes(old), attributes(new));
    for (field, before, after) in [
        ("localSecondaryIndex", &old.lsis, &new.lsis),
        ("globalSecondaryIndex", &old.gsis, &new.gsis),
    ] {
        // Capacity is updated in place; keys and projection define the index.
        for index in after {
            if let Some(previous) = before
                .iter()
                .find(|previous| previous.signature() == index.signature())
            {
                let name = &index.name.value;
                change(
                    &mut reasons,
                    &format!("{field} {name} readCapacity"),
                    number(&previous.read_capacity),
                    number(&index.read_capacity),
                );
                change(
                    &mut reasons,
                    &format!("{field} {name} writeCapacity"),
                    number(&previous.write_capacity),
                    number(&index.write_capacity),
                );
            }
        }
        let set = |indexes: &[Index]| -> BTreeSet<String> {
            indexes.iter().map(Index::signature).collect()
        };
        let (before, after) = (set(before), set(after));
        for removed in before.difference(&after) {
            reasons.push(format!("{field} removed: {removed}"));
        }
        for added in after.difference(&before) {
            reasons.push(format!("{field} added: {added}"));
        }
    }
    change(
        &mut reasons,
        "billingMode",
        old.billing().as_str().to_string(),
        new.billing().as_str().to_string(),
    );
    change(
        &mut reasons,
        "readCapacity",
        number(&old.read_capacity),
        number(&new.read_capacity),
    );
    change(
        &mut reasons,
        "writeCapacity",
        number(&old.write_capacity),
        number(&new.write_capacity),
    );
    change(
        &mut reasons,
        "pointInTimeRecovery",
        old.pitr_enabled().to_string(),
        new.pitr_enabled().to_string(),
    );
    change(&mut reasons, "backup", flag(&old.backup), flag(&new.backup));
    change(
        &mut reasons,
        "deletionProtection",
        flag(&old.deletion_protection),
        flag(&new.deletion_protection),
    );
    change(&mut reasons, "streamViewType", stream(old), stream(new));
    change(&mut reasons, "ttl", ttl(old), ttl(new));
    for (key, value) in &old.tags {
        match new.tags.get(key) {
            None => reasons.push(format!("tag `{key}` removed")),
            Some(after) if after != value => {
                reasons.push(format!("tag `{key}`: {value} -> {after}"));
            }
            Some(_) => {}
        }
    }
    for (key, value) in &new.tags {
        if !old.tags.contains_key(key) {
            reasons.push(format!("tag `{key}` added: {value}"));
        }
    }
    for access in [Access::Read, Access::Write] {
        let roles = |table: &Table| -> BTreeSet<String> {
            table
                .grants(access)
                .roles
                .iter()
                .map(|role| role.value.clone())
                .collect()
        };
        let (before, after) = (roles(old), roles(new));
        for role in before.difference(&after) {
            reasons.push(format!("{} access of `{role}` removed", access.as_str()));
        }
        for role in after.difference(&before) {
            reasons.push(format!("{} access granted to `{role}`", access.as_str()));
        }
    }
    reasons
}
