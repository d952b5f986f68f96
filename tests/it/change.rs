//! `dynalint check --base`: changes between two revisions of real git repositories.

use crate::common::{Repo, Run, TWO_TABLES};

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
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.git(&["branch", "-M", "main"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let carts = format!(
        "{TWO_TABLES}  - name: Carts\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
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
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.values("shop-dev", ONE);
    let moved = ONE.replace("name: Orders", "name: Invoices");
    // Another team's release of the same namespace.
    repo.write(
        "apps-billing/apps/shop-dev/dynamo-tables/values.yaml",
        &moved,
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        run.locations(),
        ["apps-billing/apps/shop-dev/dynamo-tables/values.yaml:2:11 DL310"]
    );
    assert_eq!(
        changes(&run),
        [
            "replace shop-dev-Invoices (moves from `apps-shop/apps/shop-dev/dynamo-tables/values.yaml` to `apps-billing/apps/shop-dev/dynamo-tables/values.yaml`)"
        ]
    );
}

#[test]
fn orphan_and_observe_with_orphan_do_not_delete() {
    for policies in [
        "deletionPolicy: Orphan\n",
        "managementPolicies: Observe\ndeletionPolicy: Orphan\n",
    ] {
        let repo = shop(&format!("{policies}{TWO_TABLES}"));
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
    // `auto` (the Action's): with a base as --new-only, without one every finding counts.
    let auto = repo.check(&["--base", "HEAD", "--new-only=auto", "--format", "json"]);
    assert_eq!(auto.locations(), [format!("{VALUES}:8:26 DL112")]);
    let auto = repo.check(&["--new-only=auto", "--format", "json"]);
    assert_eq!(auto.code, 0, "{}", auto.stderr);
    assert_eq!(auto.json()["summary"]["preexisting"], 0);
    assert_eq!(auto.locations().len(), 2);
    // A PATH after the flag stays a PATH.
    let scoped = repo.check(&["--base", "HEAD", "--new-only", VALUES, "--format", "json"]);
    assert_eq!(scoped.code, 0, "{}", scoped.stderr);
    assert_eq!(scoped.locations(), [format!("{VALUES}:8:26 DL112")]);
}

/// A table with a schema error is left out of the change rules; under --new-only its old
/// error must not be set aside once the change edits its file, or swapping its keys and
/// turning PITR off would pass with exit 0.
#[test]
fn new_only_keeps_an_unreadable_table_s_errors_when_its_file_changes() {
    let broken = "tables:\n  - name: Orders\n    hashKey: Id\n    rangeKey: At\n    attributes: [{name: Id, type: 'S'}, {name: At, type: N}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let repo = shop(broken);
    repo.values(
        "koa-dev",
        "tables:\n  - name: Users\n    hashKey: Id\n    attributes: [{name: Id, type: n}]\n",
    );
    repo.commit("two tables with a type trap each");
    repo.values(
        "shop-dev",
        &broken
            .replace(
                "hashKey: Id\n    rangeKey: At",
                "hashKey: At\n    rangeKey: Id",
            )
            .replace(
                "    attributes:",
                "    pointInTimeRecovery: false\n    attributes:",
            ),
    );
    let run = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    // shop's trap is the change's now (line 6: the attribute type); koa's, in a file the
    // change did not touch, stays set aside.
    assert!(
        run.locations().contains(&format!("{VALUES}:6:58 DL004")),
        "{:?}",
        run.locations()
    );
    assert!(
        run.locations()
            .iter()
            .all(|location| location.starts_with(VALUES)),
        "{:?}",
        run.locations()
    );
    assert!(run.json()["summary"]["preexisting"].as_u64().unwrap() >= 1);
    // Untouched, the table's old error is set aside as before, even when the change
    // edits another table of its file.
    repo.values("shop-dev", &broken.replace("[\"api-shop-dev\"]", "[\"api-shop-dev\"]\n  - name: Carts\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]"));
    let run = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
    assert_eq!(changes(&run), ["create shop-dev-Carts ()"]);
    // A file that no longer parses at all: the change's error.
    repo.values("shop-dev", "tables: [\n");
    let run = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.locations()
            .iter()
            .any(|location| location.ends_with("DL001")),
        "{:?}",
        run.locations()
    );
}

#[test]
fn new_only_folds_what_was_already_there_in_the_comment_and_keeps_it_in_sarif() {
    let legacy = ONE.replace("    hashKey", "    pointInTimeRecovery: false\n    hashKey");
    let repo = shop(&legacy);
    repo.commit("orders without pitr");
    let added = format!(
        "{legacy}  - name: Carts\n    pointInTimeRecovery: false\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
    );
    repo.values("shop-dev", &added);
    let comment = repo.check(&["--base", "HEAD", "--new-only", "--format", "markdown"]);
    let markdown = comment.stdout;
    // The verdict counts the new warning and says the rest is there, not "not shown".
    assert!(
        markdown.contains("⚠️ 1 warning in 1 values file (2 tables); 1 finding was already there — the check passes"),
        "{markdown}"
    );
    let (new, old) = markdown
        .split_once("<details><summary>1 finding was already there")
        .unwrap();
    assert!(new.contains("**L8** [`DL112 pitr-disabled`]"), "{markdown}");
    assert!(!new.contains("**L3**"), "{markdown}");
    assert!(old.contains("**L3** [`DL112 pitr-disabled`]"), "{markdown}");
    assert!(old.trim_end().contains("</details>"), "{markdown}");
    // Annotations only for the new one; code scanning and GitLab get both (they compare
    // with the base branch themselves: one left out would look fixed).
    let github = repo.check(&["--base", "HEAD", "--new-only", "--format", "github"]);
    let annotations: Vec<&str> = github
        .stdout
        .lines()
        .filter(|line| line.starts_with("::warning"))
        .collect();
    assert_eq!(annotations.len(), 1, "{}", github.stdout);
    assert!(annotations[0].contains(",line=8,"), "{}", annotations[0]);
    let sarif = repo.check(&["--base", "HEAD", "--new-only", "--format", "sarif"]);
    let lines: Vec<u64> = sarif.json()["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [8, 3]);
    let gitlab = repo.check(&["--base", "HEAD", "--new-only", "--format", "gitlab"]);
    assert_eq!(gitlab.json().as_array().unwrap().len(), 2);
}

#[test]
fn a_repository_folder_as_repo() {
    let repo = Repo::new();
    repo.write(
        "infra/apps-shop/apps/shop-dev/api/Chart.yaml",
        crate::common::IDP_ADVANCED_CHART,
    );
    repo.write(&format!("infra/{VALUES}"), TWO_TABLES);
    repo.write("README.md", "not values\n");
    repo.commit("infra");
    repo.write(&format!("infra/{VALUES}"), ONE);
    let run = repo.check(&["--repo", "infra", "--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
}

#[test]
fn the_pull_request_event_gives_the_base_in_actions() {
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
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

    let mut explicit = crate::common::dynalint(&clone);
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
    let mut from_event = crate::common::dynalint(&clone);
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
    let repo = shop(TWO_TABLES);
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
    let repo = shop(TWO_TABLES);
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
fn a_workload_changed_since_the_base_is_read_on_each_side() {
    // Unchanged workloads are read once and shared; a changed one is read again, so a
    // role the head's change removes is a new finding, and one it adds fixes an old one.
    const WORKER: &str = "apps-shop/apps/shop-dev/worker/Chart.yaml";
    const NGINX: &str = "apiVersion: v2\nname: worker\ndependencies:\n  - name: nginx\n";
    let grants_worker = ONE.replace("api-shop-dev", "worker-shop-dev");
    let repo = shop(&grants_worker);
    repo.workload("shop-dev", "worker");
    repo.commit("a worker with a role");
    repo.write(WORKER, NGINX);
    let new = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(new.locations(), [format!("{VALUES}:5:31 DL201")]);
    assert_eq!(new.json()["summary"]["preexisting"], 0);

    repo.commit("the worker is no longer idp-advanced");
    repo.workload("shop-dev", "worker");
    let fixed = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(fixed.locations(), Vec::<String>::new());
    let before = repo.check(&["--base", "HEAD", "--head", "HEAD", "--format", "json"]);
    assert_eq!(before.locations(), [format!("{VALUES}:5:31 DL201")]);
}

#[test]
fn a_configuration_changed_since_the_base_reads_each_side_with_its_own() {
    // Sharing a reading needs the same configuration as well as the same blob: with
    // another role template in the head, its unknown role is new although no file the
    // role comes from changed.
    let repo = shop(ONE);
    repo.write(
        "dynalint.toml",
        "[roles]\ntemplate = \"{application}-{namespace}\"\n",
    );
    repo.commit("roles named application-namespace");
    repo.write(
        "dynalint.toml",
        "[roles]\ntemplate = \"{namespace}-{application}\"\n",
    );
    let new = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(new.locations(), [format!("{VALUES}:5:31 DL201")]);
    assert_eq!(new.json()["summary"]["preexisting"], 0);
}

#[test]
fn a_changed_chart_is_read_on_each_side() {
    // Same values file, other chart defaults: the base must not reuse the head's reading.
    let repo = shop(TWO_TABLES);
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
    // On the line the change touched, in the chart's defaults; the release as related.
    assert_eq!(
        run.locations(),
        ["helm/helm-idp-dynamodb/values.yaml:1:17 DL309"]
    );
    assert!(
        run.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("deletionPolicy changes from Orphan to Delete")
    );
    assert_eq!(run.json()["findings"][0]["related"][0]["path"], VALUES);
    // Narrowed to the values file, the finding about it is still reported.
    let narrowed = repo.check(&["--base", "HEAD", "--format", "json", VALUES]);
    assert_eq!(
        narrowed.locations(),
        ["helm/helm-idp-dynamodb/values.yaml:1:17 DL309"]
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
            vec!["6:49 DL305"],
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
    // DL310: table B of c-dl310 moves to another team's release of the same namespace.
    let moved = "apps-d/apps/c-dl310/dynamo-tables/values.yaml";
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

#[cfg(unix)]
#[test]
fn values_under_a_linked_folder_are_read_in_both_revisions() {
    // apps-shop/apps/shop-dev -> ../shared: the namespace folder is a link in git.
    let repo = shop(TWO_TABLES);
    std::fs::rename(
        repo.path().join("apps-shop/apps/shop-dev"),
        repo.path().join("apps-shop/shared"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../shared", repo.path().join("apps-shop/apps/shop-dev")).unwrap();
    repo.commit("namespace folder shared through a link");
    let unchanged = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(unchanged.code, 0, "{}", unchanged.stdout);
    assert_eq!(changes(&unchanged), Vec::<String>::new());
    let head = repo.check(&["--base", "HEAD", "--head", "HEAD", "--format", "json"]);
    assert_eq!(head.locations(), Vec::<String>::new(), "{}", head.stdout);

    repo.write("apps-shop/shared/dynamo-tables/values.yaml", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert_eq!(
        changes(&run),
        ["delete shop-dev-Invoices (removed from the values)"]
    );
}

#[test]
fn a_nameless_table_hides_no_other_removal() {
    // The base already had a table whose name is a number (DL004): it stands for itself.
    let nameless = "  - name: 2024\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n";
    let repo = shop(&format!("{TWO_TABLES}{nameless}"));
    repo.commit("three tables, one nameless");
    repo.values("shop-dev", &format!("{ONE}{nameless}"));
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        run.locations(),
        [
            format!("{VALUES}:1:1 DL301"),
            format!("{VALUES}:6:11 DL004")
        ]
    );
    let new = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(new.locations(), [format!("{VALUES}:1:1 DL301")]);

    // A table whose name became unreadable may be the one that is gone: not claimed.
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.values(
        "shop-dev",
        &TWO_TABLES.replace("name: Invoices", "name: 2025"),
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:6:11 DL004")]);
    assert_eq!(changes(&run), Vec::<String>::new());
}

#[test]
fn a_removed_table_with_an_unreadable_hash_key_is_still_removed() {
    let repo = shop(&TWO_TABLES.replace("    hashKey: Id\n  ", "    hashkey: Id\n  "));
    repo.commit("a typo in the base");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
}

#[test]
fn a_suppressed_schema_finding_keeps_the_table_compared() {
    let owned = TWO_TABLES.replace(
        "  - name: Invoices\n",
        "  - name: Invoices\n    # dynalint: ignore[DL002] -- the team field predates the chart\n    owner: team-x\n",
    );
    let repo = shop(&owned);
    repo.commit("invoices with an owner");
    repo.values(
        "shop-dev",
        &owned.replace(
            "    owner: team-x\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]",
            "    owner: team-x\n    hashKey: InvoiceId\n    attributes: [{name: InvoiceId, type: 'S'}]",
        ),
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:9:14 DL303")]);
}

#[test]
fn new_only_shows_a_warning_that_became_an_error() {
    // Two tables granting one role fill its inline policy: with more tables it is over.
    let grant = |count: usize| {
        let mut values = String::from("tables:\n");
        for index in 0..count {
            values.push_str(&format!(
                "  - name: Table{index:02}WithAQuiteLongNameToFillThePolicy\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
            ));
        }
        values
    };
    let (mut warned, mut failed) = (None, None);
    for count in 10..80 {
        let repo = shop(&grant(count));
        let run = repo.check(&["--format", "json"]);
        let severities: Vec<String> = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["rule"] == "DL204")
            .map(|finding| finding["severity"].as_str().unwrap().to_string())
            .collect();
        match severities.first().map(String::as_str) {
            Some("warning") if warned.is_none() => warned = Some(count),
            Some("error") => {
                failed = Some(count);
                break;
            }
            _ => {}
        }
    }
    let (warned, failed) = (warned.unwrap(), failed.unwrap());
    assert!(warned < failed);
    let repo = shop(&grant(warned));
    repo.commit("a policy near its limit");
    repo.values("shop-dev", &grant(failed));
    let new = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(new.code, 1, "{}", new.stdout);
    assert_eq!(new.json()["findings"][0]["rule"], "DL204");
    assert_eq!(new.json()["findings"][0]["severity"], "error");
}

#[test]
fn the_base_is_read_with_its_own_configuration() {
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    // The values move to another folder name, with `include` updated, and one table goes.
    repo.remove(VALUES);
    repo.write("apps-shop/apps/shop-dev/dynamodb/values.yaml", ONE);
    repo.write(
        "dynalint.toml",
        "include = [\"apps-*/apps/*/dynamodb/values.yaml\"]\n",
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    // Orders moves to another release (DL310); Invoices is gone.
    assert_eq!(
        run.locations(),
        [
            format!("{VALUES}:6:11 DL301"),
            "apps-shop/apps/shop-dev/dynamodb/values.yaml:2:11 DL310".to_string()
        ],
        "{}",
        run.stdout
    );
    // A file the head no longer checks, but still has, is not deleted.
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.write("dynalint.toml", "exclude = [\"apps-shop/**\"]\n");
    repo.values("other-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(changes(&run), ["create other-dev-Orders ()"]);
}

#[test]
fn removals_are_reported_in_the_values_file() {
    let repo = shop(TWO_TABLES);
    repo.write("helm/helm-idp-dynamodb/values.yaml", "tables: []\n");
    repo.commit("two tables");
    // Deleting the `tables:` key leaves the chart's empty default: reported in the
    // values file, so a run scoped to its folder (as pre-commit does) still fails.
    repo.values("shop-dev", "deletionPolicy: Delete\n");
    let scoped = repo.check(&[
        "--base",
        "HEAD",
        "--format",
        "json",
        "apps-shop/apps/shop-dev",
    ]);
    assert_eq!(
        scoped.locations(),
        [format!("{VALUES}:1:1 DL301"), format!("{VALUES}:1:1 DL301")]
    );
    // `tables:` with no value: at that key.
    repo.values(
        "shop-dev",
        "deletionPolicy: Delete\ntables:\n  # none left\n",
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        run.locations(),
        [format!("{VALUES}:2:1 DL301"), format!("{VALUES}:2:1 DL301")]
    );
}

#[test]
fn comparing_a_commit_with_itself_is_said() {
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    let run = repo.check(&["--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("the base and the head are the same commit"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_plan_lists_every_change_applied_in_place() {
    let base = "\
managementPolicies: Observe
deletionPolicy: Orphan
tables:
  - name: Orders
    hashKey: Id
    billingMode: PROVISIONED
    readCapacity: 5
    writeCapacity: 5
    attributes: [{name: Id, type: 'S'}, {name: Day, type: 'S'}]
    globalSecondaryIndex:
      - {name: ByDay, hashKey: Day, projectionType: ALL, readCapacity: 5, writeCapacity: 5}
    tags: {team: shop, tier: gold}
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    let repo = shop(base);
    repo.commit("adopted orders");
    repo.values(
        "shop-dev",
        &base
            .replace("managementPolicies: Observe", "managementPolicies: Control")
            .replace(
                "readCapacity: 5, writeCapacity: 5",
                "readCapacity: 10, writeCapacity: 5",
            )
            .replace("tier: gold", "tier: silver"),
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(
        changes(&run),
        [
            "update shop-dev-Orders (managementPolicies: Observe -> Control: Crossplane applies the values to the table; globalSecondaryIndex ByDay readCapacity: 5 -> 10; tag `tier`: gold -> silver)"
        ]
    );
}

#[test]
fn a_change_that_repairs_the_chart_can_be_checked() {
    let repo = shop(TWO_TABLES);
    repo.write("helm/helm-idp-dynamodb/values.yaml", "tables: [\n");
    repo.commit("a broken chart");
    repo.write("helm/helm-idp-dynamodb/values.yaml", "tables: []\n");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert!(
        run.stderr.contains("in the base revision (")
            && run
                .stderr
                .contains("the base is read with the head's chart"),
        "{}",
        run.stderr
    );
}

/// The base's releases are narrowed to the files the head still checks; the files left
/// must keep pointing at their own release (a file excluded in the head that sorts before
/// another made that one's lookup read past the list, or another file's release).
#[test]
fn a_file_the_head_no_longer_checks_leaves_the_others_their_own_release() {
    let repo = shop(ONE);
    repo.values(
        "koa-dev",
        "tables:\n  - name: Users\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n",
    );
    repo.commit("two releases");
    repo.write("dynalint.toml", "exclude = [\"apps-koa/**\"]\n");
    repo.values("shop-dev", &format!("managementPolicies: Observe\n{ONE}"));
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    // shop's own base release is compared: Control -> Observe; koa's is not, and that
    // is said where the file is.
    let koa = "apps-koa/apps/koa-dev/dynamo-tables/values.yaml:1:1 DL007".to_string();
    assert!(run.locations().contains(&koa), "{:?}", run.locations());
    assert!(
        run.locations()
            .iter()
            .all(|location| location.starts_with(VALUES) || *location == koa),
        "{:?}",
        run.locations()
    );
    assert!(
        !changes(&run).iter().any(|change| change.contains("koa")),
        "{:?}",
        changes(&run)
    );
}

#[test]
fn a_values_file_the_head_stops_checking_is_said_not_passed() {
    let koa = "apps-koa/apps/koa-dev/dynamo-tables/values.yaml";
    for toml in [
        "exclude = [\"apps-koa/apps/koa-dev/**\"]\n",
        "include = [\"apps-shop/apps/*/dynamo-tables/values.yaml\"]\n",
    ] {
        let repo = shop(ONE);
        repo.workload("koa-dev", "api");
        repo.values("koa-dev", &TWO_TABLES.replace("shop-dev", "koa-dev"));
        repo.commit("two releases");
        // The same pull request stops checking koa-dev and deletes a table from it.
        repo.write("dynalint.toml", toml);
        repo.values("koa-dev", &ONE.replace("shop-dev", "koa-dev"));
        let run = repo.check(&["--base", "HEAD", "--format", "json"]);
        assert_eq!(run.code, 0, "a warning by default: {}", run.stderr);
        assert_eq!(run.locations(), [format!("{koa}:1:1 DL007")], "{toml}");
        let finding = &run.json()["findings"][0];
        assert_eq!(finding["severity"], "warning");
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("Argo CD still deploys it"),
            "{finding}"
        );
        assert!(changes(&run).is_empty(), "{:?}", changes(&run));
        // Failing on warnings, the pull request does not pass.
        let strict = repo.check(&["--base", "HEAD", "--fail-on", "warning"]);
        assert_eq!(strict.code, 1, "{}", strict.stdout);
    }
}

#[test]
fn a_values_file_the_base_excluded_pairs_with_its_base_content() {
    let repo = shop(ONE);
    repo.workload("koa-dev", "api");
    repo.values("koa-dev", &TWO_TABLES.replace("shop-dev", "koa-dev"));
    repo.write("dynalint.toml", "exclude = [\"apps-koa/**\"]\n");
    repo.commit("koa not checked yet");
    // The pull request checks koa again, and deletes one of its tables.
    repo.write("dynalint.toml", "");
    repo.values("koa-dev", &ONE.replace("shop-dev", "koa-dev"));
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        changes(&run),
        ["delete koa-dev-Invoices (removed from the values)"],
        "Orders is the base's table, not a new one"
    );
    assert_eq!(
        run.locations(),
        ["apps-koa/apps/koa-dev/dynamo-tables/values.yaml:1:1 DL301"]
    );
}

const THREE: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Carts
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

#[test]
fn a_deletion_suppressed_in_its_own_pull_request_passes() {
    let repo = shop(THREE);
    repo.commit("three tables");
    let retired = THREE.replace(
        "tables:\n",
        "tables:  # dynalint: ignore[DL301] -- Carts is retired, its data exported\n",
    );
    let cut = retired.find("  - name: Carts").unwrap();
    repo.values("shop-dev", &retired[..cut]);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
    assert_eq!(run.json()["summary"]["suppressed"], 1);
}

#[test]
fn a_suppression_left_from_an_earlier_pull_request_does_not_hide_a_new_deletion() {
    let repo = shop(THREE);
    repo.commit("three tables");
    let retired = THREE.replace(
        "tables:\n",
        "tables:  # dynalint: ignore[DL301] -- Carts is retired, its data exported\n",
    );
    let cut = retired.find("  - name: Carts").unwrap();
    repo.values("shop-dev", &retired[..cut]);
    repo.commit("retire Carts");
    // Months later, another pull request deletes Invoices; the old comment is still there.
    let invoices = retired.find("  - name: Invoices").unwrap();
    repo.values("shop-dev", &retired[..invoices]);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.locations(),
        [
            format!("{VALUES}:1:1 DL301"),
            format!("{VALUES}:1:29 DL005")
        ]
    );
    let stale = &run.json()["findings"][1];
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("is from an earlier change (the base has it)"),
        "{stale}"
    );
    // The same file with nothing else changed: the old comment covers nothing and is
    // not reported either.
    repo.values("shop-dev", &retired[..cut]);
    let quiet = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stdout);
    assert!(quiet.locations().is_empty(), "{:?}", quiet.locations());
    // Respaced, moved to a line of its own, or in the file renamed to values.yml, it is
    // still the old suppression.
    let yml = VALUES.replace("values.yaml", "values.yml");
    let variants = [
        (
            VALUES.to_string(),
            retired[..invoices].replace("tables:  #", "tables: #"),
        ),
        (
            VALUES.to_string(),
            retired[..invoices].replace(
                "tables:  # dynalint: ignore[DL301] -- Carts is retired, its data exported\n",
                "# dynalint:  ignore[DL301] --  Carts is retired, its data exported\ntables:\n",
            ),
        ),
        (yml.clone(), retired[..invoices].to_string()),
    ];
    let clear = |repo: &Repo| {
        for path in [VALUES, yml.as_str()] {
            let _ = std::fs::remove_file(repo.path().join(path));
        }
    };
    for (path, text) in variants {
        clear(&repo);
        repo.write(&path, &text);
        let run = repo.check(&["--base", "HEAD", "--format", "json"]);
        assert_eq!(run.code, 1, "{path}\n{text}\n{}", run.stdout);
        assert!(
            run.locations()
                .iter()
                .any(|location| location.ends_with("DL301")),
            "{:?}",
            run.locations()
        );
    }
    clear(&repo);
    // Rewritten in the new pull request (its own reason), it covers the new deletion.
    let renewed = retired[..invoices].replace(
        "Carts is retired, its data exported",
        "Invoices moved to the billing account",
    );
    repo.values("shop-dev", &renewed);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
}

#[test]
fn without_a_base_a_change_rule_suppression_is_not_called_unused() {
    let repo = shop(THREE);
    let retired = THREE.replace(
        "tables:\n",
        "tables:  # dynalint: ignore[DL301, DL112] -- Carts is retired\n",
    );
    repo.values("shop-dev", &retired);
    // pre-commit and a plain `check` run no change rule: DL301 cannot match, DL112 can.
    let run = repo.check(&["--format", "json"]);
    assert_eq!(run.locations(), [format!("{VALUES}:1:36 DL005")]);
    assert!(
        run.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`DL112`")
    );
}

#[test]
fn deleting_every_values_file_is_compared_not_taken_for_a_wrong_directory() {
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.remove(VALUES);
    let run = repo.check(&[
        "--base",
        "HEAD",
        "--format",
        "json",
        "--format",
        &format!("sarif={}", repo.path().join("report.sarif").display()),
        "--format",
        &format!("markdown={}", repo.path().join("comment.md").display()),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.locations(),
        [
            format!("{VALUES}:2:11 DL301"),
            format!("{VALUES}:6:11 DL301")
        ]
    );
    assert_eq!(
        changes(&run),
        [
            "delete shop-dev-Invoices (its values file is deleted)",
            "delete shop-dev-Orders (its values file is deleted)"
        ]
    );
    for written in ["report.sarif", "comment.md"] {
        assert!(repo.path().join(written).is_file(), "{written} is written");
    }
    // A CI step fed from `git diff --name-only` names the deleted file.
    let named = repo.check(&["--base", "HEAD", "--format", "json", VALUES]);
    assert_eq!(named.code, 1, "{}", named.stderr);
    assert_eq!(named.locations().len(), 2);
    assert!(
        !named.stderr.contains("not a values file"),
        "{}",
        named.stderr
    );
    // Without a base there is nothing to compare: still the wrong-directory error.
    let plain = repo.check(&[]);
    assert_eq!(plain.code, 2);
    assert!(
        plain.stderr.contains("no values file under"),
        "{}",
        plain.stderr
    );
    let missing = repo.check(&[VALUES]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no such file or directory"),
        "{}",
        missing.stderr
    );
}

#[test]
fn renaming_values_yaml_to_values_yml_keeps_the_release() {
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    let yml = VALUES.replace("values.yaml", "values.yml");
    repo.remove(VALUES);
    repo.write(&yml, TWO_TABLES);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
    assert!(changes(&run).is_empty(), "{:?}", changes(&run));
    // Renamed and a table removed: a removal from this release, not a move.
    repo.write(&yml, ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.locations(), [format!("{yml}:1:1 DL301")]);
    assert_eq!(
        changes(&run),
        ["delete shop-dev-Invoices (removed from the values)"]
    );
}

const OWNED: &str = "\
tables:
  - name: Orders
    hashKey: Id
    owner: team-x
    attributes: [{name: Id, type: 'S'}, {name: Email, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

#[test]
fn a_pull_request_that_accepts_a_schema_finding_has_its_key_change_compared() {
    let swapped = OWNED.replace("hashKey: Id", "hashKey: Email");
    let suppressed = swapped.replace(
        "owner: team-x",
        "owner: team-x  # dynalint: ignore[DL002] -- read by our own tooling",
    );
    for (toml, head) in [
        ("", suppressed.as_str()),
        (
            "[rules]\nschema-violation = \"warning\"\n",
            swapped.as_str(),
        ),
    ] {
        let repo = shop(OWNED);
        repo.commit("a table with a field the chart does not read");
        repo.write("dynalint.toml", toml);
        repo.values("shop-dev", head);
        let run = repo.check(&["--base", "HEAD", "--format", "json"]);
        assert_eq!(run.code, 1, "{toml}: {}", run.stdout);
        assert!(
            run.locations().contains(&format!("{VALUES}:3:14 DL303")),
            "{toml}: {:?}",
            run.locations()
        );
    }
}

#[test]
fn new_only_keeps_an_unchanged_files_suppressions_in_the_base() {
    let text = "\
tables:
  - name: Orders
    hashKey: Id
    owner: team-x  # dynalint: ignore[DL002] -- read by our own tooling
    attributes: [{name: Id, type: 'S'}, {name: Unused, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    let repo = shop(text);
    repo.commit("a table with an unused attribute");
    let run = repo.check(&["--base", "HEAD", "--new-only", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
    assert_eq!(run.json()["summary"]["preexisting"], 1, "{}", run.stdout);
}

#[test]
fn plan_reasons_use_the_charts_words_and_always_give_a_reason() {
    let repo = shop(ONE);
    repo.commit("one table");
    let provisioned = ONE.replace(
        "    hashKey: Id\n",
        "    hashKey: Id\n    billingMode: PROVISIONED\n    readCapacity: 5\n    writeCapacity: 5\n",
    );
    repo.values("shop-dev", &provisioned);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    let plan = changes(&run);
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(
        plan[0].contains("billingMode: PAY_PER_REQUEST -> PROVISIONED"),
        "{plan:?}"
    );
    // A `[naming]` change renames every table: the reason says so.
    repo.values("shop-dev", ONE);
    repo.write(
        "dynalint.toml",
        "[naming]\ntable = \"xx-{namespace}-{name}\"\n",
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    let plan = changes(&run);
    assert_eq!(
        plan,
        [
            "replace xx-shop-dev-Orders (its AWS name changes from `shop-dev-Orders` to `xx-shop-dev-Orders` with the naming template (`[naming]` in dynalint.toml); `shop-dev-Orders` is deleted with its data, `xx-shop-dev-Orders` is created empty)"
        ]
    );
}

/// `dynalint check --format json` in Actions with `event` as the run's event.
fn in_actions(repo: &Repo, name: &str, event: &str) -> Run {
    let path = repo.path().join(".git/event.json");
    std::fs::write(&path, event).unwrap();
    let mut command = repo.command();
    command
        .args(["check", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", name)
        .env("GITHUB_EVENT_PATH", &path);
    Run::of(command)
}

#[test]
fn merge_queues_and_pushes_run_the_change_rules() {
    let repo = shop(TWO_TABLES);
    let base = repo.commit("two tables");
    repo.values("shop-dev", ONE);
    let head = repo.commit("drop invoices");
    let queued = in_actions(
        &repo,
        "merge_group",
        &format!(r#"{{"merge_group": {{"base_sha": "{base}", "head_sha": "{head}"}}}}"#),
    );
    assert_eq!(queued.code, 1, "{}", queued.stderr);
    assert_eq!(queued.locations(), [format!("{VALUES}:1:1 DL301")]);
    let pushed = in_actions(
        &repo,
        "push",
        &format!(r#"{{"before": "{base}", "after": "{head}"}}"#),
    );
    assert_eq!(pushed.locations(), [format!("{VALUES}:1:1 DL301")]);
    // A new branch has no base: said, and the run fails rather than passing silently.
    let new_branch = in_actions(
        &repo,
        "push",
        &format!(r#"{{"before": "{}", "after": "{head}"}}"#, "0".repeat(40)),
    );
    assert_eq!(new_branch.code, 2);
    assert!(
        new_branch.stderr.contains("creates a branch") && new_branch.stderr.contains("--base"),
        "{}",
        new_branch.stderr
    );
}

#[test]
fn pull_request_target_reviews_the_pull_requests_head_not_the_checkout() {
    // pull_request_target checks out the base branch; the pull request's head is in
    // the repository's objects (fetched), not checked out.
    let repo = shop(TWO_TABLES);
    let base = repo.commit("two tables");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.values("shop-dev", ONE);
    let head = repo.commit("drop invoices");
    repo.git(&["checkout", "-q", "-"]);
    let event = format!(
        r#"{{"pull_request": {{"number": 3, "base": {{"sha": "{base}"}}, "head": {{"sha": "{head}"}}}}}}"#
    );
    let run = in_actions(&repo, "pull_request_target", &event);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert!(run.stderr.contains("from git objects"), "{}", run.stderr);
    // The working tree is untouched: still the base branch's two tables.
    assert!(
        std::fs::read_to_string(repo.path().join(VALUES))
            .unwrap()
            .contains("Invoices")
    );
    // A head that is not in the repository: what to check out, exit 2.
    let missing = event.replace(&head, &"1".repeat(40));
    let run = in_actions(&repo, "pull_request_target", &missing);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("check it out"), "{}", run.stderr);
}

#[test]
fn the_merge_commit_checkout_is_compared_with_the_base_tip_github_merged_with() {
    // main moves on (renaming a table) after the event's base.sha; GitHub's merge commit
    // has main's new tip as its first parent and the pull request's head as its second.
    let repo = shop(TWO_TABLES);
    let stale_base = repo.commit("two tables");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let carts = format!(
        "{TWO_TABLES}  - name: Carts\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
    );
    repo.values("shop-dev", &carts);
    let head = repo.commit("add carts");
    repo.git(&["checkout", "-q", "-"]);
    repo.values(
        "shop-dev",
        &TWO_TABLES.replace("name: Invoices", "name: Bills"),
    );
    repo.commit("main renames invoices");
    repo.git(&["merge", "-q", "--no-edit", "-X", "theirs", "feature"]);
    let event = format!(
        r#"{{"pull_request": {{"number": 4, "base": {{"sha": "{stale_base}"}}, "head": {{"sha": "{head}"}}}}}}"#
    );
    let run = in_actions(&repo, "pull_request", &event);
    // Only what the pull request does: a new table, no DL302 for main's rename.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
    assert_eq!(changes(&run), ["create shop-dev-Carts ()"]);
}

#[test]
fn an_untracked_config_file_applies_to_both_sides() {
    // The values live where only the configuration finds them; the configuration file is
    // written by an earlier CI step and never committed.
    let repo = Repo::new();
    let path = "teams/shop/shop-dev.yaml";
    let toml = "include = [\"teams/*/*.yaml\"]\n[namespaces]\n\"teams/shop/shop-dev.yaml\" = \"shop-dev\"\n[roles]\nknown = [\"api-shop-dev\"]\n";
    repo.write(path, TWO_TABLES);
    repo.commit("two tables");
    repo.write(path, ONE);
    std::fs::write(repo.path().join(".git/ci.toml"), toml).unwrap();
    let config = repo.path().join(".git/ci.toml");
    let run = repo.check(&[
        "--base",
        "HEAD",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
    assert_eq!(run.locations(), [format!("{path}:1:1 DL301")]);
    // Untracked inside the work tree too.
    repo.write("ci.toml", toml);
    let run = repo.check(&["--base", "HEAD", "--config", "ci.toml", "--format", "json"]);
    assert_eq!(
        run.locations(),
        [format!("{path}:1:1 DL301")],
        "{}",
        run.stderr
    );
    // Committed by this change: the base had the defaults, and that is said.
    repo.commit("add the configuration");
    let run = repo.check(&[
        "--base", "HEAD~1", "--config", "ci.toml", "--format", "json",
    ]);
    assert!(
        run.stderr
            .contains("the base revision has no ci.toml (this change adds it)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_pull_request_cannot_turn_off_the_rule_that_reports_its_own_change() {
    let repo = shop(TWO_TABLES);
    repo.commit("two tables");
    repo.write("dynalint.toml", "[rules]\nDL301 = \"off\"\n");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert!(
        run.stderr
            .contains("the configuration lowers DL301 table-deleted in this change"),
        "{}",
        run.stderr
    );
    // Once the base has the setting, it is the repository's choice.
    repo.values("shop-dev", TWO_TABLES);
    repo.commit("DL301 off");
    repo.values("shop-dev", ONE);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty());
}

#[test]
fn an_ignore_entry_left_from_an_earlier_pull_request_does_not_hide_a_new_deletion() {
    let repo = shop(THREE);
    repo.write(
        "dynalint.toml",
        format!("ignore = [\"{VALUES}:1:DL301\", \"{VALUES}:3\"]\n"),
    );
    repo.commit("three tables, and entries of an earlier change");
    let cut = THREE.find("  - name: Carts").unwrap();
    repo.values("shop-dev", &THREE[..cut]);
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.locations(), [format!("{VALUES}:1:1 DL301")]);
    assert!(
        run.stderr.contains(&format!(
            "`ignore` entry `{VALUES}:1:DL301` is from an earlier change"
        )),
        "{}",
        run.stderr
    );
    // Added by this change, an entry covers it.
    repo.values("shop-dev", THREE);
    repo.write("dynalint.toml", "");
    repo.commit("no entries");
    repo.values("shop-dev", &THREE[..cut]);
    repo.write(
        "dynalint.toml",
        format!("ignore = [\"{VALUES}:1:DL301\"]\n"),
    );
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.locations().is_empty(), "{:?}", run.locations());
}
