//! `dynalint check FILE` (what pre-commit runs) reads only the files that can matter to
//! FILE; what it reports must be exactly what the whole repository's check reports for
//! FILE.

use crate::common::{Repo, Run, dynalint, project_root};
use serde_json::Value;

/// The findings of a JSON report, for comparing (everything but the summary).
fn findings(run: &Run) -> Vec<Value> {
    run.json()["findings"].as_array().unwrap().clone()
}

fn check(repo: &std::path::Path, args: &[&str]) -> Run {
    let mut command = dynalint(repo);
    command
        .args(["check", "--repo", ".", "--format", "json"])
        .args(args);
    Run::of(command)
}

/// Every values file of `repo` checked alone reports what the whole check reports for it.
fn assert_focus_agrees(repo: &std::path::Path) {
    let whole = check(repo, &[]);
    let all = findings(&whole);
    let paths: Vec<String> = {
        let mut paths: Vec<String> = walk(repo)
            .into_iter()
            .filter(|path| path.ends_with("dynamo-tables/values.yaml"))
            .collect();
        paths.sort();
        paths
    };
    assert!(!paths.is_empty());
    for path in &paths {
        let alone = check(repo, &[path]);
        let expected: Vec<Value> = all
            .iter()
            .filter(|finding| finding["path"] == path.as_str())
            .cloned()
            .collect();
        assert_eq!(findings(&alone), expected, "{path}");
        // A file without errors passes alone, even when the whole check fails.
        let fails = expected
            .iter()
            .any(|finding| finding["severity"] == "error");
        assert_eq!(alone.code, i32::from(fails), "{path}: {}", alone.stderr);
    }
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|name| name == ".git") {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

#[test]
fn the_demo_files_alone_report_what_the_whole_check_reports() {
    assert_focus_agrees(&project_root().join("fixtures/demo"));
}

#[test]
fn a_duplicate_in_another_namespace_is_still_found() {
    // `koa` + `prod-Users` and `koa-prod` + `Users` are both `idp-koa-prod-Users`.
    let repo = Repo::new();
    repo.workload("koa", "api").workload("koa-prod", "api");
    repo.values(
        "koa",
        "tables:\n  - name: prod-Users\n    useIdpPrefix: true\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-koa]\n",
    );
    repo.values(
        "koa-prod",
        "tables:\n  - name: Users\n    useIdpPrefix: true\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [api-koa-prod]\n",
    );
    // Unrelated namespaces, which the focused check need not read.
    for namespace in ["shop-dev", "shop-prod", "search-dev"] {
        repo.workload(namespace, "api").values(
            namespace,
            &format!("tables:\n  - name: Users\n    useIdpPrefix: true\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [api-{namespace}]\n"),
        );
    }
    let alone = check(repo.path(), &[&Repo::values_path("koa-prod")]);
    assert_eq!(
        alone.locations(),
        ["apps-koa/apps/koa-prod/dynamo-tables/values.yaml:2:11 DL105"],
        "{}",
        alone.stdout
    );
    assert_focus_agrees(repo.path());
}

#[test]
fn an_unknown_role_alone_gets_the_same_suggestion() {
    let repo = Repo::new();
    repo.workload("shop-dev", "checkout")
        .workload("shop-dev", "api")
        .workload("search-dev", "indexer");
    repo.values(
        "shop-dev",
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [chekout-shop-dev]\n    serviceAccountWriteRoles: [api-shop-dev]\n",
    );
    repo.values(
        "search-dev",
        "tables:\n  - name: Index\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [indexer-search-dev]\n",
    );
    let alone = check(repo.path(), &[&Repo::values_path("shop-dev")]);
    let found = findings(&alone);
    assert_eq!(found.len(), 1, "{}", alone.stdout);
    assert_eq!(found[0]["rule"], "DL201");
    assert_eq!(found[0]["help"], "did you mean `checkout-shop-dev`?");
    assert_focus_agrees(repo.path());
}
