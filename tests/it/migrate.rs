//! `dynalint migrate --base REV [TABLE...]` on two-commit repositories: the file bytes it
//! writes, and what `check --base` says afterwards.

use crate::common::{Repo, Run, copy_dir, project_root};

const VALUES: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";
const BILLING: &str = "apps-billing/apps/shop-dev/dynamo-tables/values.yaml";

/// The base of most tests: two tables of shop-dev, a comment on each.
const SHOP: &str = "\
# Tables of the shop (owned by team shop)
tables:
  # orders, by customer
  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - {name: CustomerId, type: 'S'}
      - {name: OrderDate, type: 'S'}
    serviceAccountReadRoles: [\"api-shop-dev\"]
    serviceAccountWriteRoles: [\"api-shop-dev\"]
  - name: Invoices   # one per order
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

/// The `Orders` entry of [`SHOP`], from its dash on.
const ORDERS: &str = "  - name: Orders
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - {name: CustomerId, type: 'S'}
      - {name: OrderDate, type: 'S'}
    serviceAccountReadRoles: [\"api-shop-dev\"]
    serviceAccountWriteRoles: [\"api-shop-dev\"]
";

/// A repository whose last commit has `values` for shop-dev (and its workload).
fn shop(values: &str) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.values("shop-dev", values);
    repo.commit("base");
    repo
}

fn migrate(repo: &Repo, args: &[&str]) -> Run {
    let mut command = repo.command();
    command.arg("migrate").args(args);
    Run::of(command)
}

fn read(repo: &Repo, path: &str) -> String {
    String::from_utf8(std::fs::read(repo.path().join(path)).unwrap()).unwrap()
}

/// After a migration: `check --base HEAD`'s findings (rule and message), and its plan.
fn check_after(repo: &Repo) -> (Vec<String>, Vec<String>) {
    let run = repo.check(&["--base", "HEAD", "--format", "json"]);
    let json = run.json();
    let findings = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{} {}",
                finding["rule"].as_str().unwrap(),
                finding["message"].as_str().unwrap()
            )
        })
        .collect();
    let changes = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            format!(
                "{} {} {}",
                change["action"].as_str().unwrap(),
                change["table"].as_str().unwrap(),
                change["path"].as_str().unwrap()
            )
        })
        .collect();
    (findings, changes)
}

