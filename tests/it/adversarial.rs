//! Attacks on the fix engine (`check --fix`, `--unsafe-fixes`, `--diff`) and on `check
//! --comment --suggest`: inputs that once made a fix change what AWS does, hide a
//! finding, or pass where `check` fails. Each comment says the attack, then what holds.

use crate::common::{Repo, Run};

fn values() -> String {
    Repo::values_path("shop-dev")
}

fn read(repo: &Repo, path: &str) -> String {
    std::fs::read_to_string(repo.path().join(path)).unwrap()
}

fn rules(run: &Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap().to_string())
        .collect()
}

/// With a permissive chart schema, Helm renders `name: 0123` as the table `shop-dev-83`
/// and `hashKey: yes` as the key `true`: tables that may exist in AWS as such. Quoting
/// them would rename or re-key them: DL004's fix there is unsafe, and `--fix` leaves it.
#[test]
fn attack_dl004_safe_fix_renames_a_table_helm_already_renders() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.write(
        "helm/helm-idp-dynamodb/values.schema.json",
        "{\"type\": \"object\"}\n",
    );
    let text = "\
tables:
  - name: 0123
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Flags
    hashKey: yes
    attributes:
      - name: yes
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    repo.values("shop-dev", text);
    repo.commit("base: what Helm renders today");
    let fixed = repo.check(&["--fix", "--base", "HEAD", "--format", "json"]);
    let after = read(&repo, &values());
    let replaced = rules(&fixed)
        .iter()
        .any(|rule| ["DL301", "DL302", "DL303"].contains(&rule.as_str()));
    assert!(
        after == text || (fixed.code == 1 && replaced),
        "a safe fix renamed/re-keyed live tables silently (exit {}):\n{after}\n{}",
        fixed.code,
        fixed.stdout
    );
}

/// DL002 downgraded: the LSI's misspelled `rangekey: CreatedAt` leaves `CreatedAt`
/// unused to DL102. Removing it, then renaming the field (DL002) and declaring the key
/// again (DL101, as 'S') would turn an N sort key into S. DL102 offers no fix for an
/// attribute a misspelled key field names.
#[test]
fn attack_dl102_safe_fix_deletes_the_attribute_a_misspelled_key_names() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.write("dynalint.toml", "[rules]\nDL002 = \"warning\"\n");
    repo.values(
        "shop-dev",
        "\
tables:
  - name: Orders
    hashKey: Id
    rangeKey: Day
    attributes:
      - name: Id
        type: 'S'
      - name: Day
        type: 'S'
      - name: CreatedAt
        type: 'N'
    localSecondaryIndex:
      - name: ByCreated
        rangekey: CreatedAt
        projectionType: ALL
        nonKeyAttributes: []
    serviceAccountReadRoles: [\"api-shop-dev\"]
",
    );
    repo.commit("base");
    let run = repo.check(&["--fix", "--unsafe-fixes"]);
    let after = read(&repo, &values());
    assert!(
        after.contains("      - name: CreatedAt\n        type: 'N'\n"),
        "the N-typed attribute the LSI names was removed and re-declared (exit {}):\n{after}",
        run.code
    );
}

/// Fixes `--fix` refuses (another table merges the capacities with `<<`: removing them
/// leaves a PROVISIONED table without capacity) are not offered anywhere: not in JSON,
/// SARIF, the fixable count or suggestions.
#[test]
fn attack_a_fix_that_fix_refuses_is_still_offered_as_safe() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values(
        "shop-dev",
        "\
tables:
  - &payg
    name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    billingMode: PAY_PER_REQUEST
    readCapacity: 5
    writeCapacity: 5
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - <<: *payg
    name: Carts
    billingMode: PROVISIONED
",
    );
    repo.commit("base");
    let json = repo.check(&["--format", "json"]).json();
    let offered = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| !finding["fix"].is_null())
        .count();
    let fixed = repo.check(&["--fix"]);
    assert!(
        fixed.stderr.contains("not fixed"),
        "precondition: --fix refuses: {}",
        fixed.stderr
    );
    assert_eq!(
        offered, 0,
        "JSON/SARIF/--suggest offer as safe {offered} fixes that --fix refuses: {}",
        fixed.stderr
    );
}

