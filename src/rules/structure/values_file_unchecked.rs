//! DL007 values-file-unchecked: a values file the base checked that the head's
//! configuration no longer checks, while it is still in the repository.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL007",
        name: "values-file-unchecked",
        severity: Severity::Warning,
        summary: "with `--base`: a values file the base checked, still in the head, that the head's configuration no longer checks (its changes, deletions included, go unreviewed while Argo CD still deploys it)",
        fix: None,
        docs: r#"
## What it catches
With `--base`, a values file that the base revision's configuration checked and that the
head's no longer does — `dynalint.toml` gained an `exclude` that matches it, or its
`include` became narrower — while the file is still in the repository.

## Why it matters
Argo CD deploys what is in the repository, not what dynalint checks. From this change on,
every edit to the file goes unreviewed, deletions of production tables included, and this
pull request's own edits to it are not compared with the base either.

## Example
```yaml
# dynalint.toml in the pull request:
#   exclude = ["apps-koa/apps/koa-dev/**"]
# apps-koa/apps/koa-dev/dynamo-tables/values.yaml is still deployed:
tables:
  - name: Orders
    hashKey: Id
```

## How to fix
Check the file again: take it out of `exclude`, or widen `include`. If the release is
meant to go, delete the values file instead (its tables' removal is then reviewed).
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for site in &changes.unchecked {
        findings.push(
            Finding::new(
                &RULE.meta,
                *site,
                "the base checked this values file and the head's configuration no longer does: Argo CD still deploys it, so its changes, deletions included, go unreviewed",
            )
            .help("take it out of `exclude` or widen `include` in dynalint.toml; to retire the release, delete the file instead")
            .locus("unchecked"),
        );
    }
}
