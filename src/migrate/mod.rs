//! `dynalint migrate`: the safe path for a change AWS cannot make in place — a table
//! replaced (DL302), its keys (DL303) or LSIs (DL304) changed, or moved to another
//! release (DL310).
//!
//! From a run of the pipeline against the base, for each such table: its entry is copied
//! back from the base file, grants included, into the release where the base had it, so
//! that AWS keeps it as it is; the head's definition becomes a new table beside it. The
//! new table takes the next version suffix of the name (`Orders` -> `Orders-v2`, its
//! shadow table `Orders-shadow` -> `Orders-v2-shadow`), skipping names taken in the
//! namespace, unless it has a name of its own already (a rename, or a move to another
//! namespace: it is a distinct table, and the head's name stays). The edits are byte
//! ranges of the head's files ([`text`]); each edited file is read again and must read as
//! intended, and the whole head once more through the pipeline ([`verify`]) before
//! anything is written.

mod naming;
mod select;
mod steps;
#[cfg(test)]
mod tests;
mod text;
mod verify;

use std::collections::{BTreeMap, HashSet};

use crate::config::Config;
use crate::diff::{self, Declared, ReplaceReason};
use crate::model::{Table, TableId, Values, same_release};
use crate::pipeline::Run;
use crate::report;
use crate::revision::Revision;
use crate::snapshot::{Content, Snapshot};
use crate::source::{Sources, strip_bom};

pub use steps::{done, nothing_to_do};
pub use verify::verify;

use select::{Candidate, candidates, pick, select};

/// The rules whose findings `migrate` answers.
pub const RULES: [&str; 4] = ["DL302", "DL303", "DL304", "DL310"];

/// What to migrate, from what.
pub struct Request<'a> {
    /// A run of the pipeline against the base (`--base`).
    pub run: &'a Run,
    pub config: &'a Config,
    /// Where the head's files are read as bytes (the working tree).
    pub head: &'a dyn Snapshot,
    /// Where the base's files are read as bytes (for a file the head deleted).
    pub base: &'a dyn Snapshot,
    /// How commands and messages name the base revision.
    pub base_label: &'a str,
    /// The TABLE arguments; none: every table with a finding of [`RULES`].
    pub tables: &'a [String],
}

/// Why a table is migrated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// DL302: another AWS identity (a rename, `useIdpPrefix`, region, namespace).
    Replaced(Vec<ReplaceReason>),
    /// DL303, DL304: the same table with keys or LSIs AWS cannot change.
    Changed,
    /// DL310: the same table, declared in another release.
    Moved,
}

/// A table where a migration leaves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The values file.
    pub path: String,
    /// Its `name` as written.
    pub name: String,
    pub id: TableId,
    /// The roles granted read and write.
    pub readers: Vec<String>,
    pub writers: Vec<String>,
}

/// One table migrated.
#[derive(Clone, Debug)]
pub struct Migration {
    /// The rules of its findings, and their fingerprints in report order.
    pub rules: Vec<&'static str>,
    pub fingerprints: Vec<String>,
    pub kind: Kind,
    /// The table AWS has, kept as in the base.
    pub old: Place,
    /// The head's definition, as a new table.
    pub new: Place,
    /// The new table took a version suffix; otherwise it keeps the head's own name.
    pub versioned: bool,
    /// The old table's release deletes the tables removed from its values.
    pub deletes: bool,
    /// The two entries as they will be written, with a comment line each (YAML).
    pub yaml: String,
    base_table: Table,
    head_table: Table,
}

/// One file written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    /// Its bytes before; `None` when the head has no such file (it is recreated).
    pub before: Option<Vec<u8>>,
    pub after: Vec<u8>,
}

impl FileChange {
    /// The change as a unified diff.
    pub fn diff(&self) -> String {
        let before = self
            .before
            .as_deref()
            .map(|bytes| String::from_utf8_lossy(strip_bom(bytes)).into_owned())
            .unwrap_or_default();
        let after = String::from_utf8_lossy(strip_bom(&self.after));
        crate::edit::unified_diff(&self.path, &before, &after)
    }
}

/// What a migration does.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub base_label: String,
    pub tables: Vec<Migration>,
    pub files: Vec<FileChange>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no table `{name}` has a DL302, DL303, DL304 or DL310 finding against {base}; {}",
        known_tables(known)
    )]
    UnknownTable {
        name: String,
        base: String,
        known: Vec<String>,
    },
    #[error("cannot migrate table `{table}`: {path}: {reason}; nothing was written")]
    Refused {
        table: String,
        path: String,
        reason: String,
    },
}

