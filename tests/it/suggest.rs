//! `--suggest` against a loopback GitHub API (wiremock): one review of one-click
//! suggestions for the fixes on lines the pull request changes.

use crate::common::{IDP_ADVANCED_CHART, Repo, Run};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghs_s3cr3t_t0k3n_never_printed";
const ISSUE_COMMENTS: &str = "/repos/acme/gitops/issues/7/comments";
const REVIEW_COMMENTS: &str = "/repos/acme/gitops/pulls/7/comments";
const REVIEWS: &str = "/repos/acme/gitops/pulls/7/reviews";

/// The base: an attribute no key uses (`Legacy`, lines 7 and 8) is there already.
const BASE: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Legacy
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

/// The pull request adds another unused attribute (lines 9 and 10) and an attribute
/// whose type Helm reads as a boolean (line 18).
const HEAD: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Legacy
        type: 'S'
      - name: Extra
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Total
        type: N
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

/// A pull request of two commits, checked out at its head, and the event of its run.
struct PullRequest {
    repo: Repo,
    head: String,
    event: tempfile::NamedTempFile,
    summary: tempfile::NamedTempFile,
}

impl PullRequest {
    fn new() -> PullRequest {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", BASE);
        let base = repo.commit("base");
        repo.values("shop-dev", HEAD);
        let head = repo.commit("the change");
        PullRequest::with_event(repo, &base, head)
    }

    fn with_event(repo: Repo, base: &str, head: String) -> PullRequest {
        let event = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            event.path(),
            json!({"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}})
                .to_string(),
        )
        .unwrap();
        PullRequest {
            repo,
            head,
            event,
            summary: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    /// A new commit pushed to the pull request.
    fn move_head(&mut self, head: String) {
        let base = self.repo.git(&["rev-parse", "HEAD~2"]);
        *self = PullRequest::with_event(
            std::mem::replace(&mut self.repo, Repo::new()),
            base.trim(),
            head,
        );
    }

    /// `dynalint check ARGS` as in a pull-request workflow run.
    fn check(&self, server: &MockServer, args: &[&str]) -> Run {
        crate::common::in_pull_request(
            &self.repo,
            self.event.path(),
            self.summary.path(),
            &server.uri(),
            TOKEN,
            args,
        )
    }

    fn suggest(&self, server: &MockServer) -> Run {
        self.check(server, &["--comment", "--suggest"])
    }

    /// The fingerprints of the findings, by rule and line.
    fn fingerprint(&self, rule: &str, line: u64) -> String {
        let run = self.repo.check(&["--base", "HEAD~1", "--format", "json"]);
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["rule"] == rule && finding["line"] == line)
            .unwrap_or_else(|| panic!("no {rule} on line {line}: {}", run.stdout))["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn values() -> String {
    Repo::values_path("shop-dev")
}

/// The marker of a suggestion: the fingerprint, and the hash of path, lines and block.
/// The marker of a suggestion replacing lines `first..=last` of [`HEAD`]: keyed by the
/// text it replaces, not by where it is.
fn marker(fingerprint: &str, path: &str, first: usize, last: usize, block: &str) -> String {
    let replaced: String = HEAD
        .split_inclusive('\n')
        .skip(first - 1)
        .take(last + 1 - first)
        .collect();
    let hash = dynalint::finding::stable_hash(&[path, &replaced, block]);
    format!("<!-- dynalint-suggestion: {fingerprint}:{hash} -->")
}

/// The token's identity as an Actions token answers it, and a sticky comment to create.
async fn github(server: &MockServer) {
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
    Mock::given(method("GET"))
        .and(path(ISSUE_COMMENTS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(ISSUE_COMMENTS))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": 42, "body": "x", "user": {"login": "github-actions[bot]"}}),
        ))
        .mount(server)
        .await;
}

/// The pull request's review comments, on two pages (100 of someone else's first).
async fn review_comments(server: &MockServer, comments: Vec<Value>) {
    let others: Vec<Value> = (1..=100)
        .map(|id| json!({"id": id, "body": "nit", "user": {"login": "alice"}}))
        .collect();
    Mock::given(method("GET"))
        .and(path(REVIEW_COMMENTS))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(
                        "<{}{REVIEW_COMMENTS}?per_page=100&page=2>; rel=\"next\"",
                        server.uri()
                    )
                    .as_str(),
                )
                .set_body_json(others),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(REVIEW_COMMENTS))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comments))
        .mount(server)
        .await;
}

async fn review_answer(server: &MockServer, answer: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path(REVIEWS))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

/// The bodies of the reviews posted.
async fn reviews(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request: &&Request| {
            request.method.as_str() == "POST" && request.url.path() == REVIEWS
        })
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect()
}

