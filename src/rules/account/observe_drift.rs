//! DL121 observe-drift: a table under `managementPolicies: Observe` that AWS does not
//! have, or has with other keys, indexes or billing than the values (`check --aws`).

use crate::account::{self, Answer};
use crate::finding::Finding;
use crate::model::{Release, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::account::{AccountReview, denied};
use crate::rules::{Check, Rule, on_table};
use crate::span::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL121",
        name: "observe-drift",
        severity: Severity::Error,
        summary: "with `--aws`: a table under `managementPolicies: Observe` does not exist in AWS, or its key schema, LSIs, GSIs or billing mode differ from the values (switching to Control would be refused or would change the table)",
        fix: None,
        docs: r#"
## What it catches
With `check --aws`, a table of a release under `managementPolicies: Observe` (adopted or
imported) that `dynamodb:DescribeTable` does not find, or finds with another partition or
sort key (or key type), other local or global secondary indexes, or another billing mode
than the values say. With `--base`, only the Observe tables the change adds or changes,
and the tables it switches from Observe to Control; without a base, every Observe table
in scope. For a table the change switches to Control, also what Control would do to its
point-in-time recovery (`dynamodb:DescribeContinuousBackups`) and TTL
(`dynamodb:DescribeTimeToLive`): turn off a PITR that AWS has on, move the attribute of an
enabled TTL (refused), or enable a TTL (a warning: expired items are deleted).

## Why it matters
Under Observe, Crossplane only reads the table: values that differ from AWS change
nothing, and lie about it. A missing table is a reconcile error ("external resource does
not exist"), and nothing is created. The moment the release switches to Control,
Crossplane makes AWS match the values:
- another key schema or other LSIs need the table replaced: upjet refuses ("refuse to
  update the external resource because the following update requires replacing it"), the
  Table stays `Synced=False`, and its other changes are blocked;
- other GSIs are deleted and created, one per update: queries on a removed index fail
  for good, and a new one backfills before it serves;
- another billing mode is switched (PROVISIONED to PAY_PER_REQUEST at most 4 times in 24
  hours).

## Example
```yaml
managementPolicies: Observe
tables:
  - name: Orders
    hashKey: OrderId      # AWS has the table keyed by Id
    attributes: [{name: OrderId, type: 'S'}]
```

## How to fix
Make the values say what AWS has (`aws dynamodb describe-table` shows it) before switching
to Control; for a table that does not exist, fix its name or region, or declare it under
Control to create it.
"#,
    },
    check: Check::Account(check),
};

fn check(review: &AccountReview<'_>, findings: &mut Vec<Finding>) {
    for (release, table, switched) in &review.selection.observed {
        let Some(answer) = review.facts.table(&table.id) else {
            continue;
        };
        match answer {
            Answer::Found(found) => drift(release, table, found, *switched, findings),
            Answer::Missing => {
                let outcome = if *switched {
                    "this change switches it to Control, so Crossplane creates it, empty, instead of adopting a table"
                } else {
                    "under Observe, Crossplane reports \"external resource does not exist\" and creates nothing"
                };
                findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        table.name.span,
                        "aws/missing",
                        format!(
                            "table `{}` does not exist in AWS ({}): {outcome}",
                            table.id, table.id.region
                        ),
                    )
                    .help("check the table's name, `useIdpPrefix` and region against AWS; to create it, declare it under Control"),
                );
            }
            Answer::Denied { .. } => findings.extend(denied(
                &RULE.meta,
                table,
                &table.name,
                "aws/describe",
                answer,
                &format!("table `{}` against AWS", table.id),
            )),
        }
    }
}

/// What Control does about a difference, as the change or a later switch meets it.
fn under_control(switched: bool, what: &str) -> String {
    if switched {
        format!("this change switches it to Control: {what}")
    } else {
        format!("under Observe nothing changes, and the values lie; switched to Control, {what}")
    }
}

const REFUSED: &str = "upjet refuses the update (it requires replacing the table), the Table stays Synced=False and its other changes are blocked";

