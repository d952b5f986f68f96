//! Everything after the rules, once: rule settings, suppressions and ignores, the
//! reporting scope, a stable order, positions and fingerprints, and what the base
//! already had -> a [`Report`]. Renderers only format it.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::config::Config;
use crate::finding::{Finding, stable_hash};
use crate::model::Values;
use crate::report::{RelatedLocation, Report, Reported, Summary};
use crate::rule_meta::{RuleStatuses, Severity};
use crate::rules;
use crate::source::{Scope, Sources};
use crate::span::Span;
use crate::suppress::{self, Suppression, SuppressionReview};

/// What the base revision already had, to tell what a change introduces (`--new-only`).
#[derive(Debug, Default)]
pub struct Preexisting {
    /// The fingerprints of the base's own findings, with their severity.
    pub fingerprints: HashMap<String, Severity>,
    /// The head's tables that cannot be read (schema errors, type traps) and whose text
    /// is not in the base's same file, and the head's files the change touched that could
    /// not be parsed. Such tables are left out of the change rules: their errors are the
    /// change's, or an edit to them (swapped keys, PITR off) would pass unseen.
    changed_unreadable: HashMap<crate::source::FileId, Vec<Span>>,
}

impl Preexisting {
    /// `fingerprints` of the base's findings, against the `head` as changed since `base`.
    pub(crate) fn new(
        fingerprints: HashMap<String, Severity>,
        base: &Values,
        head: &Values,
        sources: &Sources,
    ) -> Preexisting {
        let mut changed_unreadable: HashMap<crate::source::FileId, Vec<Span>> = HashMap::new();
        for file in &head.files {
            let Some(release) = file.release.and_then(|index| head.releases.get(index)) else {
                // Not readable as a release at all: changed as a whole, or not.
                let before = base.file(&file.path).and_then(|before| before.content);
                if before.is_none() || before != file.content {
                    changed_unreadable
                        .entry(file.id)
                        .or_default()
                        .push(Span::new(0, u32::MAX));
                }
                continue;
            };
            let text = |file: crate::source::FileId, span: Span| {
                sources.get(file).text.get(span.range()).unwrap_or_default()
            };
            // By path: the base's release list may have been narrowed since it was read.
            let base_tables: Vec<&str> = base
                .releases
                .iter()
                .find(|release| release.path == file.path)
                .map(|release| {
                    release
                        .invalid_tables
                        .iter()
                        .map(|table| text(table.file, table.span))
                        .collect()
                })
                .unwrap_or_default();
            for table in &release.invalid_tables {
                if !base_tables.contains(&text(table.file, table.span)) {
                    changed_unreadable
                        .entry(table.file)
                        .or_default()
                        .push(table.span);
                }
            }
        }
        Preexisting {
            fingerprints,
            changed_unreadable,
        }
    }

    /// Whether `item` was already there: same fingerprint, at least as severe, and not
    /// the problem of an unreadable table the change edited.
    fn has(&self, item: &Reported) -> bool {
        let hides_tables = [
            rules::structure::yaml_syntax::RULE.meta.code,
            rules::structure::schema_violation::RULE.meta.code,
            rules::structure::yaml_type_trap::RULE.meta.code,
        ]
        .contains(&item.finding.rule.code);
        let site = item.finding.site;
        let in_edited_table = || {
            self.changed_unreadable
                .get(&site.file)
                .is_some_and(|spans| {
                    spans
                        .iter()
                        .any(|span| span.start <= site.span.start && site.span.end <= span.end)
                })
        };
        if hides_tables && in_edited_table() {
            return false;
        }
        self.fingerprints
            .get(&item.fingerprint)
            .is_some_and(|before| *before >= item.finding.severity)
    }
}

/// What the post-process reads of the run's settings: the configuration (its `ignore`
/// entries and `require-reason`) and each rule's status, decided once; and whether the
/// change rules ran.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub config: &'a Config,
    pub statuses: &'a RuleStatuses,
    pub compared: bool,
    /// Whether the account rules ran (`--aws`).
    pub account: bool,
    /// Per entry of the configuration's `ignore` list: the base's configuration has it
    /// too (it then covers no change rule's finding).
    pub inherited_ignores: &'a [bool],
}