/// A config `ignore = ["path:line"]` silences line 12; a fix removing lines above it
/// would move the DL201 error of line 14 under it. In a file `ignore` names by line, a
/// fix that adds or removes lines is not applied, and that is said.
#[test]
fn attack_a_line_removing_fix_moves_an_error_under_a_config_ignore() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.write("dynalint.toml", format!("ignore = [\"{}:12\"]\n", values()));
    repo.values(
        "shop-dev",
        "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
      - name: Extra
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Legacy
    hashKey: Id
    pointInTimeRecovery: false
    attributes: [{name: Id, type: 'S'}]
    serviceAccountWriteRoles: [\"payments-shop-dev\"]
",
    );
    repo.commit("base");
    let before = repo.check(&["--format", "json"]);
    assert_eq!(before.code, 1, "precondition: DL201 is an error");
    let fixed = repo.check(&["--fix", "--format", "json"]);
    assert!(
        rules(&fixed).contains(&"DL201".to_string()),
        "the unknown-role error vanished after fixing (exit {}): {}",
        fixed.code,
        fixed.stdout
    );
}

/// `check --diff --base HEAD` on a change that deletes a table, with nothing to fix: it
/// exits 1 as `check` does, never a pass that `check` would not give.
#[test]
fn attack_diff_exits_0_on_a_table_deletion() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", crate::common::TWO_TABLES);
    repo.commit("base");
    repo.values(
        "shop-dev",
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"nobody-shop-dev\"]\n",
    );
    let check = repo.check(&["--base", "HEAD"]);
    assert_eq!(check.code, 1, "precondition: {}", check.stdout);
    let diff = repo.check(&["--diff", "--base", "HEAD"]);
    assert_eq!(
        diff.code, 1,
        "--diff passes a deletion of a table: {}",
        diff.stderr
    );
}

/// One refused fix among hundreds in a big file: the set is halved to find it, not each
/// fix checked by parsing the whole file again (which took 43 s for 500 in a debug
/// build).
#[test]
fn attack_one_refused_fix_makes_fixing_a_big_file_quadratic() {
    let mut text = String::from("tables:\n");
    for index in 0..300 {
        text.push_str(&format!(
            "  - name: T{index}\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: N\n"
        ));
    }
    text.push_str("  - name: A\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: &t N\n  - name: B\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: *t\n");
    let repo = Repo::new();
    repo.values("shop-dev", &text);
    repo.commit("base");
    let started = std::time::Instant::now();
    let run = repo.check(&["--fix", "--fail-on", "never"]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        took < std::time::Duration::from_secs(5),
        "300 fixes and 1 refused took {took:?}"
    );
}

/// Two release paths, one a symbolic link to the other: both get the same fix, and the
/// file is written once (the second path is not taken for a file changed meanwhile).
#[test]
#[cfg(unix)]
fn attack_symlinked_twin_release_fails_after_a_partial_write() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values(
        "shop-dev",
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: N\n",
    );
    let link = repo
        .path()
        .join("apps-shop/apps/shop-prod/dynamo-tables/values.yaml");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("../../shop-dev/dynamo-tables/values.yaml", &link).unwrap();
    repo.commit("base");
    let run = repo.check(&["--fix", "--fail-on", "never"]);
    assert_ne!(
        run.code, 2,
        "exit 2 'changed while dynalint was fixing it' after writing: {}",
        run.stderr
    );
}

/// With DL005 off, a stale suppression above the earlier of two `pointInTimeRecovery`
/// lines: removing that line (DL003) would make it cover the kept line and hide DL112.
/// A fix that removes the line a suppression is for is not applied, and that is said.
#[test]
fn attack_dl003_fix_moves_a_stale_suppression_onto_a_finding() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.write("dynalint.toml", "[rules]\nDL005 = \"off\"\n");
    repo.values(
        "shop-dev",
        "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    # dynalint: ignore[DL112] -- the archive copy
    pointInTimeRecovery: true
    pointInTimeRecovery: false
    serviceAccountReadRoles: [\"api-shop-dev\"]
",
    );
    repo.commit("base");
    assert!(rules(&repo.check(&["--format", "json"])).contains(&"DL112".to_string()));
    let fixed = repo.check(&["--fix", "--format", "json"]);
    assert!(
        rules(&fixed).contains(&"DL112".to_string()),
        "DL112 vanished after the DL003 fix:\n{}",
        read(&repo, &values())
    );
}

#[cfg(feature = "github")]
mod github {
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    use crate::common::{Repo, Run};

    const TOKEN: &str = "ghs_attack_t0k3n_never_printed";
    const ISSUE_COMMENTS: &str = "/repos/acme/gitops/issues/7/comments";
    const REVIEW_COMMENTS: &str = "/repos/acme/gitops/pulls/7/comments";
    const REVIEWS: &str = "/repos/acme/gitops/pulls/7/reviews";