/// The review comments GitHub lists after `review` was posted, by `login`.
fn as_listed(review: &Value, login: &str) -> Vec<Value> {
    review["comments"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(index, comment)| {
            json!({"id": 500 + index, "body": comment["body"], "path": comment["path"], "user": {"login": login}})
        })
        .collect()
}

#[tokio::test]
async fn one_review_suggests_the_fixes_on_changed_lines_only() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 99})),
        1,
    )
    .await;
    let run = pull_request.suggest(&server);
    // The lint's verdict: DL004 is an error.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dynalint: pull request #7 review 99: 2 suggestions posted\n"),
        "{}",
        run.stderr
    );
    // `Legacy` was there before: its lines are context in the diff, not changed.
    assert!(
        run.stderr.contains("dynalint: note: --suggest: 1 fix not on lines this pull request changes (GitHub takes suggestions only there): left to the comment"),
        "{}",
        run.stderr
    );
    server.verify().await;

    let path = values();
    let unused = pull_request.fingerprint("DL102", 9);
    let trap = pull_request.fingerprint("DL004", 18);
    let posted = reviews(&server).await;
    assert_eq!(
        posted,
        [json!({
            "commit_id": pull_request.head,
            "event": "COMMENT",
            "body": "dynalint suggests fixes for findings on lines this pull request changes: each one applies with one click (**Commit suggestion**). Safe fixes keep what the values mean to AWS; ⚠️ unsafe ones can change what AWS does: check them before you apply them.",
            "comments": [
                {
                    "path": path,
                    "start_line": 9,
                    "line": 10,
                    "start_side": "RIGHT",
                    "side": "RIGHT",
                    "body": format!(
                        "**DL102** `attribute-unused`: attribute `Extra` of table `shop-dev-Orders` is not a key of the table or of any index; AWS rejects the table\n\nSafe fix: remove attribute `Extra`\n\n```suggestion\n```\n{}",
                        marker(&unused, &path, 9, 10, "")
                    ),
                },
                {
                    "path": path,
                    "line": 18,
                    "side": "RIGHT",
                    "body": format!(
                        "**DL004** `yaml-type-trap`: `attributes[1].type` of table `shop-dev-Invoices`: Helm reads unquoted `N` as the boolean false, not the text \"N\"\n\nSafe fix: quote it: `'N'`\n\n```suggestion\n        type: 'N'\n```\n{}",
                        marker(&trap, &path, 18, 18, "        type: 'N'")
                    ),
                },
            ],
        })]
    );

    // The re-run: GitHub lists the review's comments (on the second page): nothing new,
    // no review.
    server.reset().await;
    github(&server).await;
    review_comments(&server, as_listed(&posted[0], "github-actions[bot]")).await;
    review_answer(&server, ResponseTemplate::new(200), 0).await;
    let run = pull_request.suggest(&server);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dynalint: pull request #7: 2 suggestions already there; no review posted"),
        "{}",
        run.stderr
    );
    server.verify().await;
    // Only reads and the sticky comment: nothing edited or deleted.
    let received = server.received_requests().await.unwrap();
    assert!(
        received
            .iter()
            .all(|request| ["GET", "POST"].contains(&request.method.as_str())
                && (request.method.as_str() == "GET"
                    || [ISSUE_COMMENTS, "/graphql"].contains(&request.url.path()))),
        "{:?}",
        received
            .iter()
            .map(|request| format!("{} {}", request.method, request.url))
            .collect::<Vec<_>>()
    );

    // `Total` dropped in a new commit: its finding is gone with its fix, and the other
    // suggestion is on the pull request already.
    let mut pull_request = pull_request;
    pull_request.repo.values(
        "shop-dev",
        &HEAD.replace("      - name: Total\n        type: N\n", ""),
    );
    let head = pull_request.repo.commit("quote N");
    pull_request.move_head(head);
    server.reset().await;
    github(&server).await;
    review_comments(&server, as_listed(&posted[0], "github-actions[bot]")).await;
    review_answer(&server, ResponseTemplate::new(200), 0).await;
    let run = pull_request.suggest(&server);
    assert!(
        run.stderr
            .contains("dynalint: pull request #7: 1 suggestion already there; no review posted"),
        "{}",
        run.stderr
    );
    server.verify().await;
}

#[tokio::test]
async fn a_marker_in_another_accounts_comment_does_not_count() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 99})),
        1,
    )
    .await;
    pull_request.suggest(&server);
    let posted = reviews(&server).await;

    server.reset().await;
    github(&server).await;
    review_comments(&server, as_listed(&posted[0], "mallory")).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 100})),
        1,
    )
    .await;
    let run = pull_request.suggest(&server);
    assert!(
        run.stderr
            .contains("dynalint: pull request #7 review 100: 2 suggestions posted"),
        "{}",
        run.stderr
    );
    server.verify().await;
    assert_eq!(reviews(&server).await[0]["comments"], posted[0]["comments"]);
}

