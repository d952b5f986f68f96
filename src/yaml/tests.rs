//! The YAML reader against what Helm reads.

use super::scalars::go_format_float32;
use super::*;
use serde_json::json;

fn json(text: &str) -> serde_json::Value {
    load(text, &Limits::default()).unwrap().root.to_json()
}

fn error(text: &str) -> YamlError {
    load(text, &Limits::default()).unwrap_err()
}

#[test]
fn yaml11_scalars_as_helm_reads_them() {
    let value = json(concat!(
        "a: y\nb: N\nc: yes\nd: Off\ne: true\nf: yEs\n",
        "g: 0123\nh: 089\ni: 1_000\nj: 0b101\nk: 0x1F\nl: -0b11\nm: 0o17\n",
        "nn: ~\no:\np: 1.5\nq: .5\nr: 1e3\ns: 2001-12-14\nt: '0123'\nu: \"yes\"\n",
        "v: 99999999999999999999\nw: 1e400\nx: +12\nyy: -0\nz: 18446744073709551615\n",
    ));
    assert_eq!(
        value,
        json!({
            "a": true, "b": false, "c": true, "d": false, "e": true, "f": "yEs",
            "g": 83, "h": 89.0, "i": 1000, "j": 5, "k": 31, "l": -3, "m": 15,
            "nn": null, "o": null, "p": 1.5, "q": 0.5, "r": 1000.0, "s": "2001-12-14",
            "t": "0123", "u": "yes", "v": 1e20, "w": "1e400", "x": 12, "yy": 0,
            "z": 18446744073709551615u64,
        })
    );
}

#[test]
fn yaml11_disagreements_are_marked() {
    let document = load(
        "a: N\nb: 0123\nc: true\nd: 'N'\ne: 00\n",
        &Limits::default(),
    )
    .unwrap();
    let marks: Vec<_> = ["/a", "/b", "/c", "/d", "/e"]
        .iter()
        .map(|pointer| document.root.lookup(pointer).unwrap().node.yaml11)
        .collect();
    assert_eq!(
        marks,
        [Some(Yaml11::Bool), Some(Yaml11::Octal), None, None, None]
    );
}

#[test]
fn tags() {
    let value = json(
        "a: !!str 0123\nb: !!int '12'\nc: !!float 1\nd: !custom yes\ne: ! 12\nf: !!binary aGVsbG8=\n",
    );
    assert_eq!(
        value,
        json!({"a": "0123", "b": 12, "c": 1.0, "d": "yes", "e": "12", "f": "hello"})
    );
    assert_eq!(
        error("a: !!int abc\n").message,
        "cannot read `abc` as `!!int`"
    );
}

#[test]
fn merge_keys_follow_go_yaml_v2() {
    let value = json(concat!(
        "base: &base {a: 1, b: 2}\n",
        "other: &other {b: 3, c: 4}\n",
        "after: {a: 0, <<: *base}\n",
        "before: {<<: *base, a: 0}\n",
        "list: {<<: [*base, *other]}\n",
        "quoted: {'<<': 1}\n",
    ));
    assert_eq!(value["after"], json!({"a": 1, "b": 2}));
    assert_eq!(value["before"], json!({"a": 0, "b": 2}));
    assert_eq!(value["list"], json!({"a": 1, "b": 2, "c": 4}));
    assert_eq!(value["quoted"], json!({"<<": 1}));
    assert!(
        error("a: {<<: 1}\n")
            .message
            .contains("needs a mapping or a list of mappings")
    );
}

#[test]
fn keys_become_json_strings() {
    // `yes` is the boolean true, so it overwrites the `true` key.
    let value = json("1: a\ntrue: b\n1.5: c\nyes: d\n0x10: e\n");
    assert_eq!(value, json!({"1": "a", "true": "d", "1.5": "c", "16": "e"}));
    assert_eq!(go_format_float32(1e10), "1e+10");
    assert_eq!(go_format_float32(0.0001), "0.0001");
    assert_eq!(go_format_float32(0.00001), "1e-05");
    assert_eq!(go_format_float32(123456.0), "123456");
    assert_eq!(go_format_float32(1234567.0), "1.234567e+06");
    assert!(error("? [a]\n: b\n").message.contains("mapping key"));
    assert!(error("~: b\n").message.contains("null mapping key"));
}

