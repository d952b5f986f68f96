//! DL314 ttl-not-applied: a TTL change that AWS or the provider will not carry out.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::stream_or_ttl_changed::ttl_enabled;
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL314",
        name: "ttl-not-applied",
        severity: Severity::Error,
        summary: "a TTL change AWS or the provider will not carry out: the attribute of an enabled TTL changed (AWS refuses; disable, wait an hour, enable again in a second change) — error; the `ttl` block removed while enabled (the provider ignores it, TTL stays on; write `enabled: false`) — warning",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision with TTL enabled:

- the TTL attribute changes while TTL stays enabled (an error);
- the `ttl` block is removed (a warning).

## Why it matters
AWS cannot move an enabled TTL to another attribute: UpdateTimeToLive refuses it, and TTL
changes are limited to one per table per hour. The sync fails and the table keeps
expiring items by the old attribute. Removing the `ttl` block does not turn TTL off: the
provider suppresses that difference, and DynamoDB goes on deleting expired items while the
values say there is no TTL.

## Example
```yaml
tables:
  - name: Sessions
    ttl:
      attributeName: ExpiresAt    # was Expiry, with enabled: true
      enabled: true
```

## How to fix
To change the attribute, make two changes at least an hour apart: first `enabled: false`,
then `enabled: true` with the new attribute. To turn TTL off, write `enabled: false`
instead of removing the block.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        if !ttl_enabled(old.ttl.as_ref()) {
            continue;
        }
        let name = &new.id.name;
        let attribute = |ttl: &crate::model::Ttl| {
            ttl.attribute
                .as_ref()
                .map(|attribute| attribute.value.clone())
        };
        let before = old.ttl.as_ref().and_then(attribute).unwrap_or_default();
        match &new.ttl {
            Some(ttl) if ttl_enabled(Some(ttl)) && attribute(ttl).unwrap_or_default() != before => {
                let span = ttl.attribute.as_ref().map_or(ttl.key, |name| name.span);
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        span,
                        "ttl/attributeName",
                        format!(
                            "the TTL attribute of table `{name}` changes from `{before}` to `{}` while TTL stays enabled: AWS refuses to move an enabled TTL, the sync fails, and items keep expiring by `{before}`",
                            attribute(ttl).unwrap_or_default()
                        ),
                    )
                    .help("disable TTL (`enabled: false`) in one change, and enable it with the new attribute in a second change at least an hour later"),
                );
            }
            Some(_) => {}
            None => findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    new.name.span,
                    "ttl",
                    format!("the `ttl` block of table `{name}` is removed while TTL is enabled: the provider ignores the removal, and DynamoDB goes on deleting items expired by `{before}`"),
                )
                .severity(Severity::Warning)
                .help("to turn TTL off, keep the block and write `enabled: false`"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const SESSIONS: &str = "tables:\n  - name: Sessions\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    ttl: {attributeName: Expiry, enabled: true}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        // Disabling, and a new attribute once disabled, are updates AWS makes.
        let off = SESSIONS.replace("enabled: true", "enabled: false");
        let moved = off.replace("Expiry", "ExpiresAt").replace("false", "true");
        for (base, head) in [(SESSIONS, off.as_str()), (off.as_str(), moved.as_str())] {
            check(
                &lint_change(&[("koa-dev.yaml", base)], &[("koa-dev.yaml", head)]),
                "DL314",
                &[],
            );
        }
    }

    #[test]
    fn attribute_changed_or_block_removed() {
        let moved = SESSIONS.replace("Expiry", "ExpiresAt");
        check(
            &lint_change(&[("koa-dev.yaml", SESSIONS)], &[("koa-dev.yaml", &moved)]),
            "DL314",
            &[
                "koa-dev.yaml:5:26 error DL314 the TTL attribute of table `koa-dev-Sessions` changes from `Expiry` to `ExpiresAt` while TTL stays enabled: AWS refuses to move an enabled TTL, the sync fails, and items keep expiring by `Expiry` (disable TTL (`enabled: false`) in one change, and enable it with the new attribute in a second change at least an hour later)",
            ],
        );
        let removed = SESSIONS.replace("    ttl: {attributeName: Expiry, enabled: true}\n", "");
        check(
            &lint_change(&[("koa-dev.yaml", SESSIONS)], &[("koa-dev.yaml", &removed)]),
            "DL314",
            &[
                "koa-dev.yaml:2:11 warning DL314 the `ttl` block of table `koa-dev-Sessions` is removed while TTL is enabled: the provider ignores the removal, and DynamoDB goes on deleting items expired by `Expiry` (to turn TTL off, keep the block and write `enabled: false`)",
            ],
        );
    }
}