#[tokio::test]
async fn a_read_only_token_degrades_to_a_warning_and_the_job_summary() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(403)
            .set_body_json(json!({"message": "Resource not accessible by integration"})),
        1,
    )
    .await;
    let without = pull_request.check(&server, &["--comment", "--format", "json"]);
    let run = pull_request.check(&server, &["--comment", "--suggest", "--format", "json"]);
    assert_eq!(
        run.code, without.code,
        "the lint's exit code: {}",
        run.stderr
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "dynalint: warning: --suggest: GitHub refused to post the suggestions (Resource not accessible by integration); a pull request from a fork gets a read-only token. The report is in the comment and the job summary."
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("::warning title=dynalint::--suggest: GitHub refused")
    );
    let summary = std::fs::read_to_string(pull_request.summary.path()).unwrap();
    assert!(summary.contains("shop-dev-Invoices"), "{summary}");
    assert_eq!(
        run.json()["summary"]["errors"],
        without.json()["summary"]["errors"]
    );
    server.verify().await;
}

#[tokio::test]
async fn a_review_github_does_not_accept_is_a_warning() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{
                "resource": "PullRequestReviewComment",
                "code": "custom",
                "field": "pull_request_review_thread.line",
                "message": "pull_request_review_thread.line must be part of the diff"
            }],
            "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
        })),
        1,
    )
    .await;
    let run = pull_request.suggest(&server);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "dynalint: warning: --suggest: GitHub did not accept the review of suggestions (Validation Failed: pull_request_review_thread.line must be part of the diff); the findings are in the comment"
        ),
        "{}",
        run.stderr
    );
    server.verify().await;
}

#[tokio::test]
async fn an_outage_is_a_warning() {
    let pull_request = PullRequest::new();
    let server = MockServer::start().await;
    github(&server).await;
    Mock::given(method("GET"))
        .and(path(REVIEW_COMMENTS))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_string("unavailable"),
        )
        .expect(4)
        .mount(&server)
        .await;
    review_answer(&server, ResponseTemplate::new(200), 0).await;
    let run = pull_request.suggest(&server);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "--suggest: the suggestions could not be posted (GitHub API: listing the pull request's review comments: 503 unavailable)"
        ),
        "{}",
        run.stderr
    );
    server.verify().await;
}

/// `actions/checkout` on `pull_request` checks out the merge of the pull request into the
/// base branch: a file the base branch changed too is not the pull request's, and its
/// lines may be others; a file only the pull request changed is.
#[tokio::test]
async fn a_file_the_merge_changed_is_not_suggested_on() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.workload("shop-prod", "api");
    repo.values("shop-dev", BASE);
    repo.values("shop-prod", &BASE.replace("shop-dev", "shop-prod"));
    let base = repo.commit("base");
    let main = repo.git(&["rev-parse", "--abbrev-ref", "HEAD"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.values("shop-dev", HEAD);
    repo.values("shop-prod", &HEAD.replace("shop-dev", "shop-prod"));
    let head = repo.commit("the change");
    repo.git(&["checkout", "-q", main.trim()]);
    // The base branch moves on: a tag on the first line of shop-dev's file.
    repo.values("shop-dev", &format!("# owned by the shop team\n{BASE}"));
    repo.commit("a note");
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    let pull_request = PullRequest::with_event(repo, &base, head);

    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 99})),
        1,
    )
    .await;
    let run = pull_request.suggest(&server);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "dynalint: note: --suggest: 3 fixes in {} not suggested: the file checked is not the one in the pull request's head commit {}",
            values(),
            &pull_request.head[..12]
        )),
        "{}",
        run.stderr
    );
    server.verify().await;
    let posted = reviews(&server).await;
    let paths: Vec<&Value> = posted[0]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|comment| &comment["path"])
        .collect();
    let prod = Repo::values_path("shop-prod");
    assert_eq!(paths, [&json!(prod), &json!(prod)]);
    assert_eq!(posted[0]["commit_id"], pull_request.head);
}