fn drift(
    release: &Release,
    table: &Table,
    aws: &account::Table,
    switched: bool,
    findings: &mut Vec<Finding>,
) {
    let _ = release;
    if switched {
        control_settings(table, aws, findings);
    }
    let mut push = |span: Span, locus: &str, message: String| {
        findings.push(
            on_table(&RULE.meta, table, span, locus, message)
                .help("make the values say what AWS has (`aws dynamodb describe-table`) before switching to Control"),
        );
    };
    let key_type = |name: &str| {
        table
            .attribute(name)
            .and_then(|attribute| attribute.kind.as_ref())
            .map(|kind| kind.value.clone())
    };
    // The key schema: names, then the key attributes' types.
    if table.hash_key.value != aws.hash_key {
        push(
            table.hash_key.span,
            "aws/hashKey",
            format!(
                "table `{}` in AWS has partition key `{}`, the values say `{}`: {}",
                table.id,
                aws.hash_key,
                table.hash_key.value,
                under_control(switched, REFUSED)
            ),
        );
    }
    let range = table.range_key.as_ref().map(|key| key.value.as_str());
    if range != aws.range_key.as_deref() {
        let span = table
            .range_key
            .as_ref()
            .map_or(table.hash_key.span, |key| key.span);
        push(
            span,
            "aws/rangeKey",
            format!(
                "table `{}` in AWS has {}, the values say {}: {}",
                table.id,
                aws.range_key
                    .as_ref()
                    .map_or("no sort key".to_string(), |key| format!("sort key `{key}`")),
                range.map_or("no sort key".to_string(), |key| format!("sort key `{key}`")),
                under_control(switched, REFUSED)
            ),
        );
    }
    for key in [Some(&table.hash_key), table.range_key.as_ref()]
        .into_iter()
        .flatten()
    {
        let (Some(said), Some(has)) = (key_type(&key.value), aws.attributes.get(&key.value)) else {
            continue;
        };
        if &said != has {
            let span = table
                .attribute(&key.value)
                .and_then(|attribute| attribute.kind.as_ref())
                .map_or(key.span, |kind| kind.span);
            push(
                span,
                &format!("aws/attributes/{}", key.value),
                format!(
                    "key attribute `{}` of table `{}` is type {has} in AWS, the values say {said}: {}",
                    key.value,
                    table.id,
                    under_control(
                        switched,
                        "the provider ignores a key attribute's type change, so AWS keeps it and the values go on lying"
                    )
                ),
            );
        }
    }
    // The LSIs: by name, with their sort keys.
    let lsis_differ = {
        let mut said: Vec<(String, Option<String>)> = table
            .lsis
            .iter()
            .map(|index| {
                (
                    index.name.value.clone(),
                    index.range_key.as_ref().map(|key| key.value.clone()),
                )
            })
            .collect();
        let mut has: Vec<(String, Option<String>)> = aws
            .lsis
            .iter()
            .map(|index| (index.name.clone(), index.range_key.clone()))
            .collect();
        said.sort();
        has.sort();
        (said != has).then(|| describe(&has))
    };
    if let Some(has) = lsis_differ {
        let span = table
            .lsis
            .first()
            .map(|index| index.name.span)
            .or(table.lsi_key)
            .unwrap_or(table.name.span);
        push(
            span,
            "aws/localSecondaryIndex",
            format!(
                "table `{}` in AWS has {has} as local secondary indexes, the values say {}: {}",
                table.id,
                describe(
                    &table
                        .lsis
                        .iter()
                        .map(|index| (
                            index.name.value.clone(),
                            index.range_key.as_ref().map(|key| key.value.clone())
                        ))
                        .collect::<Vec<_>>()
                ),
                under_control(switched, REFUSED)
            ),
        );
    }
    // The GSIs: each one the values and AWS do not have alike.
    for index in &table.gsis {
        let same = aws.gsis.iter().find(|gsi| gsi.name == index.name.value);
        let keys = (
            index.hash_key.as_ref().map(|key| key.value.as_str()),
            index.range_key.as_ref().map(|key| key.value.as_str()),
        );
        let what = match same {
            None => format!(
                "AWS has no global secondary index `{}`: {}",
                index.name.value,
                under_control(
                    switched,
                    "Crossplane creates it, and it backfills before it serves queries"
                )
            ),
            Some(gsi) if keys != (Some(gsi.hash_key.as_str()), gsi.range_key.as_deref()) => {
                format!(
                    "global secondary index `{}` in AWS is keyed {}, the values say {}: {}",
                    index.name.value,
                    keys_text(Some(&gsi.hash_key), gsi.range_key.as_deref()),
                    keys_text(keys.0, keys.1),
                    under_control(
                        switched,
                        "Crossplane deletes and rebuilds it: queries on it fail until the backfill ends"
                    )
                )
            }
            Some(_) => continue,
        };
        push(
            index.name.span,
            &format!("aws/globalSecondaryIndex/{}", index.name.value),
            format!("table `{}`: {what}", table.id),
        );
    }
    for gsi in aws
        .gsis
        .iter()
        .filter(|gsi| !table.gsis.iter().any(|index| index.name.value == gsi.name))
    {
        push(
            table.gsi_key.unwrap_or(table.name.span),
            &format!("aws/globalSecondaryIndex/{}", gsi.name),
            format!(
                "table `{}` in AWS has global secondary index `{}`, the values do not: {}",
                table.id,
                gsi.name,
                under_control(
                    switched,
                    "Crossplane deletes it, and every query that uses it fails for good"
                )
            ),
        );
    }
    // The billing mode.
    if table.billing() != aws.billing {
        push(
            table
                .billing_mode
                .as_ref()
                .map_or(table.name.span, |mode| mode.span),
            "aws/billingMode",
            format!(
                "table `{}` in AWS is billed {}, the values say {}: {}",
                table.id,
                aws.billing.as_str(),
                table.billing().as_str(),
                under_control(
                    switched,
                    "Crossplane switches the billing mode (to PAY_PER_REQUEST at most 4 times in 24 hours; to PROVISIONED it needs capacity on the table and every GSI)"
                )
            ),
        );
    }
}

