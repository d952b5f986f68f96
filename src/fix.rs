//! `check --fix` and `--diff`: the findings' fixes applied, the pipeline run again on the
//! fixed files, until nothing more is fixable. Files are changed in memory (an
//! [`Overlay`] over the head); the caller writes them (`--fix`) or prints their diff
//! (`--diff`). A fix that would not read as intended is refused and said, never retried;
//! fixes that keep producing fixes stop after [`MAX_PASSES`] and that is said.

use std::collections::{BTreeMap, HashSet};

use crate::edit::{self, Applicability, Resolved};
use crate::pipeline::{self, Again, Input, Run};
use crate::report::Reported;
use crate::snapshot::{Content, Overlay, Snapshot};
use crate::source::strip_bom;

/// Passes at most: each applies every fix that does not overlap another.
pub const MAX_PASSES: usize = 10;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// A file the fixes changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub path: String,
    /// As read, before any fix (a byte order mark included).
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

/// What fixing did: the run on the fixed files (what remains), and the fixes.
pub struct Outcome {
    pub run: Run,
    pub fixed: Fixed,
}

/// The fixes applied and refused.
#[derive(Debug, Default)]
pub struct Fixed {
    pub changed: Vec<Changed>,
    /// Fixes applied, over every pass.
    pub applied: usize,
    /// Fixes refused: where, and why.
    pub refused: Vec<String>,
    /// Files that were still fixable after the last pass (fixes that do not settle).
    pub unsettled: Vec<String>,
}

/// Whether a finding's fix is applied: safe ones always, unsafe ones when asked.
pub fn wanted(item: &Reported, unsafe_fixes: bool) -> Option<&Resolved> {
    item.fix
        .as_ref()
        .filter(|fix| unsafe_fixes || fix.applicability == Applicability::Safe)
}

/// Runs the pipeline on `input`, applies the fixes of what it reports, and again on the
/// result, until nothing more applies.
pub fn run(input: Input<'_>, unsafe_fixes: bool) -> Result<Outcome, pipeline::Error> {
    let mut overlay = Overlay::new(input.head);
    let mut before: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut refused_keys: HashSet<(String, String)> = HashSet::new();
    let mut refused = Vec::new();
    let mut applied = 0;
    let mut pass = 0;
    let mut previous: Option<Run> = None;
    loop {
        let again = previous.as_ref().map_or(Again::First, Again::After);
        let run = pipeline::run_after(
            Input {
                head: &overlay,
                ..input.clone()
            },
            again,
        )?;
        drop(previous.take());
        // The fixes of each file, in the order findings are reported.
        let mut by_file: BTreeMap<crate::source::FileId, Vec<(&Reported, &Resolved)>> =
            BTreeMap::new();
        for item in run.report.every_finding() {
            // A fix the report does not offer, as it would not read as intended: said once.
            if let (Some((title, reason)), Some(proposed)) = (&item.fix_refused, &item.finding.fix)
                && (unsafe_fixes || proposed.applicability == Applicability::Safe)
                && refused_keys.insert((item.fingerprint.clone(), title.clone()))
            {
                refused.push(refusal(item, title, reason));
            }
            let Some(fix) = wanted(item, unsafe_fixes) else {
                continue;
            };
            if refused_keys.contains(&(item.fingerprint.clone(), fix.title.clone())) {
                continue;
            }
            by_file.entry(fix.file).or_default().push((item, fix));
        }
        if by_file.is_empty() {
            return Ok(finish(run, &overlay, before, applied, refused, Vec::new()));
        }
        if pass == MAX_PASSES {
            let unsettled = by_file
                .keys()
                .map(|file| run.sources.get(*file).path.clone())
                .collect();
            return Ok(finish(run, &overlay, before, applied, refused, unsettled));
        }
        pass += 1;
        let mut changed_any = false;
        let mut changed_now: HashSet<String> = HashSet::new();
        let limits = &input.config.limits.yaml;
        for (file, fixes) in &by_file {
            let source = run.sources.get(*file);
            let Ok(document) = crate::yaml::load(&source.text, limits) else {
                continue;
            };
            // The bytes as read: the text the fixes were made for, after a byte order mark.
            let Ok(Content::Bytes(bytes)) = overlay.read(&source.path, u64::MAX) else {
                continue;
            };
            if strip_bom(&bytes) != source.text.as_bytes() {
                continue;
            }
            // Fixes that move lines where something names lines: not applied.
            let guard = LineGuard::new(source, &document, input.config);
            let fixes: Vec<(&Reported, &Resolved)> = fixes
                .iter()
                .copied()
                .filter(|(item, fix)| match guard.refuses(source, fix) {
                    Some(reason) => {
                        if refused_keys.insert((item.fingerprint.clone(), fix.title.clone())) {
                            refused.push(refusal(item, &fix.title, &reason));
                        }
                        false
                    }
                    None => true,
                })
                .collect();
            let resolved: Vec<&Resolved> = fixes.iter().map(|(_, fix)| *fix).collect();
            let outcome = edit::apply(&source.text, &document, &resolved, limits);
            for (index, reason) in &outcome.refused {
                let (item, fix) = fixes[*index];
                refused_keys.insert((item.fingerprint.clone(), fix.title.clone()));
                refused.push(refusal(item, &fix.title, reason));
            }
            if outcome.applied.is_empty() {
                continue;
            }
            applied += outcome.applied.len();
            changed_any = true;
            changed_now.insert(source.path.clone());
            before
                .entry(source.path.clone())
                .or_insert_with(|| bytes.clone());
            let mut after = Vec::with_capacity(outcome.text.len() + BOM.len());
            if bytes.starts_with(BOM) {
                after.extend_from_slice(BOM);
            }
            after.extend_from_slice(outcome.text.as_bytes());
            overlay.set(&source.path, after);
        }
        if !changed_any {
            return Ok(finish(run, &overlay, before, applied, refused, Vec::new()));
        }
        // The next pass parses again only the files this one changed.
        let unchanged: Vec<(String, git2::Oid)> = run
            .head
            .content_ids()
            .filter(|(path, _)| !changed_now.contains(*path))
            .map(|(path, id)| (path.to_string(), id))
            .collect();
        overlay.know(unchanged);
        previous = Some(run);
    }
}

