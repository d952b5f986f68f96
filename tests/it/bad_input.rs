//! Malformed, hostile and huge input (PRODUCT.md section 7): each file gets a finding or
//! a clear exit-2 error, never a panic or a hang, and the other files are still linted.

use std::time::{Duration, Instant};

use crate::common::Repo;

const GOOD_BUT_FLAWED: &str = "\
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderNo
        type: 'S'
    serviceAccountReadRoles: [\"api-bad-good\"]
";

fn alias_bomb() -> String {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        text.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            [previous.as_str(); 10].join(", ")
        ));
    }
    text.push_str("tables: *a9\n");
    text
}

#[test]
fn every_bad_file_gets_a_finding_and_the_good_one_is_still_linted() {
    let repo = Repo::new();
    repo.workload("bad-good", "api");
    repo.values("bad-good", GOOD_BUT_FLAWED);
    repo.write(
        &Repo::values_path("bad-latin1"),
        b"tables:\n  - name: Caf\xe9\n",
    );
    repo.values("bad-bomb", &alias_bomb());
    repo.values("bad-deepflow", &"[".repeat(10_000));
    // Block sequences nested on one line: `- - - ... x`, 10,000 deep in 20 kB.
    repo.values("bad-deepblock", &format!("{}x\n", "- ".repeat(10_000)));
    repo.values("bad-tabs", "tables:\n  - name: A\n\thashKey: Id\n");
    repo.values("bad-empty", "");
    repo.values("bad-list", "- name: Orders\n  hashKey: Id\n");
    repo.values("bad-scalar", "just some text\n");
    repo.values("bad-multi", "tables: []\n---\ntables:\n  - name: Lost\n");
    repo.values("bad-unclosed", "tables:\n  - name: \"Orders\n");
    repo.values("bad-inf", "tables:\n  - name: .inf\n");
    // Multi-byte text right after an error position, and control characters in a name.
    repo.values("bad-trailing", "a: \"x\"\u{e9}\n");
    repo.workload("bad-control", "api");
    repo.values(
        "bad-control",
        "tables:\n  - name: \"A\\nB\\e[31m\"\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-bad-control\"]\n",
    );
    // Valid files with unusual encodings: positions must still be right.
    repo.values("bad-crlf", "tables:\r\n  - name: A\r\n    hashkey: Id\r\n");
    repo.write(
        &Repo::values_path("bad-bom"),
        b"\xef\xbb\xbftables:\n  - name: A\n    hashkey: Id\n",
    );
    // 100 MB, sparse: not read at all.
    repo.values("bad-huge", "");
    std::fs::File::options()
        .write(true)
        .open(repo.path().join(Repo::values_path("bad-huge")))
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();

    let started = Instant::now();
    let run = repo.check(&["--format", "json"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "", "no panic, no error");
    // The text output renders snippets of every one of these files.
    let text = repo.check(&[]);
    assert_eq!(
        (text.code, text.stderr.as_str()),
        (1, ""),
        "no panic in text output"
    );
    assert!(
        !text.stdout.contains('\u{1b}'),
        "control characters are escaped"
    );
    assert!(
        text.stdout.contains("`bad-control-A\\nB\\u{1b}[31m`"),
        "{}",
        text.stdout
    );
    let findings = run.locations();
    let expected = [
        // The typo `hashkey`: an unknown field, and the required hashKey is missing.
        "apps-bad/apps/bad-bom/dynamo-tables/values.yaml:2:5 DL002",
        "apps-bad/apps/bad-bom/dynamo-tables/values.yaml:3:5 DL002",
        // Level 5 of the bomb is the first over a million values.
        "apps-bad/apps/bad-bomb/dynamo-tables/values.yaml:6:",
        "apps-bad/apps/bad-crlf/dynamo-tables/values.yaml:2:5 DL002",
        "apps-bad/apps/bad-crlf/dynamo-tables/values.yaml:3:5 DL002",
        "apps-bad/apps/bad-deepblock/dynamo-tables/values.yaml:1:201 DL001",
        "apps-bad/apps/bad-deepflow/dynamo-tables/values.yaml:1:256 DL001",
        "apps-bad/apps/bad-empty/dynamo-tables/values.yaml:1:1 DL001",
        // OrderId misspelled as OrderNo: DL101 suggests it, DL102 stays silent.
        "apps-bad/apps/bad-good/dynamo-tables/values.yaml:3:14 DL101",
        "apps-bad/apps/bad-huge/dynamo-tables/values.yaml:1:1 DL001",
        "apps-bad/apps/bad-inf/dynamo-tables/values.yaml:2:11 DL001",
        "apps-bad/apps/bad-latin1/dynamo-tables/values.yaml:2:14 DL001",
        "apps-bad/apps/bad-list/dynamo-tables/values.yaml:1:1 DL002",
        "apps-bad/apps/bad-multi/dynamo-tables/values.yaml:2:1 DL001",
        "apps-bad/apps/bad-scalar/dynamo-tables/values.yaml:1:1 DL002",
        "apps-bad/apps/bad-tabs/dynamo-tables/values.yaml:3:1 DL001",
        "apps-bad/apps/bad-trailing/dynamo-tables/values.yaml:1:7 DL001",
        "apps-bad/apps/bad-control/dynamo-tables/values.yaml:2:11 DL104",
        "apps-bad/apps/bad-unclosed/dynamo-tables/values.yaml:2:11 DL001",
    ];
    let mut remaining = findings.clone();
    for prefix in expected {
        let position = remaining
            .iter()
            .position(|finding| finding.starts_with(prefix))
            .unwrap_or_else(|| panic!("no finding `{prefix}` in\n{}", findings.join("\n")));
        remaining.remove(position);
    }
    assert!(
        remaining.is_empty(),
        "unexpected findings:\n{}",
        remaining.join("\n")
    );
}

#[test]
fn a_huge_file_does_not_stop_the_others() {
    let repo = Repo::new();
    repo.workload("big-ok", "api");
    repo.workload("big-large", "api");
    repo.values(
        "big-ok",
        &GOOD_BUT_FLAWED.replace("api-bad-good", "api-big-ok"),
    );
    let mut big = String::from("tables:\n");
    for index in 0..40_000 {
        big.push_str(&format!("  - name: T{index}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"api-big-large\"]\n"));
    }
    assert!(big.len() > 4 * 1024 * 1024);
    repo.values("big-large", &big);
    let run = repo.check(&["--format", "json"]);
    assert_eq!(
        run.locations(),
        [
            "apps-big/apps/big-large/dynamo-tables/values.yaml:1:1 DL001",
            "apps-big/apps/big-ok/dynamo-tables/values.yaml:3:14 DL101",
        ]
    );
    // Raised in config, the same file is linted (and is fine).
    repo.write(
        "dynalint.toml",
        "[limits]\nmax-file-size = \"8MiB\"\n[rules]\n# One role for 40,000 tables: over the policy size.\npolicy-size-limit = \"off\"\n",
    );
    let raised = repo.check(&["--format", "json", "apps-big/apps/big-large"]);
    assert_eq!(raised.code, 0, "{}", raised.stdout);
    assert_eq!(raised.json()["summary"]["tables"], 40_000);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_never_followed_out_of_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "tables: []\n").unwrap();
    let repo = Repo::new();
    repo.workload("link-inside", "api");
    repo.values(
        "link-real",
        GOOD_BUT_FLAWED
            .replace("api-bad-good", "api-link-inside")
            .as_str(),
    );
    for (namespace, target) in [
        ("link-outside", outside.path().join("secret.yaml")),
        (
            "link-inside",
            repo.path().join(Repo::values_path("link-real")),
        ),
        ("link-dangling", repo.path().join("nowhere.yaml")),
    ] {
        let path = repo.path().join(Repo::values_path(namespace));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }
    // A linked folder outside the repository is not walked, and said so.
    std::os::unix::fs::symlink(outside.path(), repo.path().join("apps-linked")).unwrap();
    // A linked folder inside it is walked like any other (a loop is walked once).
    std::os::unix::fs::symlink(
        repo.path().join("apps-link/apps/link-real"),
        repo.path().join("apps-link/apps/link-alias"),
    )
    .unwrap();
    std::os::unix::fs::symlink(repo.path(), repo.path().join("apps-link/apps/loop")).unwrap();

    let run = repo.check(&["--format", "json"]);
    let document = run.json();
    let messages: Vec<String> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{} {}",
                finding["path"].as_str().unwrap(),
                finding["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        messages
            .iter()
            .any(|message| message.starts_with(
                "apps-link/apps/link-outside/dynamo-tables/values.yaml symbolic link to "
            ) && message.ends_with("outside the repository; not followed")),
        "{messages:#?}"
    );
    assert!(
        messages.iter().any(|message| message.starts_with(
            "apps-link/apps/link-dangling/dynamo-tables/values.yaml symbolic link to "
        ) && message.ends_with("which is not a file")),
        "{messages:#?}"
    );
    // Links inside the repository are read like what they point to: the file itself,
    // through a file link, and through a folder link.
    let undeclared: Vec<&String> = messages
        .iter()
        .filter(|message| message.contains("is not declared in `attributes`"))
        .collect();
    assert_eq!(undeclared.len(), 3, "{messages:#?}");
    assert!(
        undeclared
            .iter()
            .any(|message| message
                .starts_with("apps-link/apps/link-alias/dynamo-tables/values.yaml")),
        "{messages:#?}"
    );
    assert_eq!(
        run.stderr,
        "dynalint: warning: apps-linked is a symbolic link to a folder outside the repository; not followed\n"
    );
}

#[test]
fn paths_with_spaces_and_unicode() {
    let repo = Repo::new();
    repo.write(
        "apps-équipe/apps/équipe dév/dynamo-tables/values.yaml",
        "tables:\n  - name: Tâches\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"svc\"]\n",
    );
    repo.write("dynalint.toml", "[roles]\nknown = [\"svc\"]\n");
    let run = repo.check(&["--format", "json"]);
    assert_eq!(
        run.locations(),
        ["apps-équipe/apps/équipe dév/dynamo-tables/values.yaml:2:11 DL104"]
    );
    assert!(
        run.json()["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("AWS table name `équipe dév-Tâches` contains `é`, ` `, `â`")
    );
    assert!(
        run.json()["findings"][0]["help"]
            .as_str()
            .unwrap()
            .starts_with("the namespace `équipe dév` comes from the folder under `apps/`")
    );
    // The path works as a PATH argument too.
    let narrowed = repo.check(&["--format", "json", "apps-équipe/apps/équipe dév"]);
    assert_eq!(narrowed.locations().len(), 1);
}