/// A file with CRLF line ends and a byte order mark: the same lines, and blocks without
/// `\r` (GitHub writes the file's own line ends back).
#[tokio::test]
async fn crlf_and_a_byte_order_mark_keep_their_lines() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    let crlf = |text: &str| format!("\u{feff}{}", text.replace('\n', "\r\n"));
    repo.values("shop-dev", &crlf(BASE));
    let base = repo.commit("base");
    repo.values("shop-dev", &crlf(HEAD));
    let head = repo.commit("the change");
    let pull_request = PullRequest::with_event(repo, &base, head);
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 99})),
        1,
    )
    .await;
    let run = pull_request.suggest(&server);
    assert!(
        run.stderr.contains("2 suggestions posted"),
        "{}",
        run.stderr
    );
    let posted = reviews(&server).await;
    let comments = posted[0]["comments"].as_array().unwrap();
    assert_eq!(
        (&comments[0]["start_line"], &comments[0]["line"]),
        (&json!(9), &json!(10))
    );
    assert_eq!(comments[1]["line"], 18);
    let body = comments[1]["body"].as_str().unwrap();
    assert!(
        body.contains("\n```suggestion\n        type: 'N'\n```\n"),
        "{body}"
    );
    assert!(!posted[0].to_string().contains("\\r"), "{}", posted[0]);
}

/// `--repo` a folder of a monorepo (the Action's `working-directory`): GitHub names files
/// from the repository's top.
#[tokio::test]
async fn in_a_folder_of_the_repository_paths_are_from_its_top() {
    let repo = Repo::new();
    let inside = |path: &str| format!("infra/gitops/{path}");
    repo.write(
        &inside("apps-shop/apps/shop-dev/api/Chart.yaml"),
        IDP_ADVANCED_CHART,
    );
    repo.write(&inside(&values()), BASE);
    let base = repo.commit("base");
    repo.write(&inside(&values()), HEAD);
    let head = repo.commit("the change");
    let pull_request = PullRequest::with_event(repo, &base, head);
    let server = MockServer::start().await;
    github(&server).await;
    review_comments(&server, vec![]).await;
    review_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": 99})),
        1,
    )
    .await;
    let run = pull_request.check(
        &server,
        &["--repo", "infra/gitops", "--comment", "--suggest"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    server.verify().await;
    let posted = reviews(&server).await;
    let places: Vec<(&Value, &Value)> = posted[0]["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|comment| (&comment["path"], &comment["line"]))
        .collect();
    let path = json!(inside(&values()));
    assert_eq!(places, [(&path, &json!(10)), (&path, &json!(18))]);
}

#[tokio::test]
async fn an_event_without_the_head_commit_posts_nothing() {
    let pull_request = PullRequest::new();
    let base = pull_request.repo.git(&["rev-parse", "HEAD~1"]);
    std::fs::write(
        pull_request.event.path(),
        json!({"pull_request": {"number": 7, "base": {"sha": base.trim()}}}).to_string(),
    )
    .unwrap();
    let server = MockServer::start().await;
    github(&server).await;
    review_answer(&server, ResponseTemplate::new(200), 0).await;
    let run = pull_request.suggest(&server);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("dynalint: warning: --suggest: the event names no head commit of the pull request (`pull_request.head.sha`)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("comment 42 created"), "{}", run.stderr);
    server.verify().await;
}

#[test]
fn suggest_goes_with_comment() {
    let pull_request = PullRequest::new();
    let run = pull_request.repo.check(&["--suggest"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "dynalint: error: the following required arguments were not provided: --comment\nUsage: dynalint check --comment --suggest"
        ),
        "{}",
        run.stderr
    );
}

/// The README's workflow for suggestions: the Action with `suggest: true`, the
/// permission it needs, and the history the diff needs.
#[test]
fn the_readme_workflow_turns_suggestions_on() {
    let readme = std::fs::read_to_string(crate::common::project_root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match &mut current {
            None if line.trim_end() == "```yaml" => current = Some(String::new()),
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    let matching: Vec<&String> = blocks
        .iter()
        .filter(|block| block.contains("suggest: true"))
        .collect();
    assert_eq!(matching.len(), 1, "one workflow block turns suggestions on");
    let workflow = dynalint::yaml::load(matching[0], &Default::default())
        .unwrap()
        .root
        .to_json();
    assert_eq!(workflow["permissions"]["pull-requests"], "write");
    assert_eq!(workflow["permissions"]["contents"], "read");
    let on = workflow.get("on").or_else(|| workflow.get("true")).unwrap();
    assert!(on.get("pull_request").is_some(), "{on}");
    let steps = workflow["jobs"]["dynalint"]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    let dynalint = steps
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("dynalint/dynalint@"))
        })
        .unwrap();
    assert_eq!(dynalint["with"]["suggest"], true);
    assert_ne!(dynalint["with"]["comment"], false);
    let action = dynalint::yaml::load(
        &std::fs::read_to_string(crate::common::project_root().join("action.yml")).unwrap(),
        &Default::default(),
    )
    .unwrap()
    .root
    .to_json();
    assert_eq!(action["inputs"]["suggest"]["default"], "false");
}