#[test]
fn duplicates_keep_the_last_value_and_are_recorded() {
    let text = "a: 1\nb:\n  c: 1\n  c: 2\n  c: 3\na: 4\n";
    let document = load(text, &Limits::default()).unwrap();
    assert_eq!(document.root.to_json(), json!({"a": 4, "b": {"c": 3}}));
    let found: Vec<_> = document
        .duplicates
        .iter()
        .map(|duplicate| {
            let DuplicateKind::Repeated { ignored } = &duplicate.kind else {
                panic!("{duplicate:?}")
            };
            let ignored: Vec<u32> = ignored.iter().map(|span| span.start).collect();
            (duplicate.pointer.as_str(), duplicate.span.start, ignored)
        })
        .collect();
    // Every ignored write is listed; the finding is at the write Helm keeps.
    assert_eq!(found, [("/b/c", 24, vec![10, 17]), ("/a", 29, vec![0])]);
}

#[test]
fn merges_overriding_a_written_key_are_recorded() {
    // Keys after the merge override it: as expected, nothing to report.
    // (Not `y:` as a key: that is the boolean true to YAML 1.1.)
    let after = load("x: &x {a: 1}\np: {<<: *x, a: 2}\n", &Limits::default()).unwrap();
    assert!(after.duplicates.is_empty());
    assert_eq!(after.root.to_json()["p"], json!({"a": 2}));
    // A key before the merge is overwritten by it (go-yaml v2).
    let text = "x: &x {a: 1}\np:\n  a: 2\n  <<: *x\n";
    let before = load(text, &Limits::default()).unwrap();
    assert_eq!(before.root.to_json()["p"], json!({"a": 1}));
    let [duplicate] = before.duplicates.as_slice() else {
        panic!("{:?}", before.duplicates)
    };
    assert_eq!(duplicate.pointer, "/p/a");
    assert_eq!(&text[duplicate.span.range()], "a");
    let DuplicateKind::MergedOver { merge } = duplicate.kind else {
        panic!("{duplicate:?}")
    };
    assert_eq!(&text[merge.range()], "<<");
    // `!!merge <<` and `! <<` are merge keys too.
    let tagged = load(
        "x: &x {a: 1}\np: {!!merge <<: *x}\nq: {! <<: *x}\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(tagged.root.to_json()["p"], json!({"a": 1}));
    assert_eq!(tagged.root.to_json()["q"], json!({"a": 1}));
}

#[test]
fn go_yaml_v2_corner_cases() {
    assert_eq!(
        json("a: 0b\nb: -0b\nc: 05\n"),
        json!({"a": "0b", "b": "-0b", "c": 5})
    );
    let document = load("c: 05\nd: 010\n", &Limits::default()).unwrap();
    assert_eq!(
        document.root.lookup("/c").unwrap().node.yaml11,
        None,
        "5 either way"
    );
    assert_eq!(
        document.root.lookup("/d").unwrap().node.yaml11,
        Some(Yaml11::Octal)
    );
    assert_eq!(json(".inf: 1\n-.inf: 2\n"), json!({".inf": 1, "-.inf": 2}));
    assert!(error("a: [.inf]\n").message.contains("infinity"));
    assert!(
        error("18446744073709551615: a\n")
            .message
            .contains("key this large")
    );
    let version = error("%YAML 1.2\n---\na: 1\n");
    assert!(
        version.message.contains("accepts only `%YAML 1.1`"),
        "{version:?}"
    );
    assert_eq!(version.span, Span::new(0, 9));
    assert_eq!(json("%YAML 1.1\n---\na: 1\n"), json!({"a": 1}));
    // An empty trailing document is harmless; one with content is not.
    assert!(
        load("a: 1\n---\n", &Limits::default())
            .unwrap()
            .extra_document
            .is_none()
    );
    assert!(
        load("a: 1\n---\n...\n", &Limits::default())
            .unwrap()
            .extra_document
            .is_none()
    );
    assert!(
        load("a: 1\n---\n---\nb: 2\n", &Limits::default())
            .unwrap()
            .extra_document
            .is_some()
    );
}

#[test]
fn spans_skip_anchors_and_tags() {
    let text = "a: &c 010\nb: !!str x\nc: &t !custom 'q'\nd: &m {k: v}\n";
    let document = load(text, &Limits::default()).unwrap();
    let slice = |pointer| &text[document.root.lookup(pointer).unwrap().node.span.range()];
    assert_eq!(slice("/a"), "010");
    assert_eq!(slice("/b"), "x");
    assert_eq!(slice("/c"), "'q'");
    assert_eq!(slice("/d"), "{k: v}");
}

#[test]
fn long_non_ascii_lines_convert_in_linear_time() {
    let mut text = String::from("tags: {é: ü");
    for index in 0..50_000 {
        text.push_str(&format!(", k{index}: v"));
    }
    text.push_str("}\n");
    let started = std::time::Instant::now();
    let document = load(&text, &Limits::default()).unwrap();
    assert_eq!(
        document.root.get("tags").unwrap().as_map().unwrap().len(),
        50_001
    );
    let last = document.root.lookup("/tags/k49999").unwrap();
    assert_eq!(&text[last.node.span.range()], "v");
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

#[test]
fn literal_text_is_recorded() {
    let text = "a: |\n  # dynalint: ignore[DL001]\nb: \"x\n  y\"\nc: z\n";
    let document = load(text, &Limits::default()).unwrap();
    let literal: Vec<&str> = document
        .literal_text
        .iter()
        .map(|span| &text[span.range()])
        .collect();
    assert_eq!(literal, ["# dynalint: ignore[DL001]\n", "\"x\n  y\""]);
}

#[test]
fn spans_point_at_keys_and_values() {
    let text = "tables:\n  - name: Orders\n    rangekey: Id\n    empty:\n";
    let document = load(text, &Limits::default()).unwrap();
    let located = document.root.lookup("/tables/0/rangekey").unwrap();
    assert_eq!(&text[located.key_span.unwrap().range()], "rangekey");
    assert_eq!(&text[located.node.span.range()], "Id");
    let table = document.root.lookup("/tables/0").unwrap();
    assert_eq!(
        table.node.span.start, 12,
        "a block mapping starts at its first key"
    );
    let empty = document.root.lookup("/tables/0/empty").unwrap();
    assert_eq!(&text[empty.value_or_key().range()], "empty");
}

#[test]
fn quoted_spans_end_at_the_closing_quote() {
    let text =
        "a: \"5\"    # c\nb: 'it''s'  # d\nc: \"say \\\"hi\\\"\"  \nd: \"multi\n  line\"  \n";
    let document = load(text, &Limits::default()).unwrap();
    let slice = |pointer| &text[document.root.lookup(pointer).unwrap().node.span.range()];
    assert_eq!(slice("/a"), "\"5\"");
    assert_eq!(slice("/b"), "'it''s'");
    assert_eq!(slice("/c"), "\"say \\\"hi\\\"\"");
    assert_eq!(slice("/d"), "\"multi\n  line\"");
}

#[test]
fn spans_are_bytes_in_non_ascii_text() {
    let text = "tags:\n  team: \"équipe\"\n  owner: ü\n";
    let document = load(text, &Limits::default()).unwrap();
    let owner = document.root.lookup("/tags/owner").unwrap();
    assert_eq!(&text[owner.node.span.range()], "ü");
}

#[test]
fn aliases_expand_with_their_definition_spans() {
    let text = "a: &t {name: X}\nb: *t\n";
    let document = load(text, &Limits::default()).unwrap();
    let alias = document.root.lookup("/b").unwrap();
    assert_eq!(&text[alias.node.span.range()], "*t");
    // The copy is located where it is used, the original where it is defined.
    let inner = document.root.lookup("/b/name").unwrap();
    assert_eq!(&text[inner.node.span.range()], "*t");
    assert_eq!(&text[inner.key_span.unwrap().range()], "*t");
    assert!(is_alias_copy(inner.node, text));
    let original = document.root.lookup("/a/name").unwrap();
    assert_eq!(&text[original.node.span.range()], "X");
    assert!(!is_alias_copy(original.node, text));
    let merged = load(
        "a: &t {name: X}\nb: {<<: *t, other: 1}\n",
        &Limits::default(),
    )
    .unwrap();
    let name = merged.root.lookup("/b/name").unwrap();
    assert_eq!(name.node.span, Span::new(24, 26));
}

#[test]
fn alias_bombs_stop_at_the_node_limit() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        text.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            [previous.as_str(); 10].join(", ")
        ));
    }
    let failure = error(&text);
    assert_eq!(failure.kind, ErrorKind::Limit);
    assert!(failure.message.contains("alias bomb"));
    assert!(error("a: &x [*x]\n").message.contains("recursive alias"));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let flow = "[".repeat(10_000);
    assert_eq!(error(&flow).kind, ErrorKind::Limit);
    let block: String = (0..10_000)
        .map(|depth| format!("{}k:\n", " ".repeat(depth)))
        .collect();
    let failure = error(&block);
    assert_eq!(failure.kind, ErrorKind::Limit);
    assert!(failure.message.contains("nesting deeper than 100 levels"));
}

