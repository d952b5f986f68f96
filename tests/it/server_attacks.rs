//! `dynalint server` attacked as a hostile or merely unusual client would: the protocol's
//! edges (before `initialize`, after `shutdown`, ranges under full sync), buffers the
//! editor holds differently from the disk (a byte order mark, CRLF, multi-line scalars),
//! the workspace under another name, a base judged by the working tree's configuration,
//! and inputs that make per-finding work quadratic.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::lsp::Server;
use crate::common::{Repo, TWO_TABLES};

const PATH: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

fn repo() -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", "tables: []\n");
    repo
}

fn uri_of(repo: &Repo) -> String {
    format!("file://{}/{PATH}", repo.path().display())
}

/// `(code, start line, start character, end line, end character)` of each diagnostic.
fn summary(diagnostics: &[Value]) -> Vec<(String, u64, u64, u64, u64)> {
    let at = |value: &Value| value.as_u64().unwrap();
    diagnostics
        .iter()
        .map(|diagnostic| {
            let range = &diagnostic["range"];
            (
                diagnostic["code"].as_str().unwrap().to_string(),
                at(&range["start"]["line"]),
                at(&range["start"]["character"]),
                at(&range["end"]["line"]),
                at(&range["end"]["character"]),
            )
        })
        .collect()
}

/// The byte offset of an LSP position in `text` (lines ended by `\n`, `\r\n` or `\r`,
/// characters in UTF-16 units), as an editor finds it.
fn offset(text: &str, line: u64, character: u64) -> usize {
    let mut at = 0;
    for _ in 0..line {
        let rest = &text[at..];
        let end = rest.find(['\n', '\r']).expect("the line exists");
        at += end
            + if rest[end..].starts_with("\r\n") {
                2
            } else {
                1
            };
    }
    let mut units = 0;
    for (index, character_here) in text[at..].char_indices() {
        if units >= character || matches!(character_here, '\n' | '\r') {
            return at + index;
        }
        units += character_here.len_utf16() as u64;
    }
    text.len()
}

/// The text after an editor applies a code action's edits to the document at `uri`.
fn applied(text: &str, action: &Value, uri: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = action["edit"]["changes"][uri]
        .as_array()
        .unwrap()
        .iter()
        .map(|edit| {
            let position = |which: &str| {
                let at = &edit["range"][which];
                offset(
                    text,
                    at["line"].as_u64().unwrap(),
                    at["character"].as_u64().unwrap(),
                )
            };
            (
                position("start"),
                position("end"),
                edit["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    let mut text = text.to_string();
    for (start, end, new) in edits {
        text.replace_range(start..end, &new);
    }
    text
}

/// Attack: a request between `shutdown` and `exit` (and a notification, as clients that
/// close documents late send). LSP: the request is answered with InvalidRequest, the
/// notification dropped, and `exit` then ends the server with status 0. (The server used
/// to take any such message for a protocol error and quit with status 2 unanswered.)
#[test]
fn attack_messages_between_shutdown_and_exit() {
    let repo = repo();
    let mut server = Server::start(repo.path());
    assert_eq!(
        server.request("shutdown", Value::Null)["result"],
        Value::Null
    );
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri_of(&repo)}}),
    );
    let late = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri_of(&repo)}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(late["error"]["code"], -32600, "{late}");
    server.notify("exit", Value::Null);
    assert_eq!(server.status(), Some(0));
}

/// Attack: `exit` before `initialize`; an `initialize` whose params have the wrong type;
/// a request before `initialize`. LSP: exit without shutdown is status 1 (it was 2, as a
/// protocol error); a bad `initialize` is answered with an error (the server used to quit
/// without a word) and a good one may follow; the early request gets ServerNotInitialized.
#[test]
fn attack_before_initialize() {
    let repo = repo();
    let mut server = Server::spawn(repo.path());
    server.notify("exit", Value::Null);
    assert_eq!(server.status(), Some(1));

    let mut server = Server::spawn(repo.path());
    let early = server.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let bad = server.request(
        "initialize",
        json!({"processId": "not a number", "capabilities": {}}),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let good = server.request(
        "initialize",
        json!({"processId": null, "rootUri": format!("file://{}", repo.path().display()), "capabilities": {}}),
    );
    assert_eq!(good["result"]["serverInfo"]["name"], "dynalint");
    server.notify("initialized", json!({}));
    let again = server.request("initialize", json!({"processId": null, "capabilities": {}}));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    let uri = uri_of(&repo);
    server.open(
        &uri,
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n",
    );
    assert_eq!(summary(&server.diagnostics(&uri))[0].0, "DL004");
    assert_eq!(server.stop(), Some(0));
}

/// Attack: a didChange of the incremental shape (a `range` and its text) though the
/// server declared full sync. The range is applied to the buffer, never taken for the
/// whole text (the server used to lint the fragment `N` as the file: a schema error at
/// 0:0 instead of the type trap where `N` was typed).
#[test]
fn attack_a_ranged_change_under_full_sync() {
    let repo = repo();
    let uri = uri_of(&repo);
    let mut server = Server::start(repo.path());
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    tags: {note: \"é😀\"}\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    server.open(&uri, text);
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    // `'S'` is 34..37 on line 3; then `"é😀"}` (é one unit, 😀 two) becomes `no}` on
    // line 4, the range ending past the end of its line (LSP: the line's end).
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 3, "character": 34}, "end": {"line": 3, "character": 37}}, "text": "N"},
            {"range": {"start": {"line": 4, "character": 17}, "end": {"line": 4, "character": 99}}, "text": "no}"},
        ]}),
    );
    assert_eq!(
        summary(&server.diagnostics(&uri)),
        [
            ("DL004".to_string(), 3, 34, 3, 35),
            ("DL004".to_string(), 4, 17, 4, 19)
        ]
    );
    assert_eq!(server.stop(), Some(0));
}

