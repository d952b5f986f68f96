//! DL104 invalid-table-name: the derived AWS table name breaks DynamoDB's rules.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::table::name_problem;
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL104",
        name: "invalid-table-name",
        severity: Severity::Error,
        summary: "derived AWS name breaks DynamoDB's rules (3–255 chars of `a-zA-Z0-9_.-`)",
        fix: None,
        docs: r#"
## What it catches
A table whose AWS name — `{prefix}{namespace}-{name}`, with prefix `idp-` when
`useIdpPrefix: true` (the template is configurable under `[naming]`) — is shorter than 3
or longer than 255 characters, or contains a character DynamoDB does not allow (only
letters, digits, `_`, `-` and `.`).

## Why it matters
AWS rejects the CreateTable call; the release syncs, the table never exists, and the
service that needs it fails at runtime.

## Example
```yaml
tables:
  - name: Order History        # a space: `koa-dev-Order History`
    hashKey: OrderId
    attributes:
      - name: OrderId
        type: 'S'
```

## How to fix
Use only letters, digits, `_`, `-` and `.` in `name`; keep the full AWS name within 255
characters.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (release, table) in project.tables() {
        if let Some(problem) = name_problem(&table.id.name) {
            let allowed = |character: char| {
                character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.')
            };
            // Say which part to change: a bad character may come from the folder.
            let help = if !release.namespace.chars().all(allowed) {
                format!(
                    "the namespace `{}` comes from the folder under `apps/`: rename it, or map the file to a valid namespace under [namespaces] in dynalint.toml",
                    release.namespace
                )
            } else {
                "change `name`; the AWS name is derived from it and the namespace".to_string()
            };
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    table.name.span,
                    "name",
                    format!("AWS table name `{}` {problem}", table.id.name),
                )
                .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL104", &[]);
    }

    #[test]
    fn invalid_names() {
        let long = "x".repeat(250);
        let text = format!(
            "tables:\n  - name: Order History\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n  - name: {long}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n  - name: 'Ä/b'\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n"
        );
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL104",
            &[
                "koa-dev.yaml:2:11 error DL104 AWS table name `koa-dev-Order History` contains ` `, which DynamoDB does not allow (only letters, digits, `_`, `-` and `.`) (change `name`; the AWS name is derived from it and the namespace)",
                &format!(
                    "koa-dev.yaml:5:11 error DL104 AWS table name `koa-dev-{long}` is 258 characters long; DynamoDB needs 3 to 255 (change `name`; the AWS name is derived from it and the namespace)"
                ),
                "koa-dev.yaml:8:11 error DL104 AWS table name `koa-dev-Ä/b` contains `Ä`, `/`, which DynamoDB does not allow (only letters, digits, `_`, `-` and `.`) (change `name`; the AWS name is derived from it and the namespace)",
            ],
        );
    }
}
