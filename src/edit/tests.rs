use super::*;

/// The span of the `nth` (0-based) occurrence of `needle` in `text`.
fn at(text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("no {nth}th `{needle}` in {text:?}"))
        .0;
    Span::new(start as u32, (start + needle.len()) as u32)
}

/// Applies one fix per change; the new text, or why one did not apply.
fn fixed(text: &str, changes: Vec<Change>) -> Result<String, String> {
    let document = yaml::load(text, &yaml::Limits::default()).unwrap();
    let fixes: Vec<Fix> = changes
        .into_iter()
        .map(|change| Fix::new(Applicability::Safe, FileId(0), "fix", change))
        .collect();
    let resolved: Vec<Resolved> = fixes
        .iter()
        .map(|fix| resolve(fix, text, &document).ok_or("not resolved".to_string()))
        .collect::<Result<_, _>>()?;
    let refs: Vec<&Resolved> = resolved.iter().collect();
    let applied = apply(text, &document, &refs, &yaml::Limits::default());
    if let Some((_, reason)) = applied.refused.first() {
        return Err(reason.clone());
    }
    if !applied.deferred.is_empty() {
        return Err(format!("deferred {:?}", applied.deferred));
    }
    Ok(applied.text)
}

#[test]
fn quotes_values_and_keys_in_place() {
    let text = "tables:\n  - name: Orders  # the orders\n    attributes:\n      - {name: Id, type: N}\n    tags: {no: x}\n";
    let quoted = fixed(
        text,
        vec![
            Change::Quote {
                at: at(text, "N", 0),
                key: false,
            },
            Change::Quote {
                at: at(text, "no", 0),
                key: true,
            },
        ],
    )
    .unwrap();
    assert_eq!(
        quoted,
        "tables:\n  - name: Orders  # the orders\n    attributes:\n      - {name: Id, type: 'N'}\n    tags: {'no': x}\n"
    );
}

#[test]
fn removes_block_items_with_their_lines_on_crlf() {
    let text = "attributes:\r\n  - name: Id\r\n    type: 'S'\r\n  # the total\r\n  - name: Total  # unused\r\n    type: 'N'\r\nnext: 1\r\n";
    let document = yaml::load(text, &yaml::Limits::default()).unwrap();
    let item = document.root.get("attributes").unwrap().as_seq().unwrap()[1].span;
    assert_eq!(
        fixed(text, vec![Change::RemoveItem { at: item }]).unwrap(),
        "attributes:\r\n  - name: Id\r\n    type: 'S'\r\n  # the total\r\nnext: 1\r\n"
    );
}

#[test]
fn removes_flow_items_with_one_comma() {
    let text = "gsis: [{name: a}, {name: b},  {name: c}]\n";
    let document = yaml::load(text, &yaml::Limits::default()).unwrap();
    let items = document
        .root
        .get("gsis")
        .unwrap()
        .as_seq()
        .unwrap()
        .to_vec();
    let remove = |index: usize| {
        fixed(
            text,
            vec![Change::RemoveItem {
                at: items[index].span,
            }],
        )
    };
    assert_eq!(remove(0).unwrap(), "gsis: [{name: b},  {name: c}]\n");
    assert_eq!(remove(1).unwrap(), "gsis: [{name: a}, {name: c}]\n");
    assert_eq!(remove(2).unwrap(), "gsis: [{name: a}, {name: b}]\n");
    // Two neighbours in one pass would both take the comma between them: one waits.
    assert_eq!(
        fixed(
            text,
            vec![
                Change::RemoveItem { at: items[1].span },
                Change::RemoveItem { at: items[2].span }
            ]
        )
        .unwrap_err(),
        "deferred [1]"
    );
}

#[test]
fn removes_mapping_entries_in_block_and_flow_style() {
    let text = "table:\n  name: Orders\n  # capacity\n  readCapacity: 5  # old\n  writeCapacity: 5\nflow: {readCapacity: 5, name: x}\nlist:\n  - readCapacity: 5\n    name: y\n";
    let entry = |needle: &str, nth: usize| {
        let key = at(text, needle, nth);
        Change::RemoveEntry {
            entry: Span::new(key.start, key.end + 3),
        }
    };
    assert_eq!(
        fixed(
            text,
            vec![entry("readCapacity", 0), entry("writeCapacity", 0)]
        )
        .unwrap(),
        "table:\n  name: Orders\n  # capacity\nflow: {readCapacity: 5, name: x}\nlist:\n  - readCapacity: 5\n    name: y\n"
    );
    assert_eq!(
        fixed(
            text,
            vec![entry("readCapacity", 1), entry("readCapacity", 2)]
        )
        .unwrap(),
        "table:\n  name: Orders\n  # capacity\n  readCapacity: 5  # old\n  writeCapacity: 5\nflow: {name: x}\nlist:\n  - name: y\n"
    );
}