fn known_tables(known: &[String]) -> String {
    if known.is_empty() {
        "no table has one".to_string()
    } else {
        let quoted: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
        format!("tables that have one: {}", quoted.join(", "))
    }
}

/// The migration of the selected tables (none when nothing is to migrate).
pub fn plan(request: &Request<'_>) -> Result<Plan, Error> {
    let Some(base) = &request.run.base else {
        return Ok(Plan::default());
    };
    let changes = diff::pair(&base.values, &request.run.head.values);
    let candidates = candidates(&request.run.report, &changes);
    let selected = select(candidates, request.tables, request.base_label)?;
    build(request, base, selected)
}

/// What the pull-request comment shows for each table `migrate` would migrate: the
/// YAML it would write, or why it cannot.
pub fn propose(request: &Request<'_>) -> Vec<report::Migration> {
    // Most runs have no such finding: they pair nothing again.
    let any = request
        .run
        .report
        .findings
        .iter()
        .any(|reported| RULES.contains(&reported.finding.rule.code));
    let (Some(base), true) = (&request.run.base, any) else {
        return Vec::new();
    };
    let changes = diff::pair(&base.values, &request.run.head.values);
    let candidates = candidates(&request.run.report, &changes);
    if candidates.is_empty() {
        return Vec::new();
    }
    let command = |name: &str| steps::command(request.base_label, name);
    let proposal = |migration: Migration| report::Migration {
        finding: migration.fingerprints[0].clone(),
        command: command(&migration.old.name),
        proposal: Ok(migration.yaml),
    };
    let count = candidates.len();
    let all: Vec<usize> = (0..count).collect();
    if let Ok(plan) = build(request, base, pick(&candidates, &all)) {
        return plan.tables.into_iter().map(proposal).collect();
    }
    // One table that cannot be migrated says why; the others are still proposed.
    let mut proposals = Vec::new();
    let mut done = vec![false; count];
    for index in 0..count {
        if done[index] {
            continue;
        }
        let group: Vec<usize> = (0..count)
            .filter(|other| *other == index || candidates[index].twin_of(&candidates[*other]))
            .collect();
        for member in &group {
            done[*member] = true;
        }
        match build(request, base, pick(&candidates, &group)) {
            Ok(plan) => proposals.extend(plan.tables.into_iter().map(proposal)),
            Err(error) => proposals.extend(group.iter().map(|member| {
                let candidate = &candidates[*member];
                report::Migration {
                    finding: candidate.fingerprints[0].clone(),
                    command: command(&candidate.base.table.name.value),
                    proposal: Err(match &error {
                        Error::Refused { path, reason, .. } => format!("{path}: {reason}"),
                        other => other.to_string(),
                    }),
                }
            })),
        }
    }
    proposals
}

/// The names and AWS identities that both revisions use (a new table takes none).
struct Taken {
    names: HashSet<(String, String)>,
    ids: HashSet<TableId>,
}

impl Taken {
    fn new(revisions: [&Values; 2]) -> Taken {
        let mut taken = Taken {
            names: HashSet::new(),
            ids: HashSet::new(),
        };
        for release in revisions.iter().flat_map(|values| &values.releases) {
            let tables = release.tables.iter().chain(
                release
                    .invalid_tables
                    .iter()
                    .filter_map(|invalid| invalid.table.as_ref()),
            );
            for table in tables {
                taken
                    .names
                    .insert((release.namespace.clone(), table.name.value.clone()));
                taken.ids.insert(table.id.clone());
            }
            for invalid in &release.invalid_tables {
                taken.ids.extend(invalid.id.clone());
            }
        }
        taken
    }
}

/// The per-file edits, file by file.
struct Files<'r> {
    request: &'r Request<'r>,
    rewrites: BTreeMap<String, text::Rewrite>,
}

