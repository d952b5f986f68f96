//! `dynalint server` driven over stdio as an editor drives it: initialize, open, change,
//! code actions, hover, close, shutdown and exit; exact ranges in UTF-16.

use std::io::Write;

use serde_json::{Value, json};

use crate::common::Repo;
use crate::common::lsp::Server;

const PATH: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

/// `dynalint server`, initialized with `root` as the workspace folder, by a client that
/// can watch files: the server asks it to, for what it reads.
fn start(root: &std::path::Path) -> Server {
    start_with(root, Value::Null)
}

/// With these `initializationOptions`.
fn start_with(root: &std::path::Path, options: Value) -> Server {
    let mut server = Server::start_as(
        root,
        &format!("file://{}", root.display()),
        options,
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    );
    let registration = server.receive();
    assert_eq!(registration["method"], "client/registerCapability");
    let watchers = &registration["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert_eq!(watchers[0]["globPattern"], "**/dynalint.toml");
    server
}

fn repo() -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", "tables: []\n");
    repo
}

/// `(code, start line, start character, end character)` of each diagnostic.
fn summary(diagnostics: &[Value]) -> Vec<(String, u64, u64, u64)> {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let range = &diagnostic["range"];
            (
                diagnostic["code"].as_str().unwrap().to_string(),
                range["start"]["line"].as_u64().unwrap(),
                range["start"]["character"].as_u64().unwrap(),
                range["end"]["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn diagnostics_of_unsaved_text_with_utf16_ranges_fixes_and_hover() {
    let repo = repo();
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start(repo.path());
    // Unsaved text, with characters of two and four bytes (one and two UTF-16 units)
    // before the trap on its line.
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    tags: {note: \"é😀\", kind: no}\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics(&uri);
    // `no` starts at 30 in UTF-16 units (29 characters, 33 bytes into the line).
    assert_eq!(summary(&diagnostics), [("DL004".to_string(), 4, 30, 32)]);
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["source"], "dynalint");
    assert_eq!(diagnostic["severity"], 1);
    assert!(
        diagnostic["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules.md#dl004-yaml-type-trap")
    );

    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
    );
    let actions = actions["result"].as_array().unwrap();
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0]["title"], "DL004: quote it: `'no'`");
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(
        actions[0]["edit"]["changes"][&uri],
        json!([{"range": diagnostic["range"], "newText": "'no'"}])
    );
    assert_eq!(
        actions[1]["edit"]["changes"][&uri][0]["newText"],
        "  # dynalint: ignore[DL004] -- "
    );

    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": diagnostic["range"]["start"]}),
    );
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("# DL004 yaml-type-trap (error by default)")
    );

    // Typing the fix clears the diagnostic; the file on disk was never written.
    let fixed = text.replace("kind: no", "kind: 'no'");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(
        std::fs::read_to_string(repo.path().join(PATH)).unwrap(),
        "tables: []\n"
    );
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn closing_a_document_clears_its_diagnostics_and_unknown_methods_are_answered() {
    let repo = repo();
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start(repo.path());
    let text =
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    assert!(!server.diagnostics(&uri).is_empty());
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    let unknown = server.request("dynalint/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // A document outside the include globs gets none, and nothing breaks.
    let other = format!("file://{}/README.yaml", repo.path().display());
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": other, "languageId": "yaml", "version": 1, "text": "a: N\n"}}),
    );
    assert_eq!(server.diagnostics(&other), Vec::<Value>::new());
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn a_malformed_message_is_skipped_and_the_server_goes_on() {
    let repo = repo();
    let mut server = start(repo.path());
    // Not JSON, then a header without a length: both skipped, said on stderr.
    write!(server.input, "Content-Length: 8\r\n\r\nnot json").unwrap();
    write!(server.input, "X-Nothing: 1\r\n\r\n").unwrap();
    server.input.flush().unwrap();
    let unknown = server.request("dynalint/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn with_a_base_the_change_rules_run_while_typing() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", crate::common::TWO_TABLES);
    repo.commit("two tables");
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start_with(repo.path(), json!({"base": "HEAD"}));
    // The buffer deletes `Invoices` before anything is saved or committed.
    let (orders, _) = crate::common::TWO_TABLES.split_at(
        crate::common::TWO_TABLES
            .find("  - name: Invoices")
            .unwrap(),
    );
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": orders}}),
    );
    let diagnostics = server.diagnostics(&uri);
    assert_eq!(summary(&diagnostics), [("DL301".to_string(), 0, 0, 6)]);
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("Crossplane deletes it in AWS"),
        "{diagnostics:?}"
    );
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn a_configuration_changed_on_disk_relints_and_a_broken_one_is_a_diagnostic_on_it() {
    let repo = repo();
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let config = format!("file://{}/dynalint.toml", repo.path().display());
    let mut server = start(repo.path());
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    pointInTimeRecovery: false\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    assert_eq!(
        summary(&server.diagnostics(&uri)),
        [("DL112".to_string(), 4, 25, 30)]
    );
    let changed = |server: &mut Server| {
        server.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": config, "type": 2}]}),
        )
    };
    // Turning the rule off in dynalint.toml, on disk, re-lints the open file.
    repo.write("dynalint.toml", "[rules]\npitr-disabled = \"off\"\n");
    changed(&mut server);
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    // A broken one: one diagnostic on it; the last good configuration stays.
    repo.write("dynalint.toml", "[rules\n");
    changed(&mut server);
    let problem = server.diagnostics(&config);
    assert_eq!(problem.len(), 1, "{problem:?}");
    assert_eq!(problem[0]["severity"], 1);
    repo.write("dynalint.toml", "");
    changed(&mut server);
    assert_eq!(server.diagnostics(&config), Vec::<Value>::new());
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn exit_without_shutdown_is_status_1_and_a_30_mb_buffer_is_answered() {
    let repo = repo();
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start(repo.path());
    // 30 MB of values: over the file size limit, a finding, not a crash.
    let mut big = String::from("tables:\n");
    while big.len() < 30 * 1024 * 1024 {
        big.push_str("  # padding padding padding padding padding padding padding padding\n");
    }
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": big}}),
    );
    let diagnostics = server.diagnostics(&uri);
    assert_eq!(summary(&diagnostics)[0].0, "DL001", "{diagnostics:?}");
    server.notify("exit", Value::Null);
    assert_eq!(server.child.wait().unwrap().code(), Some(1));
}

