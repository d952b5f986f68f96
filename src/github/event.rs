//! The pull request an Actions run is for, from `GITHUB_EVENT_PATH`.

use std::path::PathBuf;

use serde::Deserialize;

/// What dynalint needs from a `pull_request` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The commit the pull request is compared with.
    pub base_sha: String,
    /// The pull request's head commit (`pull_request.head.sha`): where review comments
    /// go, and the lines they are on.
    pub head_sha: Option<String>,
    /// Its head is another repository's (a fork's, or one deleted since): on the
    /// `pull_request` event its jobs get no secrets and no OIDC token.
    pub from_fork: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("{path}: cannot read the GitHub event: {message}")]
    Read { path: String, message: String },
    #[error(
        "{path}: the event has no base commit (`pull_request.base.sha`, `merge_group.base_sha`)"
    )]
    NoBase { path: String },
}

#[derive(Deserialize)]
struct Event {
    pull_request: Option<PullRequestPayload>,
    merge_group: Option<MergeGroup>,
    before: Option<String>,
    after: Option<String>,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    number: u64,
    base: Option<Base>,
    head: Option<Base>,
}

#[derive(Deserialize)]
struct Base {
    sha: Option<String>,
    repo: Option<Repository>,
}

#[derive(Deserialize)]
struct Repository {
    full_name: Option<String>,
}

#[derive(Deserialize)]
struct MergeGroup {
    base_sha: Option<String>,
    head_sha: Option<String>,
}

/// The events that carry a pull request, and get its base.
const PULL_REQUEST_EVENTS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
];

/// What a run's event says about the change under review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `GITHUB_EVENT_NAME`.
    pub event: String,
    /// The commit the change is compared with; `None` with `no_base` saying why.
    pub base: Option<String>,
    /// The commit under review (a pull request's head, a merge group's head, a push's
    /// `after`).
    pub head: Option<String>,
    /// Why the event gives no base (a new branch's push).
    pub no_base: Option<String>,
}

/// The environment of a run, as far as this module reads it.
pub struct Environment {
    pub github_actions: Option<String>,
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Environment {
        Environment {
            github_actions: std::env::var("GITHUB_ACTIONS").ok(),
            event_name: std::env::var("GITHUB_EVENT_NAME").ok(),
            event_path: std::env::var_os("GITHUB_EVENT_PATH").map(PathBuf::from),
        }
    }
}

/// The event file of a run in GitHub Actions whose event is one of `names`.
fn read_event(
    environment: &Environment,
    names: &[&str],
) -> Result<Option<(String, Event)>, EventError> {
    let in_actions = environment.github_actions.as_deref() == Some("true");
    let name = environment
        .event_name
        .as_deref()
        .filter(|name| names.contains(name));
    let (true, Some(name), Some(path)) = (in_actions, name, &environment.event_path) else {
        return Ok(None);
    };
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| EventError::Read {
        path: display.clone(),
        message: error.to_string(),
    })?;
    let event: Event = serde_json::from_str(&text).map_err(|error| EventError::Read {
        path: display.clone(),
        message: error.to_string(),
    })?;
    Ok(Some((name.to_string(), event)))
}

/// The change a run reviews: on a pull request's events its base and head, on
/// `merge_group` (GitHub's merge queue) `base_sha` and `head_sha`, on `push` `before`
/// and `after`. An event file that cannot be read is an error, never a silent run
/// without a base.
pub fn change(environment: &Environment) -> Result<Option<Change>, EventError> {
    let mut names = PULL_REQUEST_EVENTS.to_vec();
    names.extend(["merge_group", "push"]);
    let Some((name, event)) = read_event(environment, &names)? else {
        return Ok(None);
    };
    let path = || {
        environment
            .event_path
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    };
    let change = match name.as_str() {
        "merge_group" => {
            let group = event
                .merge_group
                .ok_or_else(|| EventError::NoBase { path: path() })?;
            Change {
                event: name,
                base: Some(
                    group
                        .base_sha
                        .ok_or_else(|| EventError::NoBase { path: path() })?,
                ),
                head: group.head_sha,
                no_base: None,
            }
        }
        "push" => {
            let before = event.before.filter(|sha| !sha.is_empty());
            let new_branch = before
                .as_deref()
                .is_none_or(|sha| sha.bytes().all(|byte| byte == b'0'));
            Change {
                event: name,
                base: if new_branch { None } else { before },
                head: event.after,
                no_base: new_branch.then(|| {
                    "the push creates a branch (its `before` is all zeros): there is no base to compare with".to_string()
                }),
            }
        }
        _ => {
            let payload = event
                .pull_request
                .ok_or_else(|| EventError::NoBase { path: path() })?;
            Change {
                event: name,
                base: Some(
                    payload
                        .base
                        .and_then(|base| base.sha)
                        .ok_or_else(|| EventError::NoBase { path: path() })?,
                ),
                head: payload.head.and_then(|head| head.sha),
                no_base: None,
            }
        }
    };
    Ok(Some(change))
}

