use std::collections::BTreeMap;

use super::text::{Entry, Rewrite};
use super::*;
use crate::pipeline;
use crate::snapshot::MemoryTree;
use crate::source::Scope;
use crate::yaml::{self, Limits};

const ORDERS: &str = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-test\"]
";

/// The base's entry at `position`, inserted before `index` into `head`.
fn inserted(base: &str, position: usize, head: &str, index: usize) -> Result<String, String> {
    let document = yaml::load(base, &Limits::default()).unwrap();
    let entry = Entry::read(base, &document, position)?;
    let mut rewrite =
        Rewrite::existing("values.yaml", head.as_bytes().to_vec(), &Limits::default())?;
    rewrite.insert(index, &entry)?;
    let written = rewrite.finish(&Limits::default())?;
    Ok(String::from_utf8(written.after).unwrap())
}

#[test]
fn an_entry_goes_into_the_list_with_the_files_own_indentation_and_line_endings() {
    // Indented by four, CRLF, a byte order mark, comments: all kept.
    let head = "\u{feff}# shop\r\ntables:\r\n    -   name: Carts  # carts\r\n        hashKey: Id\r\n        attributes: [{name: Id, type: 'S'}]\r\n";
    let written = inserted(ORDERS, 0, head, 0).unwrap();
    assert_eq!(
        written,
        "\u{feff}# shop\r\ntables:\r\n    -   name: Orders\r\n        hashKey: Id\r\n        attributes: [{name: Id, type: 'S'}]\r\n        serviceAccountReadRoles: [\"api-test\"]\r\n    -   name: Carts  # carts\r\n        hashKey: Id\r\n        attributes: [{name: Id, type: 'S'}]\r\n"
    );
    // After the last item of a file without a final line break.
    let written = inserted(
        ORDERS,
        0,
        "tables:\n- name: Carts\n  hashKey: Id\n  attributes: [{name: Id, type: 'S'}]",
        1,
    )
    .unwrap();
    assert_eq!(
        written,
        "tables:\n- name: Carts\n  hashKey: Id\n  attributes: [{name: Id, type: 'S'}]\n- name: Orders\n  hashKey: Id\n  attributes: [{name: Id, type: 'S'}]\n  serviceAccountReadRoles: [\"api-test\"]"
    );
}

#[test]
fn a_list_is_opened_where_there_is_none() {
    let entry = "  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-test\"]\n";
    for empty in ["tables:", "tables: ~", "tables: null  # none"] {
        let comment = if empty.ends_with("# none") {
            "  # none"
        } else {
            ""
        };
        assert_eq!(
            inserted(ORDERS, 0, &format!("{empty}\nregion: eu-west-1\n"), 0).unwrap(),
            format!("tables:{comment}\n{entry}region: eu-west-1\n"),
            "{empty}"
        );
    }
    assert_eq!(
        inserted(
            ORDERS,
            0,
            "deletionPolicy: Orphan\ntables: []  # moved away\nregion: eu-west-1\n",
            0
        )
        .unwrap(),
        "deletionPolicy: Orphan\ntables:  # moved away\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-test\"]\nregion: eu-west-1\n"
    );
    assert_eq!(
        inserted(ORDERS, 0, "deletionPolicy: Orphan", 0).unwrap(),
        "deletionPolicy: Orphan\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-test\"]\n"
    );
    assert_eq!(
        inserted(ORDERS, 0, "# nothing yet\n", 0).unwrap(),
        "# nothing yet\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-test\"]\n"
    );
}

#[test]
fn flow_entries_and_lists_move_as_written_or_are_refused() {
    let flow = "tables: [{name: Orders, hashKey: Id, attributes: [{name: Id, type: 'S'}]}]\n";
    assert_eq!(
        inserted(
            flow,
            0,
            "tables:\n  - name: Carts\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n",
            1
        )
        .unwrap(),
        "tables:\n  - name: Carts\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n  - {name: Orders, hashKey: Id, attributes: [{name: Id, type: 'S'}]}\n"
    );
    assert_eq!(
        inserted(ORDERS, 0, flow, 0).unwrap_err(),
        "its `tables:` is a flow list (`[...]`): write its items as a block list (`- name: ...`) and run migrate again"
    );
}