/// Attack: a buffer whose text starts with a byte order mark (a client that does not
/// strip it). Positions count it (one UTF-16 unit on the first line), and the code
/// actions are offered: the server used to place the first line's diagnostics one
/// character early, and to offer no action at all (the linted text had no mark, so the
/// buffer looked changed since).
#[test]
fn attack_a_byte_order_mark_in_the_buffer() {
    let repo = repo();
    let uri = uri_of(&repo);
    let mut server = Server::start(repo.path());
    let text = "\u{feff}tables: [{name: Orders, hashKey: Id, attributes: [{name: Id, type: N}], serviceAccountReadRoles: [api-shop-dev]}]\n";
    server.open(&uri, text);
    let diagnostics = server.diagnostics(&uri);
    // `N`: 67 characters after the mark, which is one more.
    assert_eq!(summary(&diagnostics), [("DL004".to_string(), 0, 68, 0, 69)]);
    let actions = server.actions(&uri, &diagnostics[0]);
    assert_eq!(actions.len(), 2, "{actions:?}");
    let fixed = applied(text, &actions[0], &uri);
    assert!(fixed.contains("type: 'N'}"), "{fixed}");
    server.change(&uri, 2, &fixed);
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    assert_eq!(server.stop(), Some(0));
}

/// Attack: with `base` set, the working tree's dynalint.toml (not committed) turns the
/// deletion rule off, or the base's configuration has an `ignore` entry on the line the
/// deletion is reported at. `check --base` judges the change with the base's settings and
/// reports DL301 (an entry the base has already covers no change rule); the server must
/// not be quieter than that (it read the base with the working tree's configuration and
/// published nothing).
#[test]
fn attack_the_working_tree_configuration_silences_a_deletion() {
    for (name, setup) in [
        (
            "the rule turned off in the working tree",
            (|repo: &Repo| {
                repo.commit("two tables");
                repo.write("dynalint.toml", "[rules]\ntable-deleted = \"off\"\n");
            }) as fn(&Repo),
        ),
        ("an ignore entry the base has", |repo: &Repo| {
            repo.write("dynalint.toml", format!("ignore = [\"{PATH}:1:DL301\"]\n"));
            repo.commit("two tables, an ignore");
        }),
    ] {
        let repo = Repo::new();
        repo.workload("shop-dev", "api");
        repo.values("shop-dev", TWO_TABLES);
        setup(&repo);
        let orders = &TWO_TABLES[..TWO_TABLES.find("  - name: Invoices").unwrap()];
        let uri = uri_of(&repo);
        let mut server = Server::start_at(
            repo.path(),
            &format!("file://{}", repo.path().display()),
            json!({"base": "HEAD"}),
        );
        server.open(&uri, orders);
        let diagnostics = server.diagnostics(&uri);
        // CI on the same content, saved.
        repo.values("shop-dev", orders);
        let ci = repo.check(&["--base", "HEAD"]);
        assert!(ci.stdout.contains("DL301"), "{name}: {}", ci.stdout);
        assert_eq!(
            summary(&diagnostics),
            [("DL301".to_string(), 0, 0, 0, 6)],
            "{name}"
        );
        assert_eq!(diagnostics[0]["severity"], 1, "{name}");
        assert_eq!(server.stop(), Some(0));
    }
}

