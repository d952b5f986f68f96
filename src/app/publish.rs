//! What goes to GitHub besides the outputs: the job summary, the sticky comment and the
//! review with suggestions.

use std::io::Write;
use std::path::Path;

#[cfg(feature = "github")]
use anyhow::Context;
#[cfg(not(feature = "github"))]
use anyhow::bail;

use crate::github;
use crate::report::{self, Report};
use crate::snapshot::Commits;

/// Appends the markdown summary to `$GITHUB_STEP_SUMMARY`; a failure is a warning, as
/// the report itself is written.
pub(super) fn write_step_summary(
    actions: &github::Actions,
    report: &Report,
    context: &report::RenderContext<'_>,
) -> bool {
    let Some(path) = &actions.step_summary else {
        return false;
    };
    let summary = report::markdown::summary(report, context);
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(summary.as_bytes()));
    match written {
        Ok(()) => true,
        Err(error) => {
            eprintln!(
                "dynalint: warning: cannot write the job summary to {}: {error}",
                path.display()
            );
            false
        }
    }
}

#[cfg(not(feature = "github"))]
pub(super) fn comment(
    _actions: &github::Actions,
    _report: &Report,
    _context: &report::RenderContext<'_>,
    _summary_written: bool,
) -> anyhow::Result<bool> {
    bail!("--comment: this dynalint was built without the `github` feature")
}

#[cfg(not(feature = "github"))]
pub(super) fn suggest(
    _root: &Path,
    _commits: Option<&Commits>,
    _actions: &github::Actions,
    _report: &Report,
    _context: &report::RenderContext<'_>,
    _summary_written: bool,
) -> anyhow::Result<()> {
    bail!("--suggest: this dynalint was built without the `github` feature")
}

/// `--comment`: the sticky pull-request comment. Whether it is on the pull request (or
/// not needed): not when GitHub refused it or could not be reached, nor outside a pull
/// request.
#[cfg(feature = "github")]
pub(super) fn comment(
    actions: &github::Actions,
    report: &Report,
    context: &report::RenderContext<'_>,
    summary_written: bool,
) -> anyhow::Result<bool> {
    let Some(target) =
        github::comment::Target::of_run(actions, &github::event::Environment::from_process())?
    else {
        github::warning(
            "--comment: this run is not for a pull request (GitHub Actions on a `pull_request` event); no comment written",
        );
        return Ok(false);
    };
    let body = report::markdown::comment(report, context, report::markdown::COMMENT_BUDGET);
    let needed = !report.findings.is_empty()
        || report
            .changes
            .as_ref()
            .is_some_and(|changes| !changes.is_empty());
    let outcome = github::comment::publish(
        &target,
        &report::markdown::key_marker(&context.comment_key),
        &body,
        needed,
        github::comment::Retry::default(),
    )
    .context("--comment")?;
    use github::comment::Outcome;
    match outcome {
        Outcome::Created { id } | Outcome::Updated { id } | Outcome::Unchanged { id } => {
            eprintln!(
                "dynalint: pull request #{} comment {id} {}",
                target.number,
                match outcome {
                    Outcome::Created { .. } => "created",
                    Outcome::Updated { .. } => "updated",
                    _ => "already up to date",
                }
            );
        }
        Outcome::NotNeeded => {}
        Outcome::Forbidden { message } => {
            github::warning(&format!(
                "--comment: GitHub refused to write the comment ({message}); a pull request from a fork gets a read-only token. The report is in the job summary."
            ));
            if !summary_written && actions.active {
                write_step_summary(actions, report, context);
            }
            return Ok(false);
        }
        // An outage must not turn the lint's verdict into a failure, nor hide the report.
        Outcome::Unavailable { message } => {
            github::warning(&format!(
                "--comment: the comment could not be written ({message}). The report is in the job summary."
            ));
            if !summary_written && actions.active {
                write_step_summary(actions, report, context);
            }
            return Ok(false);
        }
    }
    Ok(true)
}

/// `--suggest`: the fixes on lines the pull request changes, as one review of one-click
/// suggestions; when GitHub refused it or could not be reached, the report is in the job
/// summary too, as for the comment.
#[cfg(feature = "github")]
pub(super) fn suggest(
    root: &Path,
    commits: Option<&Commits>,
    actions: &github::Actions,
    report: &Report,
    context: &report::RenderContext<'_>,
    summary_written: bool,
) -> anyhow::Result<()> {
    let degraded = github::one_click::run(
        root,
        commits.map(|commits| commits.base),
        actions,
        &github::event::Environment::from_process(),
        report,
        context,
    )
    .context("--suggest")?;
    if degraded && !summary_written && actions.active {
        write_step_summary(actions, report, context);
    }
    Ok(())
}
