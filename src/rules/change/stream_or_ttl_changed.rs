//! DL311 stream-or-ttl-changed: a table's stream or TTL changes.

use crate::diff::ChangeSet;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::change::{applied, at_head};
use crate::rules::{Check, Rule};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL311",
        name: "stream-or-ttl-changed",
        severity: Severity::Warning,
        summary: "`streamViewType` changed (a new stream ARN: consumers must move) or the TTL attribute changed (AWS allows one TTL change per hour)",
        docs: r#"
## What it catches
On an existing table that has a stream or a TTL:

- `streamViewType` changed or removed;
- the TTL attribute changed, or TTL switched off or on again.

Adding a stream or a TTL to a table without one is not reported.

## Why it matters
A stream cannot change its view type: DynamoDB closes it and opens a new stream with a new
ARN, and the Lambda functions or Kinesis consumers reading the old one silently stop
receiving changes. AWS accepts one TTL change per table per hour, so a quick fix-up of a
TTL change is refused.

## Example
```yaml
tables:
  - name: Orders
    streamViewType: NEW_AND_OLD_IMAGES    # was NEW_IMAGE: a new stream ARN
```

## How to fix
Move the stream's consumers to the new ARN together with the change; change TTL settings
once, deliberately.
"#,
    },
    check: Check::Change(check),
};

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let name = &new.id.name;
        if let Some(before) = &old.stream {
            let after = new.stream.as_ref();
            if after.is_none_or(|after| after.value != before.value) {
                let (span, what) = match after {
                    Some(after) => (
                        after.span,
                        format!("changes from {} to {}", before.value, after.value),
                    ),
                    None => (new.name.span, "is removed".to_string()),
                };
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        span,
                        "streamViewType",
                        format!("the stream of table `{name}` {what}: DynamoDB closes the stream and its consumers stop receiving changes (a new stream gets a new ARN)"),
                    )
                    .help("move the stream's consumers (Lambda triggers, Kinesis readers) to the new stream ARN together with this change"),
                );
            }
        }
        if let Some(before) = &old.ttl {
            let attribute = |ttl: &crate::model::Ttl| {
                ttl.attribute
                    .as_ref()
                    .map(|attribute| attribute.value.clone())
            };
            let enabled =
                |ttl: &crate::model::Ttl| ttl.enabled.as_ref().is_none_or(|enabled| enabled.value);
            let changed = match &new.ttl {
                Some(after) => {
                    attribute(before) != attribute(after) || enabled(before) != enabled(after)
                }
                None => true,
            };
            if changed {
                // At what changed: the attribute, else the `enabled` flag.
                let span = new
                    .ttl
                    .as_ref()
                    .map(|ttl| {
                        let attribute_changed = attribute(before) != attribute(ttl);
                        match (&ttl.attribute, &ttl.enabled) {
                            (Some(name), _) if attribute_changed => name.span,
                            (_, Some(flag)) if !attribute_changed => flag.span,
                            (Some(name), None) => name.span,
                            _ => ttl.key,
                        }
                    })
                    .unwrap_or(new.name.span);
                findings.push(
                    at_head(
                        &RULE.meta,
                        pair,
                        span,
                        "ttl",
                        format!("the time to live of table `{name}` changes: AWS accepts one TTL change per table per hour, so a quick correction is refused"),
                    )
                    .help("change the TTL settings once, deliberately"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    streamViewType: NEW_IMAGE\n    ttl: {attributeName: ExpiresAt, enabled: true}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        let plain = ORDERS
            .replace("    streamViewType: NEW_IMAGE\n", "")
            .replace("    ttl: {attributeName: ExpiresAt, enabled: true}\n", "");
        // Adding a stream and a TTL is fine.
        check(
            &lint_change(&[("koa-dev.yaml", &plain)], &[("koa-dev.yaml", ORDERS)]),
            "DL311",
            &[],
        );
    }

    #[test]
    fn changed() {
        let changed = ORDERS
            .replace("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
            .replace("ExpiresAt", "Expiry");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &changed)]),
            "DL311",
            &[
                "koa-dev.yaml:5:21 warning DL311 the stream of table `koa-dev-Orders` changes from NEW_IMAGE to NEW_AND_OLD_IMAGES: DynamoDB closes the stream and its consumers stop receiving changes (a new stream gets a new ARN) (move the stream's consumers (Lambda triggers, Kinesis readers) to the new stream ARN together with this change)",
                "koa-dev.yaml:6:26 warning DL311 the time to live of table `koa-dev-Orders` changes: AWS accepts one TTL change per table per hour, so a quick correction is refused (change the TTL settings once, deliberately)",
            ],
        );
    }

    #[test]
    fn turning_ttl_off_is_reported_at_enabled() {
        let block = ORDERS.replace(
            "    ttl: {attributeName: ExpiresAt, enabled: true}\n",
            "    ttl:\n      attributeName: ExpiresAt\n      enabled: true\n",
        );
        let off = block.replace("enabled: true", "enabled: false");
        check(
            &lint_change(&[("koa-dev.yaml", &block)], &[("koa-dev.yaml", &off)]),
            "DL311",
            &[
                "koa-dev.yaml:8:16 warning DL311 the time to live of table `koa-dev-Orders` changes: AWS accepts one TTL change per table per hour, so a quick correction is refused (change the TTL settings once, deliberately)",
            ],
        );
    }
}
