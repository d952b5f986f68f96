//! `--suggest` from end to end: the pull request's diff and head commit read from git
//! objects, the suggestions that fit them ([`super::suggestion`]), the one review that
//! carries the new ones ([`super::review`]), and what is said on stderr. Only what would
//! fail the comment (a token GitHub rejects) is an error; the rest is a note or a warning.

use std::path::Path;

use super::client::{CommentError, Retry, Target};
use super::event::Environment;
use super::review::{self, Outcome};
use super::suggestion::{self, InHead, REVIEW_BODY};
use crate::report::{RenderContext, Report};
use crate::snapshot::{self, Content, GitTree, Snapshot};
use crate::source::{SourceFile, strip_bom};

/// Posts the suggestions of `report` on the pull request of this run, whose changes are
/// compared with `base` (the commit dynalint compared with) in the repository at `root`.
/// Whether the report should go to the job summary: GitHub refused the review or could
/// not be reached.
pub fn run(
    root: &Path,
    base: Option<git2::Oid>,
    actions: &super::Actions,
    environment: &Environment,
    report: &Report,
    context: &RenderContext<'_>,
) -> Result<bool, CommentError> {
    let (Some(target), Some(pull_request)) = (
        Target::of_run(actions, environment)?,
        super::event::pull_request(environment)?,
    ) else {
        return Ok(false);
    };
    let head = pull_request
        .head_sha
        .as_deref()
        .and_then(|sha| git2::Oid::from_str(sha).ok());
    let (Some(base), Some(head)) = (base, head) else {
        super::warning(
            "--suggest: the event names no head commit of the pull request (`pull_request.head.sha`), or there is no base to compare with: no suggestions",
        );
        return Ok(false);
    };
    let short = head.to_string()[..12].to_string();
    let read = snapshot::changed_lines(root, base, head).and_then(|changed| {
        let tree = GitTree::new(root, head)
            .map_err(|error| snapshot::GitError::Other(error.message().to_string()))?;
        Ok((changed, tree))
    });
    let (changed, head_tree) = match read {
        Ok(read) => read,
        Err(error) => {
            super::warning(&format!(
                "--suggest: cannot read the pull request's changes ({error}); no suggestions"
            ));
            return Ok(false);
        }
    };
    // What the head commit holds, against what was checked (a merge commit, local changes).
    let in_head = |file: &SourceFile| match head_tree.read(&file.path, file.text.len() as u64 + 3) {
        Ok(Content::Bytes(bytes)) if strip_bom(&bytes) == file.text.as_bytes() => InHead::Same {
            bom: bytes.len() > file.text.len(),
        },
        _ => InHead::Other,
    };
    let plan = suggestion::plan(
        report.every_finding(),
        context.sources,
        &context.repository_prefix,
        &changed,
        &in_head,
    );
    for note in plan.notes(&short) {
        eprintln!("dynalint: note: --suggest: {note}");
    }
    if plan.suggestions.is_empty() {
        return Ok(false);
    }
    let outcome = review::post(
        &target,
        &head.to_string(),
        REVIEW_BODY,
        &plan.suggestions,
        Retry::default(),
    )?;
    let number = target.number;
    let refusal = match outcome {
        Outcome::Posted {
            review,
            posted,
            already,
        } => {
            let already = if already > 0 {
                format!(" ({already} already there)")
            } else {
                String::new()
            };
            eprintln!(
                "dynalint: pull request #{number} review {review}: {} posted{already}",
                suggestions(posted)
            );
            return Ok(false);
        }
        Outcome::AlreadyThere { count } => {
            eprintln!(
                "dynalint: pull request #{number}: {} already there; no review posted",
                suggestions(count)
            );
            return Ok(false);
        }
        Outcome::Rejected { message } => {
            super::warning(&format!(
                "--suggest: GitHub did not accept the review of suggestions ({message}); the findings are in the comment"
            ));
            return Ok(false);
        }
        Outcome::Forbidden { message } => format!(
            "GitHub refused to post the suggestions ({message}); a pull request from a fork gets a read-only token"
        ),
        // An outage must not turn the lint's verdict into a failure, nor hide the report.
        Outcome::Unavailable { message } => {
            format!("the suggestions could not be posted ({message})")
        }
    };
    super::warning(&format!(
        "--suggest: {refusal}. The report is in the comment and the job summary."
    ));
    Ok(true)
}

/// `1 suggestion`, `2 suggestions`.
fn suggestions(count: usize) -> String {
    if count == 1 {
        "1 suggestion".to_string()
    } else {
        format!("{count} suggestions")
    }
}
