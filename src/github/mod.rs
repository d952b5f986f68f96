//! GitHub: the pull-request context of an Actions run, the pull-request comment, and the
//! review that carries the fixes as suggestions (`--suggest`).

#[cfg(feature = "github")]
mod client;
#[cfg(feature = "github")]
pub mod comment;
#[cfg(feature = "github")]
mod dedupe;
pub mod event;
#[cfg(feature = "github")]
pub mod one_click;
#[cfg(feature = "github")]
pub mod review;
#[cfg(feature = "github")]
mod sticky;
#[cfg(feature = "github")]
pub mod suggestion;

/// A warning on stderr, and in GitHub Actions also as a `::warning` annotation (the
/// runner reads workflow commands from both streams; stdout may carry a report).
pub fn warning(message: &str) {
    eprintln!("dynalint: warning: {message}");
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        eprintln!(
            "::warning title=dynalint::{}",
            crate::report::github::escape_data(message)
        );
    }
}

/// Why dynalint could not check (exit 2), on stderr; in GitHub Actions also as an
/// `::error` annotation and in the job summary, where people look (not only the log).
pub fn failure(reason: &str) {
    eprintln!("dynalint: error: {reason}");
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return;
    }
    eprintln!(
        "::error title=dynalint::{}",
        crate::report::github::escape_data(reason)
    );
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) {
        use std::io::Write as _;
        let summary = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path);
        if let Ok(mut summary) = summary {
            let _ = writeln!(
                summary,
                "### dynalint could not check this change\n\n{}\n",
                crate::report::markdown::inline(reason, false)
            );
        }
    }
}

/// What an Actions run tells dynalint through its environment.
#[derive(Clone, Debug, Default)]
pub struct Actions {
    /// `GITHUB_ACTIONS=true`.
    pub active: bool,
    pub step_summary: Option<std::path::PathBuf>,
    /// `OWNER/REPO`.
    pub repository: Option<String>,
    pub server_url: String,
    pub api_url: String,
    pub workflow: Option<String>,
    pub job: Option<String>,
    pub token: Option<String>,
}

impl Actions {
    pub fn from_process() -> Actions {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Actions {
            active: var("GITHUB_ACTIONS").as_deref() == Some("true"),
            step_summary: var("GITHUB_STEP_SUMMARY").map(std::path::PathBuf::from),
            repository: var("GITHUB_REPOSITORY"),
            server_url: var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
            api_url: var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
            workflow: var("GITHUB_WORKFLOW"),
            job: var("GITHUB_JOB"),
            token: var("GITHUB_TOKEN"),
        }
    }

    /// The default comment key: the workflow and the job, so that two jobs of a
    /// monorepo keep a comment each, and `legs`, what tells apart the runs of one job
    /// (matrix legs, a reusable workflow called twice): the repository's folder, the
    /// configuration, the PATHs.
    pub fn comment_key(&self, legs: &[String]) -> String {
        let job = match (&self.workflow, &self.job) {
            (Some(workflow), Some(job)) => format!("{workflow}/{job}"),
            (Some(workflow), None) => workflow.clone(),
            (None, Some(job)) => job.clone(),
            (None, None) => "dynalint".to_string(),
        };
        if legs.is_empty() {
            job
        } else {
            format!("{job} ({})", legs.join(" "))
        }
    }

    /// `https://github.com/OWNER/REPO/blob/SHA`, when the repository is known.
    pub fn blob_url(&self, commit: &str) -> Option<String> {
        let repository = self.repository.as_ref()?;
        Some(format!(
            "{}/{repository}/blob/{commit}",
            self.server_url.trim_end_matches('/')
        ))
    }
}
