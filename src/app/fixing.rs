//! `check --fix` and `--diff`: what the fixes did, said on stderr; the diff printed, or
//! the fixed files written.

use std::path::Path;

use anyhow::{Context, bail};

use super::print_stdout;
use crate::exit::{CLEAN, FINDINGS};
use crate::fix;
use crate::report::Report;
use crate::report::text::plural;

/// Says what fixing did, then prints the diff (`--diff`: the exit status is returned, 1
/// when there is something to fix or what remains `fails`) or writes the fixed files.
pub(super) fn report(
    fixed: &fix::Fixed,
    report: &Report,
    root: &Path,
    diff: bool,
    unsafe_fixes: bool,
    fails: bool,
) -> anyhow::Result<Option<u8>> {
    for refused in &fixed.refused {
        eprintln!("dynalint: warning: {refused}");
    }
    for path in &fixed.unsettled {
        eprintln!(
            "dynalint: warning: {path}: the fixes did not settle after {} passes; what remains is reported",
            fix::MAX_PASSES
        );
    }
    let more = report
        .findings
        .iter()
        .filter(|item| item.fix.is_some() && fix::wanted(item, unsafe_fixes).is_none())
        .count();
    let more = if more > 0 {
        format!(" ({more} more with --unsafe-fixes)")
    } else {
        String::new()
    };
    let files = plural(fixed.changed.len(), "file");
    if diff {
        let diff: String = fixed.changed.iter().map(fix::Changed::diff).collect();
        print_stdout(&diff)?;
        eprintln!(
            "dynalint: {} would be applied to {files}{more}",
            plural(fixed.applied, "fix")
        );
        if fails {
            eprintln!(
                "dynalint: after them, {} remain: `dynalint check` shows them",
                crate::report::text::counts_line(&report.summary)
            );
        }
        // Something to fix, or what remains fails as `check` would: never a pass that
        // `check` would not give.
        return Ok(Some(if fixed.changed.is_empty() && !fails {
            CLEAN
        } else {
            FINDINGS
        }));
    }
    // Two paths of one file (a symbolic link inside the repository) are fixed alike:
    // written once.
    let mut written: Vec<(std::path::PathBuf, &[u8])> = Vec::new();
    for changed in &fixed.changed {
        let real = root
            .join(&changed.path)
            .canonicalize()
            .unwrap_or_else(|_| root.join(&changed.path));
        match written.iter().find(|(path, _)| *path == real) {
            Some((_, after)) if *after == changed.after.as_slice() => continue,
            Some(_) => bail!(
                "{} is a link to a file fixed under another path, which it would fix otherwise; not written",
                changed.path
            ),
            None => {
                write_fixed(root, changed)?;
                written.push((real, &changed.after));
            }
        }
    }
    eprintln!(
        "dynalint: applied {} to {files}{more}",
        plural(fixed.applied, "fix")
    );
    Ok(None)
}

/// Writes a fixed file, unless it changed on disk since it was read.
fn write_fixed(root: &Path, changed: &fix::Changed) -> anyhow::Result<()> {
    let path = root.join(&changed.path);
    let now = std::fs::read(&path).with_context(|| format!("cannot read {}", changed.path))?;
    if now != changed.before {
        bail!(
            "{} changed while dynalint was fixing it; not written (run again)",
            changed.path
        );
    }
    std::fs::write(&path, &changed.after).with_context(|| format!("cannot write {}", changed.path))
}
