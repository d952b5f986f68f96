//! The demo repository that the README's first command lints.

use crate::common::{Run, dynalint, project_root};

fn demo(args: &[&str]) -> Run {
    let mut command = dynalint(&project_root());
    command
        .args(["check", "--repo", "fixtures/demo"])
        .args(args);
    Run::of(command)
}

#[test]
fn the_demo_shows_real_findings_in_text() {
    let run = demo(&[]);
    assert_eq!(run.code, 1, "the demo has errors");
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!("demo_text", run.stdout);
}

#[test]
fn the_demo_in_json() {
    let run = demo(&["--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.locations(),
        [
            "apps-koa/apps/koa-prod/dynamo-tables/values.yaml:11:31 DL201",
            "apps-koa/apps/koa-prod/dynamo-tables/values.yaml:22:15 DL004",
            "apps-payments/apps/payments-dev/dynamo-tables/values.yaml:4:5 DL002",
            "apps-payments/apps/payments-dev/dynamo-tables/values.yaml:18:15 DL102",
            "apps-payments/apps/payments-dev/dynamo-tables/values.yaml:22:5 DL106",
            "apps-payments/apps/payments-dev/dynamo-tables/values.yaml:30:26 DL112",
            "apps-payments/apps/payments-dev/dynamo-tables/values.yaml:31:65 DL202",
            "apps-search/apps/search-dev/dynamo-tables/values.yaml:12:5 DL113",
        ]
    );
    assert_eq!(
        run.json()["summary"],
        serde_json::json!({"files": 5, "tables": 11, "errors": 5, "warnings": 3, "notes": 0, "suppressed": 1, "preexisting": 0, "fixable": 2, "unsafe_fixable": 2})
    );
}

#[test]
fn the_documentation_examples_in_the_demo_are_clean() {
    let run = demo(&[
        "--format",
        "json",
        "--fail-on",
        "note",
        "apps-koa/apps/koa-dev",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.locations(), Vec::<String>::new());
}
