//! The command line as users drive it, over real temporary git repositories.

use crate::common::{Repo, Run, dynalint, project_root};

const CLEAN: &str = "\
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

fn shop() -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo
}

#[test]
fn rules_lists_every_rule() {
    let run = Run::of({
        let mut command = dynalint(&project_root());
        command.arg("rules");
        command
    });
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 45);
    assert!(lines[0].starts_with("DL001  yaml-syntax "));
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("DL205  no-access ")
                && line.contains(&format!("  note{}a table", " ".repeat(13))))
    );
}

#[test]
fn explain_by_code_or_name() {
    let explain = |rule: &str| {
        let mut command = dynalint(&project_root());
        command.args(["explain", rule]);
        Run::of(command)
    };
    let by_code = explain("DL004");
    assert_eq!(by_code.code, 0);
    assert!(
        by_code
            .stdout
            .starts_with("# DL004 yaml-type-trap (error by default)\n")
    );
    for section in [
        "## What it catches",
        "## Why it matters",
        "## Example",
        "## How to fix",
    ] {
        assert!(by_code.stdout.contains(section), "{section}");
    }
    assert_eq!(explain("yaml-type-trap").stdout, by_code.stdout);
    let unknown = explain("pitr-disable");
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        "dynalint: error: unknown rule `pitr-disable`; did you mean `pitr-disabled`?\n"
    );
}

