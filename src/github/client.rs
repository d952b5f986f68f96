//! The GitHub client that the comment ([`super::comment`]) and the review
//! ([`super::review`]) share: where to write (the pull request, its repository, the
//! token), which account the token writes as, and one session of calls that retries
//! transient failures (5xx, rate limits, a dropped connection) with backoff within a
//! deadline, and tells a refusal (a fork's read-only token: 403) and an outage apart from
//! an error. The token never appears in any message.

use std::time::Duration;

use serde::Deserialize;

/// Where the comment and the review go.
#[derive(Clone)]
pub struct Target {
    /// `https://api.github.com`, or a GitHub Enterprise `https://HOST/api/v3`.
    pub api_url: String,
    pub owner: String,
    pub repository: String,
    pub number: u64,
    pub token: String,
}

impl Target {
    /// The pull request of this Actions run, its repository and the token: `None` when
    /// the run is not for a pull request; an error when what the comment needs is
    /// missing or unusable.
    pub fn of_run(
        actions: &super::Actions,
        environment: &super::event::Environment,
    ) -> Result<Option<Target>, CommentError> {
        let Some(pull_request) = super::event::pull_request(environment)? else {
            return Ok(None);
        };
        let token = actions
            .token
            .as_deref()
            .map(str::trim)
            .ok_or(CommentError::NoToken)?
            .to_string();
        // A pasted secret may carry a line break or worse: never into a header (nor shown).
        if token.is_empty() || !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(CommentError::MalformedToken);
        }
        let (owner, repository) = actions
            .repository
            .as_deref()
            .and_then(|full| full.split_once('/'))
            .ok_or(CommentError::NoRepository)?;
        Ok(Some(Target {
            api_url: actions.api_url.clone(),
            owner: owner.to_string(),
            repository: repository.to_string(),
            number: pull_request.number,
            token,
        }))
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Target")
            .field("api_url", &self.api_url)
            .field("owner", &self.owner)
            .field("repository", &self.repository)
            .field("number", &self.number)
            .field("token", &"***")
            .finish()
    }
}

/// How transient failures are retried.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// Retries after the first attempt.
    pub attempts: u32,
    /// The first wait; it doubles with each retry.
    pub base: Duration,
    /// Longer waits (a `Retry-After` far away) are not waited for.
    pub max: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Everything one session (the comment, or the review) may take, retries included.
const DEADLINE: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error(transparent)]
    Event(#[from] super::event::EventError),
    #[error("--comment needs GITHUB_TOKEN in the environment (with `pull-requests: write`)")]
    NoToken,
    #[error(
        "--comment: GITHUB_TOKEN holds characters a token cannot have (spaces, line breaks or control characters inside it); check the secret"
    )]
    MalformedToken,
    #[error("--comment needs GITHUB_REPOSITORY (OWNER/REPO) in the environment")]
    NoRepository,
    #[error("cannot set up the GitHub client: {0}")]
    Setup(String),
    #[error("GitHub API: {what}: {status} {message}")]
    Api {
        what: &'static str,
        status: u16,
        message: String,
    },
    #[error("GitHub API: {what}: {message}")]
    Transport { what: &'static str, message: String },
}

/// How a session ended when it did not succeed.
pub(crate) enum Ended {
    /// A 403 that is not a rate limit (a pull request from a fork gets a read-only
    /// token): GitHub's message.
    Forbidden(String),
    /// Transient failures outlasted the retries, or the deadline passed: what happened.
    Unavailable(String),
    /// Anything else, described.
    Failed(CommentError),
}

