//! DL004 yaml-type-trap: an unquoted scalar that Helm's YAML 1.1 reader turns into
//! another type than the chart expects.

use std::collections::BTreeSet;

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::structure::{FileContext, FileFindings, ValuesContext};
use crate::rules::{Check, Rule};
use crate::schema::{Violation, ViolationKind};
use crate::source::Site;
use crate::yaml::{Node, Value, Yaml11, is_alias_copy};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL004",
        name: "yaml-type-trap",
        severity: Severity::Error,
        summary: "an unquoted scalar that Helm's YAML 1.1 reader turns into another type than the chart expects: `type: N` becomes the boolean `false`, `name: 0123` an octal number",
        fix: Some(Applicability::Safe),
        docs: r#"
## What it catches
An unquoted value that Helm reads as something else than what you wrote. Helm reads
values with a YAML 1.1 parser, where `y`, `Y`, `yes`, `n`, `N`, `no`, `on`, `off` (in
lower, title or upper case) are booleans and a number with a leading zero is octal. Editors,
linters and most YAML tools use YAML 1.2, where they are plain text and decimal numbers,
so the file looks right everywhere except in the cluster. dynalint reports:

- an unquoted value where the chart expects text but Helm reads a boolean or a number:
  `type: N` (the boolean `false`), `name: 0123` (the number 83), `hashKey: yes`. dynalint
  knows which of the chart's fields are text (names, keys, attribute types, roles, tag
  values...), so a permissive chart schema in the repository does not hide the trap;
- an unquoted mapping key that Helm turns into other text: `tags: {no: x}` is the AWS tag
  key `false`, `0123:` the key `83`, `1e3:` the key `1000`;
- a number with a leading zero anywhere: `readCapacity: 010` is 8 to Helm, not 10.

## Why it matters
`type: N` is the classic: the attribute type becomes `false`, the chart's schema rejects
it, and the sync fails with an error about a boolean nobody wrote. Where the schema lets
the value through, the table silently gets another name or capacity than the one in the
file.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: N          # the boolean false to Helm; write 'N'
    readCapacity: 010    # 8 to Helm