#[test]
fn schema_prints_the_embedded_schema() {
    let mut command = dynalint(&project_root());
    command.arg("schema");
    let run = Run::of(command);
    assert_eq!(run.code, 0);
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project_root().join("schema/values.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, file);
}

#[test]
fn exit_codes_follow_fail_on() {
    let repo = shop();
    repo.values("shop-dev", CLEAN);
    let clean = repo.check(&[]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert_eq!(clean.stdout, "no problems in 1 values file (1 table)\n");

    // A warning only (PITR off).
    repo.values(
        "shop-dev",
        &CLEAN.replace(
            "    attributes:",
            "    pointInTimeRecovery: false\n    attributes:",
        ),
    );
    assert_eq!(repo.check(&[]).code, 0);
    assert_eq!(repo.check(&["--fail-on", "warning"]).code, 1);
    repo.write("dynalint.toml", "fail-on = \"warning\"\n");
    assert_eq!(repo.check(&[]).code, 1, "fail-on from the config");
    assert_eq!(
        repo.check(&["--fail-on", "error"]).code,
        0,
        "the flag wins over the config"
    );

    // An error.
    repo.write("dynalint.toml", "");
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    assert_eq!(repo.check(&[]).code, 1);
    assert_eq!(repo.check(&["--fail-on", "never"]).code, 0);
    // The exit code never depends on the format.
    assert_eq!(repo.check(&["--format", "json"]).code, 1);
}

#[test]
fn configuration_errors_exit_2_with_one_line_naming_the_key() {
    let repo = shop();
    repo.values("shop-dev", CLEAN);
    repo.write("dynalint.toml", "[roles]\nknwon = [\"x\"]\n");
    let run = repo.check(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("dynalint: error: ")
            && run
                .stderr
                .contains("dynalint.toml:2: unknown field `knwon`"),
        "{}",
        run.stderr
    );

    repo.write("dynalint.toml", "[rules]\nDL112 = \"loud\"\n");
    assert!(
        repo.check(&[])
            .stderr
            .contains("DL112 = \"loud\": expected \"off\", \"error\", \"warning\" or \"note\"")
    );

    let missing = repo.check(&["--config", "nowhere.toml"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("nowhere.toml: cannot read: No such file or directory (os error 2)\n")
            && missing.stderr.matches("os error").count() == 1,
        "{}",
        missing.stderr
    );

    let bad_format = repo.check(&["--format", "xml"]);
    assert_eq!(bad_format.code, 2);
    assert!(
        bad_format.stderr.contains("unknown format `xml`"),
        "{}",
        bad_format.stderr
    );
}

#[test]
fn paths_narrow_the_report_but_the_whole_repository_is_context() {
    let repo = shop();
    repo.workload("shop-prod", "api");
    // Both files define the same AWS table (namespaces mapped together), and each grants
    // a role of the other's folder.
    repo.write(
        "dynalint.toml",
        "[namespaces]\n\"apps-shop/apps/shop-legacy/**\" = \"shop-dev\"\n",
    );
    repo.values("shop-dev", CLEAN);
    repo.write(
        &Repo::values_path("shop-legacy"),
        CLEAN.replace("api-shop-dev", "api-shop-prod"),
    );
    repo.values(
        "shop-prod",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );

    let narrowed = repo.check(&["--format", "json", "apps-shop/apps/shop-dev"]);
    assert_eq!(
        narrowed.locations(),
        ["apps-shop/apps/shop-dev/dynamo-tables/values.yaml:2:11 DL105"],
        "only the narrowed folder's findings, the duplicate found through the other file"
    );
    let summary = &narrowed.json()["summary"];
    assert_eq!(summary["files"], 1);

    let file = repo.check(&["--format", "json", &Repo::values_path("shop-legacy")]);
    assert_eq!(
        file.locations(),
        [
            "apps-shop/apps/shop-legacy/dynamo-tables/values.yaml:2:11 DL105",
            "apps-shop/apps/shop-legacy/dynamo-tables/values.yaml:7:31 DL202",
        ],
        "the role of shop-prod is known although shop-prod is outside the scope"
    );

    let missing = repo.check(&["apps-shop/apps/nope"]);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "dynalint: error: apps-shop/apps/nope: no such file or directory\n"
    );

    let outside = repo.check(&[".."]);
    assert_eq!(outside.code, 2);
    assert!(
        outside.stderr.contains("is outside the repository"),
        "{}",
        outside.stderr
    );

    let not_values = repo.check(&["dynalint.toml"]);
    assert_eq!(not_values.code, 0);
    assert!(
        not_values
            .stderr
            .contains("dynalint.toml is not a values file dynalint checks"),
        "{}",
        not_values.stderr
    );

    // A folder without values files (a typo'd namespace, `auto` after `--new-only`) reports
    // nothing, and says so.
    std::fs::create_dir_all(repo.path().join("auto")).unwrap();
    let empty = repo.check(&["auto"]);
    assert_eq!(empty.code, 0);
    assert!(
        empty
            .stderr
            .contains("dynalint: note: auto holds no values file dynalint checks"),
        "{}",
        empty.stderr
    );
    let folder = repo.check(&["apps-shop/apps/shop-dev"]);
    assert!(
        !folder.stderr.contains("holds no values file"),
        "{}",
        folder.stderr
    );
}

#[test]
fn the_repository_root_is_the_git_top_level() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    let mut command = dynalint(&repo.path().join("apps-shop/apps"));
    command.args(["check", "--format", "json"]);
    let run = Run::of(command);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.locations(),
        [
            "apps-shop/apps/shop-dev/dynamo-tables/values.yaml:3:14 DL101",
            "apps-shop/apps/shop-dev/dynamo-tables/values.yaml:5:15 DL102",
        ]
    );
}