/// Attack (held): a suppression comment on the deletion's line that the base already
/// had, kept in the buffer. As in CI, it covers nothing in this change: DL301 is
/// reported, and the comment is an unused suppression.
#[test]
fn attack_a_suppression_inherited_from_the_base() {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    let with_comment =
        |text: &str| text.replacen("tables:", "tables: # dynalint: ignore[DL301] -- old", 1);
    repo.values("shop-dev", &with_comment(TWO_TABLES));
    repo.commit("two tables");
    let orders = with_comment(&TWO_TABLES[..TWO_TABLES.find("  - name: Invoices").unwrap()]);
    let uri = uri_of(&repo);
    let mut server = Server::start_at(
        repo.path(),
        &format!("file://{}", repo.path().display()),
        json!({"base": "HEAD"}),
    );
    server.open(&uri, &orders);
    let codes: Vec<String> = summary(&server.diagnostics(&uri))
        .into_iter()
        .map(|(code, ..)| code)
        .collect();
    assert_eq!(codes, ["DL301", "DL005"]);
    assert_eq!(server.stop(), Some(0));
}

/// Attack: 2,000 findings on one line of 200 kB that is not all ASCII (one `é`), and a
/// code action asked for on it. Converting each finding's offsets must not rescan the
/// line (nor index the whole file again per finding): the server used to take 12 times
/// as long as `dynalint check` itself (22 s in a debug build) to publish, and 20 s to
/// answer the code action.
#[test]
fn attack_many_findings_on_a_long_line_that_is_not_ascii() {
    let repo = repo();
    let uri = uri_of(&repo);
    let tables: Vec<String> = (0..2000)
        .map(|index| format!("{{name: T{index}, hashKey: Id, attributes: [{{name: Id, type: N}}], serviceAccountReadRoles: [api-shop-dev]}}"))
        .collect();
    let text = format!("tables: [{}]\n", tables.join(", ")).replacen("T1,", "T1é,", 1);
    // What CI takes on the same file.
    repo.values("shop-dev", &text);
    let started = Instant::now();
    let ci = repo.check(&["--format", "json"]);
    let ci_time = started.elapsed();
    assert!(ci.stdout.contains("DL004"));
    let mut server = Server::start(repo.path());
    let started = Instant::now();
    server.open(&uri, &text);
    let diagnostics = server.diagnostics(&uri);
    let published = started.elapsed();
    assert_eq!(diagnostics.len(), 2000);
    assert!(
        published < ci_time * 4 + Duration::from_secs(2),
        "published in {published:?}, CI took {ci_time:?}"
    );
    let last = diagnostics.last().unwrap();
    let started = Instant::now();
    let actions = server.actions(&uri, last);
    let answered = started.elapsed();
    assert_eq!(actions.len(), 2);
    assert!(
        answered < Duration::from_secs(3),
        "code action answered in {answered:?}"
    );
    let fixed = applied(&text, &actions[0], &uri);
    assert!(fixed.ends_with("type: 'N'}], serviceAccountReadRoles: [api-shop-dev]}]\n"));
    assert_eq!(server.stop(), Some(0));
}

/// Attack: the workspace folder opened through a symbolic link and the file by its real
/// path (editors that resolve links), and a URI with `//` in it. Both are the same file
/// of the repository and are linted as such (the server used to publish nothing for the
/// first, the document not being "under" the root, and to lint `apps-shop//apps/...`, a
/// path no include glob matches, for the second: silence either way).
#[test]
fn attack_the_same_file_under_other_names() {
    let repo = repo();
    let link = tempfile::tempdir().unwrap();
    let linked = link.path().join("workspace");
    std::os::unix::fs::symlink(repo.path(), &linked).unwrap();
    let trap =
        "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n";
    let expected = [("DL004".to_string(), 3, 34, 3, 35)];
    let mut server = Server::start_at(
        repo.path(),
        &format!("file://{}", linked.display()),
        Value::Null,
    );
    let real = uri_of(&repo);
    server.open(&real, trap);
    assert_eq!(
        summary(&server.settled(&real).unwrap_or_default()),
        expected
    );
    server.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": real}}),
    );
    assert_eq!(server.settled(&real), Some(Vec::new()));
    let doubled = format!(
        "file://{}/apps-shop//apps/shop-dev/dynamo-tables/values.yaml",
        linked.display()
    );
    server.open(&doubled, trap);
    assert_eq!(
        summary(&server.settled(&doubled).unwrap_or_default()),
        expected
    );
    assert_eq!(server.stop(), Some(0));
}