```

## How to fix
Quote text values and keys (`type: 'N'`, `name: '0123'`, `'no': x`); write numbers
without leading zeros. A table with a trapped text field is left out of the other table
rules until it is fixed, as with a schema error.
"#,
    },
    check: Check::File(check),
};

fn check(context: &FileContext<'_>, out: &mut FileFindings) {
    let Some(values) = context.values else {
        return;
    };
    let mut trapped: BTreeSet<String> = BTreeSet::new();
    let push = |out: &mut FileFindings, pointer: &str, finding: Finding| {
        match ValuesContext::table_position(pointer) {
            Some(position) => out.push_unreadable_table(position, finding),
            None => out.push(finding),
        }
    };
    for violation in values.violations {
        if let Some(finding) = from_violation(values, violation) {
            trapped.insert(violation.pointer.clone());
            push(out, &violation.pointer, finding);
        }
    }
    // The chart's text fields, whatever the repository's schema lets through.
    for (pointer, node, options) in text_fields(values.root) {
        if trapped.contains(&pointer) {
            continue;
        }
        if let Some(finding) = trap(values, &pointer, node, options) {
            push(out, &pointer, finding);
            trapped.insert(pointer);
        }
    }
    let trapped: BTreeSet<&str> = trapped.iter().map(String::as_str).collect();
    for finding in octal_numbers(values, &trapped) {
        out.push(finding);
    }
    for finding in converted_keys(values) {
        out.push(finding);
    }
}

/// Whether a schema violation is a trap of YAML 1.1 (this rule's, not DL002's).
pub fn is_trap(context: &ValuesContext<'_>, violation: &Violation) -> bool {
    from_violation(context, violation).is_some()
        || context
            .root
            .lookup(&violation.pointer)
            .is_some_and(|located| {
                text_options(&violation.pointer)
                    .and_then(|options| trap(context, &violation.pointer, located.node, options))
                    .is_some()
            })
}

/// The allowed values of a field the chart reads as text (empty: any text), by its
/// JSON pointer; `None` for the other fields.
fn text_options(pointer: &str) -> Option<&'static [&'static str]> {
    const ANY: &[&str] = &[];
    const PROJECTIONS: &[&str] = &["ALL", "KEYS_ONLY", "INCLUDE"];
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let index = |segment: &str| segment.parse::<usize>().is_ok();
    let options = match segments.as_slice() {
        ["region"] => ANY,
        ["managementPolicies"] => &["Control", "Observe"],
        ["deletionPolicy"] => &["Delete", "Orphan"],
        ["tables", table, rest @ ..] if index(table) => match rest {
            ["name" | "hashKey" | "rangeKey" | "region"] => ANY,
            ["billingMode"] => &["PAY_PER_REQUEST", "PROVISIONED"],
            ["streamViewType"] => &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"],
            ["serviceAccountReadRoles" | "serviceAccountWriteRoles", item] if index(item) => ANY,
            ["attributes", item, "name"] if index(item) => ANY,
            ["attributes", item, "type"] if index(item) => &["S", "N", "B"],
            ["localSecondaryIndex" | "globalSecondaryIndex", item, field] if index(item) => {
                match *field {
                    "name" | "hashKey" | "rangeKey" => ANY,
                    "projectionType" => PROJECTIONS,
                    _ => return None,
                }
            }
            [
                "localSecondaryIndex" | "globalSecondaryIndex",
                item,
                "nonKeyAttributes",
                key,
            ] if index(item) && index(key) => ANY,
            ["ttl", "attributeName"] => ANY,
            ["tags", _] => ANY,
            _ => return None,
        },
        _ => return None,
    };
    Some(options)
}

/// The plain scalars of the values file that Helm reads as a boolean or a number, in
/// fields the chart reads as text.
fn text_fields(root: &Node) -> Vec<(String, &Node, &'static [&'static str])> {
    let read_as_other = |node: &Node| {
        node.plain
            && matches!(
                node.value,
                Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_)
            )
    };
    root.find(&read_as_other)
        .into_iter()
        .filter_map(|(pointer, node)| {
            let options = text_options(&pointer)?;
            Some((pointer, node, options))
        })
        .collect()
}

/// Turn a schema violation on an unquoted scalar into the trap it really is.
fn from_violation(context: &ValuesContext<'_>, violation: &Violation) -> Option<Finding> {
    let (file, located) = context.locate(&violation.pointer)?;
    if file != context.file {
        return None;
    }
    let node = located.node;
    let written = context.source.slice(node.span).trim();
    let options: Vec<&str> = match &violation.kind {
        ViolationKind::Type { expected } if expected.iter().any(|name| name == "string") => {
            Vec::new()
        }
        // Only when quoting would give an allowed value, or one differing only in case.
        ViolationKind::Enum { options, .. }
            if options
                .iter()
                .any(|option| option.eq_ignore_ascii_case(written)) =>
        {
            options.iter().map(String::as_str).collect()
        }
        _ => return None,
    };
    trap(context, &violation.pointer, node, &options)
}

/// The finding for a plain scalar at `pointer` of the values file that Helm reads as a
/// boolean or a number where the chart expects text (one of `options`, if any).
fn trap(
    context: &ValuesContext<'_>,
    pointer: &str,
    node: &Node,
    options: &[&str],
) -> Option<Finding> {
    // A copy made by an alias is reported where it is defined.
    if !node.plain
        || matches!(node.value, Value::String(_) | Value::Null)
        || is_alias_copy(node, &context.source.text)
    {
        return None;
    }
    let written = context.source.slice(node.span).trim();
    let what = context.describe(pointer);
    let message = format!(
        "{what}: Helm reads unquoted `{written}` as {}, not the text \"{written}\"",
        reading(node)
    );
    // Quote the allowed value it stands for (`type: n` -> 'N'), else the text as written.
    let allowed = options
        .iter()
        .find(|option| option.eq_ignore_ascii_case(written));
    let quoted = allowed.copied().unwrap_or(written);
    let mut help = match node.yaml11 {
        Some(Yaml11::Bool) => format!(
            "quote it: `'{quoted}'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans"
        ),
        _ => format!("quote it: `'{quoted}'`"),
    };
    if allowed.is_none() && !options.is_empty() {
        help.push_str(&format!(", and write one of {}", options.join(", ")));
    }
    let change = match allowed {
        Some(allowed) if *allowed != written => Change::Replace {
            at: node.span,
            key: false,
            text: allowed.to_string(),
        },
        _ => Change::Quote {
            at: node.span,
            key: false,
        },
    };
    // A name or key Helm has been rendering as the number or boolean may be a live
    // table's identity: quoting it then renames or re-keys that table in AWS. Unsafe.
    let (applicability, title) = if names_a_table(pointer) {
        (
            Applicability::Unsafe,
            format!(
                "quote it: `'{quoted}'` (if the table exists, it exists as Helm reads it now: quoting renames or re-keys it)"
            ),
        )
    } else {
        (Applicability::Safe, format!("quote it: `'{quoted}'`"))
    };
    let fix = Fix::new(applicability, context.file, title, change);
    Some(finish(
        context,
        Finding::new(&RULE.meta, Site::new(context.file, node.span), message)
            .help(help)
            .fix(fix),
        pointer,
    ))
}