impl Files<'_> {
    /// The head's values file at `path`, as read from the head, to edit.
    fn head(&mut self, path: &str, table: &str) -> Result<&mut text::Rewrite, Error> {
        if !self.rewrites.contains_key(path) {
            let run = self.request.run;
            let refuse = |reason: String| Error::Refused {
                table: table.to_string(),
                path: path.to_string(),
                reason,
            };
            let file = run
                .head
                .values
                .file(path)
                .ok_or_else(|| refuse("not a values file of the head".into()))?;
            if file.release.is_none() {
                return Err(refuse(
                    "it cannot be read as the chart's values (`dynalint check` says why): fix it first".into(),
                ));
            }
            let limits = &self.request.config.limits;
            let bytes = match self.request.head.read(path, limits.max_file_size) {
                Ok(Content::Bytes(bytes)) => bytes,
                Ok(_) => return Err(refuse("it cannot be read (too large, or a link)".into())),
                Err(error) => return Err(refuse(format!("cannot read it: {error}"))),
            };
            if strip_bom(&bytes) != run.sources.get(file.id).text.as_bytes() {
                return Err(refuse(
                    "it changed while dynalint read it: run migrate again".into(),
                ));
            }
            let rewrite = text::Rewrite::existing(path, bytes, &limits.yaml).map_err(refuse)?;
            self.rewrites.insert(path.to_string(), rewrite);
        }
        Ok(self.rewrites.get_mut(path).expect("inserted"))
    }

    /// A values file the head deleted, recreated from the base.
    fn recreated(&mut self, path: &str, table: &str) -> Result<&mut text::Rewrite, Error> {
        if !self.rewrites.contains_key(path) {
            let refuse = |reason: String| Error::Refused {
                table: table.to_string(),
                path: path.to_string(),
                reason,
            };
            let limits = &self.request.config.limits;
            let bytes = match self.request.base.read(path, limits.max_file_size) {
                Ok(Content::Bytes(bytes)) => bytes,
                Ok(_) => return Err(refuse("the base's file cannot be read".into())),
                Err(error) => return Err(refuse(format!("cannot read it in the base: {error}"))),
            };
            let rewrite = text::Rewrite::recreated(path, &bytes, &limits.yaml).map_err(refuse)?;
            self.rewrites.insert(path.to_string(), rewrite);
        }
        Ok(self.rewrites.get_mut(path).expect("inserted"))
    }
}

/// The base file's text of a table, parsed: where its entry is copied from.
fn base_entry(
    sources: &Sources,
    declared: &Declared<'_>,
    config: &Config,
) -> Result<text::Entry, String> {
    if declared.table.file != declared.release.file {
        return Err(
            "the table comes from the chart's default values, not from its values file".into(),
        );
    }
    let text = &sources.get(declared.release.file).text;
    let document = crate::yaml::load(text, &config.limits.yaml)
        .map_err(|error| format!("the base's file does not parse ({})", error.message))?;
    text::Entry::read(text, &document, declared.table.position)
}

fn prefix_of(table: &Table) -> bool {
    table.use_idp_prefix.as_ref().is_some_and(|flag| flag.value)
}

fn roles(table: &Table, access: crate::model::Access) -> Vec<String> {
    table
        .grants(access)
        .roles
        .iter()
        .map(|role| role.value.clone())
        .collect()
}

fn place(declared: &Declared<'_>, path: &str, name: &str, id: TableId) -> Place {
    Place {
        path: path.to_string(),
        name: name.to_string(),
        id,
        readers: roles(declared.table, crate::model::Access::Read),
        writers: roles(declared.table, crate::model::Access::Write),
    }
}

