//! Every mistake of PRODUCT.md section 3 (structure, table definition, access), each in
//! its own values file: each is caught at the right line and column, and nothing else is
//! reported — in particular not on the chart documentation's examples.

use crate::common::Repo;

/// A table granted to its namespace's workload role; `{ns}` is replaced.
const VALID: &str = "\
tables:
  - name: T
    hashKey: Id
    attributes:
      - name: Id
        type: 'S'
    serviceAccountReadRoles: [\"app-{ns}\"]
";

/// The examples of the chart's documentation ("Working with DynamoDB"), verbatim, as the
/// demo repository holds them.
fn domain_examples() -> String {
    std::fs::read_to_string(
        crate::common::project_root()
            .join("fixtures/demo/apps-koa/apps/koa-dev/dynamo-tables/values.yaml"),
    )
    .expect("the demo's koa-dev values")
}

fn line_of(text: &str, marker: &str, occurrence: usize) -> usize {
    let offset = text
        .match_indices(marker)
        .nth(occurrence)
        .unwrap_or_else(|| panic!("no {marker} #{occurrence}"))
        .0;
    text[..offset].matches('\n').count() + 1
}

#[test]
fn each_mistake_is_caught_at_its_line_and_nothing_else() {
    let repo = Repo::new();
    let mut expected: Vec<String> = Vec::new();
    let mut add = |namespace: &str, text: String, findings: &[&str]| {
        repo.workload(namespace, "app");
        repo.values(namespace, &text.replace("{ns}", namespace));
        for finding in findings {
            expected.push(format!("{}:{finding}", Repo::values_path(namespace)));
        }
    };
    let with = |from: &str, to: &str| VALID.replace(from, to);

    // The documentation's examples, and a plain valid table: nothing.
    repo.workload("koa-dev", "access-service");
    repo.values("koa-dev", &domain_examples());
    add("m-clean", VALID.to_string(), &[]);

    // Structure.
    add(
        "m-dl001",
        "tables:\n  - name: T\n\thashKey: Id\n".into(),
        &["3:1 DL001"],
    );
    add(
        "m-dl002",
        with("    hashKey: Id\n", "    hashKey: Id\n    rangekey: Day\n"),
        &["4:5 DL002"],
    );
    add(
        "m-dl003",
        with("    serviceAccount", "    hashKey: Id\n    serviceAccount"),
        &["7:5 DL003"],
    );
    add(
        "m-dl004",
        with("type: 'S'", "type: S\n      - name: Other\n        type: N"),
        &["8:15 DL004"],
    );
    add(
        "m-dl005",
        with(
            "hashKey: Id",
            "hashKey: Id  # dynalint: ignore[DL112] -- not needed",
        ),
        &["3:37 DL005"],
    );

    // Table definition.
    add(
        "m-dl101",
        with("    hashKey: Id\n", "    hashKey: Id\n    rangeKey: Day\n"),
        &["4:15 DL101"],
    );
    add(
        "m-dl102",
        with(
            "        type: 'S'\n",
            "        type: 'S'\n      - name: Extra\n        type: 'S'\n",
        ),
        &["7:15 DL102"],
    );
    add(
        "m-dl103",
        with(
            "        type: 'S'\n",
            "        type: 'S'\n      - name: Id\n        type: 'N'\n",
        ),
        &["7:15 DL103"],
    );
    add(
        "m-dl104",
        with("name: T\n", "name: My Table\n"),
        &["2:11 DL104"],
    );
    add(
        "m-dl105",
        format!("{VALID}{}", VALID.replace("tables:\n", "")),
        &["2:11 DL105", "8:11 DL105"],
    );
    add(
        "m-dl106",
        with(
            "        type: 'S'\n",
            "        type: 'S'\n      - name: Day\n        type: 'S'\n    localSecondaryIndex:\n      - name: ByDay\n        rangeKey: Day\n        projectionType: ALL\n        nonKeyAttributes: []\n",
        ),
        &["9:5 DL106"],
    );
    let mut six_lsis = String::from(
        "    rangeKey: R\n    attributes:\n      - {name: Id, type: 'S'}\n      - {name: R, type: 'S'}\n",
    );
    for letter in ["A", "B", "C", "D", "E", "F"] {
        six_lsis.push_str(&format!("      - {{name: {letter}, type: 'S'}}\n"));
    }
    six_lsis.push_str("    localSecondaryIndex:\n");
    for letter in ["A", "B", "C", "D", "E", "F"] {
        six_lsis.push_str(&format!(
            "      - {{name: By{letter}, rangeKey: {letter}, projectionType: KEYS_ONLY, nonKeyAttributes: []}}\n"
        ));
    }
    add(
        "m-dl107",
        format!(
            "tables:\n  - name: T\n    hashKey: Id\n{six_lsis}    serviceAccountReadRoles: [\"app-{{ns}}\"]\n"
        ),
        &["20:16 DL107"],
    );
    let gsi = "    globalSecondaryIndex:\n      - name: ByS\n        hashKey: S\n        projectionType: INCLUDE\n        nonKeyAttributes: []\n";
    add(
        "m-dl108",
        with(
            "        type: 'S'\n",
            &format!("        type: 'S'\n      - name: S\n        type: 'S'\n{gsi}"),
        ),
        &["12:25 DL108"],
    );
    let mut wide = String::from(
        "tables:\n  - name: T\n    hashKey: Id\n    attributes:\n      - {name: Id, type: 'S'}\n",
    );
    for index in 0..6 {
        wide.push_str(&format!("      - {{name: K{index}, type: 'S'}}\n"));
    }
    wide.push_str("    globalSecondaryIndex:\n");
    let twenty: Vec<String> = (0..20).map(|index| format!("a{index}")).collect();
    for index in 0..6 {
        wide.push_str(&format!(
            "      - name: By{index}\n        hashKey: K{index}\n        projectionType: INCLUDE\n        nonKeyAttributes: [{}]\n",
            twenty.join(", ")
        ));
    }
    wide.push_str("    serviceAccountReadRoles: [\"app-{ns}\"]\n");
    let crossing = format!("{}:9 DL109", line_of(&wide, "nonKeyAttributes", 5));
    add("m-dl109", wide, &[&crossing]);
    add(
        "m-dl110",
        with(
            "        type: 'S'\n",
            &format!(
                "        type: 'S'\n      - name: S\n        type: 'S'\n{}",
                gsi.replace("ByS", "ix").replace("INCLUDE", "ALL")
            ),
        ),
        &["10:15 DL110"],
    );
    add(
        "m-dl111",
        with(
            "    serviceAccount",
            "    billingMode: PROVISIONED\n    serviceAccount",
        ),
        &["7:18 DL111"],
    );
    add(
        "m-dl112",
        with(
            "    serviceAccount",
            "    pointInTimeRecovery: false\n    serviceAccount",
        ),
        &["7:26 DL112"],
    );
    add(
        "m-dl113",
        format!("managementPolicies: Observe\ndeletionPolicy: Orphan\n{VALID}"),
        &["9:5 DL113"],
    );
    add(
        "m-dl113-delete",
        format!(
            "managementPolicies: Observe\n{}",
            with("    serviceAccountReadRoles: [\"app-{ns}\"]\n", "")
        ),
        &["1:21 DL113"],
    );
    add(
        "m-dl114",
        format!(
            "{VALID}{}",
            VALID
                .replace("tables:\n", "")
                .replace("name: T", "name: T-shadow")
                .replace("'S'", "'N'")
        ),
        &["10:5 DL114"],
    );

    // Access.
    add("m-dl201", with("app-{ns}", "nobody-{ns}"), &["7:31 DL201"]);
    add("m-dl202", with("app-{ns}", "app-m-clean"), &["7:31 DL202"]);
    add("m-dl203", with("app-{ns}", "app {ns}"), &["7:31 DL203"]);
    let mut many = String::from("tables:\n");
    for index in 0..23 {
        many.push_str(&format!(
            "  - name: Table{index:02}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"app-{{ns}}\"]\n    serviceAccountWriteRoles: [\"app-{{ns}}\"]\n"
        ));
    }
    // The 22nd table's read grant takes the policy over 6,144 characters.
    let over = format!("{}:31 DL204", line_of(&many, "serviceAccountReadRoles", 21));
    add("m-dl204", many, &[&over]);
    add(
        "m-dl205",
        with("    serviceAccountReadRoles: [\"app-{ns}\"]\n", ""),
        &["2:11 DL205"],
    );

    let run = repo.check(&["--format", "json", "--fail-on", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut actual = run.locations();
    actual.sort();
    expected.sort();
    assert_eq!(actual, expected);
}

#[test]
fn the_domain_examples_produce_no_error_or_warning() {
    let repo = Repo::new();
    repo.workload("koa-dev", "access-service");
    repo.values("koa-dev", &domain_examples());
    let run = repo.check(&["--format", "json", "--fail-on", "note"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.stdout.matches("\"rule\"").count(), 0);
    assert_eq!(run.json()["summary"]["tables"], 4);
}