/// Whether the field at `pointer` is part of what names a table or its keys in AWS: a
/// table's or index's `name` and keys, an attribute's `name`, a `region`.
fn names_a_table(pointer: &str) -> bool {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let index = |segment: &str| segment.parse::<usize>().is_ok();
    match segments.as_slice() {
        ["region"] => true,
        ["tables", table, field] => {
            index(table) && ["name", "hashKey", "rangeKey", "region"].contains(field)
        }
        ["tables", table, "attributes", item, "name"] => index(table) && index(item),
        ["tables", table, list, item, field] => {
            index(table)
                && index(item)
                && ["localSecondaryIndex", "globalSecondaryIndex"].contains(list)
                && ["name", "hashKey", "rangeKey"].contains(field)
        }
        _ => false,
    }
}

/// Unquoted mapping keys that Helm reads as a boolean or a number, so that the key it
/// uses is not the text written (`no:` is the key `false`, `0123:` the key `83`).
fn converted_keys(context: &ValuesContext<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let maps = context.root.find(&|node| {
        node.as_map()
            .is_some_and(|entries| entries.iter().any(|entry| entry.key_converted))
    });
    for (pointer, node) in maps {
        if is_alias_copy(node, &context.source.text) {
            continue;
        }
        for entry in node.as_map().into_iter().flatten() {
            if !entry.key_converted || context.source.text.get(entry.key_span.range()).is_none() {
                continue;
            }
            let written = context.source.slice(entry.key_span).trim();
            let key_pointer = format!("{pointer}/{}", crate::yaml::escape_pointer(&entry.key));
            let container = if pointer.is_empty() {
                "at the top level of the values".to_string()
            } else {
                format!("in {}", context.describe(&pointer))
            };
            findings.push(finish(
                context,
                Finding::new(
                    &RULE.meta,
                    Site::new(context.file, entry.key_span),
                    format!(
                        "the key `{written}` {container}: Helm reads it unquoted as `{}`, so the key is \"{}\", not \"{written}\"",
                        entry.key, entry.key
                    ),
                )
                .help(format!("quote the key: `'{written}':`"))
                .fix(Fix::new(
                    Applicability::Safe,
                    context.file,
                    format!("quote the key: `'{written}':`"),
                    Change::Quote {
                        at: entry.key_span,
                        key: true,
                    },
                )),
                &key_pointer,
            ));
        }
    }
    findings
}

/// Numbers with a leading zero, which Helm reads as octal, wherever they are; except at
/// pointers already reported.
fn octal_numbers(context: &ValuesContext<'_>, reported: &BTreeSet<&str>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (pointer, node) in context
        .root
        .find(&|node| node.yaml11 == Some(Yaml11::Octal))
    {
        let pointer = pointer.as_str();
        if reported.contains(pointer) || is_alias_copy(node, &context.source.text) {
            continue;
        }
        let written = context.source.slice(node.span).trim();
        let decimal: String = written
            .chars()
            .filter(|character| *character != '_')
            .collect::<String>()
            .trim_start_matches(['+', '-'])
            .trim_start_matches('0')
            .to_string();
        let sign = if written.starts_with('-') { "-" } else { "" };
        let octal = match node.value {
            Value::Int(number) => number.to_string(),
            Value::UInt(number) => number.to_string(),
            _ => continue,
        };
        let message = format!(
            "{}: `{written}` has a leading zero, so Helm reads it as the octal number {octal}, not {sign}{decimal}",
            context.describe(pointer)
        );
        findings.push(finish(
            context,
            Finding::new(&RULE.meta, Site::new(context.file, node.span), message).help(format!(
                "write `{sign}{decimal}` without the leading zero, or quote it if it is text"
            )),
            pointer,
        ));
    }
    findings
}