#[test]
fn removing_a_write_helm_ignores_reads_the_same() {
    let text = "table:\n  billingMode: PROVISIONED\n  name: x\n  billingMode: PAY_PER_REQUEST\n";
    let document = yaml::load(text, &yaml::Limits::default()).unwrap();
    let removable = document.duplicates[0].removable[0];
    assert_eq!(
        fixed(text, vec![Change::RemoveEntry { entry: removable }]).unwrap(),
        "table:\n  name: x\n  billingMode: PAY_PER_REQUEST\n"
    );
    // The write Helm keeps is not one to remove as "the same".
    let kept = at(text, "billingMode: PAY_PER_REQUEST", 0);
    assert_eq!(
        fixed(text, vec![Change::RemoveEntry { entry: kept }]).unwrap_err(),
        "it would change how Helm reads other values (an alias or a `<<` merge copies what it changes)"
    );
}

#[test]
fn an_alias_is_never_edited_and_an_anchor_is_fixed_with_its_copies() {
    let text = "a: &kind N\nb: *kind\n";
    let alias = at(text, "*kind", 0);
    assert_eq!(
        fixed(
            text,
            vec![Change::Quote {
                at: alias,
                key: false
            }]
        )
        .unwrap_err(),
        "not resolved"
    );
    // Quoting the anchored scalar fixes every alias of it, as intended.
    let anchored = at(text, "N", 0);
    assert_eq!(
        fixed(
            text,
            vec![Change::Quote {
                at: anchored,
                key: false
            }]
        )
        .unwrap(),
        "a: &kind 'N'\nb: *kind\n"
    );
    // A mapping copied whole: its scalar would change in the copy too, unsaid: refused.
    let copied = "a: &kinds {type: N}\nb: *kinds\n";
    assert!(
        fixed(
            copied,
            vec![Change::Quote {
                at: at(copied, "N", 0),
                key: false
            }]
        )
        .unwrap_err()
        .starts_with("it would change how Helm reads other values")
    );
    // An anchor name defined twice: which copy is whose is not for a fix to guess.
    let twice = "a: &kind N\nb: *kind\nc: &kind x\nd: *kind\n";
    assert!(
        fixed(
            twice,
            vec![Change::Quote {
                at: at(twice, "N", 0),
                key: false
            }]
        )
        .is_err()
    );
}

#[test]
fn a_list_is_never_left_reading_as_null() {
    // The only item of a block list: the list becomes `[]`.
    let text = "attributes:\n  - name: Total\nnext: 1\n";
    let document = yaml::load(text, &yaml::Limits::default()).unwrap();
    let item = document.root.get("attributes").unwrap().as_seq().unwrap()[0].span;
    assert_eq!(
        fixed(text, vec![Change::RemoveItem { at: item }]).unwrap(),
        "attributes: []\nnext: 1\n"
    );
    // With a comment after the key, removing the line would leave null: refused.
    let commented = "attributes:  # why\n  - name: Total\nnext: 1\n";
    let document = yaml::load(commented, &yaml::Limits::default()).unwrap();
    let item = document.root.get("attributes").unwrap().as_seq().unwrap()[0].span;
    assert!(
        fixed(commented, vec![Change::RemoveItem { at: item }])
            .unwrap_err()
            .starts_with("it would change how Helm reads")
    );
}

#[test]
fn appends_items_in_the_list_style_and_line_endings_of_the_file() {
    let fields = || {
        vec![
            ("name".to_string(), "Sku".to_string(), false),
            ("type".to_string(), "S".to_string(), true),
        ]
    };
    let block = "attributes:\r\n    - name: Id\r\n      type: 'S'  # key\r\nnext: 1\r\n";
    let document = yaml::load(block, &yaml::Limits::default()).unwrap();
    let key = document.root.entry("attributes").unwrap().key_span;
    assert_eq!(
        fixed(
            block,
            vec![Change::AppendItem {
                key,
                fields: fields()
            }]
        )
        .unwrap(),
        "attributes:\r\n    - name: Id\r\n      type: 'S'  # key\r\n    - name: Sku\r\n      type: 'S'\r\nnext: 1\r\n"
    );
    for (flow, expected) in [
        (
            "attributes: [{name: Id, type: 'S'}]\n",
            "attributes: [{name: Id, type: 'S'}, {name: Sku, type: 'S'}]\n",
        ),
        ("attributes: []\n", "attributes: [{name: Sku, type: 'S'}]\n"),
    ] {
        let document = yaml::load(flow, &yaml::Limits::default()).unwrap();
        let key = document.root.entry("attributes").unwrap().key_span;
        assert_eq!(
            fixed(
                flow,
                vec![Change::AppendItem {
                    key,
                    fields: fields()
                }]
            )
            .unwrap(),
            expected
        );
    }
}