/// What switching to Control does to point-in-time recovery and TTL: turns off a PITR
/// that AWS has on, enables a TTL (deleting the items already expired), or is refused
/// changing the attribute of an enabled TTL.
fn control_settings(table: &Table, aws: &account::Table, findings: &mut Vec<Finding>) {
    if let Some(Answer::Found(true)) = aws.pitr
        && !table.pitr_enabled()
    {
        let span = table
            .pitr
            .as_ref()
            .map_or(table.name.span, |pitr| pitr.span);
        findings.push(
            on_table(
                &RULE.meta,
                table,
                span,
                "aws/pointInTimeRecovery",
                format!(
                    "table `{}` has point-in-time recovery on in AWS, the values turn it off: this change switches it to Control, and Crossplane turns it off, discarding the 35-day restore window at once",
                    table.id
                ),
            )
            .help("write `pointInTimeRecovery: true` (what AWS has) before switching to Control"),
        );
    }
    let Some(Answer::Found(has)) = &aws.ttl else {
        return;
    };
    let Some(ttl) = &table.ttl else {
        return;
    };
    let enabled = ttl.enabled.as_ref().is_none_or(|enabled| enabled.value);
    let said = ttl.attribute.as_ref();
    match (has, said) {
        (Some(has), Some(said)) if enabled && &said.value != has => findings.push(
            on_table(
                &RULE.meta,
                table,
                said.span,
                "aws/ttl",
                format!(
                    "TTL of table `{}` is enabled on `{has}` in AWS, the values say `{}`: this change switches it to Control, and AWS refuses to change the attribute of an enabled TTL in one step (disable, wait an hour, enable again)",
                    table.id, said.value
                ),
            )
            .help("write the attribute AWS has before switching to Control, then change it in two later changes"),
        ),
        (None, Some(said)) if enabled => findings.push(
            on_table(
                &RULE.meta,
                table,
                said.span,
                "aws/ttl",
                format!(
                    "TTL of table `{}` is off in AWS, the values enable it on `{}`: this change switches it to Control, and DynamoDB then deletes every item whose `{}` is already in the past",
                    table.id, said.value, said.value
                ),
            )
            .severity(Severity::Warning)
            .help("make sure no item's TTL value is in the past, or write `enabled: false` until it is"),
        ),
        _ => {}
    }
}

fn keys_text(hash: Option<&str>, range: Option<&str>) -> String {
    match (hash, range) {
        (Some(hash), Some(range)) => format!("`{hash}`/`{range}`"),
        (Some(hash), None) => format!("`{hash}`"),
        (None, _) => "without a partition key".to_string(),
    }
}