/// Whether a finding is still an error once the rule settings and the suppressions
/// apply: a table with such a schema problem is left out of the table rules.
pub(crate) fn stands_as_error(
    finding: &Finding,
    suppressions: &[Suppression],
    config: &Config,
    statuses: &RuleStatuses,
    sources: &Sources,
) -> bool {
    statuses.severity(finding.rule, finding.severity) == Some(Severity::Error)
        && !suppress::covers(finding, suppressions, &config.ignores, sources)
}

/// Everything after the rules: settings, suppressions, scope, order, fingerprints; and
/// findings the base already had (see [`Preexisting`]) are set aside.
pub(crate) fn finish(
    findings: Vec<Finding>,
    suppressions: Vec<Suppression>,
    Settings {
        config,
        statuses,
        compared,
        account,
        inherited_ignores,
    }: Settings<'_>,
    sources: &Sources,
    scope: &Scope,
    values: &Values,
    preexisting: &Preexisting,
) -> Report {
    let configured = |findings: Vec<Finding>| -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut finding| {
                finding.severity = statuses.severity(finding.rule, finding.severity)?;
                Some(finding)
            })
            .collect()
    };
    let mut seen = HashSet::new();
    let findings: Vec<Finding> = configured(findings)
        .into_iter()
        .filter(|finding| seen.insert((finding.rule.code, finding.site, finding.message.clone())))
        .collect();
    let reach = suppress::IgnoreReach {
        inherited: inherited_ignores,
        change_rule: rules::guards_a_change,
    };
    let outcome = suppress::apply(findings, suppressions, &config.ignores, &reach, sources);
    let unread: Vec<(crate::source::FileId, usize, usize)> = values
        .releases
        .iter()
        .flat_map(|release| &release.invalid_tables)
        .map(|table| {
            let source = sources.get(table.file);
            let (first, last) = source.range(table.span);
            (table.file, first.line, last.line)
        })
        .collect();
    let review = SuppressionReview {
        unread: &unread,
        suppressions: &outcome.suppressions,
        statuses,
        require_reason: config.require_reason,
        compared,
        account,
        sources,
    };
    let mut about_suppressions = Vec::new();
    for (rule, check) in rules::suppression_checks() {
        if statuses.enabled(rule) {
            check(&review, &mut about_suppressions);
        }
    }
    // A finding located outside the values files (in the chart's defaults that a change
    // edited) is about the values files of its related locations.
    let in_scope = |finding: &Finding| {
        let path = &sources.get(finding.site.file).path;
        scope.contains(path)
            || (values.file(path).is_none()
                && finding
                    .related
                    .iter()
                    .any(|related| scope.contains(&sources.get(related.site.file).path)))
    };
    let unused_ignores = outcome
        .unused_ignores
        .iter()
        .map(|index| &config.ignores[*index])
        .filter(|ignore| scope.contains(&ignore.path))
        .map(ToString::to_string)
        .collect();
    let outlived_ignores = outcome
        .outlived_ignores
        .iter()
        .map(|index| config.ignores[*index].to_string())
        .collect();
    let suppressed = outcome
        .suppressed
        .iter()
        .filter(|finding| in_scope(finding))
        .count();
    let mut kept: Vec<Finding> = outcome.kept;
    kept.extend(configured(about_suppressions));
    kept.retain(|finding| in_scope(finding));

    let mut reported: Vec<Reported> = kept
        .into_iter()
        .map(|finding| {
            let file = sources.get(finding.site.file);
            let (start, end) = file.range(finding.site.span);
            let related = finding
                .related
                .iter()
                .map(|related| {
                    let file = sources.get(related.site.file);
                    let (start, end) = file.range(related.site.span);
                    RelatedLocation {
                        file: related.site.file,
                        path: file.path.clone(),
                        side: file.side,
                        start,
                        end,
                        message: related.message.clone(),
                    }
                })
                .collect();
            Reported {
                path: file.path.clone(),
                side: file.side,
                start,
                end,
                fingerprint: String::new(),
                related,
                finding,
                fix: None,
                fix_refused: None,
            }
        })
        .collect();
    reported.sort_by(|left, right| {
        (
            &left.path,
            left.start,
            left.finding.rule.code,
            &left.finding.message,
        )
            .cmp(&(
                &right.path,
                right.start,
                right.finding.rule.code,
                &right.finding.message,
            ))
    });
    let mut occurrences: BTreeMap<String, usize> = BTreeMap::new();
    for item in &mut reported {
        let finding = &item.finding;
        let (table, region) = finding.table.as_ref().map_or(("", ""), |table| {
            (table.name.as_str(), table.region.as_str())
        });
        let base = stable_hash(&[finding.rule.code, &item.path, table, region, &finding.locus]);
        let count = occurrences.entry(base.clone()).or_insert(0);
        *count += 1;
        item.fingerprint = if *count == 1 {
            base
        } else {
            format!("{base}:{count}")
        };
    }

    resolve_fixes(&mut reported, sources, &config.limits.yaml);

    let (reported, preexisting): (Vec<Reported>, Vec<Reported>) = reported
        .into_iter()
        .partition(|item| !preexisting.has(item));

    let files: Vec<_> = values
        .files
        .iter()
        .filter(|file| scope.contains(&file.path))
        .collect();
    let tables = values
        .releases
        .iter()
        .filter(|release| scope.contains(&release.path))
        .map(|release| release.tables.len() + release.invalid_tables.len())
        .sum();
    let count = |severity| {
        reported
            .iter()
            .filter(|item| item.finding.severity == severity)
            .count()
    };
    let fixable = |applicability| {
        reported
            .iter()
            .filter(|item| {
                item.fix
                    .as_ref()
                    .is_some_and(|fix| fix.applicability == applicability)
            })
            .count()
    };
    let summary = Summary {
        files: files.len(),
        tables,
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
        suppressed,
        preexisting: preexisting.len(),
        fixable: fixable(crate::edit::Applicability::Safe),
        unsafe_fixable: fixable(crate::edit::Applicability::Unsafe),
    };
    Report {
        rules: statuses.clone(),
        findings: reported,
        preexisting,
        summary,
        changes: None,
        unused_ignores,
        outlived_ignores,
        files: files.iter().map(|file| file.path.clone()).collect(),
    }
}

