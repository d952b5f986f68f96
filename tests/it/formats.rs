//! Every output format on one fixture set: the demo repository with a change on top
//! (a table deleted, a table added), as a pull request would show it.

use crate::common::{Repo, Run, copy_dir, project_root};

const KOA_PROD: &str = "apps-koa/apps/koa-prod/dynamo-tables/values.yaml";

/// The demo committed, then changed in the working tree: `LoginAudit` deleted from
/// koa-prod, a `Carts` table added to koa-dev.
fn demo_change() -> (Repo, String) {
    let repo = Repo::new();
    copy_dir(&project_root().join("fixtures/demo"), repo.path());
    let base = repo.commit("the demo");
    let path = repo.path().join(KOA_PROD);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("  - name: LoginAudit").unwrap();
    std::fs::write(&path, &text[..start]).unwrap();
    let dev = repo
        .path()
        .join("apps-koa/apps/koa-dev/dynamo-tables/values.yaml");
    let mut text = std::fs::read_to_string(&dev).unwrap();
    text.push_str("  - name: Carts\n    hashKey: CartId\n    attributes:\n      - name: CartId\n        type: 'S'\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n");
    std::fs::write(&dev, text).unwrap();
    (repo, base)
}

/// `check --base HEAD --format FORMAT` on the demo change, as in an Actions run of
/// `acme/gitops`, with the head commit id made stable for snapshots.
fn run(repo: &Repo, format: &str) -> Run {
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let mut command = repo.command();
    command
        .args(["check", "--base", "HEAD", "--format", format])
        .env("GITHUB_REPOSITORY", "acme/gitops")
        .env("GITHUB_SERVER_URL", "https://github.com");
    let mut run = Run::of(command);
    run.stdout = run.stdout.replace(&head, "HEADSHA");
    run
}

/// The OASIS schema (a copy in tests/data, see its README), with its one regex that
/// Rust's regex engine rejects escaped.
fn sarif_schema() -> serde_json::Value {
    let path = project_root().join("tests/data/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text.replace("{2}]?$", "{2}\\\\]?$")).unwrap()
}

