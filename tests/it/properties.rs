//! Properties over generated input: reading YAML never panics, every JSON pointer of the
//! converted value leads back to a span of the text, and the whole pipeline (model,
//! rules, change rules, every output format) survives any bytes. The fuzzer's findings
//! (`fuzz/regressions/`) run here too.

use proptest::prelude::*;
use serde_json::Value;

use crate::common::project_root;

/// Every JSON pointer of `value`, the root's (`""`) included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// `text` read as dynalint reads it; when it is YAML, every pointer of its JSON has a
/// node whose span lies in the text.
fn check_spans(text: &str) -> bool {
    let Ok(document) = dynalint::yaml::load(text, &Default::default()) else {
        return false;
    };
    let json = document.root.to_json();
    let mut all = Vec::new();
    pointers(&json, String::new(), &mut all);
    for pointer in all {
        let located = document
            .root
            .lookup(&pointer)
            .unwrap_or_else(|| panic!("no node at {pointer:?} of {json} in {text:?}"));
        for span in [Some(located.node.span), located.key_span]
            .into_iter()
            .flatten()
        {
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "span {span:?} of {pointer:?} outside the text {text:?}"
            );
            assert!(text.is_char_boundary(span.start as usize));
            assert!(text.is_char_boundary(span.end as usize));
        }
    }
    true
}

/// A YAML document to generate.
#[derive(Clone, Debug)]
enum Doc {
    Scalar(String),
    Seq(Vec<Doc>),
    Map(Vec<(String, Doc)>),
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9][a-zA-Z0-9_.-]{0,9}",
        Just("yes".to_string()),
        Just("N".to_string()),
        Just("~".to_string()),
        Just("0x1F".to_string()),
        Just("1_000".to_string()),
        Just("-.5".to_string()),
        Just("2001-12-14".to_string()),
        Just("'it''s'".to_string()),
        Just("\"tab\\tand \\u00e9\"".to_string()),
        Just("''".to_string()),
        "[ -~]{0,8}".prop_map(|text| format!("'{}'", text.replace('\'', "''"))),
    ]
}

/// Keys from the values schema, and others (with `/` and `~`, which pointers escape).
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "tables",
            "name",
            "hashKey",
            "rangeKey",
            "attributes",
            "type",
            "billingMode",
            "readCapacity",
            "writeCapacity",
            "localSecondaryIndex",
            "globalSecondaryIndex",
            "projectionType",
            "nonKeyAttributes",
            "serviceAccountReadRoles",
            "serviceAccountWriteRoles",
            "useIdpPrefix",
            "pointInTimeRecovery",
            "ttl",
            "enabled",
            "attributeName",
            "tags",
            "deletionPolicy",
            "managementPolicies",
            "region",
        ])
        .prop_map(str::to_string),
        "[a-z/~.]{1,6}",
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    scalar()
        .prop_map(Doc::Scalar)
        .prop_recursive(5, 80, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Doc::Seq),
                prop::collection::vec((key(), inner), 0..6).prop_map(Doc::Map),
            ]
        })
}

/// Block-style YAML for `doc`, keys single-quoted when they need it.
fn render(doc: &Doc, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let inline = |doc: &Doc| match doc {
        Doc::Scalar(text) => Some(text.clone()),
        Doc::Seq(items) if items.is_empty() => Some("[]".into()),
        Doc::Map(entries) if entries.is_empty() => Some("{}".into()),
        _ => None,
    };
    match doc {
        Doc::Scalar(_) | Doc::Seq(_) | Doc::Map(_) if inline(doc).is_some() => {
            out.push_str(&format!("{pad}{}\n", inline(doc).unwrap()));
        }
        Doc::Seq(items) => {
            for item in items {
                match inline(item) {
                    Some(text) => out.push_str(&format!("{pad}- {text}\n")),
                    None => {
                        out.push_str(&format!("{pad}-\n"));
                        render(item, indent + 2, out);
                    }
                }
            }
        }
        Doc::Map(entries) => {
            for (key, value) in entries {
                let key = if key.chars().all(|c| c.is_ascii_alphanumeric()) {
                    key.clone()
                } else {
                    format!("'{key}'")
                };
                match inline(value) {
                    Some(text) => out.push_str(&format!("{pad}{key}: {text}\n")),
                    None => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        render(value, indent + 2, out);
                    }
                }
            }
        }
        Doc::Scalar(_) => unreachable!(),
    }
}