/// Runs `work` with a client for `target` and the logins the token writes as, again
/// while it fails transiently (a whole `work` is retried: it must read before it
/// writes), within [`DEADLINE`]. `flag` names the option in warnings.
pub(crate) fn session<T>(
    target: &Target,
    retry: Retry,
    flag: &'static str,
    work: impl AsyncFn(&octocrab::Octocrab, &[String]) -> Result<T, Failure>,
) -> Result<T, Ended> {
    let setup = Ended::Failed;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| setup(CommentError::Setup(error.to_string())))?;
    let client = runtime
        .block_on(async { new_client(&target.api_url, &target.token) })
        .map_err(setup)?;
    let attempts = async {
        let logins = identity(target, &client, retry, flag).await;
        let mut attempt = 0;
        loop {
            match work(&client, &logins).await {
                Ok(done) => return Ok(done),
                Err(failure) => match delay(&failure.error, attempt, retry) {
                    Some(wait) => {
                        attempt += 1;
                        tokio::time::sleep(wait).await;
                    }
                    None => return Err(failure),
                },
            }
        }
    };
    let failure = match runtime.block_on(async { tokio::time::timeout(DEADLINE, attempts).await }) {
        Ok(Ok(done)) => return Ok(done),
        Ok(Err(failure)) => failure,
        Err(_) => {
            return Err(Ended::Unavailable(format!(
                "GitHub did not answer within {} seconds",
                DEADLINE.as_secs()
            )));
        }
    };
    if transient(&failure.error) {
        return Err(Ended::Unavailable(
            describe(failure, &target.token).to_string(),
        ));
    }
    match &failure.error {
        octocrab::Error::GitHub { source, .. } if source.status_code.as_u16() == 403 => {
            Err(Ended::Forbidden(redact(&source.message, &target.token)))
        }
        _ => Err(Ended::Failed(describe(failure, &target.token))),
    }
}

/// A failure that retrying later could cure: not the request's or the token's fault.
fn transient(error: &octocrab::Error) -> bool {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            source.status_code.is_server_error()
                || source.status_code.as_u16() == 429
                || rate_limited(source)
        }
        octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. } => true,
        _ => false,
    }
}

fn header(source: &octocrab::GitHubError, name: &str) -> Option<String> {
    source
        .headers
        .as_ref()
        .and_then(|headers| headers.get(name))
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

/// A 403 that is a rate limit (primary or secondary), not a permission.
fn rate_limited(source: &octocrab::GitHubError) -> bool {
    source.status_code.as_u16() == 403
        && (header(source, "retry-after").is_some()
            || header(source, "x-ratelimit-remaining").as_deref() == Some("0")
            || source.message.to_lowercase().contains("rate limit"))
}

/// A failed call and what it was doing.
pub(crate) struct Failure {
    what: &'static str,
    error: octocrab::Error,
}

/// One page of a listing: the first of `route` (100 items a page) without a cursor, else
/// the page after it; and the cursor of the next, if there is one.
pub(crate) async fn page<T: serde::de::DeserializeOwned>(
    client: &octocrab::Octocrab,
    route: String,
    cursor: Option<octocrab::Page<T>>,
    what: &'static str,
) -> Result<(Vec<T>, Option<octocrab::Page<T>>), Failure> {
    let mut page = match cursor {
        None => client
            .get::<octocrab::Page<T>, _, _>(route, Some(&[("per_page", "100")]))
            .await
            .map_err(failed(what))?,
        Some(previous) => match client
            .get_page::<T>(&previous.next)
            .await
            .map_err(failed(what))?
        {
            Some(page) => page,
            None => return Ok((Vec::new(), None)),
        },
    };
    let items = std::mem::take(&mut page.items);
    let next = page.next.is_some().then_some(page);
    Ok((items, next))
}

pub(crate) fn failed(what: &'static str) -> impl FnOnce(octocrab::Error) -> Failure {
    move |error| Failure { what, error }
}

fn new_client(api_url: &str, token: &str) -> Result<octocrab::Octocrab, CommentError> {
    octocrab::Octocrab::builder()
        .base_uri(api_url)
        .map_err(|_| CommentError::Setup(format!("GITHUB_API_URL `{api_url}` is not a URL")))?
        .personal_token(token.to_string())
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(20)))
        .build()
        .map_err(|error| CommentError::Setup(redact(&error.to_string(), token)))
}

/// The logins this token writes comments as. A personal token's user answers `GET
/// /user`; an Actions or App installation token has no user, but GraphQL's `viewer` names
/// its bot (`github-actions`, whose comments are by `github-actions[bot]`).
async fn identity(
    target: &Target,
    client: &octocrab::Octocrab,
    retry: Retry,
    flag: &str,
) -> Vec<String> {
    #[derive(Deserialize)]
    struct User {
        login: String,
    }
    #[derive(Deserialize)]
    struct Viewer {
        viewer: User,
    }
    if let Ok(user) = with_retries(retry, || client.get::<User, _, ()>("/user", None)).await {
        return vec![user.login];
    }
    // GitHub Enterprise serves GraphQL at /api/graphql, beside /api/v3.
    let api = target.api_url.trim_end_matches('/');
    let (root, route) = match api.strip_suffix("/api/v3") {
        Some(root) => (root.to_string(), "/api/graphql"),
        None => (api.to_string(), "/graphql"),
    };
    let query = serde_json::json!({"query": "query { viewer { login } }"});
    if let Ok(graphql) = new_client(&root, &target.token) {
        #[derive(Deserialize)]
        struct Response {
            data: Viewer,
        }
        if let Ok(response) =
            with_retries(retry, || graphql.post::<_, Response>(route, Some(&query))).await
        {
            let login = response.data.viewer.login;
            let bot = format!("{login}[bot]");
            return vec![login, bot];
        }
    }
    super::warning(&format!(
        "{flag}: cannot tell which account the token belongs to (GET /user and GraphQL `viewer` failed); looking for comments by github-actions[bot]"
    ));
    vec!["github-actions[bot]".to_string()]
}