#[test]
fn what_would_read_otherwise_is_refused() {
    // An alias whose anchor is in the base file only.
    let aliased = "keys: &keys [{name: Id, type: 'S'}]\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes: *keys\n";
    assert!(
        inserted(
            aliased,
            0,
            "tables:\n  - name: Carts\n    hashKey: Id\n    attributes: []\n",
            0
        )
        .unwrap_err()
        .starts_with("the edited file would not parse"),
    );
    // The head redefines the anchor the base's entry also defines: later aliases change.
    let anchored = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: &keys [{name: Id, type: 'S'}]\n";
    let head = "tables:\n  - name: Carts\n    hashKey: Id\n    attributes: &keys [{name: Id, type: 'N'}]\n  - name: Lists\n    hashKey: Id\n    attributes: *keys\n";
    assert_eq!(
        inserted(anchored, 0, head, 1).unwrap_err(),
        "table `Lists` would not read as intended after the edit (an alias or a `<<` merge whose anchor is elsewhere?)"
    );
    assert_eq!(
        Rewrite::existing("v.yaml", b"tables: [\n".to_vec(), &Limits::default())
            .err()
            .unwrap()
            .split(" (")
            .next()
            .unwrap(),
        "it does not parse"
    );
    assert_eq!(
        Rewrite::existing("v.yaml", b"- a\n".to_vec(), &Limits::default())
            .err()
            .unwrap(),
        "its values are not a mapping"
    );
}