/// The fixes of the findings in files of the head, made concrete: each such file is
/// parsed once more (only files with a fixable finding). A fix that would not read as
/// intended on its own (an alias copies what it changes) is not offered, and why is kept
/// for `--fix` to say.
fn resolve_fixes(reported: &mut [Reported], sources: &Sources, limits: &crate::yaml::Limits) {
    let mut by_file: BTreeMap<crate::source::FileId, Vec<usize>> = BTreeMap::new();
    for (index, item) in reported.iter().enumerate() {
        if let Some(fix) = &item.finding.fix
            && sources.get(fix.file).side == crate::source::Side::Head
        {
            by_file.entry(fix.file).or_default().push(index);
        }
    }
    for (file, indexes) in by_file {
        let source = sources.get(file);
        let Ok(document) = crate::yaml::load(&source.text, limits) else {
            continue;
        };
        let resolved: Vec<(usize, crate::edit::Resolved)> = indexes
            .into_iter()
            .filter_map(|index| {
                let fix = reported[index].finding.fix.as_ref()?;
                Some((index, crate::edit::resolve(fix, &source.text, &document)?))
            })
            .collect();
        let fixes: Vec<&crate::edit::Resolved> = resolved.iter().map(|(_, fix)| fix).collect();
        let refusals = crate::edit::refusals(&source.text, &document, &fixes, limits);
        for ((index, fix), refusal) in resolved.into_iter().zip(refusals) {
            match refusal {
                None => reported[index].fix = Some(fix),
                Some(reason) => reported[index].fix_refused = Some((fix.title, reason)),
            }
        }
    }
}
