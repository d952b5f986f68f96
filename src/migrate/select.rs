//! Which tables to migrate: those with a finding of [`RULES`], or the ones the TABLE
//! arguments name, each with its shadow table.

use super::{Error, Kind, RULES, naming};
use crate::diff::{ChangeSet, Declared};
use crate::model::same_release;
use crate::report::Report;
use crate::source::Side;

/// A base table that the change replaces, re-keys, re-indexes or moves, with the head's
/// definition and the findings that say so.
pub(super) struct Candidate<'a> {
    pub base: Declared<'a>,
    pub head: Declared<'a>,
    pub kind: Kind,
    pub rules: Vec<&'static str>,
    pub fingerprints: Vec<String>,
}

impl Candidate<'_> {
    /// Whether the head's definition needs a new name to be a table of its own: it has
    /// the old table's identity (keys, LSIs, move), or its name in the same release.
    pub fn needs_version(&self) -> bool {
        match self.kind {
            Kind::Replaced(_) => {
                self.base.table.name.value == self.head.table.name.value
                    && same_release(&self.base.release.path, &self.head.release.path)
            }
            Kind::Changed | Kind::Moved => true,
        }
    }

    fn names(&self) -> [&str; 4] {
        [
            &self.base.table.name.value,
            &self.head.table.name.value,
            &self.base.table.id.name,
            &self.head.table.id.name,
        ]
    }

    /// Its shadow table, or the table it is the shadow of: the same head release.
    pub fn twin_of(&self, other: &Candidate<'_>) -> bool {
        same_release(&self.head.release.path, &other.head.release.path)
            && naming::twin(&self.head.table.name.value) == other.head.table.name.value
    }
}

pub(super) fn pick<'a>(candidates: &[Candidate<'a>], indexes: &[usize]) -> Vec<Candidate<'a>> {
    indexes
        .iter()
        .map(|index| {
            let candidate = &candidates[*index];
            Candidate {
                base: candidate.base,
                head: candidate.head,
                kind: candidate.kind.clone(),
                rules: candidate.rules.clone(),
                fingerprints: candidate.fingerprints.clone(),
            }
        })
        .collect()
}

/// The tables with a finding of [`RULES`] in the report, each once, in report order.
pub(super) fn candidates<'a>(report: &Report, changes: &ChangeSet<'a>) -> Vec<Candidate<'a>> {
    let mut found: Vec<Candidate<'a>> = Vec::new();
    for reported in &report.findings {
        let code = reported.finding.rule.code;
        let Some(table) = &reported.finding.table else {
            continue;
        };
        if !RULES.contains(&code) || reported.side != Side::Head {
            continue;
        }
        let path = reported.path.as_str();
        let replaced = changes
            .replaced
            .iter()
            .find(|replacement| {
                &replacement.head.table.id == table && replacement.head.release.path == path
            })
            .map(|replacement| {
                (
                    replacement.base,
                    replacement.head,
                    Kind::Replaced(replacement.reasons.clone()),
                )
            });
        let kept = || {
            changes
                .kept
                .iter()
                .find(|pair| &pair.head.table.id == table && pair.head.release.path == path)
                .map(|pair| {
                    let kind = if pair.moved() {
                        Kind::Moved
                    } else {
                        Kind::Changed
                    };
                    (pair.base, pair.head, kind)
                })
        };
        let Some((base, head, kind)) = replaced.or_else(kept) else {
            continue;
        };
        match found
            .iter_mut()
            .find(|candidate| std::ptr::eq(candidate.base.table, base.table))
        {
            Some(candidate) => {
                if !candidate.rules.contains(&code) {
                    candidate.rules.push(code);
                }
                candidate.fingerprints.push(reported.fingerprint.clone());
            }
            None => found.push(Candidate {
                base,
                head,
                kind,
                rules: vec![code],
                fingerprints: vec![reported.fingerprint.clone()],
            }),
        }
    }
    found
}

/// The candidates the TABLE arguments name (all without any), with their shadow twins.
pub(super) fn select<'a>(
    candidates: Vec<Candidate<'a>>,
    tables: &[String],
    base: &str,
) -> Result<Vec<Candidate<'a>>, Error> {
    if tables.is_empty() {
        return Ok(candidates);
    }
    let mut chosen = vec![false; candidates.len()];
    for name in tables {
        let mut any = false;
        for (index, candidate) in candidates.iter().enumerate() {
            if candidate.names().contains(&name.as_str()) {
                chosen[index] = true;
                any = true;
            }
        }
        if !any {
            let mut known: Vec<String> = Vec::new();
            for candidate in &candidates {
                let name = &candidate.base.table.name.value;
                if !known.contains(name) {
                    known.push(name.clone());
                }
            }
            return Err(Error::UnknownTable {
                name: name.clone(),
                base: base.to_string(),
                known,
            });
        }
    }
    // A table's shadow table goes with it, and the other way round.
    for index in 0..candidates.len() {
        if chosen[index] {
            for other in 0..candidates.len() {
                if candidates[index].twin_of(&candidates[other]) {
                    chosen[other] = true;
                }
            }
        }
    }
    Ok(candidates
        .into_iter()
        .zip(chosen)
        .filter_map(|(candidate, chosen)| chosen.then_some(candidate))
        .collect())
}