    async fn github(server: &MockServer, review_comments: Vec<Value>) {
        Mock::given(method("GET"))
            .and(path("/user"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "no"})))
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
        Mock::given(method("GET"))
            .and(path(REVIEW_COMMENTS))
            .respond_with(ResponseTemplate::new(200).set_body_json(review_comments))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(REVIEWS))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 99})))
            .mount(server)
            .await;
    }

    fn run(repo: &Repo, server: &MockServer, base: &str, head: &str, args: &[&str]) -> Run {
        let event = tempfile::NamedTempFile::new()
            .map(|file| file.into_temp_path())
            .unwrap();
        std::fs::write(
            &event,
            json!({"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}})
                .to_string(),
        )
        .unwrap();
        let summary = tempfile::NamedTempFile::new().unwrap();
        crate::common::in_pull_request(repo, &event, summary.path(), &server.uri(), TOKEN, args)
    }

    async fn posted(server: &MockServer, at: &str) -> Vec<Value> {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|request: &&Request| {
                request.method.as_str() == "POST" && request.url.path() == at
            })
            .map(|request| serde_json::from_slice(&request.body).unwrap())
            .collect()
    }

    const BASE: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: 'S'\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";

    /// `check --fix --comment` would comment on the fixed working tree as if it were the
    /// pull request's commit: a usage error.
    #[tokio::test]
    async fn attack_fix_with_comment_reports_a_clean_pull_request_that_is_not() {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", BASE);
        let base = repo.commit("base");
        repo.values(
            "shop-dev",
            &format!("{BASE}  - name: Carts\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: N\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"),
        );
        let head = repo.commit("the change");
        let server = MockServer::start().await;
        github(&server, vec![]).await;
        let run = run(&repo, &server, &base, &head, &["--fix", "--comment"]);
        let comments = posted(&server, ISSUE_COMMENTS).await;
        let body = comments
            .first()
            .map(|comment| comment["body"].as_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            run.code != 0 || !body.contains("No problems"),
            "the PR comment says the PR is clean (exit {}):\n{body}",
            run.code
        );
    }

    /// The refused fix of `attack_a_fix_that_fix_refuses_is_still_offered_as_safe`, on
    /// lines the pull request adds: not posted as a suggestion.
    #[tokio::test]
    async fn attack_suggest_posts_a_fix_that_fix_refuses() {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", BASE);
        let base = repo.commit("base");
        repo.values(
            "shop-dev",
            "\
tables:
  - &payg
    name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    billingMode: PAY_PER_REQUEST
    readCapacity: 5
    writeCapacity: 5
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - <<: *payg
    name: Carts
    billingMode: PROVISIONED
",
        );
        let head = repo.commit("the change");
        let server = MockServer::start().await;
        github(&server, vec![]).await;
        run(&repo, &server, &base, &head, &["--comment", "--suggest"]);
        let reviews = posted(&server, REVIEWS).await;
        let suggested: Vec<&Value> = reviews
            .iter()
            .flat_map(|review| review["comments"].as_array().unwrap())
            .filter(|comment| comment["body"].as_str().unwrap().contains("DL111"))
            .collect();
        assert!(
            suggested.is_empty(),
            "suggested a fix that --fix refuses: {suggested:?}"
        );
    }

    /// A push that only adds a line above a suggested fix: GitHub keeps the suggestion on
    /// its moved line, and the re-run does not post it again (the marker is keyed by
    /// the text replaced, not by line numbers).
    #[tokio::test]
    async fn attack_a_push_that_shifts_lines_duplicates_a_suggestion() {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", BASE);
        let base = repo.commit("base");
        let change = format!(
            "{BASE}  - name: Carts\n    hashKey: Id\n    attributes:\n      - name: Id\n        type: N\n"
        );
        repo.values("shop-dev", &change);
        let first = repo.commit("the change");
        let server = MockServer::start().await;
        github(&server, vec![]).await;
        run(&repo, &server, &base, &first, &["--comment", "--suggest"]);
        let reviews = posted(&server, REVIEWS).await;
        assert_eq!(reviews.len(), 1, "precondition: one review");
        let listed: Vec<Value> = reviews[0]["comments"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(index, comment)| json!({"id": 500 + index, "body": comment["body"], "path": comment["path"], "user": {"login": "github-actions[bot]"}}))
            .collect();
        // The next push: a comment line at the top, nothing else.
        repo.values("shop-dev", &format!("# shop-dev tables\n{change}"));
        let second = repo.commit("a header");
        server.reset().await;
        github(&server, listed).await;
        let rerun = run(&repo, &server, &base, &second, &["--comment", "--suggest"]);
        let again = posted(&server, REVIEWS).await;
        assert!(
            again.is_empty(),
            "the same suggestion was posted again: {:?}\n{}",
            again,
            rerun.stderr
        );
    }
}
