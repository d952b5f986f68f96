//! The pull request an Actions run is for, from `GITHUB_EVENT_PATH`.

use std::path::PathBuf;

use serde::Deserialize;

/// What dynalint needs from a `pull_request` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The commit the pull request is compared with.
    pub base_sha: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("{path}: cannot read the GitHub event: {message}")]
    Read { path: String, message: String },
    #[error("{path}: the pull_request event has no `pull_request.base.sha`")]
    NoBase { path: String },
}

#[derive(Deserialize)]
struct Event {
    pull_request: Option<PullRequestPayload>,
}

#[derive(Deserialize)]
struct PullRequestPayload {
    number: u64,
    base: Option<Base>,
}

#[derive(Deserialize)]
struct Base {
    sha: Option<String>,
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

/// The pull request of this run: only in GitHub Actions, on a `pull_request` or
/// `pull_request_target` event. An event file that cannot be read there is an error,
/// never a silent run without a base.
pub fn pull_request(environment: &Environment) -> Result<Option<PullRequest>, EventError> {
    let in_actions = environment.github_actions.as_deref() == Some("true");
    let pull_request_event = environment
        .event_name
        .as_deref()
        .is_some_and(|name| name == "pull_request" || name == "pull_request_target");
    let (true, true, Some(path)) = (in_actions, pull_request_event, &environment.event_path) else {
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
    let Some(payload) = event.pull_request else {
        return Err(EventError::NoBase { path: display });
    };
    let base_sha = payload
        .base
        .and_then(|base| base.sha)
        .ok_or(EventError::NoBase { path: display })?;
    Ok(Some(PullRequest {
        number: payload.number,
        base_sha,
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
            r#"{"action": "synchronize", "pull_request": {"number": 42, "base": {"sha": "abc123", "ref": "main"}}}"#,
        );
        assert_eq!(
            pull_request(&environment).unwrap(),
            Some(PullRequest {
                number: 42,
                base_sha: "abc123".into()
            })
        );
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