#[test]
fn an_empty_selection_is_an_error_not_a_pass() {
    let repo = Repo::new();
    repo.write("values.yaml", CLEAN);
    let run = repo.check(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("dynalint: error: no values file under")
            && run
                .stderr
                .ends_with("check --repo, or `include` in dynalint.toml\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    let plain = repo.check(&[]);
    assert!(
        !plain.stdout.contains('\u{1b}'),
        "not a terminal: no colour"
    );
    let always = repo.check(&["--color", "always"]);
    assert!(always.stdout.contains("\u{1b}["), "{}", always.stdout);
    // A flag beats the environment (no-color.org): --color always with NO_COLOR set.
    let mut command = repo.command();
    command
        .args(["check", "--color", "always"])
        .env("NO_COLOR", "1");
    let forced = Run::of(command);
    assert!(forced.stdout.contains("\u{1b}["), "{}", forced.stdout);
    let mut command = repo.command();
    command
        .args(["check", "--color", "never"])
        .env_remove("NO_COLOR");
    assert!(!Run::of(command).stdout.contains('\u{1b}'));
    // A file never gets colour, whatever the flag.
    let file = repo.path().join("report.txt");
    let run = repo.check(&[
        "--color",
        "always",
        "--format",
        &format!("text={}", file.display()),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("DL101") && !written.contains('\u{1b}'),
        "{written}"
    );
}

#[test]
fn colour_choices_are_explained_in_the_help() {
    let repo = shop();
    let mut command = repo.command();
    command.args(["check", "--help"]);
    let help = Run::of(command).stdout;
    for expected in [
        "Colour when standard output is a terminal and NO_COLOR is unset or empty",
        "Always colour, even with NO_COLOR set or output to a pipe",
        "Never colour",
    ] {
        assert!(help.contains(expected), "{expected}\n{help}");
    }
}

#[test]
fn usage_errors_give_the_reason_first_then_clap_s_tip() {
    let repo = shop();
    repo.values("shop-dev", CLEAN);
    let run = repo.check(&["--no-such-flag"]);
    assert_eq!(run.code, 2);
    let mut lines = run.stderr.lines();
    assert_eq!(
        lines.next(),
        Some("dynalint: error: unexpected argument '--no-such-flag' found")
    );
    assert!(
        run.stderr
            .contains("Usage: dynalint check [OPTIONS] [PATHS]...")
    );
    let mut explain = repo.command();
    explain.arg("explain");
    let missing = Run::of(explain);
    assert_eq!(missing.code, 2);
    assert_eq!(
        missing.stderr,
        "dynalint: error: the following required arguments were not provided: <RULE>\nUsage: dynalint explain <RULE>\nFor more information, try '--help'.\n"
    );
    // A typo says what was meant, in a few lines, and nothing on stdout.
    let mut typo = repo.command();
    typo.arg("chek");
    let typo = Run::of(typo);
    assert_eq!(typo.code, 2);
    assert!(typo.stdout.is_empty());
    assert_eq!(
        typo.stderr,
        "dynalint: error: unrecognized subcommand 'chek'\n  tip: a similar subcommand exists: 'check'\nUsage: dynalint <COMMAND>\nFor more information, try '--help'.\n"
    );
    let flag = repo.check(&["--colr", "always"]);
    assert_eq!(flag.code, 2);
    assert!(
        flag.stderr.starts_with(
            "dynalint: error: unexpected argument '--colr' found\n  tip: a similar argument exists: '--color'\n"
        ),
        "{}",
        flag.stderr
    );
    assert!(flag.stderr.lines().count() <= 4, "{}", flag.stderr);
}

#[test]
fn stale_ignore_entries_are_reported() {
    let repo = shop();
    repo.values("shop-dev", CLEAN);
    repo.write(
        "dynalint.toml",
        "ignore = [\"./apps-shop/apps/shop-dev/dynamo-tables/values.yaml:3\"]\n",
    );
    let run = repo.check(&[]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr,
        "dynalint: warning: dynalint.toml: `ignore` entry `apps-shop/apps/shop-dev/dynamo-tables/values.yaml:3` matches no finding; remove it\n"
    );
}

#[test]
fn text_output_is_rustc_like() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    let run = repo.check(&[]);
    assert_eq!(
        run.stdout,
        "\
apps-shop/apps/shop-dev/dynamo-tables/values.yaml:3:14: error[DL101 key-attribute-undeclared] [*unsafe] hashKey `Missing` of table `shop-dev-Orders` is not declared in `attributes`
  |
3 |     hashKey: Missing
  |              ^^^^^^^
  |
  = help: declare it in `attributes`: `- name: Missing` with its `type` ('S', 'N' or 'B')
  = help: unsafe fix (--fix --unsafe-fixes; it can change what AWS does): declare `Missing` in `attributes` as 'S'

apps-shop/apps/shop-dev/dynamo-tables/values.yaml:5:15: error[DL102 attribute-unused] [*] attribute `OrderId` of table `shop-dev-Orders` is not a key of the table or of any index; AWS rejects the table
  |
5 |       - name: OrderId
  |               ^^^^^^^
  |
  = help: remove it from `attributes`: only key attributes are declared, items may carry any other attribute
  = help: fix (--fix): remove attribute `OrderId`

2 errors in 1 values file (1 table)
1 fixable with --fix (1 more with --unsafe-fixes)
"
    );
}

#[test]
fn json_output_is_the_version_1_document() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    let run = repo.check(&["--format", "json"]);
    let document = run.json();
    assert_eq!(document["version"], 1);
    assert_eq!(document["changes"], serde_json::json!([]));
    assert_eq!(
        document["summary"],
        serde_json::json!({"files": 1, "tables": 1, "errors": 2, "warnings": 0, "notes": 0, "suppressed": 0, "preexisting": 0, "fixable": 1, "unsafe_fixable": 1})
    );
    let first = &document["findings"][0];
    let fingerprint = first["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 16);
    assert_eq!(
        first,
        &serde_json::json!({
            "rule": "DL101",
            "name": "key-attribute-undeclared",
            "severity": "error",
            "path": "apps-shop/apps/shop-dev/dynamo-tables/values.yaml",
            "line": 3,
            "column": 14,
            "end_line": 3,
            "end_column": 21,
            "message": "hashKey `Missing` of table `shop-dev-Orders` is not declared in `attributes`",
            "table": "shop-dev-Orders",
            "help": "declare it in `attributes`: `- name: Missing` with its `type` ('S', 'N' or 'B')",
            "fingerprint": fingerprint,
            "related": [],
            // Appended after the last attribute, in the list's own indentation.
            "fix": {
                "safe": false,
                "title": "declare `Missing` in `attributes` as 'S'",
                "edits": [{
                    "path": "apps-shop/apps/shop-dev/dynamo-tables/values.yaml",
                    "line": 6, "column": 18, "end_line": 6, "end_column": 18,
                    "text": "\n      - name: Missing\n        type: 'S'",
                }],
            },
        })
    );
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let repo = shop();
    let broken = CLEAN.replace("hashKey: OrderId", "hashKey: Missing");
    repo.values("shop-dev", &broken);
    let before = repo.check(&["--format", "json"]).json();
    // A comment and a whole table above it: every line moves.
    let moved = broken.replace(
        "tables:\n",
        "# Shop tables\ntables:\n  - name: Carts\n    hashKey: CartId\n    attributes: [{name: CartId, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n",
    );
    repo.values("shop-dev", &moved);
    let after = repo.check(&["--format", "json"]).json();
    let key = |document: &serde_json::Value, index: usize| {
        let finding = &document["findings"][index];
        (
            finding["line"].as_u64().unwrap(),
            finding["fingerprint"].as_str().unwrap().to_string(),
        )
    };
    let (line_before, print_before) = key(&before, 0);
    let (line_after, print_after) = key(&after, 0);
    assert_eq!((line_before, line_after), (3, 8));
    assert_eq!(print_before, print_after);
    assert_ne!(
        key(&after, 0).1,
        key(&after, 1).1,
        "two findings, two fingerprints"
    );
}

#[test]
fn several_outputs_in_one_run() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("hashKey: OrderId", "hashKey: Missing"),
    );
    let report = repo.path().join("report.json");
    let run = repo.check(&[
        "--format",
        "text",
        "--format",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.ends_with(
        "2 errors in 1 values file (1 table)\n1 fixable with --fix (1 more with --unsafe-fixes)\n"
    ));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["summary"]["errors"], 2);

    let twice = repo.check(&["--format", "text", "--format", "json"]);
    assert_eq!(twice.code, 2);
    assert!(
        twice
            .stderr
            .contains("only one --format can write to standard output")
    );
}