#[test]
fn related_information_points_into_files_that_are_not_open() {
    let repo = repo();
    // Both files define the AWS table `shop-dev-Orders`: shop-legacy is mapped to shop-dev.
    repo.write(
        "dynalint.toml",
        "[namespaces]\n\"apps-shop/apps/shop-legacy/**\" = \"shop-dev\"\n",
    );
    let orders = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    repo.values("shop-dev", orders);
    let legacy = Repo::values_path("shop-legacy");
    repo.write(&legacy, orders);
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start(repo.path());
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": orders}}),
    );
    let diagnostics = server.diagnostics(&uri);
    assert_eq!(summary(&diagnostics), [("DL105".to_string(), 1, 10, 16)]);
    let related = &diagnostics[0]["relatedInformation"][0]["location"];
    assert_eq!(
        related["uri"],
        format!("file://{}/{legacy}", repo.path().display())
    );
    assert_eq!(
        related["range"]["start"],
        json!({"line": 1, "character": 10})
    );
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn documents_outside_the_workspace_or_not_files_get_nothing_and_break_nothing() {
    let repo = repo();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut server = start(repo.path());
    let trap =
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n";
    let outside = format!("file://{}/{PATH}", elsewhere.path().display());
    for uri in [
        outside.as_str(),
        "untitled:Untitled-1",
        "https://example.com/values.yaml",
    ] {
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": trap}}),
        );
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": trap}]}),
        );
        // Asked about it, the server answers with nothing; it published nothing for it.
        let (published, actions) = server.until_answered(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 40}}, "context": {"diagnostics": []}}),
        );
        assert_eq!(actions["result"], json!([]), "{uri}");
        assert!(
            published
                .iter()
                .all(|message| message["params"]["uri"] != uri),
            "{uri}: {published:?}"
        );
        let (_, hover) = server.until_answered(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 33}}),
        );
        assert_eq!(hover["result"], Value::Null, "{uri}");
        server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    // The workspace's own file is still served.
    let inside = format!("file://{}/{PATH}", repo.path().display());
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": inside, "languageId": "yaml", "version": 1, "text": trap}}),
    );
    assert_eq!(
        summary(&server.diagnostics(&inside)),
        [("DL004".to_string(), 3, 34, 35)]
    );
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn invalid_utf8_on_disk_is_a_finding_and_the_open_file_is_served() {
    let repo = repo();
    // The workload the open file grants, and another values file of its namespace (read
    // as the open file's context), are not UTF-8 on disk.
    repo.write(
        "apps-shop/apps/shop-dev/api/Chart.yaml",
        b"apiVersion: v2\nname: \xff\xfe\n".as_slice(),
    );
    repo.write(
        "apps-shop/apps/shop-dev/dynamo-tables/values.yml",
        b"tables:\n  - name: \xc3\x28\n".as_slice(),
    );
    let uri = format!("file://{}/{PATH}", repo.path().display());
    let mut server = start(repo.path());
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
    );
    let diagnostics = server.diagnostics(&uri);
    let codes: Vec<String> = summary(&diagnostics)
        .into_iter()
        .map(|(code, line, ..)| format!("{code}@{line}"))
        .collect();
    assert_eq!(codes, ["DL004@3"], "{diagnostics:?}");
    // The other file, opened as the editor decoded it, is served too.
    let other = format!(
        "file://{}/apps-shop/apps/shop-dev/dynamo-tables/values.yml",
        repo.path().display()
    );
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": other, "languageId": "yaml", "version": 1, "text": "tables:\n  - name: \u{fffd}(\n"}}),
    );
    assert_eq!(
        summary(&server.diagnostics(&other)),
        [("DL002".to_string(), 1, 4, 12)]
    );
    let (_, answer) = server.until_answered("dynalint/unknown", json!({}));
    assert_eq!(answer["error"]["code"], -32601);
    assert_eq!(server.stop(), Some(0));
}
