//! THE pipeline, once: load the head, load the base, the head rules, the diff, the
//! change rules, the post-process -> a [`Report`]. The command line, the Argo CD plugin,
//! the fuzz harness and the rule tests all call [`run`]; nobody else assembles the stages.

use std::collections::{HashMap, HashSet};

use crate::account::{Account, AccountError, Facts};
use crate::config::Config;
use crate::diff::{self, ChangeSet, PlanEntry};
use crate::finding::Finding;
use crate::parallel;
use crate::postprocess::{self, Preexisting};
use crate::report::Report;
use crate::revision::{self, LoadError, Revision};
use crate::rule_meta::{RuleStatuses, Severity};
use crate::rules::{self, Project};
use crate::snapshot::{Content, Snapshot};
use crate::source::{Scope, Side, Site, SourceFile, Sources, strip_bom};
use crate::span::Span;
use crate::suppress::Suppression;

/// What to check.
#[derive(Clone)]
pub struct Input<'a> {
    pub config: &'a Config,
    /// The head revision's files: the working tree, a commit, or files in memory.
    pub head: &'a dyn Snapshot,
    /// The revision the change rules compare with.
    pub base: Option<Base<'a>>,
    /// What is reported; the whole repository is still the context.
    pub scope: &'a Scope,
    /// Read only what can matter to the scope (`dynalint check FILE`, pre-commit); a
    /// review with a base reads everything, as tables move between files.
    pub focus: bool,
    /// Set aside the findings the base has too (`--new-only`).
    pub new_only: bool,
}

/// The base side of a change.
#[derive(Clone)]
pub struct Base<'a> {
    pub snapshot: &'a dyn Snapshot,
    /// The configuration the base was checked with (its own `dynalint.toml`); `None`:
    /// the head's.
    pub config: Option<&'a Config>,
    /// How messages name the base (a short commit id).
    pub label: String,
}

/// What a run produced: the report, the sources its positions refer to, and both
/// revisions as read (for what the caller says besides the report).
pub struct Run {
    pub report: Report,
    pub sources: Sources,
    pub head: Revision,
    pub base: Option<Revision>,
    /// Said on stderr, in order: how the run had to read the base.
    pub warnings: Vec<String>,
    /// The stages timed so far, for the caller's own (`DYNALINT_TIMINGS`).
    pub timings: Timings,
    /// What the AWS account answered (`check --aws`).
    pub account: Option<Facts>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Head(LoadError),
    #[error("in the base revision ({label})")]
    Base {
        label: String,
        #[source]
        error: LoadError,
    },
    /// Nothing to lint is a misconfiguration (wrong directory, wrong globs), never a
    /// pass; callers say where they looked.
    #[error("no values file matches the include globs ({})", include.join(", "))]
    NothingToLint { include: Vec<String> },
    /// `--aws`: the account could not be read (no credentials, unreachable): never a pass.
    /// (Not a source: the message says it once.)
    #[error("--aws: {0}")]
    Account(AccountError),
}

impl From<AccountError> for Error {
    fn from(error: AccountError) -> Error {
        Error::Account(error)
    }
}

pub fn run(input: Input<'_>) -> Result<Run, Error> {
    run_after(input, Again::No)
}

/// Whether a run follows another on mostly the same files (the fix loop's passes).
#[derive(Clone, Copy)]
pub enum Again<'a> {
    No,
    /// The first of several runs: the head's blob ids are kept for the next.
    First,
    /// After this run: the files whose snapshot gives the same blob id as this run read
    /// are not parsed again (their sources, releases and findings are this run's).
    After(&'a Run),
}

/// [`run`], reusing what an earlier run on mostly the same files read.
pub fn run_after(input: Input<'_>, again: Again<'_>) -> Result<Run, Error> {
    run_inner(input, again, None)
}

/// [`run`], with the values also checked against the AWS account (`check --aws`): the
/// account rules ask it only what matters (with a base, what the change touches).
pub fn run_against(input: Input<'_>, account: &dyn Account) -> Result<Run, Error> {
    run_inner(input, Again::No, Some(account))
}

