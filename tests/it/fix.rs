//! `check --fix`, `--unsafe-fixes` and `--diff` on real repositories: byte-exact results
//! (CRLF, BOM, comments, flow style, anchors), the re-lint loop, and what must never be
//! written.

use crate::common::{Repo, Run};

const PATH: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

/// A repository with the `api` workload of shop-dev (its role `api-shop-dev` exists) and
/// this values file.
fn repo(values: impl AsRef<[u8]>) -> Repo {
    let repo = Repo::new();
    repo.workload("shop-dev", "api");
    repo.write(PATH, values);
    repo.commit("values");
    repo
}

fn read(repo: &Repo) -> Vec<u8> {
    std::fs::read(repo.path().join(PATH)).unwrap()
}

/// Every safe fix there is, in one file written with CRLF and a byte order mark, in
/// block and flow style, with comments everywhere.
const EVERY_SAFE_FIX: &str = "# shop tables
tables:
  - name: Orders   # the orders
    hashKey: Id
    billingMode: PAY_PER_REQUEST
    billingMode: PAY_PER_REQUEST  # written twice
    readCapacity: 5
    attributes:
      - name: Id
        type: S     # the key
      # the total stays in the items
      - name: Total
        type: N
    tags: {team: shop, no: x}
    serviceAccountReadRoles: [\"api-shop-dev\"]  # dynalint: ignore[DL201] -- created elsewhere
";

const EVERY_SAFE_FIX_FIXED: &str = "# shop tables
tables:
  - name: Orders   # the orders
    hashKey: Id
    billingMode: PAY_PER_REQUEST  # written twice
    attributes:
      - name: Id
        type: S     # the key
      # the total stays in the items
    tags: {team: shop, 'no': x}
    serviceAccountReadRoles: [\"api-shop-dev\"]
";

/// `text` with CRLF line ends and a byte order mark.
fn crlf_bom(text: &str) -> String {
    format!("\u{feff}{}", text.replace('\n', "\r\n"))
}

#[test]
fn fix_applies_every_safe_fix_and_keeps_every_other_byte() {
    let repo = repo(crlf_bom(EVERY_SAFE_FIX));
    let run = repo.check(&["--fix"]);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        crlf_bom(EVERY_SAFE_FIX_FIXED)
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "dynalint: applied 6 fixes to 1 file\n");
    assert_eq!(run.stdout, "no problems in 1 values file (1 table)\n");
    // Nothing left to fix: a second run changes nothing.
    let again = repo.check(&["--fix"]);
    assert_eq!(again.code, 0);
    assert_eq!(again.stderr, "dynalint: applied 0 fixes to 0 files\n");
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        crlf_bom(EVERY_SAFE_FIX_FIXED)
    );
}