/// What names lines of a file by number, which a fix that adds or removes lines would
/// make name others: `ignore` entries of dynalint.toml (`path:line`), and suppression
/// comments on lines of their own (they cover the next line, whatever it then is).
struct LineGuard {
    /// The file has `ignore` entries by line.
    ignored_by_line: bool,
    /// The lines (their byte ranges, line break included) that comment-only
    /// suppressions cover, with the suppression's line.
    covered: Vec<(usize, usize, usize)>,
}

impl LineGuard {
    fn new(
        source: &crate::source::SourceFile,
        document: &crate::yaml::Document,
        config: &crate::config::Config,
    ) -> LineGuard {
        let suppressions = crate::suppress::parse(
            crate::source::FileId(0),
            source,
            &document.literal_text,
            crate::rules::find,
        );
        let covered = suppressions
            .iter()
            .filter_map(|suppression| {
                let line = source.position(suppression.span.start).line;
                (line != suppression.target_line).then(|| {
                    let start = source.line_start(suppression.target_line)? as usize;
                    let end = source
                        .line_start(suppression.target_line + 1)
                        .map_or(source.text.len(), |next| next as usize);
                    Some((start, end, line))
                })?
            })
            .collect();
        LineGuard {
            ignored_by_line: config
                .ignores
                .iter()
                .any(|ignore| ignore.path == source.path),
            covered,
        }
    }

    /// Why `fix` must not be applied here, if it must not.
    fn refuses(&self, source: &crate::source::SourceFile, fix: &Resolved) -> Option<String> {
        let breaks = |text: &str| text.matches('\n').count() + text.matches('\r').count();
        let moves_lines = fix
            .edits
            .iter()
            .any(|edit| breaks(source.slice(edit.span)) != breaks(&edit.text));
        if !moves_lines {
            return None;
        }
        if self.ignored_by_line {
            return Some(format!(
                "dynalint.toml's `ignore` names lines of {} by number, and this fix adds or removes lines: the entries would cover other lines (fix it by hand, then update them)",
                source.path
            ));
        }
        let line = self.covered.iter().find_map(|(start, end, line)| {
            fix.edits
                .iter()
                .any(|edit| (edit.span.start as usize) < *end && *start < edit.span.end as usize)
                .then_some(*line)
        })?;
        Some(format!(
            "it removes lines the suppression on line {line} is for: the suppression would then cover the next line"
        ))
    }
}

/// `path:line:column: CODE name not fixed (title): reason`.
fn refusal(item: &Reported, title: &str, reason: &str) -> String {
    format!(
        "{}:{}:{}: {} {} not fixed ({title}): {reason}",
        item.path,
        item.start.line,
        item.start.column,
        item.finding.rule.code,
        item.finding.rule.name,
    )
}

fn finish(
    run: Run,
    overlay: &Overlay<'_>,
    before: BTreeMap<String, Vec<u8>>,
    applied: usize,
    refused: Vec<String>,
    unsettled: Vec<String>,
) -> Outcome {
    let after: BTreeMap<&str, &[u8]> = overlay.replaced().collect();
    let changed = before
        .into_iter()
        .filter_map(|(path, before)| {
            let after = after.get(path.as_str())?.to_vec();
            (after != before).then_some(Changed {
                path,
                before,
                after,
            })
        })
        .collect();
    Outcome {
        run,
        fixed: Fixed {
            changed,
            applied,
            refused,
            unsettled,
        },
    }
}

impl Changed {
    /// The unified diff of the change.
    pub fn diff(&self) -> String {
        edit::unified_diff(
            &self.path,
            &String::from_utf8_lossy(&self.before),
            &String::from_utf8_lossy(&self.after),
        )
    }
}
