//! `dynalint check --base`: changes between two revisions of real git repositories.

mod common;

use common::{Repo, Run};

const TWO: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

const ONE: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

const VALUES: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

fn shop(values: &str) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", values);
    repo
}

fn changes(run: &Run) -> Vec<String> {
    run.json()["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            format!(
                "{} {} ({})",
                change["action"].as_str().unwrap(),
                change["table"].as_str().unwrap(),
                change["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|reason| reason.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect()
}

#[test]
fn a_removed_table_against_the_working_tree() {
    let repo = shop(TWO);
    repo.commit("two tables");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["table"], "shop-dev-Invoices");
    // The base location, as related information.
    assert_eq!(
        finding["related"],
        serde_json::json!([{"path": VALUES, "line": 6, "column": 11, "end_line": 6, "end_column": 19,
            "message": "the table in the base revision"}])
    );
    assert_eq!(
        changes(&run),
        ["delete shop-dev-Invoices (removed from the values)"]
    );
    let change = &run.json()["changes"][0];
    assert_eq!(
        (&change["region"], &change["namespace"], &change["path"]),
        (
            &serde_json::json!("eu-west-1"),
            &serde_json::json!("shop-dev"),
            &serde_json::json!(VALUES)
        )
    );
    let text = repo.check(&["--base", "HEAD"]);
    assert!(
        text.stdout
            .ends_with("1 error in 1 values file (1 table)\nplan: 1 to delete\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn no_change_and_formatting_only() {
    let repo = shop(TWO);
    repo.commit("two tables");
    let unchanged = repo.check(&["--base", "HEAD"]);
    assert_eq!(unchanged.code, 0);
    assert!(
        unchanged
            .stdout
            .ends_with("plan: no table changes in AWS\n"),
        "{}",
        unchanged.stdout
    );
    // Reordered, reformatted, re-quoted, commented: the same tables.
    repo.values(
        "shop-dev",
        "# Shop tables\ntables:\n  - {name: Invoices, hashKey: Id, attributes: [{name: Id, type: S}], serviceAccountReadRoles: [api-shop-dev]}\n  - name: \"Orders\"   # the orders\n    hashKey: 'Id'\n    attributes:\n      - name: Id\n        type: \"S\"\n    serviceAccountReadRoles:\n      - api-shop-dev\n",
    );
    let reformatted = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(reformatted.code, 0, "{}", reformatted.stdout);
    assert_eq!(reformatted.locations(), Vec::<String>::new());
    assert_eq!(changes(&reformatted), Vec::<String>::new());
}

#[test]
fn two_commits_without_the_working_tree() {
    let repo = shop(TWO);
    let base = repo.commit("two tables");
    repo.values("shop-dev", ONE);
    let head = repo.commit("drop invoices");
    // Whatever the working tree holds, --head reads the commit.
    repo.values("shop-dev", "tables: [not, a, table]\n");
    let run = repo.check(&["--base", &base, "--head", &head, "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    // --head alone lints that commit.
    let alone = repo.check(&["--head", &base, "--format", "json"]);
    assert_eq!((alone.code, alone.locations()), (0, Vec::<String>::new()));
}

#[test]
fn the_base_is_the_merge_base_like_a_pull_request() {
    let repo = shop(TWO);
    repo.commit("two tables");
    repo.git(&["branch", "-M", "main"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let carts = format!(
        "{TWO}  - name: Carts\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
    );
    repo.values("shop-dev", &carts);
    repo.commit("add carts");
    // Meanwhile main drops a table: that is not this pull request's doing.
    repo.git(&["checkout", "-q", "main"]);
    repo.values("shop-dev", ONE);
    repo.commit("drop invoices on main");
    repo.git(&["checkout", "-q", "feature"]);
    let run = repo.check(&["--base", "main", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.locations(), Vec::<String>::new());
    assert_eq!(changes(&run), ["create shop-dev-Carts ()"]);
}

#[test]
fn a_deleted_file_deletes_each_table_at_the_base_path() {
    let repo = shop(TWO);
    repo.workload("shop-prod", "api");
    repo.values("shop-prod", &ONE.replace("api-shop-dev", "api-shop-prod"));
    repo.commit("two releases");
    repo.remove(VALUES);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        run.locations(),
        [
            format!("{VALUES}:2:11 DL301"),
            format!("{VALUES}:6:11 DL301")
        ]
    );
    assert!(
        run.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("its values file is deleted, and with it table `shop-dev-Orders`")
    );
    assert_eq!(
        changes(&run),
        [
            "delete shop-dev-Invoices (its values file is deleted)",
            "delete shop-dev-Orders (its values file is deleted)",
        ]
    );
}

#[test]
fn a_table_moved_to_another_release() {
    let repo = shop(TWO);
    repo.commit("two tables");
    repo.values("shop-dev", ONE);
    let moved = ONE.replace("name: Orders", "name: Invoices");
    repo.write("apps-shop/apps/shop-dev/dynamo-tables/values.yml", &moved);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        run.locations(),
        ["apps-shop/apps/shop-dev/dynamo-tables/values.yml:2:11 DL310"]
    );
    assert_eq!(
        changes(&run),
        [
            "replace shop-dev-Invoices (moves from `apps-shop/apps/shop-dev/dynamo-tables/values.yaml` to `apps-shop/apps/shop-dev/dynamo-tables/values.yml`)"
        ]
    );
}

#[test]
fn orphan_and_observe_with_orphan_do_not_delete() {
    for policies in [
        "deletionPolicy: Orphan\n",
        "managementPolicies: Observe\ndeletionPolicy: Orphan\n",
    ] {
        let repo = shop(&format!("{policies}{TWO}"));
        repo.commit("two tables");
        repo.values("shop-dev", &format!("{policies}{ONE}"));
        let run = repo.check(&["--base", "HEAD", "--format", "json"]);
        assert_eq!(run.code, 0, "{policies}: {}", run.stdout);
        let finding = &run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["rule"] == "DL301")
            .cloned()
            .unwrap();
        assert_eq!(finding["severity"], "note", "{policies}");
        assert_eq!(
            changes(&run),
            [
                "orphan shop-dev-Invoices (removed from the values; deletionPolicy: Orphan leaves it in AWS)"
            ]
        );
    }
}

#[test]
fn new_only_hides_what_the_base_already_had() {
    let legacy = ONE.replace("    hashKey", "    pointInTimeRecovery: false\n    hashKey");
    let repo = shop(&legacy);
    repo.commit("orders without pitr");
    let added = format!(
        "{legacy}  - name: Carts\n    pointInTimeRecovery: false\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
    );
    repo.values("shop-dev", &added);
    let all = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        all.locations(),
        [
            format!("{VALUES}:3:26 DL112"),
            format!("{VALUES}:8:26 DL112")
        ]
    );
    let new = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(new.locations(), [format!("{VALUES}:8:26 DL112")]);
    assert_eq!(new.json()["summary"]["preexisting"], 1);
    let text = repo.check(&["--base", "HEAD", "--new-only"]);
    assert!(
        text.stdout.contains(
            "1 warning in 1 values file (2 tables); 1 already in the base revision, not shown"
        ),
        "{}",
        text.stdout
    );
    let without_base = repo.check(&["--new-only"]);
    assert_eq!(without_base.code, 2);
    assert!(
        without_base
            .stderr
            .contains("--new-only compares with a base revision")
    );
}

#[test]
fn a_repository_folder_as_repo() {
    let repo = Repo::new();
    repo.write(
        "infra/apps-shop/apps/shop-dev/api/Chart.yaml",
        common::IDP_ADVANCED_CHART,
    );
    repo.write(&format!("infra/{VALUES}"), TWO);
    repo.write("README.md", "not values\n");
    repo.commit("infra");
    repo.write(&format!("infra/{VALUES}"), ONE);
    let run = repo.check(&["--repo", "infra", "--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
}

#[test]
fn the_pull_request_event_gives_the_base_in_actions() {
    let repo = shop(TWO);
    let base = repo.commit("two tables");
    repo.values("shop-dev", ONE);
    repo.commit("drop invoices");
    let event = repo.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"action": "opened", "pull_request": {{"number": 7, "base": {{"sha": "{base}"}}}}}}"#),
    )
    .unwrap();
    let mut command = repo.command();
    command
        .args(["check", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event);
    let run = Run::of(command);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    // Outside Actions the same event file is ignored.
    assert_eq!(
        repo.check(&["--format", "json"]).locations(),
        Vec::<String>::new()
    );
}

#[test]
fn a_shallow_clone_without_the_base_is_an_error_never_a_pass() {
    let repo = shop(TWO);
    let base = repo.commit("two tables");
    repo.values("shop-dev", ONE);
    repo.commit("drop invoices");
    let clones = tempfile::tempdir().unwrap();
    let clone = clones.path().join("clone");
    let output = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", repo.path().display()))
        .arg(&clone)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut explicit = common::dynalint(&clone);
    explicit.args(["check", "--base", &base]);
    let run = Run::of(explicit);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!(
            "dynalint: error: cannot find revision `{base}` in this shallow clone: fetch more history (with actions/checkout, `fetch-depth: 0`)\n"
        )
    );

    let event = clones.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"pull_request": {{"number": 7, "base": {{"sha": "{base}"}}}}}}"#),
    )
    .unwrap();
    let mut from_event = common::dynalint(&clone);
    from_event
        .arg("check")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event);
    let run = Run::of(from_event);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