/// The pull request of this run: only in GitHub Actions, on an event that carries one
/// (`pull_request`, `pull_request_target`, and the review events). An event file that
/// cannot be read there is an error, never a silent run without a base.
pub fn pull_request(environment: &Environment) -> Result<Option<PullRequest>, EventError> {
    let Some((_, event)) = read_event(environment, PULL_REQUEST_EVENTS)? else {
        return Ok(None);
    };
    let display = environment
        .event_path
        .as_ref()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let Some(payload) = event.pull_request else {
        return Err(EventError::NoBase { path: display });
    };
    let name = |side: &Option<Base>| {
        side.as_ref()
            .and_then(|side| side.repo.as_ref())
            .and_then(|repo| repo.full_name.clone())
    };
    let from_fork = name(&payload.head).is_none_or(|head| Some(head) != name(&payload.base))
        && payload.head.is_some();
    let base_sha = payload
        .base
        .and_then(|base| base.sha)
        .ok_or(EventError::NoBase { path: display })?;
    Ok(Some(PullRequest {
        number: payload.number,
        base_sha,
        head_sha: payload.head.and_then(|head| head.sha),
        from_fork,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_file(name: &str, event: &str) -> (tempfile::NamedTempFile, Environment) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), event).unwrap();
        let environment = Environment {
            github_actions: Some("true".into()),
            event_name: Some(name.into()),
            event_path: Some(file.path().to_path_buf()),
        };
        (file, environment)
    }

    #[test]
    fn the_base_of_a_pull_request_event() {
        let (_file, environment) = event_file(
            "pull_request",
            r#"{"action": "synchronize", "pull_request": {"number": 42, "base": {"sha": "abc123", "ref": "main"}, "head": {"sha": "def456"}}}"#,
        );
        assert_eq!(
            pull_request(&environment).unwrap(),
            Some(PullRequest {
                number: 42,
                base_sha: "abc123".into(),
                head_sha: Some("def456".into()),
                from_fork: true,
            })
        );
    }

    #[test]
    fn a_pull_request_from_a_fork_or_from_the_repository_itself() {
        let event = |head: &str| {
            format!(
                r#"{{"pull_request": {{"number": 7, "base": {{"sha": "a", "repo": {{"full_name": "org/gitops"}}}}, "head": {{"sha": "b", "repo": {head}}}}}}}"#
            )
        };
        for (head, fork) in [
            (r#"{"full_name": "org/gitops"}"#, false),
            (r#"{"full_name": "someone/gitops"}"#, true),
            ("null", true),
        ] {
            let (_file, environment) = event_file("pull_request", &event(head));
            assert_eq!(
                pull_request(&environment).unwrap().unwrap().from_fork,
                fork,
                "{head}"
            );
        }
    }

    #[test]
    fn the_change_of_each_event() {
        let (_file, environment) = event_file(
            "merge_group",
            r#"{"merge_group": {"base_sha": "b1", "head_sha": "h1", "head_ref": "gh-readonly-queue/main/pr-1"}}"#,
        );
        let found = change(&environment).unwrap().unwrap();
        assert_eq!(
            (found.base.as_deref(), found.head.as_deref()),
            (Some("b1"), Some("h1"))
        );
        let (_file, environment) = event_file(
            "push",
            r#"{"before": "b2", "after": "h2", "ref": "refs/heads/main"}"#,
        );
        let found = change(&environment).unwrap().unwrap();
        assert_eq!((found.base.as_deref(), found.no_base), (Some("b2"), None));
        let (_file, environment) = event_file(
            "push",
            r#"{"before": "0000000000000000000000000000000000000000", "after": "h3"}"#,
        );
        let found = change(&environment).unwrap().unwrap();
        assert_eq!(found.base, None);
        assert!(found.no_base.unwrap().contains("creates a branch"));
        for name in [
            "pull_request_review",
            "pull_request_review_comment",
            "pull_request_target",
        ] {
            let (_file, environment) = event_file(
                name,
                r#"{"pull_request": {"number": 7, "base": {"sha": "b4"}, "head": {"sha": "h4"}}}"#,
            );
            let found = change(&environment).unwrap().unwrap();
            assert_eq!(
                (found.base.as_deref(), found.head.as_deref()),
                (Some("b4"), Some("h4")),
                "{name}"
            );
            assert_eq!(pull_request(&environment).unwrap().unwrap().number, 7);
        }
        let (_file, environment) = event_file("workflow_dispatch", "{}");
        assert_eq!(change(&environment).unwrap(), None);
    }

    #[test]
    fn other_events_and_runs_have_none() {
        let (_file, mut environment) = event_file("push", r#"{"ref": "refs/heads/main"}"#);
        assert_eq!(pull_request(&environment).unwrap(), None);
        environment.event_name = Some("pull_request".into());
        environment.github_actions = None;
        assert_eq!(pull_request(&environment).unwrap(), None);
    }

    #[test]
    fn a_broken_event_is_an_error() {
        let (_file, environment) = event_file("pull_request", "{");
        assert!(matches!(
            pull_request(&environment),
            Err(EventError::Read { .. })
        ));
        let (_file, environment) = event_file("pull_request", r#"{"pull_request": {"number": 1}}"#);
        assert!(matches!(
            pull_request(&environment),
            Err(EventError::NoBase { .. })
        ));
    }
}