fn build(
    request: &Request<'_>,
    base: &Revision,
    mut selected: Vec<Candidate<'_>>,
) -> Result<Plan, Error> {
    let run = request.run;
    let head = &run.head.values;
    // Entries restored into one file go in the base's order.
    selected.sort_by(|left, right| {
        (&left.base.release.path, left.base.table.position)
            .cmp(&(&right.base.release.path, right.base.table.position))
    });
    // New names: a table and its shadow table take the same version.
    let mut taken = Taken::new([&base.values, head]);
    let mut names: Vec<Option<String>> = vec![None; selected.len()];
    for index in 0..selected.len() {
        if names[index].is_some() || !selected[index].needs_version() {
            continue;
        }
        let candidate = &selected[index];
        let parts = naming::Parts::of(&candidate.head.table.name.value);
        let namespace = candidate.head.release.namespace.clone();
        let prefix = prefix_of(candidate.head.table);
        let region = candidate.head.table.id.region.clone();
        let naming = &request.config.naming;
        let id_of = |name: &str| TableId {
            name: naming.table_name(&namespace, name, prefix),
            region: region.clone(),
        };
        let version = naming::next_free(&parts, |name| {
            taken.names.contains(&(namespace.clone(), name.to_string()))
                || taken.ids.contains(&id_of(name))
        });
        let group: Vec<usize> = (0..selected.len())
            .filter(|other| *other == index || selected[index].twin_of(&selected[*other]))
            .collect();
        for member in group {
            let shadow = naming::Parts::of(&selected[member].head.table.name.value).shadow;
            let name = parts.name(version, shadow);
            taken.names.insert((namespace.clone(), name.clone()));
            taken.ids.insert(id_of(&name));
            names[member] = Some(name);
        }
    }

    let mut files = Files {
        request,
        rewrites: BTreeMap::new(),
    };
    let mut tables = Vec::new();
    for (candidate, new_name) in selected.iter().zip(names) {
        let old_name = candidate.base.table.name.value.as_str();
        let refuse = |path: &str, reason: String| Error::Refused {
            table: candidate.base.table.id.name.clone(),
            path: path.to_string(),
            reason,
        };
        // The old table, back where the base had it.
        let base_path = candidate.base.release.path.as_str();
        let restored = match head.release_file(base_path) {
            Some(file) => {
                let path = file.path.clone();
                let mut entry = base_entry(&run.sources, &candidate.base, request.config)
                    .map_err(|reason| refuse(base_path, reason))?;
                if let Some(release) = head.release_at(&path) {
                    // The old entry names the old table only if the head reads names as
                    // the base did.
                    let name = request.config.naming.table_name(
                        &release.namespace,
                        old_name,
                        prefix_of(candidate.base.table),
                    );
                    if name != candidate.base.table.id.name {
                        return Err(refuse(
                            &path,
                            format!(
                                "the head's configuration reads the old entry as AWS table `{name}`, not `{}` (`[naming]` or `[namespaces]` changed): keep them as they were in this change",
                                candidate.base.table.id.name
                            ),
                        ));
                    }
                    if candidate.base.table.region.is_none()
                        && release.region.value != candidate.base.table.id.region
                    {
                        entry = entry.with_region(&candidate.base.table.id.region);
                    }
                }
                let index = if same_release(&candidate.head.release.path, base_path) {
                    candidate.head.table.position
                } else {
                    candidate.base.table.position
                };
                let rewrite = files.head(&path, &candidate.base.table.id.name)?;
                let shown = rewrite
                    .insert(index, &entry)
                    .map_err(|reason| refuse(&path, reason))?;
                (path, shown)
            }
            None if request.head.exists(base_path) => {
                return Err(refuse(
                    base_path,
                    "the head's configuration no longer checks this values file (DL007): restore the entry by hand".into(),
                ));
            }
            None => {
                let rewrite = files.recreated(base_path, &candidate.base.table.id.name)?;
                (
                    base_path.to_string(),
                    rewrite.keep(candidate.base.table.position),
                )
            }
        };
        // The head's definition, as a new table.
        let head_path = candidate.head.release.path.clone();
        let rewrite = files.head(&head_path, &candidate.base.table.id.name)?;
        let (name, shown) = match &new_name {
            Some(name) => {
                let shown = rewrite
                    .rename(
                        candidate.head.table.position,
                        &candidate.head.table.name.value,
                        name,
                    )
                    .map_err(|reason| refuse(&head_path, reason))?;
                (name.clone(), shown)
            }
            None => (
                candidate.head.table.name.value.clone(),
                rewrite.show(candidate.head.table.position),
            ),
        };
        let new_id = TableId {
            name: request.config.naming.table_name(
                &candidate.head.release.namespace,
                &name,
                prefix_of(candidate.head.table),
            ),
            region: candidate.head.table.id.region.clone(),
        };
        let yaml = format!(
            "# {}: `{old_name}` as in the base ({}), unchanged in AWS\n{}\n# {head_path}: the new table `{name}`, created empty{}\n{shown}\n",
            restored.0,
            request.base_label,
            restored.1,
            if new_name.is_some() {
                ""
            } else {
                " (the head's own name)"
            },
        );
        tables.push(Migration {
            rules: candidate.rules.clone(),
            fingerprints: candidate.fingerprints.clone(),
            kind: candidate.kind.clone(),
            old: place(
                &candidate.base,
                &restored.0,
                old_name,
                candidate.base.table.id.clone(),
            ),
            new: place(&candidate.head, &head_path, &name, new_id),
            versioned: new_name.is_some(),
            deletes: head
                .release_at(&restored.0)
                .unwrap_or(candidate.base.release)
                .deletes_removed_tables(),
            yaml,
            base_table: candidate.base.table.clone(),
            head_table: candidate.head.table.clone(),
        });
    }
    let mut changed = Vec::new();
    for (path, rewrite) in files.rewrites {
        let table = tables
            .iter()
            .find(|migration: &&Migration| migration.old.path == path || migration.new.path == path)
            .map(|migration| migration.old.id.name.clone())
            .unwrap_or_default();
        let rewritten = rewrite
            .finish(&request.config.limits.yaml)
            .map_err(|reason| Error::Refused {
                table,
                path: path.clone(),
                reason,
            })?;
        if rewritten.before.as_ref() != Some(&rewritten.after) {
            changed.push(FileChange {
                path: rewritten.path,
                before: rewritten.before,
                after: rewritten.after,
            });
        }
    }
    Ok(Plan {
        base_label: request.base_label.to_string(),
        tables,
        files: changed,
    })
}
