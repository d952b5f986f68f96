//! DL114 shadow-table-mismatch: a `X-shadow` table that differs from table `X`.

use std::collections::BTreeSet;

use crate::finding::Finding;
use crate::model::{Index, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule, on_table};
use crate::span::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL114",
        name: "shadow-table-mismatch",
        severity: Severity::Warning,
        summary: "`X-shadow` table whose keys, attributes or indexes differ from table `X`",
        fix: None,
        docs: r#"
## What it catches
A table named `<name>-shadow` whose `hashKey`, `rangeKey`, attribute types, or local and
global secondary indexes differ from those of the table `<name>` in the same namespace.

## Why it matters
Shadow tables receive dual writes during staged migrations and then take over from the
original. If their key schema or indexes differ, the dual writes fail or the queries that
worked on the original break on the day of the switch — and a key schema or LSI can only
be fixed by recreating the table.

## Example
```yaml
tables:
  - name: IpAccessAgreement-v2
    hashKey: Ip
    rangeKey: Brand
    attributes:
      - {name: Ip, type: 'S'}
      - {name: Brand, type: 'S'}
  - name: IpAccessAgreement-v2-shadow
    hashKey: Ip                  # rangeKey missing
    attributes:
      - {name: Ip, type: 'S'}
```

## How to fix
Make the shadow's keys, attributes and indexes match the original's, or, when the
difference is the point of the migration, suppress the finding with that reason.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    let tables: Vec<_> = project.tables().collect();
    for (release, shadow) in &tables {
        let Some(original_name) = shadow.name.value.strip_suffix("-shadow") else {
            continue;
        };
        let candidates = || {
            tables.iter().filter(|(other_release, other)| {
                other_release.namespace == release.namespace && other.name.value == original_name
            })
        };
        // Prefer the original written next to the shadow.
        let Some((_, original)) = candidates()
            .find(|(other_release, _)| other_release.file == release.file)
            .or_else(|| candidates().next())
        else {
            continue;
        };
        compare(original, shadow, findings);
    }
}

fn compare(original: &Table, shadow: &Table, findings: &mut Vec<Finding>) {
    let mut differ = |span: Span, locus: &str, what: String, original_span: Span| {
        findings.push(
            on_table(
                &RULE.meta,
                shadow,
                span,
                locus,
                format!(
                    "shadow table `{}` differs from `{}`: {what}",
                    shadow.id.name, original.id.name
                ),
            )
            .help("make the shadow's keys, attributes and indexes match the original's")
            .related(original.site(original_span), "the original table"),
        );
    };
    if original.hash_key.value != shadow.hash_key.value {
        differ(
            shadow.hash_key.span,
            "hashKey",
            format!(
                "hashKey `{}` instead of `{}`",
                shadow.hash_key.value, original.hash_key.value
            ),
            original.hash_key.span,
        );
    }
    match (&original.range_key, &shadow.range_key) {
        (Some(expected), Some(actual)) if expected.value != actual.value => differ(
            actual.span,
            "rangeKey",
            format!(
                "rangeKey `{}` instead of `{}`",
                actual.value, expected.value
            ),
            expected.span,
        ),
        (Some(expected), None) => differ(
            shadow.name.span,
            "rangeKey",
            format!("no rangeKey, the original sorts by `{}`", expected.value),
            expected.span,
        ),
        (None, Some(actual)) => differ(
            actual.span,
            "rangeKey",
            format!("rangeKey `{}`, the original has none", actual.value),
            original.name.span,
        ),
        _ => {}
    }
    let (expected, actual) = (original.attribute_set(), shadow.attribute_set());
    if expected != actual {
        let describe = |set: &BTreeSet<(String, String)>| {
            set.iter()
                .map(|(name, kind)| format!("{name}:{kind}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        differ(
            shadow.attributes_key.unwrap_or(shadow.name.span),
            "attributes",
            format!(
                "attributes {} instead of {}",
                describe(&actual),
                describe(&expected)
            ),
            original.attributes_key.unwrap_or(original.name.span),
        );
    }
    for (field, expected, actual, shadow_key, original_key) in [
        (
            "localSecondaryIndex",
            &original.lsis,
            &shadow.lsis,
            shadow.lsi_key,
            original.lsi_key,
        ),
        (
            "globalSecondaryIndex",
            &original.gsis,
            &shadow.gsis,
            shadow.gsi_key,
            original.gsi_key,
        ),
    ] {
        let (expected_set, actual_set) = (index_set(expected), index_set(actual));
        if expected_set != actual_set {
            let names = |set: &BTreeSet<String>| {
                if set.is_empty() {
                    "none".to_string()
                } else {
                    set.iter().cloned().collect::<Vec<_>>().join("; ")
                }
            };
            differ(
                shadow_key.unwrap_or(shadow.name.span),
                field,
                format!(
                    "{field} [{}] instead of [{}]",
                    names(&actual_set),
                    names(&expected_set)
                ),
                original_key.unwrap_or(original.name.span),
            );
        }
    }
}

fn index_set(indexes: &[Index]) -> BTreeSet<String> {
    indexes.iter().map(Index::signature).collect()
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint};

    #[test]
    fn ok() {
        // The domain documentation's pair.
        let text = "\
tables:
  - name: IpAccessAgreement-v2
    useIdpPrefix: true
    hashKey: Ip
    rangeKey: Brand
    attributes:
      - name: Ip
        type: 'S'
      - name: Brand
        type: 'S'
    billingMode: PAY_PER_REQUEST
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
    serviceAccountWriteRoles: [\"access-service-koa-dev\"]
  - name: IpAccessAgreement-v2-shadow
    useIdpPrefix: true
    hashKey: Ip
    rangeKey: Brand
    attributes:
      - name: Ip
        type: 'S'
      - name: Brand
        type: 'S'
    billingMode: PAY_PER_REQUEST
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
    serviceAccountWriteRoles: [\"access-service-koa-dev\"]
";
        check(&lint(&[("koa-dev.yaml", text)]), "DL114", &[]);
    }

    #[test]
    fn differences() {
        let text = "\
tables:
  - name: Sessions
    hashKey: Ip
    rangeKey: Brand
    attributes:
      - {name: Ip, type: 'S'}
      - {name: Brand, type: 'S'}
      - {name: Day, type: 'S'}
    localSecondaryIndex:
      - {name: ByDay, rangeKey: Day, projectionType: ALL, nonKeyAttributes: []}
  - name: Sessions-shadow
    hashKey: Ip
    attributes:
      - {name: Ip, type: 'N'}
      - {name: Day, type: 'S'}
    localSecondaryIndex:
      - {name: ByDay, rangeKey: Day, projectionType: KEYS_ONLY, nonKeyAttributes: []}
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL114",
            &[
                "koa-dev.yaml:11:11 warning DL114 shadow table `koa-dev-Sessions-shadow` differs from `koa-dev-Sessions`: no rangeKey, the original sorts by `Brand` (make the shadow's keys, attributes and indexes match the original's)",
                "koa-dev.yaml:13:5 warning DL114 shadow table `koa-dev-Sessions-shadow` differs from `koa-dev-Sessions`: attributes Day:S, Ip:N instead of Brand:S, Day:S, Ip:S (make the shadow's keys, attributes and indexes match the original's)",
                "koa-dev.yaml:16:5 warning DL114 shadow table `koa-dev-Sessions-shadow` differs from `koa-dev-Sessions`: localSecondaryIndex [ByDay -/Day KEYS_ONLY] instead of [ByDay -/Day ALL] (make the shadow's keys, attributes and indexes match the original's)",
            ],
        );
    }
}
