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