fn run_inner(
    input: Input<'_>,
    again: Again<'_>,
    account: Option<&dyn Account>,
) -> Result<Run, Error> {
    let mut timings = Timings::new();
    let config = input.config;
    let previous = match again {
        Again::After(previous) => Some(previous),
        _ => None,
    };
    // The earlier run's sources, so that the readings reused keep their file ids.
    let mut sources = previous.map_or_else(Sources::default, |run| run.sources.clone());
    let mut warnings = Vec::new();
    let mut head = revision::load(
        input.head,
        Side::Head,
        config,
        &mut sources,
        revision::Options {
            hash_contents: input.base.is_some() || !matches!(again, Again::No),
            focus: (input.focus && input.base.is_none()).then_some(input.scope),
            reuse: previous.map(|run| &run.head),
            ..revision::Options::default()
        },
    )
    .map_err(Error::Head)?;
    timings.stage("head revision read");
    let nothing_to_lint = || Error::NothingToLint {
        include: config.include.clone(),
    };
    if head.listed == 0 && input.base.is_none() {
        return Err(nothing_to_lint());
    }
    // The base side is read with the configuration it had; files the head has unchanged
    // are reused.
    let (mut base, unchecked) = match &input.base {
        Some(base) => {
            let (revision, unchecked) =
                load_base(base, config, input.head, &head, &mut sources, &mut warnings)?;
            (Some(revision), unchecked)
        }
        None => (None, Vec::new()),
    };
    timings.stage("base revision read");
    // A change that deletes every values file is the most destructive there is: compared
    // with its base, not taken for a wrong directory.
    if head.listed == 0 && base.as_ref().is_none_or(|base| base.listed == 0) {
        return Err(nothing_to_lint());
    }

    let mut statuses = config.rule_statuses();
    // The change rules (and the account rules) judge the change with the base's settings
    // where the change itself lowers them: a pull request cannot turn off the rule that
    // reports its own deletion.
    if let Some(base_config) = input.base.as_ref().and_then(|base| base.config) {
        let before = base_config.rule_statuses();
        for rule in rules::all().filter(|rule| rules::guards_a_change(rule)) {
            if statuses.raise_to(rule, &before) {
                warnings.push(format!(
                    "the configuration lowers {} {} in this change: the base's setting judges the change",
                    rule.code, rule.name
                ));
            }
        }
    }
    // `ignore` entries the base's configuration has already: for the change that added them.
    let inherited_ignores: Vec<bool> = match input.base.as_ref().and_then(|base| base.config) {
        Some(base_config) => config
            .ignores
            .iter()
            .map(|ignore| base_config.ignores.contains(ignore))
            .collect(),
        None => Vec::new(),
    };
    set_aside_unreadable_tables(&mut head, config, &statuses, &sources);
    if let (Some(base), Some(base_input)) = (base.as_mut(), &input.base) {
        let config = base_input.config.unwrap_or(config);
        set_aside_unreadable_tables(base, config, &config.rule_statuses(), &sources);
    }
    if let Some(base) = &base {
        mark_inherited_suppressions(&mut head, base, &sources);
    }
    let (mut findings, suppressions) = head_pass(&mut head, config, &statuses);
    timings.stage("head rules");
    let mut facts = None;
    let (plan, preexisting) = match (base.as_mut(), &input.base) {
        (Some(base), Some(base_input)) => {
            let base_suppressions = std::mem::take(&mut base.suppressions);
            let base = &*base;
            let mut changes = diff::pair(&base.values, &head.values);
            changes.unchecked = unchecked;
            findings.extend(change_findings(&changes, &statuses));
            if let Some(account) = account {
                let changes = Some(&changes);
                let answered = account_findings(account, &head, changes, &input, &statuses)?;
                facts = Some(answered.1);
                findings.extend(answered.0);
            }
            let preexisting = if input.new_only {
                Preexisting::new(
                    fingerprints(
                        base,
                        base_suppressions,
                        base_input.config.unwrap_or(config),
                        &sources,
                    ),
                    &base.values,
                    &head.values,
                    &sources,
                )
            } else {
                Preexisting::default()
            };
            let plan = changes.plan();
            timings.stage("diff, change rules and plan");
            (Some(plan), preexisting)
        }
        _ => {
            if let Some(account) = account {
                let answered = account_findings(account, &head, None, &input, &statuses)?;
                facts = Some(answered.1);
                findings.extend(answered.0);
            }
            (None, Preexisting::default())
        }
    };
    let mut report = postprocess::finish(
        findings,
        suppressions,
        postprocess::Settings {
            config,
            statuses: &statuses,
            compared: base.is_some(),
            account: facts.is_some(),
            inherited_ignores: &inherited_ignores,
        },
        &sources,
        input.scope,
        &head.values,
        &preexisting,
    );
    report.changes = plan.map(|plan: Vec<PlanEntry>| {
        plan.into_iter()
            .filter(|entry| input.scope.contains(&entry.path))
            .collect()
    });
    Ok(Run {
        report,
        sources,
        head,
        base,
        warnings,
        timings,
        account: facts,
    })
}