#[test]
fn sarif_validates_and_has_what_code_scanning_reads() {
    let (repo, _) = demo_change();
    let run = run(&repo, "sarif");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let validator = jsonschema::validator_for(&sarif_schema()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    // What the schema validated includes fixes: the DL201 role, as a replacement whose
    // region has its end (an insertion must delete nothing).
    let role = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "DL201")
        .expect("the demo's DL201");
    let change = &role["fixes"][0]["artifactChanges"][0];
    assert_eq!(
        change["replacements"][0],
        serde_json::json!({
            "deletedRegion": {"startLine": 11, "startColumn": 31, "endLine": 11, "endColumn": 55},
            "insertedContent": {"text": "\"access-service-koa-prod\""}
        })
    );
    assert_eq!(role["fixes"][0]["properties"]["safe"], false);
    let run = &runs[0];
    // upload-sarif applies its `category` only to a run without automationDetails: two
    // jobs uploading with two categories must not overwrite each other's alerts.
    assert!(run.get("automationDetails").is_none());
    assert!(run.get("originalUriBaseIds").is_none());
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "dynalint");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 45, "every rule");
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for description in ["shortDescription", "fullDescription"] {
            let text = rule[description]["text"].as_str().unwrap();
            assert!(!text.is_empty() && text.len() < 1024, "{id} {description}");
        }
        let help_uri = rule["helpUri"].as_str().unwrap();
        assert!(help_uri.contains("docs/rules.md#dl"), "{id}");
        // Code scanning does not show helpUri: the link is in the help too.
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains(help_uri),
            "{id}"
        );
        assert!(rule["name"].is_string() && rule["defaultConfiguration"]["level"].is_string());
        // Security alerts: the access rules that report problems, not notes.
        let security = rule["properties"].get("security-severity");
        let problem = rule["defaultConfiguration"]["level"] != "note";
        assert_eq!(security.is_some(), id.starts_with("DL2") && problem, "{id}");
    }
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("apps-") && uri.ends_with("values.yaml"),
            "{uri}"
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            result["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .is_some_and(|hash| !hash.is_empty())
        );
    }
    // The deletion, at the head file's `tables:` key, with the table's base location.
    let deleted = results
        .iter()
        .find(|result| result["ruleId"] == "DL301")
        .unwrap();
    assert_eq!(
        deleted["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 7})
    );
    assert_eq!(
        deleted["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        14
    );
}

#[test]
fn fingerprints_survive_unrelated_lines_moving() {
    let (repo, _) = demo_change();
    let fingerprints = |run: &Run| -> Vec<String> {
        let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| {
                result["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = fingerprints(&run(&repo, "sarif"));
    // Comments and blank lines above every finding.
    for path in [
        KOA_PROD,
        "apps-payments/apps/payments-dev/dynamo-tables/values.yaml",
    ] {
        let file = repo.path().join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("# owned by the platform team\n\n{text}")).unwrap();
    }
    let after = run(&repo, "sarif");
    let mut moved = fingerprints(&after);
    let mut before = before;
    before.sort();
    moved.sort();
    assert_eq!(before, moved);
}

#[test]
fn snapshots_of_every_format() {
    let (repo, _) = demo_change();
    for format in ["text", "json", "github", "markdown", "junit", "gitlab"] {
        let run = run(&repo, format);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        insta::assert_snapshot!(format!("change_{format}"), run.stdout);
    }
    // SARIF with the rule descriptors (the rules' documentation, checked above) left out.
    let run = run(&repo, "sarif");
    let mut sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let driver = &mut sarif["runs"][0]["tool"]["driver"];
    let ids: Vec<serde_json::Value> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].clone())
        .collect();
    driver["rules"] = serde_json::Value::Array(ids);
    insta::assert_json_snapshot!("change_sarif", sarif);
}

#[test]
fn several_outputs_in_one_run_and_the_same_exit_code() {
    let (repo, _) = demo_change();
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("dynalint.sarif");
    let markdown = out.path().join("comment.md");
    let mut command = repo.command();
    command.args(["check", "--base", "HEAD", "--format", "json"]);
    command
        .arg("--format")
        .arg(format!("sarif={}", sarif.display()));
    command
        .arg("--format")
        .arg(format!("markdown={}", markdown.display()));
    let run = Run::of(command);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["summary"]["errors"], 5);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 8);
    assert!(
        std::fs::read_to_string(&markdown)
            .unwrap()
            .starts_with("<!-- dynalint -->\n")
    );
    for format in [
        "text", "sarif", "github", "markdown", "junit", "gitlab", "json",
    ] {
        assert_eq!(run_code(&repo, format), 1, "{format}");
    }
    // Nothing at or above --fail-on never: exit 0 whatever the format.
    for format in ["sarif", "github", "markdown"] {
        let mut command = repo.command();
        command.args(["check", "--fail-on", "never", "--format", format]);
        assert_eq!(Run::of(command).code, 0, "{format}");
    }
}

fn run_code(repo: &Repo, format: &str) -> i32 {
    let mut command = repo.command();
    command.args(["check", "--base", "HEAD", "--format", format]);
    Run::of(command).code
}

/// A repository with `count` tables, each with an error (a grant to an unknown role)
/// and a warning (PITR off).
fn many_findings(count: usize) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    let mut values = String::from("tables:\n");
    for index in 0..count {
        values.push_str(&format!(
            "  - name: Table{index:05}\n    hashKey: Id\n    pointInTimeRecovery: false\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"nobody-{index}\"]\n"
        ));
    }
    repo.values("shop-dev", &values);
    repo
}

#[test]
fn the_comment_stays_under_githubs_limit_with_thousands_of_findings() {
    let repo = many_findings(3_000);
    repo.commit("empty");
    let mut command = repo.command();
    command.args(["check", "--format", "markdown"]);
    let run = Run::of(command);
    assert_eq!(run.code, 1);
    assert!(run.stdout.chars().count() < 65_536, "{}", run.stdout.len());
    assert!(run.stdout.starts_with("<!-- dynalint -->\n"));
    // Errors first into the budget; the rest counted, not cut mid-way.
    assert!(
        run.stdout.contains("more findings not shown here ("),
        "{}",
        &run.stdout[run.stdout.len() - 500..]
    );
    assert!(run.stdout.trim_end().ends_with("</sub>"));
    // With a plan of 3,000 new tables too.
    let base = Repo::new();
    base.workload("shop-dev", "api");
    base.values("shop-dev", "tables: []\n");
    base.commit("no tables");
    let values = std::fs::read_to_string(repo.path().join(Repo::values_path("shop-dev"))).unwrap();
    base.values("shop-dev", &values);
    let mut command = base.command();
    command.args(["check", "--base", "HEAD", "--format", "markdown"]);
    let run = Run::of(command);
    assert!(run.stdout.chars().count() < 65_536, "{}", run.stdout.len());
    assert!(run.stdout.contains("… and "), "the plan is summarised");
}