#[test]
fn suppressions_and_ignores_are_counted() {
    let repo = shop();
    repo.write(
        "dynalint.toml",
        "ignore = [\"apps-shop/apps/shop-dev/dynamo-tables/values.yaml:3:DL101\"]\n",
    );
    repo.values(
        "shop-dev",
        &CLEAN
            .replace("hashKey: OrderId", "hashKey: Missing")
            .replace("    attributes:", "    pointInTimeRecovery: false  # dynalint: ignore[pitr-disabled] -- cache table\n    attributes:"),
    );
    let run = repo.check(&["--format", "json"]);
    assert_eq!(
        run.locations(),
        ["apps-shop/apps/shop-dev/dynamo-tables/values.yaml:6:15 DL102"]
    );
    assert_eq!(run.json()["summary"]["suppressed"], 2);
}

#[test]
fn the_repository_chart_schema_and_defaults_apply() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("    attributes:", "    owner: team-shop\n    attributes:"),
    );
    let embedded = repo.check(&["--format", "json"]);
    assert_eq!(
        embedded.locations(),
        ["apps-shop/apps/shop-dev/dynamo-tables/values.yaml:4:5 DL002"],
        "the embedded schema does not know `owner`"
    );

    // The chart's own schema allows it.
    repo.write(
        "helm/helm-idp-dynamodb/values.schema.json",
        r#"{"type": "object", "properties": {"tables": {"type": "array", "items": {"type": "object", "required": ["name", "hashKey"]}}}}"#,
    );
    assert_eq!(
        repo.check(&["--format", "json"]).locations(),
        Vec::<String>::new()
    );

    // The chart's defaults: every release is Observe, so the grant does nothing; and with
    // the default deletionPolicy the observed tables would still be deleted, which is the
    // defaults' own contradiction, reported once where they say it.
    repo.write(
        "helm/helm-idp-dynamodb/values.yaml",
        "managementPolicies: Observe\ntables: []\n",
    );
    assert_eq!(
        repo.check(&["--format", "json"]).locations(),
        [
            "apps-shop/apps/shop-dev/dynamo-tables/values.yaml:8:5 DL113",
            "helm/helm-idp-dynamodb/values.yaml:1:21 DL113",
        ]
    );

    repo.write("helm/helm-idp-dynamodb/values.schema.json", "{ not json");
    let broken = repo.check(&[]);
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.starts_with(
            "dynalint: error: helm/helm-idp-dynamodb/values.schema.json: not valid JSON"
        ),
        "{}",
        broken.stderr
    );
}

