//! DL311 stream-or-ttl-changed: a table's stream is cycled or turned off, or TTL is
//! enabled on a table with data.

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
        summary: "`streamViewType` changed or removed (the stream is cycled or turned off: a new stream ARN, consumers stop receiving), or TTL enabled on an existing table (DynamoDB deletes items already expired)",
        fix: None,
        docs: r#"
## What it catches
On a table that exists in the base revision:

- `streamViewType` changed, or removed (the stream turns off);
- time to live enabled, where the table had none or had it disabled.

Adding a stream to an existing table is not reported; neither is anything on a new table.
A TTL change the provider or AWS will not carry out is DL314.

## Why it matters
A stream cannot change its view type: DynamoDB closes it and opens a new stream with a new
ARN, and the Lambda functions or Kinesis consumers reading the old one silently stop
receiving changes; removing `streamViewType` turns the stream off. Enabling TTL on a table
with data makes DynamoDB delete, within days, every item whose TTL attribute already holds
a time in the past — items nobody meant to expire yet.

## Example
```yaml
tables:
  - name: Orders
    streamViewType: NEW_AND_OLD_IMAGES    # was NEW_IMAGE: a new stream ARN
    ttl: {attributeName: ExpiresAt, enabled: true}   # new: expired items are deleted
```

## How to fix
Move the stream's consumers to the new ARN together with the change. Before enabling TTL,
check that no item holds a past time in the TTL attribute that it should outlive.
"#,
    },
    check: Check::Change(check),
};

/// Whether a table's TTL is on (written, and `enabled` not false).
pub fn ttl_enabled(ttl: Option<&crate::model::Ttl>) -> bool {
    ttl.is_some_and(|ttl| ttl.enabled.as_ref().is_none_or(|enabled| enabled.value))
}

fn check(changes: &ChangeSet<'_>, findings: &mut Vec<Finding>) {
    for pair in applied(changes) {
        let (old, new) = (pair.base.table, pair.head.table);
        let name = &new.id.name;
        if let Some(before) = &old.stream {
            let after = new.stream.as_ref();
            if after.is_none_or(|after| after.value != before.value) {
                let (span, message) = match after {
                    Some(after) => (
                        after.span,
                        format!(
                            "the stream of table `{name}` changes from {} to {}: DynamoDB closes the stream and opens one with a new ARN, and its consumers stop receiving changes",
                            before.value, after.value
                        ),
                    ),
                    None => (
                        new.name.span,
                        format!(
                            "`streamViewType` is removed from table `{name}`: DynamoDB turns its stream off, and its consumers stop receiving changes"
                        ),
                    ),
                };
                findings.push(
                    at_head(&RULE.meta, pair, span, "streamViewType", message)
                        .help("move the stream's consumers (Lambda triggers, Kinesis readers) with this change, or keep the stream as it is"),
                );
            }
        }
        if !ttl_enabled(old.ttl.as_ref()) && ttl_enabled(new.ttl.as_ref()) {
            let ttl = new.ttl.as_ref().expect("enabled");
            let span = ttl
                .enabled
                .as_ref()
                .map(|flag| flag.span)
                .or(ttl.attribute.as_ref().map(|name| name.span))
                .unwrap_or(ttl.key);
            let attribute = ttl
                .attribute
                .as_ref()
                .map_or("its TTL attribute", |name| name.value.as_str());
            findings.push(
                at_head(
                    &RULE.meta,
                    pair,
                    span,
                    "ttl",
                    format!("time to live is enabled on existing table `{name}`: DynamoDB deletes every item whose `{attribute}` already holds a time in the past"),
                )
                .help("before enabling it, check that no item holds a past time in the TTL attribute that it should outlive"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_change};

    const ORDERS: &str = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    streamViewType: NEW_IMAGE\n    ttl: {attributeName: ExpiresAt, enabled: true}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";

    #[test]
    fn ok() {
        // A stream added to an existing table, and anything on a new table, is fine.
        let no_stream = ORDERS.replace("    streamViewType: NEW_IMAGE\n", "");
        check(
            &lint_change(&[("koa-dev.yaml", &no_stream)], &[("koa-dev.yaml", ORDERS)]),
            "DL311",
            &[],
        );
        check(&lint_change(&[], &[("koa-dev.yaml", ORDERS)]), "DL311", &[]);
        // TTL turned off is an update AWS makes.
        let off = ORDERS.replace("enabled: true", "enabled: false");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &off)]),
            "DL311",
            &[],
        );
    }

    #[test]
    fn stream_changed_or_removed() {
        let changed = ORDERS.replace("NEW_IMAGE", "NEW_AND_OLD_IMAGES");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &changed)]),
            "DL311",
            &[
                "koa-dev.yaml:5:21 warning DL311 the stream of table `koa-dev-Orders` changes from NEW_IMAGE to NEW_AND_OLD_IMAGES: DynamoDB closes the stream and opens one with a new ARN, and its consumers stop receiving changes (move the stream's consumers (Lambda triggers, Kinesis readers) with this change, or keep the stream as it is)",
            ],
        );
        let removed = ORDERS.replace("    streamViewType: NEW_IMAGE\n", "");
        check(
            &lint_change(&[("koa-dev.yaml", ORDERS)], &[("koa-dev.yaml", &removed)]),
            "DL311",
            &[
                "koa-dev.yaml:2:11 warning DL311 `streamViewType` is removed from table `koa-dev-Orders`: DynamoDB turns its stream off, and its consumers stop receiving changes (move the stream's consumers (Lambda triggers, Kinesis readers) with this change, or keep the stream as it is)",
            ],
        );
    }

    #[test]
    fn ttl_enabled_on_an_existing_table() {
        let without = ORDERS.replace("    ttl: {attributeName: ExpiresAt, enabled: true}\n", "");
        let off = ORDERS.replace("enabled: true", "enabled: false");
        let expected = [
            "koa-dev.yaml:6:46 warning DL311 time to live is enabled on existing table `koa-dev-Orders`: DynamoDB deletes every item whose `ExpiresAt` already holds a time in the past (before enabling it, check that no item holds a past time in the TTL attribute that it should outlive)",
        ];
        for base in [&without, &off] {
            check(
                &lint_change(&[("koa-dev.yaml", base)], &[("koa-dev.yaml", ORDERS)]),
                "DL311",
                &expected,
            );
        }
    }
}