fn finish(context: &ValuesContext<'_>, finding: Finding, pointer: &str) -> Finding {
    let finding = finding.locus(context.root.semantic_path(pointer));
    match context.table_id(pointer) {
        Some(table) => finding.table(table),
        None => finding,
    }
}

fn reading(node: &Node) -> String {
    match (&node.value, node.yaml11) {
        (Value::Bool(flag), _) => format!("the boolean {flag}"),
        (Value::Int(number), Some(Yaml11::Octal)) => format!("the octal number {number}"),
        (Value::UInt(number), Some(Yaml11::Octal)) => format!("the octal number {number}"),
        (Value::Int(number), _) => format!("the number {number}"),
        (Value::UInt(number), _) => format!("the number {number}"),
        (Value::Float(number), _) => format!("the number {number}"),
        (Value::Seq(_), _) => "a list".to_string(),
        (Value::Map(_), _) => "a mapping".to_string(),
        (Value::Null | Value::String(_), _) => "text".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint, lint_tree, values_path};
    use crate::snapshot::MemoryTree;

    #[test]
    fn ok() {
        let text = "\
tables:
  - name: '0123'
    hashKey: Id
    attributes:
      - name: Id
        type: 'N'
    pointInTimeRecovery: yes
    tags: {owner: 'no'}
";
        check(&lint(&[("koa-dev.yaml", text)]), "DL004", &[]);
        check(&lint(&[("koa-dev.yaml", text)]), "DL002", &[]);
    }

    #[test]
    fn traps_replace_the_schema_error_at_the_same_value() {
        let text = "\
tables:
  - name: 0123
    hashKey: yes
    attributes:
      - name: Id
        type: N
      - name: Other
        type: n
      - name: 'yes'
        type: 'S'
    tags: {owner: off, cost-center: 4711}
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(
            &findings,
            "DL004",
            &[
                "koa-dev.yaml:2:11 error DL004 `name` of table #1: Helm reads unquoted `0123` as the octal number 83, not the text \"0123\" (quote it: `'0123'`)",
                "koa-dev.yaml:3:14 error DL004 `hashKey` of table #1: Helm reads unquoted `yes` as the boolean true, not the text \"yes\" (quote it: `'yes'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:6:15 error DL004 `attributes[0].type` of table #1: Helm reads unquoted `N` as the boolean false, not the text \"N\" (quote it: `'N'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:8:15 error DL004 `attributes[1].type` of table #1: Helm reads unquoted `n` as the boolean false, not the text \"n\" (quote it: `'N'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:11:19 error DL004 `tags.owner` of table #1: Helm reads unquoted `off` as the boolean false, not the text \"off\" (quote it: `'off'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:11:37 error DL004 `tags.cost-center` of table #1: Helm reads unquoted `4711` as the number 4711, not the text \"4711\" (quote it: `'4711'`)",
            ],
        );
        // No second report of the same values as schema violations.
        check(&findings, "DL002", &[]);
    }

    #[test]
    fn a_permissive_chart_schema_does_not_hide_the_trap() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: N
  - name: Carts
    hashKey: no
    attributes: [{name: 'no', type: 'S'}]
    pointInTimeRecovery: false
";
        let tree = MemoryTree::new().with(&values_path("koa-dev"), text).with(
            "helm/helm-idp-dynamodb/values.schema.json",
            "{\"type\": \"object\"}",
        );
        let findings = lint_tree(tree);
        check(
            &findings,
            "DL004",
            &[
                "koa-dev.yaml:6:15 error DL004 `attributes[0].type` of table `koa-dev-Orders`: Helm reads unquoted `N` as the boolean false, not the text \"N\" (quote it: `'N'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:8:14 error DL004 `hashKey` of table `koa-dev-Carts`: Helm reads unquoted `no` as the boolean false, not the text \"no\" (quote it: `'no'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
            ],
        );
        // The tables are left out of the table rules while the traps stand (no DL112
        // on Carts, no DL101 on Orders' attribute of no type).
        check(&findings, "DL112", &[]);
        check(&findings, "DL101", &[]);
    }

    #[test]
    fn a_value_that_is_no_allowed_value_even_quoted_is_still_the_trap() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: y
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(
            &findings,
            "DL004",
            &[
                "koa-dev.yaml:6:15 error DL004 `attributes[0].type` of table `koa-dev-Orders`: Helm reads unquoted `y` as the boolean true, not the text \"y\" (quote it: `'y'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans, and write one of S, N, B)",
            ],
        );
        check(&findings, "DL002", &[]);
    }

    #[test]
    fn mapping_keys_that_helm_reads_as_other_text() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    tags:
      no: x
      yes: ya
      0123: a
      1e3: b
      42: c
      'off': d
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL004",
            &[
                "koa-dev.yaml:6:7 error DL004 the key `no` in `tags` of table `koa-dev-Orders`: Helm reads it unquoted as `false`, so the key is \"false\", not \"no\" (quote the key: `'no':`)",
                "koa-dev.yaml:7:7 error DL004 the key `yes` in `tags` of table `koa-dev-Orders`: Helm reads it unquoted as `true`, so the key is \"true\", not \"yes\" (quote the key: `'yes':`)",
                "koa-dev.yaml:8:7 error DL004 the key `0123` in `tags` of table `koa-dev-Orders`: Helm reads it unquoted as `83`, so the key is \"83\", not \"0123\" (quote the key: `'0123':`)",
                "koa-dev.yaml:9:7 error DL004 the key `1e3` in `tags` of table `koa-dev-Orders`: Helm reads it unquoted as `1000`, so the key is \"1000\", not \"1e3\" (quote the key: `'1e3':`)",
            ],
        );
    }

    #[test]
    fn octal_numbers_anywhere() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    billingMode: PROVISIONED
    readCapacity: 010
    writeCapacity: 5
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL004",
            &[
                "koa-dev.yaml:6:19 error DL004 `readCapacity` of table `koa-dev-Orders`: `010` has a leading zero, so Helm reads it as the octal number 8, not 10 (write `10` without the leading zero, or quote it if it is text)",
            ],
        );
    }

    #[test]
    fn anchored_values_are_read_without_their_anchor() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes:
      - name: Id
        type: &n N
    billingMode: PROVISIONED
    readCapacity: &c 010
    writeCapacity: *c
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL004",
            &[
                "koa-dev.yaml:6:18 error DL004 `attributes[0].type` of table `koa-dev-Orders`: Helm reads unquoted `N` as the boolean false, not the text \"N\" (quote it: `'N'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans)",
                "koa-dev.yaml:8:22 error DL004 `readCapacity` of table `koa-dev-Orders`: `010` has a leading zero, so Helm reads it as the octal number 8, not 10 (write `10` without the leading zero, or quote it if it is text)",
            ],
        );
    }

    #[test]
    fn fix_quotes_in_place() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: n}]  # the key\n    tags: {no: x, team: koa}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL004", false),
            "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'N'}]  # the key\n    tags: {'no': x, team: koa}\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n"
        );
        // A number with a leading zero outside text fields: written as meant or quoted?
        // Not for a fix to guess.
        let octal = "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    billingMode: PROVISIONED\n    readCapacity: 010\n    writeCapacity: 5\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", octal, "DL004", true),
            octal
        );
    }

    #[test]
    fn quoting_what_names_a_table_is_unsafe() {
        // Helm renders these as 83 and true today: a table that exists has those names.
        let text = "tables:\n  - name: 0123\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        let tree = MemoryTree::new().with(&values_path("koa-dev"), text).with(
            "helm/helm-idp-dynamodb/values.schema.json",
            "{\"type\": \"object\"}",
        );
        let findings = lint_tree(tree);
        check(
            &findings,
            "DL004",
            &[
                "koa-dev.yaml:2:11 error DL004 `name` of table #1: Helm reads unquoted `0123` as the octal number 83, not the text \"0123\" (quote it: `'0123'`)",
            ],
        );
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL004", false),
            text
        );
        for (pointer, names) in [
            ("/tables/0/name", true),
            ("/tables/3/hashKey", true),
            ("/tables/0/attributes/1/name", true),
            ("/tables/0/globalSecondaryIndex/0/rangeKey", true),
            ("/region", true),
            ("/tables/0/attributes/1/type", false),
            ("/tables/0/tags/team", false),
            ("/tables/0/globalSecondaryIndex/0/projectionType", false),
        ] {
            assert_eq!(super::names_a_table(pointer), names, "{pointer}");
        }
    }
}
