//! `--comment` against a loopback GitHub API (wiremock): the sticky pull-request comment.

use crate::common::{Repo, Run, TWO_TABLES};
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_s3cr3t_t0k3n_never_printed";
const COMMENTS: &str = "/repos/acme/gitops/issues/7/comments";
const MARKER: &str = "<!-- dynalint -->\n<!-- dynalint-key: lint/dynalint -->\n";

/// A pull request that deletes a table: the base commit and the change in the working
/// tree, with the event file of an Actions run.
struct PullRequest {
    repo: Repo,
    event: tempfile::NamedTempFile,
    summary: tempfile::NamedTempFile,
}

impl PullRequest {
    fn new() -> PullRequest {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", TWO_TABLES);
        let base = repo.commit("two tables");
        let (orders, _) = TWO_TABLES.split_at(TWO_TABLES.find("  - name: Invoices").unwrap());
        repo.values("shop-dev", orders);
        let event = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            event.path(),
            json!({"pull_request": {"number": 7, "base": {"sha": base}}}).to_string(),
        )
        .unwrap();
        PullRequest {
            repo,
            event,
            summary: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    /// `dynalint check --comment` as in a pull-request workflow run.
    fn check(&self, server: &MockServer) -> Run {
        crate::common::in_pull_request(
            &self.repo,
            self.event.path(),
            self.summary.path(),
            &server.uri(),
            TOKEN,
            &["--comment"],
        )
    }
}

fn comment(id: u64, login: &str, body: &str) -> serde_json::Value {
    json!({"id": id, "body": body, "user": {"login": login, "type": "Bot"}})
}

/// The token's identity as an Actions token answers it: no user, a GraphQL viewer.
async fn actions_identity(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"viewer": {"login": "github-actions"}}})),
        )
        .mount(server)
        .await;
}

/// The comments of the pull request, on two pages.
async fn comment_pages(
    server: &MockServer,
    first: Vec<serde_json::Value>,
    second: Vec<serde_json::Value>,
) {
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(
                        "<{}{COMMENTS}?per_page=100&page=2>; rel=\"next\", <{}{COMMENTS}?per_page=100&page=2>; rel=\"last\"",
                        server.uri(),
                        server.uri()
                    )
                    .as_str(),
                )
                .set_body_json(first),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
        .mount(server)
        .await;
}

fn requests(received: &[Request], verb: &str) -> Vec<(String, String)> {
    received
        .iter()
        .filter(|request| request.method.as_str() == verb)
        .map(|request| {
            (
                request.url.path().to_string(),
                String::from_utf8_lossy(&request.body).into_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_first_run_creates_and_the_next_updates_the_same_comment() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    comment_pages(&server, vec![comment(1, "alice", "LGTM")], vec![]).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            42,
            "github-actions[bot]",
            "created",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    // The lint's verdict, whatever the comment did.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("pull request #7 comment 42 created"),
        "{}",
        run.stderr
    );
    let received = server.received_requests().await.unwrap();
    let created = requests(&received, "POST");
    let (_, body) = created.iter().find(|(path, _)| path == COMMENTS).unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(text.starts_with(MARKER), "{text}");
    assert!(
        text.contains("🗑️ **delete** | `shop-dev-Invoices`"),
        "{text}"
    );
    // Authenticated as the token, and the token only ever in that header.
    let authorization = received[0].headers.get("authorization").unwrap();
    assert_eq!(authorization.to_str().unwrap(), format!("Bearer {TOKEN}"));
    server.verify().await;

    // The re-run: the bot's comment is on the second page, among others'.
    server.reset().await;
    actions_identity(&server).await;
    let others: Vec<serde_json::Value> = (1..=100)
        .map(|id| comment(id, "alice", "a review comment"))
        .collect();
    let old = format!("{MARKER}## dynalint\n\nan older report");
    comment_pages(
        &server,
        others,
        vec![comment(42, "github-actions[bot]", &old)],
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/gitops/issues/comments/42"))
        .and(body_string_contains("shop-dev-Invoices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            42,
            "github-actions[bot]",
            "updated",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("comment 42 updated"), "{}", run.stderr);
    server.verify().await;

    // Fixed: the same comment now says all is clear.
    server.reset().await;
    actions_identity(&server).await;
    comment_pages(
        &server,
        vec![comment(42, "github-actions[bot]", &old)],
        vec![],
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/gitops/issues/comments/42"))
        .and(body_string_contains("No problems"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(
            42,
            "github-actions[bot]",
            "x",
        )))
        .expect(1)
        .mount(&server)
        .await;
    pull_request.repo.values("shop-dev", TWO_TABLES);
    let run = pull_request.check(&server);
    assert_eq!(run.code, 0, "{}", run.stderr);
    server.verify().await;
}

#[tokio::test]
async fn another_users_comment_with_the_marker_is_left_alone() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    let forged = format!("{MARKER}## dynalint\n\n✅ all fine, merge it");
    comment_pages(&server, vec![comment(5, "mallory", &forged)], vec![]).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            43,
            "github-actions[bot]",
            "created",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    assert!(run.stderr.contains("comment 43 created"), "{}", run.stderr);
    server.verify().await;
}

#[tokio::test]
async fn a_personal_token_is_matched_by_its_user() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "ci-bot"})))
        .mount(&server)
        .await;
    let ours = format!("{MARKER}old");
    // The Actions bot's comment is someone else's for this token.
    comment_pages(
        &server,
        vec![
            comment(8, "github-actions[bot]", &ours),
            comment(9, "ci-bot", &ours),
        ],
        vec![],
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/gitops/issues/comments/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(9, "ci-bot", "x")))
        .expect(1)
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    assert!(run.stderr.contains("comment 9 updated"), "{}", run.stderr);
    server.verify().await;
}