#[test]
fn documents() {
    let document = load("a: 1\n---\nb: 2\n", &Limits::default()).unwrap();
    assert_eq!(document.root.to_json(), json!({"a": 1}));
    assert_eq!(document.extra_document, Some(Span::new(5, 8)));
    assert!(load("", &Limits::default()).unwrap().empty);
    assert!(load("# nothing\n", &Limits::default()).unwrap().empty);
    assert!(load("---\n", &Limits::default()).unwrap().empty);
    assert!(
        load("---\na: 1\n", &Limits::default())
            .unwrap()
            .extra_document
            .is_none()
    );
}

#[test]
fn tab_errors_point_at_the_first_indenting_tab() {
    // The parser tolerates the tab of line 5 and stops on line 6.
    let text =
        "tables:\n  - name: Q\n    hashKey: Id\n    attributes:\n\t- name: Id\n\t  type: S\n";
    let failure = error(text);
    assert_eq!(
        text[..failure.span.start as usize].matches('\n').count() + 1,
        5
    );
    assert_eq!(&text[failure.span.range()], "\t");
}

#[test]
fn syntax_errors_have_positions() {
    let failure = error("a:\n\tb: 1\n");
    assert_eq!(failure.kind, ErrorKind::Tab);
    assert_eq!(failure.span.start, 3, "the tab itself");
    assert!(error("a: .inf\n").message.contains("infinity"));
}

#[test]
fn semantic_paths_name_list_items() {
    let document = load(
        "tables:\n  - name: A\n  - name: Orders\n    attributes: [{name: Id, type: S}]\n    roles: [x, z]\n    list: [[1]]\n",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        document.root.semantic_path("/tables/1/attributes/0/type"),
        "tables/Orders/attributes/Id/type"
    );
    assert_eq!(
        document.root.semantic_path("/tables/1/roles/1"),
        "tables/Orders/roles/z"
    );
    assert_eq!(
        document.root.semantic_path("/tables/1/list/0/0"),
        "tables/Orders/list/0/0"
    );
    assert_eq!(
        document.root.semantic_path("/tables/7/name"),
        "tables/7/name"
    );
    assert_eq!(document.root.semantic_path(""), "");
}

#[test]
fn pointers_escape() {
    let document = load("\"a/b\": {\"c~d\": 1}\n", &Limits::default()).unwrap();
    assert!(document.root.lookup("/a~1b/c~0d").is_some());
    let pointers: Vec<String> = document
        .root
        .find(&|_| true)
        .into_iter()
        .map(|(pointer, _)| pointer)
        .collect();
    assert_eq!(pointers, ["", "/a~1b", "/a~1b/c~0d"]);
}