#[test]
fn a_key_schema_change_becomes_a_new_versioned_table() {
    let repo = shop(SHOP);
    repo.values("shop-dev", &SHOP.replace("OrderDate", "CreatedAt"));
    let before = repo.check(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(before.code, 1);
    assert!(
        before.json()["findings"][0]["help"]
            .as_str()
            .unwrap()
            .contains("`dynalint migrate --base <REV> Orders` keeps the table as it is"),
        "{}",
        before.stdout
    );
    let run = migrate(&repo, &["--base", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The old entry back where it was, comment above it kept; the new one renamed only.
    assert_eq!(
        read(&repo, VALUES),
        format!(
            "\
# Tables of the shop (owned by team shop)
tables:
  # orders, by customer
{ORDERS}{}  - name: Invoices   # one per order
    hashKey: Id
    attributes: [{{name: Id, type: 'S'}}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
",
            ORDERS
                .replace("name: Orders", "name: Orders-v2")
                .replace("OrderDate", "CreatedAt")
        )
    );
    let base = repo.git(&["rev-parse", "--short=12", "HEAD"]);
    let base = base.trim();
    assert_eq!(
        run.stdout,
        format!(
            "\
dynalint: migrated 1 table against {base}:
- shop-dev-Orders (DL303 key-schema-changed): its key schema changes
  kept as in the base: `Orders` in {VALUES}, with its grants; AWS leaves it as it is
  new table: `Orders-v2`, shop-dev-Orders-v2 (eu-west-1) in {VALUES}, with the head's definition and grants; created empty
wrote {VALUES}
`dynalint check --base {base}` then says plan: 1 to create

What remains, in order:
1. Merge this change: Crossplane creates shop-dev-Orders-v2; shop-dev-Orders stays as it is in AWS, with its data.
2. Dual-write: make the services that write the old table write every change to the new one too: shop-dev-Orders -> shop-dev-Orders-v2 (api-shop-dev).
3. Backfill: copy the items that were there before the dual-write from the old table to the new one (a job that scans shop-dev-Orders and writes each item, in the new keys where they changed, without overwriting newer ones).
4. Switch reads to the new table, then stop writing to the old one: shop-dev-Orders -> shop-dev-Orders-v2 (api-shop-dev).
5. Retire shop-dev-Orders once nothing reads or writes it, in changes of its own: set `deletionPolicy: Orphan` in {VALUES} and let it sync (it applies to every table of that release), then remove the entry of `Orders`. Under Orphan, removing the entry leaves the table and its data in AWS, unmanaged, until it is deleted there.
"
        )
    );
    assert_eq!(
        check_after(&repo),
        (
            Vec::new(),
            vec![format!("create shop-dev-Orders-v2 {VALUES}")]
        )
    );
    // Run again: nothing left to migrate, nothing written.
    let again = migrate(&repo, &["--base", "HEAD"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout,
        format!(
            "dynalint: nothing to migrate: no table has a DL302, DL303, DL304 or DL310 finding against {base}\n"
        )
    );
}

#[test]
fn an_lsi_change_in_a_crlf_file_keeps_its_line_endings() {
    let crlf = SHOP.replace('\n', "\r\n");
    let repo = shop(&crlf);
    let lsi = "      - {name: Status, type: 'S'}\r\n    localSecondaryIndex:\r\n      - {name: ByStatus, rangeKey: Status, projectionType: ALL, nonKeyAttributes: []}\r\n";
    let head = crlf.replace(
        "    serviceAccountReadRoles: [\"api-shop-dev\"]\r\n    serviceAccountWriteRoles",
        &format!(
            "{lsi}    serviceAccountReadRoles: [\"api-shop-dev\"]\r\n    serviceAccountWriteRoles"
        ),
    );
    repo.values("shop-dev", &head);
    let run = migrate(&repo, &["--base", "HEAD", "Orders"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let new = ORDERS.replace("name: Orders", "name: Orders-v2").replace(
        "    serviceAccountReadRoles",
        "      - {name: Status, type: 'S'}\n    localSecondaryIndex:\n      - {name: ByStatus, rangeKey: Status, projectionType: ALL, nonKeyAttributes: []}\n    serviceAccountReadRoles",
    );
    let expected = SHOP.replace(ORDERS, &format!("{ORDERS}{new}"));
    assert_eq!(read(&repo, VALUES), expected.replace('\n', "\r\n"));
    assert!(
        run.stdout
            .contains("(DL304 lsi-changed): its local secondary indexes change\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        check_after(&repo),
        (
            Vec::new(),
            vec![format!("create shop-dev-Orders-v2 {VALUES}")]
        )
    );
}

#[test]
fn a_rename_keeps_the_new_name_and_brings_the_old_table_back() {
    let repo = shop(SHOP);
    repo.values("shop-dev", &SHOP.replace("name: Orders", "name: Purchases"));
    let run = migrate(&repo, &["--base", "HEAD", "Purchases"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&repo, VALUES),
        SHOP.replace(
            ORDERS,
            &format!(
                "{ORDERS}{}",
                ORDERS.replace("name: Orders", "name: Purchases")
            )
        )
    );
    assert!(
        run.stdout.contains("new table: `Purchases`, shop-dev-Purchases (eu-west-1) in apps-shop/apps/shop-dev/dynamo-tables/values.yaml, with the head's definition and grants; created empty (its own name already makes it a table of its own: kept)\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        check_after(&repo),
        (
            Vec::new(),
            vec![format!("create shop-dev-Purchases {VALUES}")]
        )
    );
}

#[test]
fn a_prefix_flip_is_a_new_versioned_table_with_the_prefix() {
    let repo = shop(SHOP);
    let flipped = SHOP.replace(
        "  - name: Orders\n",
        "  - name: Orders\n    useIdpPrefix: true\n",
    );
    repo.values("shop-dev", &flipped);
    let run = migrate(&repo, &["--base", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&repo, VALUES),
        SHOP.replace(
            ORDERS,
            &format!(
                "{ORDERS}{}",
                ORDERS.replace(
                    "name: Orders\n",
                    "name: Orders-v2\n    useIdpPrefix: true\n"
                )
            )
        )
    );
    assert_eq!(
        check_after(&repo),
        (
            Vec::new(),
            vec![format!("create idp-shop-dev-Orders-v2 {VALUES}")]
        )
    );
}

#[test]
fn a_move_to_another_release_keeps_the_table_in_the_old_one() {
    let repo = shop(SHOP);
    // Orders leaves shop's release for billing's, in the same namespace.
    repo.values("shop-dev", &SHOP.replace(ORDERS, ""));
    repo.write(
        BILLING,
        format!("deletionPolicy: Orphan\ntables:\n{ORDERS}"),
    );
    let run = migrate(&repo, &["--base", "HEAD", "shop-dev-Orders"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Back at its place in the old release, under the comment left there.
    assert_eq!(read(&repo, VALUES), SHOP);
    assert_eq!(
        read(&repo, BILLING),
        format!(
            "deletionPolicy: Orphan\ntables:\n{}",
            ORDERS.replace("name: Orders", "name: Orders-v2")
        )
    );
    assert!(
        run.stdout.contains(&format!(
            "(DL310 table-moved-between-releases): moved to {BILLING}\n"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(
        check_after(&repo),
        (
            Vec::new(),
            vec![format!("create shop-dev-Orders-v2 {BILLING}")]
        )
    );
}

#[test]
fn diff_shows_the_change_and_writes_nothing() {
    let repo = shop(SHOP);
    let head = SHOP.replace("CustomerId", "AccountId");
    repo.values("shop-dev", &head);
    let run = migrate(&repo, &["--base", "HEAD", "--diff"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(read(&repo, VALUES), head);
    assert_eq!(
        run.stdout,
        format!(
            "\
--- a/{VALUES}
+++ b/{VALUES}
@@ -2,6 +2,14 @@
 tables:
   # orders, by customer
   - name: Orders
+    hashKey: CustomerId
+    rangeKey: OrderDate
+    attributes:
+      - {{name: CustomerId, type: 'S'}}
+      - {{name: OrderDate, type: 'S'}}
+    serviceAccountReadRoles: [\"api-shop-dev\"]
+    serviceAccountWriteRoles: [\"api-shop-dev\"]
+  - name: Orders-v2
     hashKey: AccountId
     rangeKey: OrderDate
     attributes:
"
        )
    );
    assert!(
        run.stderr
            .starts_with("dynalint: would migrate 1 table against "),
        "{}",
        run.stderr
    );
    // Nothing to migrate: no diff, exit 0.
    repo.values("shop-dev", SHOP);
    let clean = migrate(&repo, &["--base", "HEAD", "--diff"]);
    assert_eq!((clean.code, clean.stderr.as_str()), (0, ""));
    assert!(
        clean.stdout.starts_with("dynalint: nothing to migrate"),
        "{}",
        clean.stdout
    );
}

#[test]
fn versions_go_on_from_the_highest_and_skip_taken_names() {
    // Orders-v2 is re-keyed: the new table is Orders-v3.
    let base = SHOP.replace("name: Orders", "name: Orders-v2");
    let repo = shop(&base);
    repo.values("shop-dev", &base.replace("CustomerId", "AccountId"));
    let diff = migrate(&repo, &["--base", "HEAD", "--diff"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("\n+  - name: Orders-v3\n"),
        "{}",
        diff.stdout
    );
    // Unless another release of the namespace has an Orders-v3 already (committed or not).
    let taken = "tables:\n  - name: Orders-v3\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    repo.write(BILLING, taken);
    let run = migrate(&repo, &["--base", "HEAD", "Orders-v2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let old = ORDERS.replace("name: Orders", "name: Orders-v2");
    let new = ORDERS
        .replace("name: Orders", "name: Orders-v4")
        .replace("CustomerId", "AccountId");
    assert_eq!(
        read(&repo, VALUES),
        base.replace(&old, &format!("{old}{new}"))
    );
    assert_eq!(read(&repo, BILLING), taken);
    let (findings, mut changes) = check_after(&repo);
    changes.sort();
    assert_eq!(
        (findings, changes),
        (
            Vec::new(),
            vec![
                format!("create shop-dev-Orders-v3 {BILLING}"),
                format!("create shop-dev-Orders-v4 {VALUES}"),
            ]
        )
    );
}

#[test]
fn a_shadow_table_follows_its_table() {
    let shadow = ORDERS.replace("name: Orders", "name: Orders-shadow");
    let base = SHOP.replace(ORDERS, &format!("{ORDERS}{shadow}"));
    let repo = shop(&base);
    repo.values("shop-dev", &base.replace("CustomerId", "AccountId"));
    // Naming one brings the other: they stay a pair, under one version.
    let run = migrate(&repo, &["--base", "HEAD", "Orders"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rekeyed = |name: &str| {
        ORDERS
            .replace("name: Orders", &format!("name: {name}"))
            .replace("CustomerId", "AccountId")
    };
    assert_eq!(
        read(&repo, VALUES),
        SHOP.replace(
            ORDERS,
            &format!(
                "{ORDERS}{}{shadow}{}",
                rekeyed("Orders-v2"),
                rekeyed("Orders-v2-shadow")
            )
        )
    );
    assert!(
        run.stdout
            .starts_with("dynalint: migrated 2 tables against "),
        "{}",
        run.stdout
    );
    let (findings, mut changes) = check_after(&repo);
    changes.sort();
    assert_eq!(
        (findings, changes),
        (
            Vec::new(),
            vec![
                format!("create shop-dev-Orders-v2 {VALUES}"),
                format!("create shop-dev-Orders-v2-shadow {VALUES}"),
            ]
        )
    );
}

#[test]
fn an_unknown_table_is_a_usage_error() {
    let repo = shop(SHOP);
    repo.values("shop-dev", &SHOP.replace("hashKey: Id", "hashKey: Number"));
    let head = read(&repo, VALUES);
    let run = migrate(&repo, &["--base", "HEAD", "Order"]);
    assert_eq!(run.code, 2);
    let base = repo.git(&["rev-parse", "--short=12", "HEAD"]);
    assert_eq!(
        run.stderr,
        format!(
            "dynalint: error: no table `Order` has a DL302, DL303, DL304 or DL310 finding against {}; tables that have one: `Invoices`\n",
            base.trim()
        )
    );
    assert_eq!(read(&repo, VALUES), head);
    let missing = migrate(&repo, &["Invoices"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("--base <REV>"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_file_that_cannot_take_the_table_is_a_clear_error_and_nothing_is_written() {
    let repo = shop(SHOP);
    // Orders moves to billing, and shop's file no longer parses.
    let broken = "tables: [\n  - name: Invoices\n";
    repo.values("shop-dev", broken);
    repo.write(BILLING, format!("tables:\n{ORDERS}"));
    let run = migrate(&repo, &["--base", "HEAD"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!(
            "dynalint: error: cannot migrate table `shop-dev-Orders`: {VALUES}: it cannot be read as the chart's values (`dynalint check` says why): fix it first; nothing was written\n"
        )
    );
    assert_eq!(read(&repo, VALUES), broken);
    // A flow list cannot take a block entry: said, not guessed.
    repo.values(
        "shop-dev",
        "tables: [{name: Invoices, hashKey: Id, attributes: [{name: Id, type: 'S'}], serviceAccountReadRoles: [api-shop-dev]}]\n",
    );
    let run = migrate(&repo, &["--base", "HEAD", "--diff"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.ends_with(": its `tables:` is a flow list (`[...]`): write its items as a block list (`- name: ...`) and run migrate again; nothing was written\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn the_comment_shows_what_migrate_would_write() {
    let repo = shop(SHOP);
    // Both keys change: two findings of one table.
    let rekeyed = |text: &str| {
        text.replace("CustomerId", "AccountId")
            .replace("OrderDate", "CreatedAt")
    };
    repo.values("shop-dev", &rekeyed(SHOP));
    let run = repo.check(&["--base", "HEAD", "--format", "markdown"]);
    assert_eq!(run.code, 1);
    let base = repo.git(&["rev-parse", "--short=12", "HEAD"]);
    let expected = format!(
        "<details><summary>What <code>dynalint migrate</code> would write</summary>

`dynalint migrate --base {base} Orders` keeps the table AWS has and adds the new one beside it:

```yaml
# {VALUES}: `Orders` as in the base ({base}), unchanged in AWS
{}
# {VALUES}: the new table `Orders-v2`, created empty
{}
```

</details>
",
        dedent(ORDERS),
        dedent(&rekeyed(ORDERS).replace("name: Orders", "name: Orders-v2")),
        base = base.trim()
    );
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
    // Once, under the table's first finding.
    assert_eq!(run.stdout.matches("`DL303 key-schema-changed`").count(), 2);
    assert_eq!(run.stdout.matches("<summary>What <code>").count(), 1);
}

/// A table entry as the comment shows it: from its dash, without the list's indentation.
fn dedent(entry: &str) -> String {
    entry
        .lines()
        .map(|line| line.strip_prefix("  ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_namespace_move_brings_the_deleted_release_back_and_keeps_the_new_names() {
    let repo = shop(SHOP);
    // The whole release moves to shop-qa (its tables get other AWS names there).
    repo.workload("shop-qa", "api");
    repo.remove(VALUES);
    let moved = SHOP.replace("api-shop-dev", "api-shop-qa");
    repo.values("shop-qa", &moved);
    let run = migrate(&repo, &["--base", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The old file comes back as the base had it; the new one is not touched.
    assert_eq!(read(&repo, VALUES), SHOP);
    let qa = Repo::values_path("shop-qa");
    assert_eq!(read(&repo, &qa), moved);
    assert!(
        run.stdout
            .contains("(DL302 table-replaced): moves from namespace `shop-dev` to `shop-qa`\n"),
        "{}",
        run.stdout
    );
    let (findings, mut changes) = check_after(&repo);
    changes.sort();
    assert_eq!(
        (findings, changes),
        (
            Vec::new(),
            vec![
                format!("create shop-qa-Invoices {qa}"),
                format!("create shop-qa-Orders {qa}"),
            ]
        )
    );
}

/// The README's walk-through, replayed on a copy of the demo: each `$ dynalint ...` line
/// of its transcript prints what follows it (the base commit's id aside).
#[test]
fn the_readme_walk_through_prints_what_it_says() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Migrating a table AWS cannot change in place\n")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    let block = |language: &str| {
        section
            .split(&format!("```{language}\n"))
            .nth(1)
            .unwrap()
            .split("```\n")
            .next()
            .unwrap()
            .to_string()
    };
    let repo = Repo::new();
    copy_dir(
        &project_root().join("fixtures/demo"),
        &repo.path().join("fixtures/demo"),
    );
    repo.commit("the demo");
    let values = "fixtures/demo/apps-koa/apps/koa-dev/dynamo-tables/values.yaml";
    assert!(block("sh").starts_with(&format!("sed -i 's/SsoId/UserId/' {values}\n")));
    repo.write(values, read(&repo, values).replace("SsoId", "UserId"));
    let base = repo.git(&["rev-parse", "--short=12", "HEAD"]);
    let transcript = block("text");
    let mut commands = transcript.split("$ dynalint ").skip(1);
    let shown = "5e0c1a7b9d24";
    for command in commands.by_ref() {
        let (line, expected) = command.split_once('\n').unwrap();
        let mut run = repo.command();
        run.args(line.split(' '));
        let run = Run::of(run);
        assert_eq!(
            run.stdout.replace(base.trim(), shown),
            expected,
            "$ dynalint {line}"
        );
    }
    // And the sh block runs the same commands.
    let sh = block("sh");
    for line in transcript
        .lines()
        .filter_map(|line| line.strip_prefix("$ dynalint "))
    {
        assert!(sh.contains(&format!("cargo run -- {line}\n")), "{line}");
    }
}