async fn with_retries<T, F, Fut>(retry: Retry, mut call: F) -> octocrab::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = octocrab::Result<T>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) => match delay(&error, attempt, retry) {
                Some(wait) => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                None => return Err(error),
            },
        }
    }
}

/// How long to wait before retrying after `error`, if it is worth retrying.
fn delay(error: &octocrab::Error, attempt: u32, retry: Retry) -> Option<Duration> {
    if attempt >= retry.attempts {
        return None;
    }
    let backoff = retry.base.saturating_mul(2u32.saturating_pow(attempt));
    let wait = match error {
        octocrab::Error::GitHub { source, .. } => {
            if !transient(error) {
                return None;
            }
            let retry_after = header(source, "retry-after")
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // A primary rate limit: until it resets.
            let reset = (header(source, "x-ratelimit-remaining").as_deref() == Some("0"))
                .then_some(source.rate_limit_reset)
                .flatten()
                .map(|reset| {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |now| now.as_secs());
                    Duration::from_secs(reset.saturating_sub(now) + 1)
                });
            retry_after.or(reset).unwrap_or(backoff)
        }
        // The connection failed or timed out: the request may not have arrived.
        octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. } => backoff,
        _ => return None,
    };
    (wait <= retry.max).then_some(wait)
}

/// An error and its causes, `a: b: c` (a timeout says so only in its cause).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(next) = cause {
        let text = next.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        cause = next.source();
    }
    parts.join(": ")
}

/// `text` with the token blotted out, wherever a server or library echoed it.
fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "***")
    }
}

/// GitHub's message with what its `errors` list says (a 422 "Validation Failed" names
/// the reason only there).
fn github_message(error: &octocrab::GitHubError) -> String {
    with_details(&error.message, error.errors.as_deref())
}

fn with_details(message: &str, errors: Option<&[serde_json::Value]>) -> String {
    let details: Vec<String> = errors
        .into_iter()
        .flatten()
        .filter_map(|detail| match detail {
            serde_json::Value::String(text) => Some(text.clone()),
            other => other["message"].as_str().map(str::to_string),
        })
        .collect();
    if details.is_empty() {
        message.to_string()
    } else {
        format!("{message}: {}", details.join("; "))
    }
}

fn describe(failure: Failure, token: &str) -> CommentError {
    match failure.error {
        octocrab::Error::GitHub { source, .. } => CommentError::Api {
            what: failure.what,
            status: source.status_code.as_u16(),
            message: redact(&github_message(&source), token),
        },
        octocrab::Error::Hyper { source, .. } => CommentError::Transport {
            what: failure.what,
            message: redact(&chain(&source), token),
        },
        octocrab::Error::Service { source, .. } => CommentError::Transport {
            what: failure.what,
            message: redact(&chain(source.as_ref()), token),
        },
        octocrab::Error::Json { source, .. } => CommentError::Transport {
            what: failure.what,
            message: format!("unexpected answer: {}", redact(&source.to_string(), token)),
        },
        _ => CommentError::Transport {
            what: failure.what,
            message: "the request failed".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_failure_says_what_github_rejected() {
        let errors = [
            serde_json::json!({"resource": "IssueComment", "code": "custom", "message": "body is too long (maximum is 65536 characters)"}),
            serde_json::json!("a plain reason"),
        ];
        assert_eq!(
            with_details("Validation Failed", Some(&errors)),
            "Validation Failed: body is too long (maximum is 65536 characters); a plain reason"
        );
        assert_eq!(with_details("Not Found", None), "Not Found");
    }

    #[test]
    fn the_token_is_blotted_out() {
        assert_eq!(redact("bad ghs_secret here", "ghs_secret"), "bad *** here");
    }
}