/// A values file: `tables:` with generated tables.
fn values() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::collection::vec((key(), doc()), 0..8), 0..4).prop_map(|tables| {
        let doc = Doc::Map(vec![(
            "tables".into(),
            Doc::Seq(tables.into_iter().map(Doc::Map).collect()),
        )]);
        let mut out = String::new();
        render(&doc, 0, &mut out);
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_read_with_every_pointer_at_a_span(doc in doc()) {
        let mut text = String::new();
        render(&doc, 0, &mut text);
        prop_assert!(check_spans(&text), "not read: {text}");
    }

    #[test]
    fn any_text_reads_without_panic_and_with_spans(text in "[ -~\t\n\u{e9}\u{2028}\u{feff}]{0,200}") {
        check_spans(&text);
    }

    #[test]
    fn any_text_in_flow_style_reads_without_panic(text in "[\\[\\]{}:,'\"&*!|>#? a-z0-9\n-]{0,120}") {
        check_spans(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn values_files_go_through_the_whole_pipeline(base in values(), head in values()) {
        let outcome = dynalint::harness::run(Some(base.as_bytes()), head.as_bytes());
        prop_assert_eq!(outcome.outputs.len(), 7);
        let json: Value = serde_json::from_slice(&outcome.outputs[1].1).unwrap();
        prop_assert_eq!(json["findings"].as_array().unwrap().len(), outcome.findings);
    }

    #[test]
    fn any_bytes_go_through_the_whole_pipeline(
        base in prop::collection::vec(any::<u8>(), 0..200),
        head in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        dynalint::harness::run(Some(&base), &head);
        dynalint::harness::run(None, &head);
    }
}

/// Configurations that change what is read, how it is named, and what counts.
fn configuration() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        None,
        Some(""),
        Some("exclude = [\"apps-fuzz/apps/fuzz-dev/**\"]\n"),
        Some("exclude = [\"apps-fuzz/apps/fuzz-prod/**\"]\n"),
        Some("include = [\"apps-*/apps/fuzz-prod/dynamo-tables/values.yaml\"]\n"),
        Some("[rules]\nschema-violation = \"warning\"\nyaml-type-trap = \"off\"\n"),
        Some("[naming]\ntable = \"x-{namespace}-{name}\"\n"),
        Some("[namespaces]\n\"apps-fuzz/apps/fuzz-dev/**\" = \"other\"\n"),
        Some("ignore = [\"apps-fuzz/apps/fuzz-dev/dynamo-tables/values.yaml:1\"]\n"),
        Some("include = ["),
    ])
}

/// Chart defaults under every release.
fn chart_defaults() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        None,
        Some("deletionPolicy: Orphan\n"),
        Some("managementPolicies: Observe\nregion: eu-central-1\n"),
        Some("tables:\n  - name: FromDefaults\n    hashKey: Id\n"),
        Some("region: [\n"),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The panic of a configuration that stops checking a file came from the
    /// configuration, not the values: both sides' configuration and chart defaults vary.
    #[test]
    fn configurations_and_chart_defaults_go_through_the_whole_pipeline(
        base in values(),
        head in values(),
        base_config in configuration(),
        head_config in configuration(),
        base_defaults in chart_defaults(),
        head_defaults in chart_defaults(),
    ) {
        use dynalint::harness::{Side, run_sides};
        let side = |values: &'static str, config: Option<&'static str>, defaults: Option<&'static str>| Side {
            values: values.as_bytes(),
            config: config.map(str::as_bytes),
            defaults: defaults.map(str::as_bytes),
        };
        let base: &'static str = Box::leak(base.into_boxed_str());
        let head: &'static str = Box::leak(head.into_boxed_str());
        let outcome = run_sides(
            Some(side(base, base_config, base_defaults)),
            side(head, head_config, head_defaults),
        );
        // A head whose configuration or chart defaults do not parse is the CLI's exit 2.
        let broken = head_config == Some("include = [") || head_defaults == Some("region: [\n");
        prop_assert_eq!(outcome.outputs.len(), if broken { 0 } else { 7 });
    }
}

/// Inputs the fuzzer found (or that seed it), as `fuzz/fuzz_targets/pipeline.rs` reads
/// them: `base\0head`, or a head alone.
#[test]
fn fuzz_regressions_stay_fixed() {
    let folder = project_root().join("fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        match data.iter().position(|byte| *byte == 0) {
            Some(split) => dynalint::harness::run(Some(&data[..split]), &data[split + 1..]),
            None => dynalint::harness::run(None, &data),
        };
        count += 1;
    }
    assert!(count > 0, "no inputs in {}", folder.display());
}

/// One generated table for the fix property: what it is written with, and what each part
/// must read as once fixed.
#[derive(Clone, Debug)]
struct FixTable {
    flow_attributes: bool,
    /// Unused attributes (DL102) and whether each type is an unquoted `N` (DL004).
    unused: Vec<bool>,
    /// `billingMode` written twice (DL003), the first ignored.
    duplicate_mode: bool,
    /// `readCapacity` under PAY_PER_REQUEST (DL111).
    capacity: bool,
    /// A tag key Helm reads as a boolean (`no:`, DL004).
    trap_tag: bool,
    /// A stale suppression on the name line (DL005).
    stale: bool,
    /// A comment line between the attributes.
    comment: bool,
}