/// `none` or `` `ByDate` (sort key `Date`), `ByTotal` (sort key `Total`) ``.
fn describe(indexes: &[(String, Option<String>)]) -> String {
    if indexes.is_empty() {
        return "none".to_string();
    }
    let mut sorted = indexes.to_vec();
    sorted.sort();
    sorted
        .iter()
        .map(|(name, range)| match range {
            Some(range) => format!("`{name}` (sort key `{range}`)"),
            None => format!("`{name}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use crate::account::{Answer, FixedAccount, Index};
    use crate::model::BillingMode;
    use crate::rules::account::testing::{aws_table, id, lint_with_account, messages};

    /// shop-dev-Orders under Observe (line 1), keyed by Id (line 4), billed on demand.
    fn observed(extra: &str) -> String {
        format!(
            "managementPolicies: Observe\ntables:\n  - name: Orders\n    hashKey: Id\n    attributes:\n      - {{name: Id, type: 'S'}}\n      - {{name: Day, type: 'S'}}\n    billingMode: PAY_PER_REQUEST\n{extra}"
        )
    }

    fn account(edit: impl FnOnce(&mut crate::account::Table)) -> FixedAccount {
        let mut table = aws_table(&[]);
        if let Answer::Found(found) = &mut table {
            edit(found);
        }
        let mut account = FixedAccount::default();
        account.tables.insert(id("Orders"), table);
        account
    }

    #[test]
    fn an_observe_table_that_matches_aws_is_ok() {
        let (locations, calls) = lint_with_account(&observed(""), None, &account(|_| {}));
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 DescribeTable");
    }

    #[test]
    fn a_missing_observe_table_is_an_error_at_its_name() {
        let (locations, _) = lint_with_account(&observed(""), None, &FixedAccount::default());
        assert_eq!(locations, ["3:11 DL121 error"]);
        let said = messages(&observed(""), &FixedAccount::default());
        assert!(
            said[0].contains("external resource does not exist"),
            "{said:?}"
        );
    }

    #[test]
    fn another_key_schema_is_an_error_at_the_key() {
        let aws = account(|table| {
            table.hash_key = "OrderId".to_string();
            table.attributes = [("OrderId".to_string(), "S".to_string())].into();
        });
        let (locations, _) = lint_with_account(&observed(""), None, &aws);
        assert_eq!(locations, ["4:14 DL121 error"]);
        let said = messages(&observed(""), &aws);
        assert!(said[0].contains("partition key `OrderId`"), "{said:?}");
        assert!(said[0].contains("upjet refuses the update"), "{said:?}");
    }

    #[test]
    fn another_key_type_is_an_error_at_the_type() {
        let aws = account(|table| {
            table.attributes = [("Id".to_string(), "N".to_string())].into();
        });
        let (locations, _) = lint_with_account(&observed(""), None, &aws);
        assert_eq!(locations, ["6:26 DL121 error"]);
    }

    #[test]
    fn other_lsis_gsis_and_billing_are_errors_where_the_values_say_them() {
        let aws = account(|table| {
            table.range_key = None;
            table.lsis = vec![Index {
                name: "ByDay".to_string(),
                hash_key: "Id".to_string(),
                range_key: Some("Day".to_string()),
            }];
            table.gsis = vec![Index {
                name: "Legacy".to_string(),
                hash_key: "Day".to_string(),
                range_key: None,
            }];
            table.billing = BillingMode::Provisioned;
        });
        let values = observed(
            "    globalSecondaryIndex:\n      - name: ByDay\n        hashKey: Day\n        projectionType: ALL\n        nonKeyAttributes: []\n",
        );
        let (locations, _) = lint_with_account(&values, None, &aws);
        assert_eq!(
            locations,
            [
                "3:11 DL121 error",
                "8:18 DL121 error",
                "9:5 DL121 error",
                "10:15 DL121 error"
            ]
        );
    }

    #[test]
    fn a_switch_to_control_that_turns_pitr_off_or_moves_an_enabled_ttl_is_an_error() {
        let aws = account(|table| {
            table.ttl = Some(Answer::Found(Some("expiresAt".to_string())));
        });
        let base = observed(
            "    pointInTimeRecovery: false\n    ttl:\n      attributeName: ttl\n      enabled: true\n",
        );
        let head = base.replace("managementPolicies: Observe", "managementPolicies: Control");
        let (locations, calls) = lint_with_account(&head, Some(&base), &aws);
        assert_eq!(locations, ["9:26 DL121 error", "11:22 DL121 error"]);
        assert_eq!(
            calls,
            "1 DescribeContinuousBackups, 1 DescribeTable, 1 DescribeTimeToLive"
        );
        // Still under Observe, nothing of this is read: nothing would change.
        let (_, calls) = lint_with_account(&base, None, &aws);
        assert_eq!(calls, "1 DescribeTable");
    }

    #[test]
    fn with_a_base_a_switch_to_control_is_checked_and_an_unchanged_observe_table_is_not() {
        let aws = account(|table| table.billing = BillingMode::Provisioned);
        let (locations, calls) = lint_with_account(&observed(""), Some(&observed("")), &aws);
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "");
        let control =
            observed("").replace("managementPolicies: Observe", "managementPolicies: Control");
        let (locations, _) = lint_with_account(&control, Some(&observed("")), &aws);
        assert!(
            locations.contains(&"8:18 DL121 error".to_string()),
            "{locations:?}"
        );
    }
}