#[test]
fn diff_shows_the_fixes_and_writes_nothing() {
    let repo = repo(crlf_bom(EVERY_SAFE_FIX));
    let run = repo.check(&["--diff"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        read(&repo),
        crlf_bom(EVERY_SAFE_FIX).as_bytes(),
        "--diff wrote the file"
    );
    assert_eq!(
        run.stdout.replace('\r', "␍"),
        format!(
            "--- a/{PATH}\n+++ b/{PATH}\n\
@@ -2,14 +2,10 @@
 tables:␍
   - name: Orders   # the orders␍
     hashKey: Id␍
-    billingMode: PAY_PER_REQUEST␍
     billingMode: PAY_PER_REQUEST  # written twice␍
-    readCapacity: 5␍
     attributes:␍
       - name: Id␍
         type: S     # the key␍
       # the total stays in the items␍
-      - name: Total␍
-        type: N␍
-    tags: {{team: shop, no: x}}␍
-    serviceAccountReadRoles: [\"api-shop-dev\"]  # dynalint: ignore[DL201] -- created elsewhere␍
+    tags: {{team: shop, 'no': x}}␍
+    serviceAccountReadRoles: [\"api-shop-dev\"]␍
"
        )
    );
    assert_eq!(run.stderr, "dynalint: 6 fixes would be applied to 1 file\n");
    // The fixed file has nothing to show.
    let fixed = self::repo(crlf_bom(EVERY_SAFE_FIX_FIXED));
    let clean = fixed.check(&["--diff"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));
}

const TYPOS: &str = "\
tables:
  - name: Orders
    hashKey: Id
    rangekey: At                  # the chart's field is rangeKey
    attributes:
      - {name: Id, type: 'S'}
      - {name: At, type: 'S'}
    globalSecondaryIndex:
      - name: ByCustomer
        hashKey: Customer
        projectionType: KEYS_ONLY
        nonKeyAttributes: [Total]
    serviceAccountReadRoles: [\"api-shop-dve\"]
";

#[test]
fn unsafe_fixes_only_when_asked() {
    let repo = repo(TYPOS);
    // DL002 sets the table aside: its other findings come once it is readable.
    let safe = repo.check(&["--fix"]);
    assert_eq!(safe.code, 1);
    assert_eq!(read(&repo), TYPOS.as_bytes());
    assert_eq!(
        safe.stderr,
        "dynalint: applied 0 fixes to 0 files (1 more with --unsafe-fixes)\n"
    );
    let run = repo.check(&["--fix", "--unsafe-fixes"]);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        "\
tables:
  - name: Orders
    hashKey: Id
    rangeKey: At                  # the chart's field is rangeKey
    attributes:
      - {name: Id, type: 'S'}
      - {name: At, type: 'S'}
      - {name: Customer, type: 'S'}
    globalSecondaryIndex:
      - name: ByCustomer
        hashKey: Customer
        projectionType: KEYS_ONLY
        nonKeyAttributes: []
    serviceAccountReadRoles: [\"api-shop-dev\"]
"
    );
    // Three passes: the rename makes the table readable, then its findings have fixes.
    assert_eq!(run.stderr, "dynalint: applied 4 fixes to 1 file\n");
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn fix_and_head_do_not_go_together() {
    let repo = repo(crlf_bom(EVERY_SAFE_FIX));
    let run = repo.check(&["--fix", "--head", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "dynalint: error: the argument '--fix' cannot be used with '--head <REV>'"
        ),
        "{}",
        run.stderr
    );
    let alone = repo.check(&["--unsafe-fixes"]);
    assert_eq!(alone.code, 2);
    assert_eq!(
        alone.stderr,
        "dynalint: error: --unsafe-fixes goes with --fix or --diff\n"
    );
    assert_eq!(read(&repo), crlf_bom(EVERY_SAFE_FIX).as_bytes());
}

#[test]
fn an_anchor_is_fixed_with_its_aliases_or_not_at_all() {
    // An anchored scalar: quoting it fixes every alias of it, which is what is meant.
    let scalar = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - {name: Id, type: 'S'}
    tags: {kind: &kind no, also: *kind}
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    let repo = repo(scalar);
    let run = repo.check(&["--fix"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        scalar.replace("&kind no", "&kind 'no'")
    );
    // An anchored mapping copied whole: the copy would change unsaid, so no fix.
    let mapping = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - {name: Id, type: 'S'}
    tags: &tags {kind: no}
    serviceAccountReadRoles: [\"api-shop-dev\"]
  - name: Invoices
    hashKey: Id
    attributes:
      - {name: Id, type: 'S'}
    tags: *tags
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    let repo = self::repo(mapping);
    let run = repo.check(&["--fix"]);
    assert_eq!(read(&repo), mapping.as_bytes(), "a copy changed unseen");
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "dynalint: warning: {PATH}:6:24: DL004 yaml-type-trap not fixed (quote it: `'no'`): it would change how Helm reads other values (an alias or a `<<` merge copies what it changes)\n\
             dynalint: applied 0 fixes to 0 files\n"
        )
    );
}

#[test]
fn the_loop_runs_until_nothing_more_is_fixable() {
    // Two stale keys of one suppression and two neighbours in a flow list each share a
    // comma: one fix waits for the next pass, which removes what is left.
    let text = "\
tables:
  - name: Orders  # dynalint: ignore[DL112, DL113]
    hashKey: Id
    attributes: [{name: Id, type: 'S'}, {name: A, type: 'S'}, {name: B, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
";
    let repo = repo(text);
    let run = repo.check(&["--fix"]);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"api-shop-dev\"]
"
    );
    assert_eq!(run.stderr, "dynalint: applied 4 fixes to 1 file\n");
    assert_eq!(run.code, 0);
}

#[test]
fn paths_narrow_what_is_fixed() {
    let trap = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let repo = repo(trap);
    let other = Repo::values_path("shop-prod");
    repo.workload("shop-prod", "api");
    repo.write(&other, trap.replace("shop-dev", "shop-prod"));
    let run = repo.check(&["--fix", &other]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        read(&repo),
        trap.as_bytes(),
        "a file outside the PATHs was fixed"
    );
    assert!(
        std::fs::read_to_string(repo.path().join(&other))
            .unwrap()
            .contains("type: 'N'")
    );
}

#[test]
fn a_capacity_is_removed_only_under_a_billing_mode_written_as_such() {
    // Without `billingMode`, the capacity may be what was meant: reported, not removed.
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    readCapacity: 5\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let repo = repo(text);
    let run: Run = repo.check(&["--fix"]);
    assert_eq!(read(&repo), text.as_bytes());
    assert!(
        run.stdout
            .contains("warning[DL111 capacity-mismatch] `readCapacity`"),
        "{}",
        run.stdout
    );
}

#[test]
fn what_remains_after_fixing_is_reported_with_its_fix() {
    // The trap sets the table aside: its other findings come in the next pass.
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    rangeKey: Missing\n    attributes: [{name: Id, type: 'S'}, {name: Total, type: N}]\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let repo = repo(text);
    let run = repo.check(&["--fix", "--format", "json"]);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        text.replace(", {name: Total, type: N}", "")
    );
    let document = run.json();
    assert_eq!(run.locations(), [format!("{PATH}:4:15 DL101")]);
    assert_eq!(document["findings"][0]["fix"]["safe"], false);
    assert_eq!(document["summary"]["fixable"], 0);
    assert_eq!(document["summary"]["unsafe_fixable"], 1);
    assert_eq!(
        run.stderr,
        "dynalint: applied 2 fixes to 1 file (1 more with --unsafe-fixes)\n"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn a_suppression_in_a_table_not_yet_read_is_not_removed() {
    // The trap sets the table aside, so DL112 does not run on it in the first pass: its
    // suppression is not stale, and removing it would let DL112 through after the quote.
    let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: N}]\n    pointInTimeRecovery: false  # dynalint: ignore[DL112] -- archive, restored from S3\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n";
    let repo = repo(text);
    let before = repo.check(&[]);
    assert!(!before.stdout.contains("DL005"), "{}", before.stdout);
    let run = repo.check(&["--fix"]);
    assert_eq!(
        String::from_utf8(read(&repo)).unwrap(),
        text.replace("type: N", "type: 'N'")
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "no problems in 1 values file (1 table); 1 suppressed\n"
    );
}