fn fix_table() -> impl Strategy<Value = FixTable> {
    (
        any::<bool>(),
        prop::collection::vec(any::<bool>(), 0..3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(flow_attributes, unused, duplicate_mode, capacity, trap_tag, stale, comment)| {
                FixTable {
                    flow_attributes,
                    unused,
                    duplicate_mode,
                    capacity,
                    trap_tag,
                    stale,
                    comment,
                }
            },
        )
}

/// The values file of `tables`, and the JSON Helm must read from it once fixed.
fn fix_file(tables: &[FixTable]) -> (String, Value) {
    let mut text = String::from("# generated\ntables:\n");
    let mut expected = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        let name = format!("T{index}");
        let stale = if table.stale {
            "  # dynalint: ignore[DL112]"
        } else {
            ""
        };
        text.push_str(&format!("  - name: {name}{stale}\n    hashKey: Id\n"));
        if table.duplicate_mode {
            text.push_str("    billingMode: PROVISIONED\n");
        }
        text.push_str("    billingMode: PAY_PER_REQUEST\n");
        if table.capacity {
            text.push_str("    readCapacity: 5\n");
        }
        let unused: Vec<(String, &str)> = table
            .unused
            .iter()
            .enumerate()
            .map(|(number, trap)| (format!("U{number}"), if *trap { "N" } else { "'N'" }))
            .collect();
        if table.flow_attributes {
            let mut items = vec!["{name: Id, type: 'S'}".to_string()];
            items.extend(
                unused
                    .iter()
                    .map(|(name, kind)| format!("{{name: {name}, type: {kind}}}")),
            );
            text.push_str(&format!("    attributes: [{}]\n", items.join(", ")));
        } else {
            text.push_str("    attributes:\n      - name: Id   # the key\n        type: 'S'\n");
            for (name, kind) in &unused {
                if table.comment {
                    text.push_str("      # kept\n");
                }
                text.push_str(&format!("      - name: {name}\n        type: {kind}\n"));
            }
        }
        let tag = if table.trap_tag { "no" } else { "team" };
        text.push_str(&format!(
            "    tags: {{{tag}: x}}\n    serviceAccountReadRoles: [\"api-fix-dev\"]\n"
        ));
        expected.push(serde_json::json!({
            "name": name,
            "hashKey": "Id",
            "billingMode": "PAY_PER_REQUEST",
            "attributes": [{"name": "Id", "type": "S"}],
            "tags": {tag: "x"},
            "serviceAccountReadRoles": ["api-fix-dev"],
        }));
    }
    (text, serde_json::json!({ "tables": expected }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `--fix` on generated files in either line ending, with or without a byte order
    /// mark: the result reads exactly as the fixes intend and nothing else changed,
    /// every comment on a line that stays is still there, the line endings and the mark
    /// are kept, nothing safe is left to fix, and fixing again changes nothing.
    #[test]
    fn fixes_read_exactly_as_intended(
        tables in prop::collection::vec(fix_table(), 1..4),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        use dynalint::snapshot::MemoryTree;
        let (lf, expected) = fix_file(&tables);
        let text = if crlf { lf.replace('\n', "\r\n") } else { lf.clone() };
        let mut bytes = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(text.as_bytes());
        let path = "apps-fix/apps/fix-dev/dynamo-tables/values.yaml";
        let tree = MemoryTree::new()
            .with(path, bytes.clone())
            .with("apps-fix/apps/fix-dev/api/Chart.yaml", crate::common::IDP_ADVANCED_CHART);
        let config = dynalint::config::Config::default();
        let scope = dynalint::source::Scope::everything();
        let input = dynalint::pipeline::Input {
            config: &config,
            head: &tree,
            base: None,
            scope: &scope,
            focus: false,
            new_only: false,
        };
        let outcome = dynalint::fix::run(input.clone(), false).unwrap();
        prop_assert!(outcome.fixed.refused.is_empty(), "{:?}", outcome.fixed.refused);
        prop_assert!(outcome.fixed.unsettled.is_empty());
        let after = outcome
            .fixed
            .changed
            .first()
            .map_or(bytes.clone(), |changed| changed.after.clone());
        prop_assert_eq!(after.starts_with(b"\xef\xbb\xbf"), bom);
        let fixed = String::from_utf8(after.clone()).unwrap();
        let fixed = fixed.trim_start_matches('\u{feff}');
        prop_assert_eq!(fixed.contains("\r\n"), crlf);
        // No line break of the other kind was written.
        prop_assert!(!crlf || !fixed.replace("\r\n", "").contains('\n'));
        let document = dynalint::yaml::load(fixed, &Default::default()).unwrap();
        prop_assert_eq!(document.root.to_json(), expected);
        for comment in ["# generated", "# the key", "# kept"] {
            prop_assert_eq!(
                fixed.matches(comment).count(),
                lf.matches(comment).count(),
                "{} in {:?}", comment, fixed
            );
        }
        prop_assert!(!fixed.contains("dynalint: ignore"));
        prop_assert_eq!(outcome.run.report.summary.fixable, 0);
        // Idempotent: the fixed files have nothing more to fix.
        let again = MemoryTree::new()
            .with(path, after)
            .with("apps-fix/apps/fix-dev/api/Chart.yaml", crate::common::IDP_ADVANCED_CHART);
        let second = dynalint::fix::run(dynalint::pipeline::Input { head: &again, ..input }, false).unwrap();
        prop_assert!(second.fixed.changed.is_empty());
    }
}