#[test]
fn annotations_show_the_most_severe_first_and_say_how_many_more() {
    let repo = many_findings(30);
    let mut command = repo.command();
    command.args(["check", "--format", "github"]);
    let run = Run::of(command);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let count = |prefix: &str| lines.iter().filter(|line| line.starts_with(prefix)).count();
    assert_eq!(count("::error "), 10);
    assert_eq!(count("::warning "), 10);
    assert_eq!(count("::notice "), 1);
    assert!(lines[0].starts_with("::error "));
    assert!(
        run.stdout
            .contains("::notice title=dynalint::40 more findings are not shown as annotations"),
        "{}",
        run.stdout
    );
}

#[test]
fn in_actions_the_text_output_writes_the_job_summary() {
    let (repo, _) = demo_change();
    let summary = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(summary.path(), "earlier step\n").unwrap();
    let mut command = repo.command();
    command
        .args(["check", "--base", "HEAD"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.path());
    let run = Run::of(command);
    assert_eq!(run.code, 1);
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        written.starts_with("earlier step\n## dynalint\n"),
        "{written}"
    );
    assert!(written.contains("🗑️ **delete** | `idp-koa-prod-LoginAudit`"));
    // Not a comment: no marker.
    assert!(!written.contains("<!-- dynalint -->"));
    // Outside Actions: no summary.
    let mut command = repo.command();
    command
        .args(["check", "--base", "HEAD"])
        .env("GITHUB_STEP_SUMMARY", summary.path());
    Run::of(command);
    assert_eq!(std::fs::read_to_string(summary.path()).unwrap(), written);
}

#[test]
fn sarif_uris_and_columns_survive_odd_paths_and_characters() {
    let repo = Repo::new();
    let path = "apps-x y#1/apps/ns-\u{e9}/dynamo-tables/values.yaml";
    repo.write(
        "apps-x y#1/apps/ns-\u{e9}/api/Chart.yaml",
        crate::common::IDP_ADVANCED_CHART,
    );
    repo.write(
        path,
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"\u{1F600}x\", \"nobody\"]\n",
    );
    let mut command = repo.command();
    command.args(["check", "--format", "sarif"]);
    let run = Run::of(command);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let unknown = results
        .iter()
        .find(|result| {
            result["ruleId"] == "DL201"
                && result["message"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("nobody")
        })
        .unwrap();
    let location = &unknown["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "apps-x%20y%231/apps/ns-%C3%A9/dynamo-tables/values.yaml"
    );
    assert_eq!(sarif["runs"][0]["columnKind"], "utf16CodeUnits");
    // `    serviceAccountReadRoles: ["😀x", ` is 36 characters but 37 UTF-16 units.
    assert_eq!(location["region"]["startColumn"], 38);
    let mut command = repo.command();
    command.args(["check", "--format", "json"]);
    let json = Run::of(command).json();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| {
            finding["rule"] == "DL201" && finding["message"].as_str().unwrap().contains("nobody")
        })
        .unwrap()
        .clone();
    assert_eq!(finding["column"], 37, "text and JSON count characters");
}

#[test]
fn a_deleted_files_findings_link_to_the_base() {
    let (repo, base) = demo_change();
    repo.remove("apps-search/apps/search-dev/dynamo-tables/values.yaml");
    let mut command = repo.command();
    command
        .args(["check", "--base", "HEAD", "--format", "markdown"])
        .env("GITHUB_REPOSITORY", "acme/gitops");
    let run = Run::of(command);
    assert!(
        run.stdout.contains(&format!(
            "#### [`apps-search/apps/search-dev/dynamo-tables/values.yaml`](https://github.com/acme/gitops/blob/{base}/apps-search/apps/search-dev/dynamo-tables/values.yaml) (deleted)"
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn one_output_that_cannot_be_written_does_not_stop_the_others() {
    let (repo, _) = demo_change();
    let out = tempfile::tempdir().unwrap();
    let junit = out.path().join("junit.xml");
    let mut command = repo.command();
    command
        .args(["check", "--format", "sarif=/nonexistent/dir/x.sarif"])
        .arg("--format")
        .arg(format!("junit={}", junit.display()));
    let run = Run::of(command);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot write sarif output to /nonexistent/dir/x.sarif"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
    // The same file twice is a usage error, before anything runs.
    let mut command = repo.command();
    command.args([
        "check",
        "--format",
        "json=a.json",
        "--format",
        "sarif=./a.json",
    ]);
    let run = Run::of(command);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("a.json is given twice"),
        "{}",
        run.stderr
    );
}
