//! DL004 yaml-type-trap: an unquoted scalar that Helm's YAML 1.1 reader turns into
//! another type than the chart expects.

use std::collections::BTreeSet;

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
        docs: r#"
## What it catches
An unquoted value that Helm reads as something else than what you wrote. Helm reads
values with a YAML 1.1 parser, where `y`, `Y`, `yes`, `n`, `N`, `no`, `on`, `off` (in
lower, title or upper case) are booleans and a number with a leading zero is octal. Editors,
linters and most YAML tools use YAML 1.2, where they are plain text and decimal numbers,
so the file looks right everywhere except in the cluster. dynalint reports:

- an unquoted value where the chart expects text but Helm reads a boolean or a number:
  `type: N` (the boolean `false`), `name: 0123` (the number 83), `hashKey: yes`;
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
Quote text values (`type: 'N'`, `name: '0123'`); write numbers without leading zeros.
"#,
    },
    check: Check::File(check),
};

fn check(context: &FileContext<'_>, out: &mut FileFindings) {
    let Some(values) = context.values else {
        return;
    };
    let mut trapped = BTreeSet::new();
    for violation in values.violations {
        if let Some(finding) = from_violation(values, violation) {
            trapped.insert(violation.pointer.as_str());
            match ValuesContext::table_position(&violation.pointer) {
                Some(position) => out.push_unreadable_table(position, finding),
                None => out.push(finding),
            }
        }
    }
    for finding in octal_numbers(values, &trapped) {
        out.push(finding);
    }
}

/// Whether a schema violation is a trap of YAML 1.1 (this rule's, not DL002's).
pub fn is_trap(context: &ValuesContext<'_>, violation: &Violation) -> bool {
    from_violation(context, violation).is_some()
}

/// Turn a schema violation on an unquoted scalar into the trap it really is.
fn from_violation(context: &ValuesContext<'_>, violation: &Violation) -> Option<Finding> {
    let (file, located) = context.locate(&violation.pointer)?;
    let node = located.node;
    // A copy made by an alias is reported where it is defined.
    if file != context.file
        || !node.plain
        || matches!(node.value, Value::String(_) | Value::Null)
        || is_alias_copy(node, &context.source.text)
    {
        return None;
    }
    let written = context.source.slice(node.span).trim();
    let applies = match &violation.kind {
        ViolationKind::Type { expected } => expected.iter().any(|name| name == "string"),
        // Only when quoting would give an allowed value, or one differing only in case.
        ViolationKind::Enum { options, .. } => options
            .iter()
            .any(|option| option.eq_ignore_ascii_case(written)),
        _ => false,
    };
    if !applies {
        return None;
    }
    let what = context.describe(&violation.pointer);
    let message = format!(
        "{what}: Helm reads unquoted `{written}` as {}, not the text \"{written}\"",
        reading(node)
    );
    // Quote the allowed value it stands for (`type: n` -> 'N'), else the text as written.
    let quoted = match &violation.kind {
        ViolationKind::Enum { options, .. } => options
            .iter()
            .find(|option| option.eq_ignore_ascii_case(written))
            .map_or(written, String::as_str),
        _ => written,
    };
    let help = match node.yaml11 {
        Some(Yaml11::Bool) => format!(
            "quote it: `'{quoted}'`; Helm's YAML 1.1 reads y, n, yes, no, on and off as booleans"
        ),
        _ => format!("quote it: `'{quoted}'`"),
    };
    Some(finish(
        context,
        Finding::new(&RULE.meta, Site::new(file, node.span), message).help(help),
        &violation.pointer,
    ))
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
    use crate::rules::testing::{check, lint};

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
}