#[test]
fn unknown_revisions_are_errors() {
    let repo = shop(TWO);
    repo.commit("two tables");
    let run = repo.check(&["--base", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("dynalint: error: cannot find revision `no-such-branch`"),
        "{}",
        run.stderr
    );
    let empty = Repo::new();
    empty.workload("shop-dev", "api");
    empty.values("shop-dev", ONE);
    let run = empty.check(&["--base", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no commit yet"), "{}", run.stderr);
}

#[test]
fn unchanged_files_read_once_give_the_same_answers() {
    // shop-prod is identical on both sides, so its base reading is the head's, moved to
    // the base file: its old finding must still be recognized as old.
    let repo = shop(TWO);
    repo.workload("shop-prod", "api");
    let legacy = ONE
        .replace("api-shop-dev", "api-shop-prod")
        .replace("    hashKey", "    pointInTimeRecovery: false\n    hashKey");
    repo.values("shop-prod", &legacy);
    repo.commit("two releases");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert_eq!(run.json()["summary"]["preexisting"], 1);
}

#[test]
fn a_changed_chart_is_read_on_each_side() {
    // Same values file, other chart defaults: the base must not reuse the head's reading.
    let repo = shop(TWO);
    repo.write(
        "helm/helm-idp-dynamodb/values.yaml",
        "deletionPolicy: Orphan\ntables: []\n",
    );
    repo.commit("orphan by default");
    repo.write(
        "helm/helm-idp-dynamodb/values.yaml",
        "deletionPolicy: Delete\ntables: []\n",
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL309")]);
    assert!(
        run.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("deletionPolicy changes from Orphan to Delete")
    );
}

/// A table of namespace `{ns}`, granted to its workload; `{extra}` goes before the grant.
fn table(name: &str, extra: &str) -> String {
    format!(
        "  - name: {name}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}, {{name: S, type: 'S'}}, {{name: R, type: 'S'}}]\n    globalSecondaryIndex:\n      - {{name: ByS, hashKey: S, projectionType: KEYS_ONLY}}\n      - {{name: ByR, hashKey: R, projectionType: KEYS_ONLY}}\n{extra}    serviceAccountReadRoles: [\"app-{{ns}}\"]\n"
    )
}

#[test]
fn each_risky_change_is_caught_at_its_line_and_nothing_else() {
    let repo = Repo::new();
    // (namespace, base values, head values, findings in the head file)
    let cases: Vec<(&str, String, String, Vec<&str>)> = vec![
        (
            "c-dl301",
            format!("tables:\n{}{}", table("A", ""), table("B", "")),
            format!("tables:\n{}", table("A", "")),
            vec!["1:1 DL301"],
        ),
        (
            "c-dl302",
            format!("tables:\n{}", table("A", "")),
            format!("tables:\n{}", table("A2", "")),
            vec!["2:11 DL302"],
        ),
        (
            "c-dl303",
            format!("tables:\n{}", table("A", "")),
            format!(
                "tables:\n{}",
                table("A", "")
                    .replace("hashKey: Id", "hashKey: S")
                    .replace("{name: Id, type: 'S'}, ", "")
            ),
            vec!["3:14 DL303"],
        ),
        (
            "c-dl304",
            format!("tables:\n{}", table("A", "    rangeKey: R\n")),
            format!(
                "tables:\n{}",
                table(
                    "A",
                    "    rangeKey: R\n    localSecondaryIndex: [{name: ByS2, rangeKey: S, projectionType: ALL, nonKeyAttributes: []}]\n"
                )
            ),
            vec!["9:34 DL304"],
        ),
        (
            "c-dl305",
            format!("tables:\n{}", table("A", "")),
            format!(
                "tables:\n{}",
                table("A", "").replace(
                    "{name: ByS, hashKey: S, projectionType: KEYS_ONLY}",
                    "{name: ByS, hashKey: S, projectionType: ALL}"
                )
            ),
            vec!["6:16 DL305"],
        ),
        (
            "c-dl306",
            format!("tables:\n{}", table("A", "")),
            format!(
                "tables:\n{}",
                table(
                    "A",
                    "    billingMode: PROVISIONED\n    readCapacity: 1\n    writeCapacity: 1\n"
                )
                .replace(
                    "projectionType: KEYS_ONLY}",
                    "projectionType: KEYS_ONLY, readCapacity: 1, writeCapacity: 1}"
                )
            ),
            vec!["8:18 DL306"],
        ),
        (
            "c-dl307",
            format!("tables:\n{}", table("A", "")),
            format!(
                "tables:\n{}",
                table("A", "    pointInTimeRecovery: false\n")
            ),
            vec!["8:26 DL112", "8:26 DL307"],
        ),
        (
            "c-dl308",
            format!(
                "tables:\n{}",
                table("A", "    serviceAccountWriteRoles: [\"app-{ns}\"]\n")
            ),
            format!("tables:\n{}", table("A", "")),
            vec!["2:11 DL308"],
        ),
        (
            "c-dl309",
            format!("deletionPolicy: Orphan\ntables:\n{}", table("A", "")),
            format!("deletionPolicy: Delete\ntables:\n{}", table("A", "")),
            vec!["1:17 DL309"],
        ),
        // Table B moves to a second values file of the namespace, written below.
        (
            "c-dl310",
            format!("tables:\n{}{}", table("A", ""), table("B", "")),
            format!("tables:\n{}", table("A", "")),
            vec![],
        ),
        (
            "c-dl311",
            format!("tables:\n{}", table("A", "    streamViewType: NEW_IMAGE\n")),
            format!("tables:\n{}", table("A", "    streamViewType: KEYS_ONLY\n")),
            vec!["8:21 DL311"],
        ),
    ];
    for (namespace, base, _, _) in &cases {
        repo.workload(namespace, "app");
        repo.values(namespace, &base.replace("{ns}", namespace));
    }
    repo.commit("base");
    let mut expected = Vec::new();
    for (namespace, _, head, findings) in &cases {
        repo.values(namespace, &head.replace("{ns}", namespace));
        let path = Repo::values_path(namespace);
        expected.extend(findings.iter().map(|finding| format!("{path}:{finding}")));
    }
    // DL310: table B of c-dl310 moves to a second values file of the same namespace.
    let moved = "apps-c/apps/c-dl310/dynamo-tables/values.yml";
    repo.write(
        moved,
        format!("tables:\n{}", table("B", "")).replace("{ns}", "c-dl310"),
    );
    expected.push(format!("{moved}:2:11 DL310"));

    let run = repo.check(&["--base", "HEAD", "--format", "json", "--fail-on", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut actual = run.locations();
    actual.sort();
    expected.sort();
    assert_eq!(actual, expected);
}