#[test]
fn empties_lists_of_either_style() {
    for (text, expected) in [
        (
            "index:\n  nonKeyAttributes:\n    - a\n    - b\n  projection: ALL\n",
            "index:\n  nonKeyAttributes: []\n  projection: ALL\n",
        ),
        (
            "index: {nonKeyAttributes: [a, b], projection: ALL}\n",
            "index: {nonKeyAttributes: [], projection: ALL}\n",
        ),
        // A comment after the key stays.
        (
            "index:\n  nonKeyAttributes:  # why\n    - a\n",
            "index:\n  nonKeyAttributes:  # why\n    []\n",
        ),
    ] {
        let document = yaml::load(text, &yaml::Limits::default()).unwrap();
        let index = document.root.get("index").unwrap();
        let entry = index.entry("nonKeyAttributes").unwrap();
        let change = Change::EmptyList {
            key: entry.key_span,
        };
        assert_eq!(fixed(text, vec![change]).unwrap(), expected);
    }
}

#[test]
fn removes_suppressions_and_suppression_keys() {
    let text = "a: 1  # dynalint: ignore[DL112, DL102] -- old\n# dynalint: ignore[DL101]\nb: 2\n";
    let comment = |needle: &str| {
        let start = at(text, needle, 0).start;
        let end = line_end(text, start as usize) as u32;
        Span::new(start, end)
    };
    let first = comment("dynalint: ignore[DL112");
    let keys = vec![at(text, "DL112", 0), at(text, "DL102", 0)];
    let remove_key = |index: usize| Change::RemoveSuppression {
        comment: first,
        keys: keys.clone(),
        at: keys[index],
    };
    assert_eq!(
        fixed(text, vec![remove_key(0)]).unwrap(),
        "a: 1  # dynalint: ignore[DL102] -- old\n# dynalint: ignore[DL101]\nb: 2\n"
    );
    assert_eq!(
        fixed(text, vec![remove_key(1)]).unwrap(),
        "a: 1  # dynalint: ignore[DL112] -- old\n# dynalint: ignore[DL101]\nb: 2\n"
    );
    let own_line = Change::RemoveSuppression {
        comment: comment("dynalint: ignore[DL101"),
        keys: vec![at(text, "DL101", 0)],
        at: at(text, "DL101", 0),
    };
    assert_eq!(
        fixed(text, vec![own_line]).unwrap(),
        "a: 1  # dynalint: ignore[DL112, DL102] -- old\nb: 2\n"
    );
    let single = "a: 1  # dynalint: ignore[DL112]\n";
    let change = Change::RemoveSuppression {
        comment: Span::new(8, single.len() as u32 - 1),
        keys: vec![at(single, "DL112", 0)],
        at: at(single, "DL112", 0),
    };
    assert_eq!(fixed(single, vec![change]).unwrap(), "a: 1\n");
}

#[test]
fn replacements_keep_the_quoting_of_what_they_replace() {
    let text = "billingMod: x\n\"readCapacty\": 1\nroles: ['koa-orders']\nplain: [koa-orders]\n";
    let replace = |needle: &str, key: bool, new: &str| {
        fixed(
            text,
            vec![Change::Replace {
                at: at(text, needle, 0),
                key,
                text: new.to_string(),
            }],
        )
        .unwrap()
    };
    assert!(replace("billingMod", true, "billingMode").starts_with("billingMode: x\n"));
    assert!(replace("\"readCapacty\"", true, "readCapacity").contains("\n\"readCapacity\": 1\n"));
    assert!(replace("'koa-orders'", false, "koa-order-service").contains("['koa-order-service']"));
    let plain = at(text, "koa-orders", 1);
    let replaced = fixed(
        text,
        vec![Change::Replace {
            at: plain,
            key: false,
            text: "no".to_string(),
        }],
    )
    .unwrap();
    assert!(replaced.contains("plain: ['no']"), "{replaced}");
}

#[test]
fn a_rename_onto_a_key_already_there_is_refused() {
    let text = "billingMod: x\nbillingMode: y\n";
    let change = Change::Replace {
        at: at(text, "billingMod", 0),
        key: true,
        text: "billingMode".to_string(),
    };
    assert_eq!(
        fixed(text, vec![change]).unwrap_err(),
        "it would write a key twice"
    );
}

#[test]
fn unified_diffs_as_git_writes_them() {
    assert_eq!(unified_diff("v.yaml", "a: 1\n", "a: 1\n"), "");
    assert_eq!(
        unified_diff("v.yaml", "a: 1\nb: N\nc: 3\n", "a: 1\nb: 'N'\nc: 3\n"),
        "--- a/v.yaml\n+++ b/v.yaml\n@@ -1,3 +1,3 @@\n a: 1\n-b: N\n+b: 'N'\n c: 3\n"
    );
}