#[test]
fn an_unreadable_workload_chart_is_reported() {
    let repo = shop();
    repo.values(
        "shop-dev",
        &CLEAN.replace("api-shop-dev", "worker-shop-dev"),
    );
    repo.write(
        "apps-shop/apps/shop-dev/worker/Chart.yaml",
        "apiVersion: v2\nname: worker\ndependencies:\n\t- name: idp-advanced\n",
    );
    let run = repo.check(&["--format", "json"]);
    assert_eq!(
        run.locations(),
        [
            "apps-shop/apps/shop-dev/dynamo-tables/values.yaml:7:31 DL201",
            "apps-shop/apps/shop-dev/worker/Chart.yaml:4:1 DL001",
        ]
    );
    assert!(
        run.json()["findings"][1]["message"]
            .as_str()
            .unwrap()
            .starts_with("this workload's Chart.yaml cannot be read (tabs disallowed")
    );
}

#[test]
fn suppression_findings_keep_their_fingerprints_when_others_are_added() {
    let repo = shop();
    let stale = CLEAN.replace(
        "    hashKey: OrderId\n",
        "    hashKey: OrderId  # dynalint: ignore[DL112] -- old\n",
    );
    repo.values("shop-dev", &stale);
    let before = repo.check(&["--format", "json"]).json()["findings"][0]["fingerprint"].clone();
    repo.values(
        "shop-dev",
        &stale.replace(
            "  - name: Orders\n",
            "  - name: Orders  # dynalint: ignore[DL205] -- new\n",
        ),
    );
    let after = repo.check(&["--format", "json"]).json();
    let fingerprints: Vec<_> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["fingerprint"].clone())
        .collect();
    assert_eq!(fingerprints.len(), 2);
    assert_eq!(
        fingerprints[1], before,
        "the older suppression's finding kept its fingerprint"
    );
}

/// A dynalint built without the `aws` feature says how to get it, once, and exits 2.
#[cfg(not(feature = "aws"))]
#[test]
fn aws_without_the_feature_says_how_to_get_it() {
    let run = Run::of({
        let mut command = dynalint(&project_root());
        command.args(["check", "--repo", "fixtures/demo", "--aws"]);
        command
    });
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "dynalint: error: --aws: this dynalint was built without the `aws` feature: `cargo install --locked --path . --features aws` (the Action's image has it)\n"
    );
}