/// The base revision, read from its snapshot with its own configuration, and where the
/// head has the values files the base checked and the head no longer does.
fn load_base(
    base: &Base<'_>,
    head_config: &Config,
    head_snapshot: &dyn Snapshot,
    head: &Revision,
    sources: &mut Sources,
    warnings: &mut Vec<String>,
) -> Result<(Revision, Vec<Site>), Error> {
    let config = base.config.unwrap_or(head_config);
    // The files the head checks and the base's configuration did not: read in the base
    // too, so that they pair with their base content.
    let also: Vec<String> = head
        .values
        .files
        .iter()
        .filter(|file| !config.values.matches(&file.path))
        .map(|file| file.path.clone())
        .collect();
    let mut options = revision::Options {
        hash_contents: false,
        reuse: Some(head),
        chart: None,
        focus: None,
        also: &also,
    };
    let loaded = match revision::load(base.snapshot, Side::Base, config, sources, options) {
        // A change that repairs the chart must be checkable: the base is then read with
        // the head's chart.
        Err(error @ (LoadError::Schema(_) | LoadError::ChartDefaults { .. })) => {
            warnings.push(format!(
                "in the base revision ({}): {error}; the base is read with the head's chart",
                base.label
            ));
            options.chart = Some(head_snapshot);
            revision::load(base.snapshot, Side::Base, config, sources, options)
        }
        other => other,
    };
    let mut revision = loaded.map_err(|error| Error::Base {
        label: base.label.clone(),
        error,
    })?;
    // A values file the head still has but no longer checks (its `include` or `exclude`
    // changed) is not deleted: its tables are not compared, and that is said (DL007).
    let unchecked: Vec<String> = revision
        .values
        .files
        .iter()
        .filter(|file| head.values.file(&file.path).is_none() && head_snapshot.exists(&file.path))
        .map(|file| file.path.clone())
        .collect();
    if unchecked.is_empty() {
        return Ok((revision, Vec::new()));
    }
    let set: HashSet<&str> = unchecked.iter().map(String::as_str).collect();
    revision
        .values
        .retain_releases(|release| !set.contains(release.path.as_str()));
    let sites = unchecked
        .iter()
        .map(|path| {
            // The head's file, as written, for the finding's snippet.
            let text = match head_snapshot.read(path, head_config.limits.max_file_size) {
                Ok(Content::Bytes(bytes)) => {
                    String::from_utf8_lossy(strip_bom(&bytes)).into_owned()
                }
                _ => String::new(),
            };
            let id = sources.add(SourceFile::new(path.as_str(), Side::Head, text));
            Site::new(id, Span::at(0))
        })
        .collect();
    Ok((revision, sites))
}

/// A loaded head revision's own findings (its files' structure findings and the head
/// rules), and its suppressions taken out for [`postprocess::finish`].
fn head_pass(
    head: &mut Revision,
    config: &Config,
    statuses: &RuleStatuses,
) -> (Vec<Finding>, Vec<Suppression>) {
    let suppressions = std::mem::take(&mut head.suppressions);
    let mut findings = head.findings.clone();
    findings.extend(head_findings(head, config, statuses));
    (findings, suppressions)
}

/// A table whose schema problems are still errors after the revision's settings and
/// suppressions is left out of the table rules (no cascade of findings on a table that
/// cannot be read); the others go on.
fn set_aside_unreadable_tables(
    revision: &mut Revision,
    config: &Config,
    statuses: &RuleStatuses,
    sources: &Sources,
) {
    let suppressions = std::mem::take(&mut revision.suppressions);
    revision.set_aside_unreadable_tables(|finding| {
        postprocess::stands_as_error(finding, &suppressions, config, statuses, sources)
    });
    revision.suppressions = suppressions;
}