/// Attack: the same file open under two URIs (through a link and by its real path), the
/// user typing in the second. The text typed last is the file's, for both: the server
/// used to lint whichever URI sorted last, so the buffer being typed in got the
/// diagnostics of the other, stale one.
#[test]
fn attack_one_file_open_twice() {
    let repo = repo();
    let link = tempfile::tempdir().unwrap();
    let linked = link.path().join("workspace");
    std::os::unix::fs::symlink(repo.path(), &linked).unwrap();
    let mut server = Server::start(repo.path());
    let clean = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let real = uri_of(&repo);
    let through_link = format!("file://{}/{PATH}", linked.display());
    // Either URI may sort first: both ways round.
    for (typed, stale) in [(&real, &through_link), (&through_link, &real)] {
        server.open(typed, clean);
        server.open(stale, clean);
        server.change(typed, 2, &clean.replace("'S'", "N"));
        let diagnostics = server.settled(typed).unwrap();
        assert_eq!(
            summary(&diagnostics),
            [("DL004".to_string(), 3, 34, 3, 35)],
            "typed in {typed}"
        );
        for uri in [typed, stale] {
            server.notify(
                "textDocument/didClose",
                json!({"textDocument": {"uri": uri}}),
            );
        }
    }
    assert_eq!(server.stop(), Some(0));
}

/// Attack: the suppression action on a finding whose line ends inside a multi-line
/// scalar (a table name quoted over two lines, or a plain one continued). A comment at
/// that line's end is content of the quoted name (the suppression then suppresses
/// nothing) or ends the plain scalar (the file no longer parses, DL001). The comment
/// goes on a line of its own above, where it suppresses the finding.
#[test]
fn attack_a_suppression_inside_a_multi_line_scalar() {
    let repo = repo();
    let uri = uri_of(&repo);
    let mut server = Server::start(repo.path());
    for name in ["\"Orders\n      Extra\"", "Orders\n      Extra"] {
        let text = format!(
            "tables:\n  - name: {name}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n"
        );
        server.open(&uri, &text);
        let diagnostics = server.diagnostics(&uri);
        assert_eq!(summary(&diagnostics)[0].0, "DL104", "{name}");
        let actions = server.actions(&uri, &diagnostics[0]);
        let suppress = actions
            .iter()
            .find(|action| action["title"].as_str().unwrap().contains("suppress"))
            .expect("a suppression is offered");
        let suppressed = applied(&text, suppress, &uri).replace("-- ", "-- a legacy name");
        assert!(
            suppressed.contains("\n  # dynalint: ignore[DL104] -- a legacy name\n  - name: "),
            "{suppressed}"
        );
        server.change(&uri, 2, &suppressed);
        assert_eq!(
            server.diagnostics(&uri),
            Vec::<Value>::new(),
            "{suppressed}"
        );
        server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        server.diagnostics(&uri);
    }
    assert_eq!(server.stop(), Some(0));
}

/// Attack (held): a fix and a suppression in CRLF and CR-only buffers with characters
/// of two UTF-16 units before the finding, and no line break at the end. Each action,
/// applied by the editor to the buffer, leaves it clean and its line breaks as they were.
#[test]
fn attack_line_breaks_and_surrogate_pairs_in_edits() {
    let repo = repo();
    let uri = uri_of(&repo);
    let mut server = Server::start(repo.path());
    let lf = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    tags: {note: \"😀😀\", kind: no}\n    serviceAccountReadRoles: [\"api-shop-dev\"]";
    for line_break in ["\r\n", "\r"] {
        let text = lf.replace('\n', line_break);
        server.open(&uri, &text);
        let diagnostics = server.diagnostics(&uri);
        assert_eq!(summary(&diagnostics), [("DL004".to_string(), 4, 31, 4, 33)]);
        for action in server.actions(&uri, &diagnostics[0]) {
            let edited = applied(&text, &action, &uri).replace("-- ", "-- because");
            assert_eq!(
                edited.matches(line_break).count(),
                text.matches(line_break).count(),
                "{edited:?}"
            );
            server.change(&uri, 2, &edited);
            assert_eq!(server.diagnostics(&uri), Vec::<Value>::new(), "{edited:?}");
            server.change(&uri, 3, &text);
            server.diagnostics(&uri);
        }
    }
    assert_eq!(server.stop(), Some(0));
}

/// Attack (held): 500 didChange sent without waiting, the last one with a trap. The
/// server coalesces them: the final state is published within a second or two, and
/// never followed by the diagnostics of an earlier text.
#[test]
fn attack_a_burst_of_changes() {
    let repo = repo();
    let uri = uri_of(&repo);
    let mut server = Server::start(repo.path());
    let clean = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    server.open(&uri, clean);
    assert_eq!(server.diagnostics(&uri), Vec::<Value>::new());
    let started = Instant::now();
    for version in 2..=501 {
        let text = if version == 501 {
            clean.replace("'S'", "N")
        } else {
            clean.replace("Orders", &format!("Orders{version}"))
        };
        server.change(&uri, version, &text);
    }
    let diagnostics = server.settled(&uri).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary(&diagnostics), [("DL004".to_string(), 3, 34, 3, 35)]);
    // Nothing stale after it.
    assert_eq!(server.settled(&uri), None);
    assert_eq!(server.stop(), Some(0));
}