#[tokio::test]
async fn transient_errors_are_retried() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    // A 502 first, then a secondary rate limit, then the answer.
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit."})),
        )
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    comment_pages(&server, vec![], vec![]).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(
            44,
            "github-actions[bot]",
            "created",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("comment 44 created"), "{}", run.stderr);
    server.verify().await;
}

#[tokio::test]
async fn a_read_only_token_degrades_to_a_warning_and_the_job_summary() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    comment_pages(&server, vec![], vec![]).await;
    Mock::given(method("POST"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&server)
        .await;
    let mut command = pull_request.repo.command();
    // `--format json` alone writes no summary: the refused comment does.
    command
        .args(["check", "--comment", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", pull_request.event.path())
        .env("GITHUB_STEP_SUMMARY", pull_request.summary.path())
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", TOKEN);
    let run = Run::of(command);
    assert_eq!(run.code, 1, "the lint's exit code: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "GitHub refused to write the comment (Resource not accessible by integration)"
        ),
        "{}",
        run.stderr
    );
    let summary = std::fs::read_to_string(pull_request.summary.path()).unwrap();
    assert!(summary.contains("shop-dev-Invoices"), "{summary}");
    assert_eq!(run.json()["summary"]["errors"], 1);
}

#[tokio::test]
async fn api_errors_are_exit_2_without_the_token() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    // A server that echoes the credentials it got.
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": format!("Bad credentials: Bearer {TOKEN}")})),
        )
        .mount(&server)
        .await;
    let run = pull_request.check(&server);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "GitHub API: listing the pull request's comments: 401 Bad credentials: Bearer ***"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn comment_needs_a_pull_request_and_a_token() {
    let pull_request = PullRequest::new();
    // Not in a pull-request run: said, and the lint's exit code (no base: no deletion).
    let mut command = pull_request.repo.command();
    command.args(["check", "--comment"]);
    let run = Run::of(command);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("this run is not for a pull request"),
        "{}",
        run.stderr
    );
    // In one, without a token: a configuration error.
    let mut command = pull_request.repo.command();
    command
        .args(["check", "--comment"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", pull_request.event.path())
        .env("GITHUB_REPOSITORY", "acme/gitops");
    let run = Run::of(command);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--comment needs GITHUB_TOKEN"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn an_outage_is_a_warning_and_the_job_summary() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    actions_identity(&server).await;
    Mock::given(method("GET"))
        .and(path(COMMENTS))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_string("unavailable"),
        )
        .expect(4)
        .mount(&server)
        .await;
    let mut command = pull_request.repo.command();
    command
        .args(["check", "--comment", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", pull_request.event.path())
        .env("GITHUB_STEP_SUMMARY", pull_request.summary.path())
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", TOKEN);
    let run = Run::of(command);
    assert_eq!(run.code, 1, "the lint's exit code: {}", run.stderr);
    assert!(
        run.stderr.contains("the comment could not be written (GitHub API: listing the pull request's comments: 503 unavailable)"),
        "{}",
        run.stderr
    );
    let summary = std::fs::read_to_string(pull_request.summary.path()).unwrap();
    assert!(summary.contains("shop-dev-Invoices"), "{summary}");
    server.verify().await;
}

#[test]
fn a_token_with_a_line_break_is_a_clear_error() {
    let pull_request = PullRequest::new();
    let mut command = pull_request.repo.command();
    command
        .args(["check", "--comment"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", pull_request.event.path())
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GITHUB_TOKEN", "ghs_a\nb");
    let run = Run::of(command);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("GITHUB_TOKEN holds characters a token cannot have"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("ghs_a"));
}
