//! DL203 invalid-role-name: not a valid IAM role name.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL203",
        name: "invalid-role-name",
        severity: Severity::Error,
        summary: "not a valid IAM role name (1–64 chars of `\\w+=,.@-`)",
        fix: None,
        docs: r#"
## What it catches
A granted role whose name IAM would not accept: empty, longer than 64 characters, or
with a character other than letters, digits and `_+=,.@-`. A role ARN
(`arn:aws:iam::123456789012:role/name`) where the chart expects a name is reported with
the name to use instead.

## Why it matters
The chart attaches the policy to the role by name; an invalid name can never match a
role, so the attachment fails and the service gets no access.

## Example
```yaml
    serviceAccountReadRoles: ["arn:aws:iam::123456789012:role/access-service-koa-dev"]
    serviceAccountWriteRoles: ["access service koa-dev"]
```

## How to fix
Write the role's name only (the part after `role/` in its ARN), without spaces.
"#,
    },
    check: Check::Head(check),
};

/// What makes a role name invalid, if anything.
pub fn role_name_problem(name: &str) -> Option<String> {
    if let Some((_, role)) = name
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":role/"))
    {
        let role = role.rsplit('/').next().unwrap_or(role);
        return Some(format!(
            "is a role ARN; the chart expects the role name `{role}`"
        ));
    }
    let length = name.chars().count();
    if !(1..=64).contains(&length) {
        return Some(format!(
            "is {length} characters long; IAM role names have 1 to 64"
        ));
    }
    let bad = crate::rules::table::distinct(name.chars().filter(|character| {
        !(character.is_ascii_alphanumeric() || "_+=,.@-".contains(*character))
    }));
    if bad.is_empty() {
        return None;
    }
    let listed: Vec<String> = bad
        .iter()
        .map(|character| {
            if *character == ' ' {
                "a space".to_string()
            } else {
                format!("`{character}`")
            }
        })
        .collect();
    Some(format!(
        "contains {}; IAM role names use only letters, digits and `_+=,.@-`",
        listed.join(", ")
    ))
}

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for (_, table) in project.tables() {
        for (access, role) in grants(table) {
            if let Some(problem) = role_name_problem(&role.value) {
                findings.push(
                    on_table(
                        &RULE.meta,
                        table,
                        role.span,
                        &format!("{}/{}", access.field(), role.value),
                        format!("`{}` {problem}", role.value),
                    )
                    .help("write the IAM role's name, as the idp-advanced workload creates it"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::role_name_problem;
    use crate::rules::testing::{ORDERS, check, lint};

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL203", &[]);
        assert_eq!(role_name_problem("svc+batch=a,b.c@d-e_f"), None);
    }

    #[test]
    fn invalid_names() {
        let long = "r".repeat(65);
        let text = format!(
            "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"arn:aws:iam::123456789012:role/team/access-service-koa-dev\", \"access service\"]\n    serviceAccountWriteRoles: [\"{long}\"]\n"
        );
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL203",
            &[
                "koa-dev.yaml:5:31 error DL203 `arn:aws:iam::123456789012:role/team/access-service-koa-dev` is a role ARN; the chart expects the role name `access-service-koa-dev` (write the IAM role's name, as the idp-advanced workload creates it)",
                "koa-dev.yaml:5:93 error DL203 `access service` contains a space; IAM role names use only letters, digits and `_+=,.@-` (write the IAM role's name, as the idp-advanced workload creates it)",
                &format!(
                    "koa-dev.yaml:6:32 error DL203 `{long}` is 65 characters long; IAM role names have 1 to 64 (write the IAM role's name, as the idp-advanced workload creates it)"
                ),
            ],
        );
    }
}