/// Marks the head's suppressions of change rules that the base has already: the same
/// key, with the same reason, anywhere in the same release's file (moving the comment,
/// respacing it or renaming `values.yaml` to `values.yml` does not make it new). They were
/// for the change that added them, and must not cover a later one (a `tables:`
/// suppression of DL301 left in the file would hide every later deletion). To accept a
/// new change, the pull request writes a suppression with its own reason.
fn mark_inherited_suppressions(head: &mut Revision, base: &Revision, sources: &Sources) {
    // One key for `values.yaml` and `values.yml` of a folder: the lesser of the two.
    let release = |path: &str| {
        crate::model::release_twin(path)
            .filter(|twin| twin.as_str() < path)
            .unwrap_or_else(|| path.to_string())
    };
    let reason = |suppression: &Suppression| {
        suppression
            .reason
            .as_deref()
            .map(|reason| reason.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    let mut in_base: HashSet<(String, &'static str, String)> = HashSet::new();
    for suppression in &base.suppressions {
        let path = &sources.get(suppression.file).path;
        for key in &suppression.keys {
            if let Some(rule) = key.rule {
                in_base.insert((release(path), rule.code, reason(suppression)));
            }
        }
    }
    for suppression in &mut head.suppressions {
        let path = sources.get(suppression.file).path.clone();
        let because = reason(suppression);
        for key in &mut suppression.keys {
            let Some(rule) = key.rule else { continue };
            key.inherited = rules::guards_a_change(rule)
                && in_base.contains(&(release(&path), rule.code, because.clone()));
        }
    }
}

/// With `DYNALINT_TIMINGS` set, how long each stage took, on stderr (for profiling).
pub struct Timings {
    enabled: bool,
    last: std::time::Instant,
}

impl Timings {
    pub fn new() -> Timings {
        Timings {
            enabled: std::env::var_os("DYNALINT_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    pub fn stage(&mut self, name: &str) {
        if self.enabled {
            let now = std::time::Instant::now();
            // Linux reports the resident memory so far; elsewhere it is left out.
            let memory = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|status| {
                    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
                    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                    Some(format!(", {} MB resident", kb / 1024))
                })
                .unwrap_or_default();
            eprintln!(
                "dynalint: timing: {name}: {:.1} ms{memory}",
                (now - self.last).as_secs_f64() * 1000.0
            );
            self.last = now;
        }
    }
}

impl Default for Timings {
    fn default() -> Timings {
        Timings::new()
    }
}

/// The head rules, over every release of the revision.
fn head_findings(revision: &Revision, config: &Config, statuses: &RuleStatuses) -> Vec<Finding> {
    let project = Project {
        releases: &revision.values.releases,
        files: &revision.values.files,
        quotas: &config.limits.quotas,
        roles: &revision.roles,
    };
    // The rules are independent: they share the machine's cores, and their findings
    // keep the registry's order.
    let checks: Vec<_> = rules::head_checks()
        .filter(|(rule, _)| statuses.enabled(rule))
        .collect();
    let timings = std::env::var_os("DYNALINT_TIMINGS").is_some();
    parallel::map(&checks, |_, (rule, check)| {
        let start = std::time::Instant::now();
        let mut findings = Vec::new();
        check(&project, &mut findings);
        if timings {
            eprintln!(
                "dynalint: timing: rule {}: {:.1} ms",
                rule.code,
                start.elapsed().as_secs_f64() * 1e3
            );
        }
        findings
    })
    .into_iter()
    .flatten()
    .collect()
}

/// The change rules, over two revisions' tables paired.
/// The account rules: what matters is selected once, asked once, and read by each rule.
fn account_findings(
    account: &dyn Account,
    head: &Revision,
    changes: Option<&ChangeSet<'_>>,
    input: &Input<'_>,
    statuses: &RuleStatuses,
) -> Result<(Vec<Finding>, Facts), AccountError> {
    let checks: Vec<_> = rules::account_checks()
        .filter(|(rule, _)| statuses.enabled(rule))
        .collect();
    if checks.is_empty() {
        return Ok((Vec::new(), Facts::default()));
    }
    let selection = rules::account::select(&head.values.releases, changes, input.scope);
    let facts = account.answer(&selection.questions())?;
    let review = rules::account::AccountReview {
        selection: &selection,
        facts: &facts,
        quotas: &input.config.limits.quotas,
    };
    let mut findings = Vec::new();
    for (_, check) in checks {
        check(&review, &mut findings);
    }
    Ok((findings, facts))
}

fn change_findings(changes: &ChangeSet<'_>, statuses: &RuleStatuses) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (rule, check) in rules::change_checks() {
        if statuses.enabled(rule) {
            check(changes, &mut findings);
        }
    }
    findings
}

/// The fingerprints of a revision's own findings (structure and head rules, after its
/// suppressions) with their severity, to tell what a change introduces from what was
/// there before (`--new-only`).
fn fingerprints(
    revision: &Revision,
    suppressions: Vec<Suppression>,
    config: &Config,
    sources: &Sources,
) -> HashMap<String, Severity> {
    let mut findings = revision.findings.clone();
    let statuses = config.rule_statuses();
    findings.extend(head_findings(revision, config, &statuses));
    let report = postprocess::finish(
        findings,
        suppressions,
        postprocess::Settings {
            config,
            statuses: &statuses,
            compared: false,
            account: false,
            inherited_ignores: &[],
        },
        sources,
        &Scope::everything(),
        &revision.values,
        &postprocess::Preexisting::default(),
    );
    let mut found: HashMap<String, Severity> = HashMap::new();
    for reported in report.findings {
        let severity = found
            .entry(reported.fingerprint)
            .or_insert(reported.finding.severity);
        *severity = (*severity).max(reported.finding.severity);
    }
    found
}
