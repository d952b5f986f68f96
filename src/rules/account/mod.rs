//! The rules that check the values against the AWS account (`check --aws`): what the
//! repository cannot know. [`select`] decides once what matters — with a base, only what
//! the change touches — and so what is asked; each rule reads the answers.

pub mod observe_drift;
pub mod role_missing_in_aws;
pub mod role_policy_quota_reached;
pub mod table_exists_unmanaged;

#[cfg(test)]
pub mod testing;

use std::collections::{BTreeSet, HashMap};

use crate::account::{Answer, Facts, Questions, TableQuestion};
use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::model::{Release, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Quotas, on_table};
use crate::source::Scope;
use crate::span::Spanned;

/// A role granted to a table.
pub struct Grant<'a> {
    pub release: &'a Release,
    pub table: &'a Table,
    pub role: &'a Spanned<String>,
    /// The release did not grant the role before this change (with a base): its
    /// aggregated policy for the role is new and must attach.
    pub new_to_release: bool,
}

/// What the account rules look at, decided from the head (and the change, with a base).
#[derive(Default)]
pub struct Selection<'a> {
    /// Tables under Control that the change creates (without a base: every table under
    /// Control in scope), for DL120.
    pub created: Vec<(&'a Release, &'a Table)>,
    /// Tables under Observe that the change adds or changes, or tables it switches from
    /// Observe to Control (`true`); without a base, every Observe table in scope (DL121).
    pub observed: Vec<(&'a Release, &'a Table, bool)>,
    /// The grants to check (DL207, DL208): with a base, those new to their release.
    pub grants: Vec<Grant<'a>>,
    /// Whether a base was compared: `created` is then what the change creates.
    pub compared: bool,
}

/// What matters to the account rules in `head` (its releases), within `scope`.
pub fn select<'a>(
    head: &'a [std::sync::Arc<Release>],
    changes: Option<&ChangeSet<'a>>,
    scope: &Scope,
) -> Selection<'a> {
    let mut selection = Selection {
        compared: changes.is_some(),
        ..Selection::default()
    };
    let in_scope = |release: &Release| scope.contains(&release.path);
    let Some(changes) = changes else {
        for release in head.iter().filter(|release| in_scope(release)) {
            for table in &release.tables {
                if release.observed() {
                    selection.observed.push((release, table, false));
                } else {
                    selection.created.push((release, table));
                }
                for role in grants(table) {
                    selection.grants.push(Grant {
                        release,
                        table,
                        role,
                        new_to_release: false,
                    });
                }
            }
        }
        return selection;
    };
    for added in &changes.added {
        if !in_scope(added.release) {
            continue;
        }
        if added.release.observed() {
            selection.observed.push((added.release, added.table, false));
        } else {
            selection.created.push((added.release, added.table));
        }
    }
    for replacement in changes
        .replaced
        .iter()
        .filter(|replacement| !replacement.refused())
    {
        if in_scope(replacement.head.release) && !replacement.head.release.observed() {
            selection
                .created
                .push((replacement.head.release, replacement.head.table));
        }
    }
    // A table an Observe release now observes under another identity (renamed, its
    // prefix flipped, another region, refused by the provider or not) is another AWS
    // table: it must exist.
    for replacement in &changes.replaced {
        if in_scope(replacement.head.release) && replacement.head.release.observed() {
            selection
                .observed
                .push((replacement.head.release, replacement.head.table, false));
        }
    }
    for pair in &changes.kept {
        if !in_scope(pair.head.release) {
            continue;
        }
        let observed_before = pair.base.release.observed();
        if pair.head.release.observed()
            && !pair.unchanged
            && !crate::diff::differences(pair).is_empty()
        {
            selection
                .observed
                .push((pair.head.release, pair.head.table, false));
        } else if observed_before && !pair.head.release.observed() {
            selection
                .observed
                .push((pair.head.release, pair.head.table, true));
        }
    }
    // The roles each base release granted, lower-cased; `values.yml` and `values.yaml`
    // are one release.
    let release_key = |path: &str| -> String {
        crate::model::release_twin(path)
            .filter(|twin| twin.as_str() < path)
            .unwrap_or_else(|| path.to_string())
    };
    let mut before: HashMap<String, BTreeSet<String>> = HashMap::new();
    for release in &changes.base.releases {
        let roles = before.entry(release_key(&release.path)).or_default();
        for table in &release.tables {
            roles.extend(grants(table).map(|role| role.value.to_ascii_lowercase()));
        }
    }
    for release in head.iter().filter(|release| in_scope(release)) {
        let granted = before.get(&release_key(&release.path));
        let mut seen = BTreeSet::new();
        for table in &release.tables {
            for role in grants(table) {
                let key = role.value.to_ascii_lowercase();
                if granted.is_some_and(|roles| roles.contains(&key)) || !seen.insert(key) {
                    continue;
                }
                selection.grants.push(Grant {
                    release,
                    table,
                    role,
                    new_to_release: true,
                });
            }
        }
    }
    selection
}

/// The roles granted to a table, read and write (`rules::access::grants` without the access).
fn grants(table: &Table) -> impl Iterator<Item = &Spanned<String>> {
    crate::rules::access::grants(table).map(|(_, role)| role)
}

impl Selection<'_> {
    /// The calls that answer it, each role and table once. A name AWS would refuse to
    /// look up (DL104, DL203 say why) is not asked: its answer would stop the check.
    pub fn questions(&self) -> Questions {
        let mut questions = Questions::default();
        for grant in &self.grants {
            if crate::rules::access::invalid_role_name::role_name_problem(&grant.role.value)
                .is_none()
            {
                questions.ask_role(&grant.role.value, grant.new_to_release);
            }
        }
        let valid = |table: &Table| crate::rules::table::name_problem(&table.id.name).is_none();
        for (_, table) in self.created.iter().filter(|(_, table)| valid(table)) {
            let tags = TableQuestion {
                tags: true,
                settings: false,
            };
            questions.ask_table(&table.id, tags);
        }
        // What Control would change is read for the tables switched to it.
        for (_, table, switched) in self.observed.iter().filter(|(_, table, _)| valid(table)) {
            let settings = TableQuestion {
                tags: false,
                settings: *switched,
            };
            questions.ask_table(&table.id, settings);
        }
        questions
    }
}

/// What an account rule reads.
pub struct AccountReview<'a> {
    pub selection: &'a Selection<'a>,
    pub facts: &'a Facts,
    pub quotas: &'a Quotas,
}

pub type AccountCheck = fn(&AccountReview<'_>, &mut Vec<Finding>);

/// A call the credentials may not make: a finding of the rule that needed it, at the
/// value it was about, saying which permission is missing.
pub fn denied<T>(
    rule: &'static RuleMeta,
    table: &Table,
    at: &Spanned<String>,
    locus: &str,
    answer: &Answer<T>,
    about: &str,
) -> Option<Finding> {
    let Answer::Denied {
        permission,
        message,
    } = answer
    else {
        return None;
    };
    Some(
        on_table(
            rule,
            table,
            at.span,
            locus,
            format!(
                "cannot check {about} in AWS: the credentials lack `{permission}` (AWS said: {message})"
            ),
        )
        .severity(Severity::Warning)
        .help(format!(
            "add `{permission}` to the policy of the role `--aws` runs with (see the README's minimal policy)"
        )),
    )
}