#[test]
fn a_rename_keeps_the_quoting() {
    for (written, renamed) in [
        ("Orders", "Orders-v2"),
        ("'Orders'", "'Orders-v2'"),
        ("\"Orders\"", "\"Orders-v2\""),
    ] {
        let text = format!("tables:\n  - name: {written}  # orders\n    hashKey: Id\n");
        let mut rewrite =
            Rewrite::existing("v.yaml", text.clone().into_bytes(), &Limits::default()).unwrap();
        let shown = rewrite.rename(0, "Orders", "Orders-v2").unwrap();
        assert_eq!(shown, format!("- name: {renamed}  # orders\n  hashKey: Id"));
        let after = rewrite.finish(&Limits::default()).unwrap().after;
        assert_eq!(
            String::from_utf8(after).unwrap(),
            text.replace(written, renamed)
        );
    }
    let mut merged = Rewrite::existing(
        "v.yaml",
        b"base: &base {name: Orders}\ntables:\n  - <<: *base\n    hashKey: Id\n".to_vec(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        merged.rename(0, "Orders", "Orders-v2").unwrap_err(),
        "the name `Orders` comes from an alias or a `<<` merge: rename it by hand"
    );
}

#[test]
fn an_entry_can_take_a_region_of_its_own() {
    let document = yaml::load(ORDERS, &Limits::default()).unwrap();
    let entry = Entry::read(ORDERS, &document, 0)
        .unwrap()
        .with_region("eu-west-1");
    let mut rewrite = Rewrite::existing(
        "v.yaml",
        b"region: us-east-1\ntables: []\n".to_vec(),
        &Limits::default(),
    )
    .unwrap();
    rewrite.insert(0, &entry).unwrap();
    let after = rewrite.finish(&Limits::default()).unwrap().after;
    assert_eq!(
        String::from_utf8(after).unwrap(),
        "region: us-east-1\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-test\"]\n    region: eu-west-1\n"
    );
}

const WORKLOAD: &str =
    "apiVersion: v2\nname: api\ndependencies:\n  - name: idp-advanced\n    version: 1.0.0\n";

fn tree(files: &[(&str, &str)]) -> MemoryTree {
    let mut tree = MemoryTree::new().with("apps-test/apps/test/api/Chart.yaml", WORKLOAD);
    for (namespace, text) in files {
        tree = tree.with(
            &format!("apps-test/apps/{namespace}/dynamo-tables/values.yaml"),
            text.as_bytes(),
        );
    }
    tree
}

/// Migrate going from `base` to `head` (namespace, values): the new files' text, or the error.
fn migrate(
    base: &[(&str, &str)],
    head: &[(&str, &str)],
    tables: &[&str],
) -> Result<(Plan, BTreeMap<String, String>), Error> {
    let config = Config::default();
    let (base_tree, head_tree) = (tree(base), tree(head));
    let scope = Scope::everything();
    let run_over = |head: &dyn Snapshot| {
        pipeline::run(pipeline::Input {
            config: &config,
            head,
            base: Some(pipeline::Base {
                snapshot: &base_tree,
                config: None,
                label: "base".into(),
            }),
            scope: &scope,
            focus: false,
            new_only: false,
        })
        .unwrap()
    };
    let run = run_over(&head_tree);
    let tables: Vec<String> = tables.iter().map(ToString::to_string).collect();
    let plan = plan(&Request {
        run: &run,
        config: &config,
        head: &head_tree,
        base: &base_tree,
        base_label: "base",
        tables: &tables,
    })?;
    let files: Vec<(String, Vec<u8>)> = plan
        .files
        .iter()
        .map(|file| (file.path.clone(), file.after.clone()))
        .collect();
    let overlay = crate::snapshot::Overlay::with(&head_tree, files.clone());
    verify(&plan, &run_over(&overlay))?;
    let texts = files
        .into_iter()
        .map(|(path, bytes)| {
            let namespace = path.split('/').nth(2).unwrap().to_string();
            (namespace, String::from_utf8(bytes).unwrap())
        })
        .collect();
    Ok((plan, texts))
}

fn table(name: &str, key: &str) -> String {
    format!(
        "  - name: {name}\n    hashKey: {key}\n    attributes: [{{name: {key}, type: 'S'}}]\n    serviceAccountReadRoles: [api-test]\n"
    )
}

#[test]
fn versions_skip_taken_names_and_shadow_tables_follow() {
    let base = format!(
        "tables:\n{}{}{}",
        table("Orders", "Id"),
        table("Orders-shadow", "Id"),
        table("Orders-v2-shadow", "Id")
    );
    let head = format!(
        "tables:\n{}{}{}",
        table("Orders", "OrderId"),
        table("Orders-shadow", "OrderId"),
        table("Orders-v2-shadow", "Id")
    );
    // Naming the table brings its shadow table; `-v2` is taken by an old shadow table.
    let (plan, files) = migrate(&[("test", &base)], &[("test", &head)], &["Orders"]).unwrap();
    let names: Vec<(&str, &str)> = plan
        .tables
        .iter()
        .map(|migration| (migration.old.name.as_str(), migration.new.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("Orders", "Orders-v3"),
            ("Orders-shadow", "Orders-v3-shadow")
        ]
    );
    assert_eq!(
        files["test"],
        format!(
            "tables:\n{}{}{}{}{}",
            table("Orders", "Id"),
            table("Orders-v3", "OrderId"),
            table("Orders-shadow", "Id"),
            table("Orders-v3-shadow", "OrderId"),
            table("Orders-v2-shadow", "Id")
        )
    );
}

#[test]
fn a_rename_keeps_its_name_and_a_versioned_table_goes_on() {
    let base = format!("tables:\n{}", table("Orders-v2", "Id"));
    let renamed = format!("tables:\n{}", table("Purchases", "Id"));
    let (plan, files) = migrate(&[("test", &base)], &[("test", &renamed)], &[]).unwrap();
    assert!(!plan.tables[0].versioned);
    assert_eq!(
        files["test"],
        format!(
            "tables:\n{}{}",
            table("Orders-v2", "Id"),
            table("Purchases", "Id")
        )
    );
    let rekeyed = format!("tables:\n{}", table("Orders-v2", "OrderId"));
    let (_, files) = migrate(
        &[("test", &base)],
        &[("test", &rekeyed)],
        &["test-Orders-v2"],
    )
    .unwrap();
    assert_eq!(
        files["test"],
        format!(
            "tables:\n{}{}",
            table("Orders-v2", "Id"),
            table("Orders-v3", "OrderId")
        )
    );
}

#[test]
fn a_release_region_change_keeps_the_old_table_in_its_region() {
    let base = format!("tables:\n{}", table("Orders", "Id"));
    let head = format!("region: eu-central-1\ntables:\n{}", table("Orders", "Id"));
    let (plan, files) = migrate(&[("test", &base)], &[("test", &head)], &[]).unwrap();
    assert_eq!(plan.tables[0].new.id.region, "eu-central-1");
    assert_eq!(
        files["test"],
        format!(
            "region: eu-central-1\ntables:\n{}    region: eu-west-1\n{}",
            table("Orders", "Id"),
            table("Orders-v2", "Id")
        )
    );
}

#[test]
fn selection_and_nothing_to_do() {
    let base = format!("tables:\n{}", table("Orders", "Id"));
    let (plan, _) = migrate(&[("test", &base)], &[("test", &base)], &[]).unwrap();
    assert!(plan.is_empty());
    let rekeyed = format!("tables:\n{}", table("Orders", "OrderId"));
    let error = migrate(&[("test", &base)], &[("test", &rekeyed)], &["Carts"]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no table `Carts` has a DL302, DL303, DL304 or DL310 finding against base; tables that have one: `Orders`"
    );
}

#[test]
fn a_deleted_file_is_recreated_with_the_tables_that_stay() {
    // Both tables move to another namespace's file: each keeps its name there, and the
    // old file comes back with only the table still to migrate.
    let base = format!(
        "deletionPolicy: Delete\ntables:\n{}{}",
        table("Orders", "Id"),
        table("Carts", "Id")
    );
    let (plan, files) = migrate(&[("test", &base)], &[("other", &base)], &["Orders"]).unwrap();
    assert!(!plan.tables[0].versioned);
    assert_eq!(plan.files[0].before, None);
    assert_eq!(
        files["test"],
        format!("deletionPolicy: Delete\ntables:\n{}", table("Orders", "Id"))
    );
    let (_, files) = migrate(&[("test", &base)], &[("other", &base)], &[]).unwrap();
    assert_eq!(files["test"], base);
}
