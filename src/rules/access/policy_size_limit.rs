//! DL204 policy-size-limit: a role's aggregated policy over IAM's size limit.

use std::collections::BTreeMap;

use serde_json::json;

use crate::finding::{Finding, Severity, TableId};
use crate::model::{Access, Table};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, RuleMeta, on_table};
use crate::span::Spanned;

/// IAM's limit on a managed policy, in characters without whitespace.
pub const POLICY_LIMIT: usize = 6_144;
/// From this share of the limit on, a warning.
pub const WARNING_PERCENT: usize = 90;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL204",
        name: "policy-size-limit",
        severity: Severity::Error,
        summary: "the aggregated managed policy of one role, over all its tables, would exceed IAM's 6,144-character limit (whitespace not counted; warning above 90%)",
        docs: r#"
## What it catches
A role granted access to so many tables of one release that the managed policy the chart
generates for it would exceed IAM's limit of 6,144 characters (whitespace not counted);
a warning from 90% of the limit on. The chart aggregates all of a role's grants in a
release into one policy with a read statement and a write statement, each listing the
table's ARN and its `index/*` ARN for every table — about 20 tables per role with the
usual read and write grants. dynalint computes the size of that document for each role of
each release, with a 12-digit account id, so the estimate is exact up to the statement
ids the chart uses.

## Why it matters
IAM rejects the policy: the sync fails for the whole release, and the role loses the
access it had until the policy fits again.

## Example
```yaml
tables:      # 21 tables, each granting read and write to the same role
  - name: Orders
    serviceAccountReadRoles: ["access-service-koa-dev"]
    serviceAccountWriteRoles: ["access-service-koa-dev"]
  # ...
```

## How to fix
Grant fewer tables per role in one release: split the tables over two releases (each
makes its own policy), or give separate workloads their own roles.
"#,
    },
    check: Check::Head(check),
};

const READ_ACTIONS: [&str; 6] = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const WRITE_ACTIONS: [&str; 4] = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

fn table_arn(table: &TableId) -> String {
    let partition = if table.region.starts_with("cn-") {
        "aws-cn"
    } else if table.region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!(
        "arn:{partition}:dynamodb:{}:123456789012:table/{}",
        table.region, table.name
    )
}

/// Characters of the role's policy, whitespace not counted, for these grants.
pub fn policy_length(read: &[&TableId], write: &[&TableId]) -> usize {
    let statement = |sid: &str, actions: &[&str], tables: &[&TableId]| {
        let resources: Vec<String> = tables
            .iter()
            .flat_map(|table| {
                let arn = table_arn(table);
                [format!("{arn}/index/*"), arn]
            })
            .collect();
        json!({"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources})
    };
    let mut statements = Vec::new();
    if !read.is_empty() {
        statements.push(statement("DynamoDBRead", &READ_ACTIONS, read));
    }
    if !write.is_empty() {
        statements.push(statement("DynamoDBWrite", &WRITE_ACTIONS, write));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
        .to_string()
        .len()
}

/// One role's grants in one release, in file order.
#[derive(Default)]
struct RoleGrants<'a> {
    grants: Vec<(&'a Table, Access, &'a Spanned<String>)>,
}

impl RoleGrants<'_> {
    /// The policy's length with the first `count` grants.
    fn length(&self, count: usize) -> usize {
        let mut read = Vec::new();
        let mut write = Vec::new();
        for (table, access, _) in &self.grants[..count] {
            let list = match access {
                Access::Read => &mut read,
                Access::Write => &mut write,
            };
            if !list.contains(&&table.id) {
                list.push(&table.id);
            }
        }
        policy_length(&read, &write)
    }
}

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    let warning_at = POLICY_LIMIT * WARNING_PERCENT / 100;
    for release in project.releases {
        let mut roles: BTreeMap<&str, RoleGrants<'_>> = BTreeMap::new();
        for table in &release.tables {
            for (access, role) in grants(table) {
                roles
                    .entry(&role.value)
                    .or_default()
                    .grants
                    .push((table, access, role));
            }
        }
        for (role, grants) in roles {
            let total = grants.length(grants.grants.len());
            if total < warning_at {
                continue;
            }
            let (severity, threshold) = if total > POLICY_LIMIT {
                (Severity::Error, POLICY_LIMIT + 1)
            } else {
                (Severity::Warning, warning_at)
            };
            // Point at the grant that pushes the policy over the threshold.
            let crossing = (1..=grants.grants.len())
                .find(|&count| grants.length(count) >= threshold)
                .unwrap_or(grants.grants.len());
            let (table, access, grant) = grants.grants[crossing - 1];
            let tables = grants
                .grants
                .iter()
                .map(|(table, _, _)| &table.id)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            let message = if severity == Severity::Error {
                format!(
                    "the IAM policy the chart generates for role `{role}` in this release would be about {} characters, over IAM's limit of {} (whitespace not counted): {tables} tables are granted to it here",
                    group(total),
                    group(POLICY_LIMIT)
                )
            } else {
                format!(
                    "the IAM policy the chart generates for role `{role}` in this release would be about {} characters, {}% of IAM's limit of {}: {tables} tables are granted to it here",
                    group(total),
                    total * 100 / POLICY_LIMIT,
                    group(POLICY_LIMIT)
                )
            };
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    grant.span,
                    &format!("{}/{role}", access.field()),
                    message,
                )
                .severity(severity)
                .help("grant fewer tables to this role in one release: split the tables over two releases, or give workloads separate roles"),
            );
        }
    }
}

/// 6144 -> "6,144".
fn group(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{ORDERS, check, lint};

    fn tables(count: usize, role: &str) -> String {
        let mut text = String::from("tables:\n");
        for index in 0..count {
            text.push_str(&format!(
                "  - name: Table{index:02}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"{role}\"]\n    serviceAccountWriteRoles: [\"{role}\"]\n"
            ));
        }
        text
    }

    #[test]
    fn ok() {
        check(&lint(&[("koa-dev.yaml", ORDERS)]), "DL204", &[]);
        check(
            &lint(&[(
                "koa-dev.yaml",
                tables(17, "access-service-koa-dev").as_str(),
            )]),
            "DL204",
            &[],
        );
    }

    #[test]
    fn the_policy_document_is_measured_exactly() {
        let id = TableId {
            name: "idp-koa-dev-Orders".into(),
            region: "eu-west-1".into(),
        };
        let expected = concat!(
            r#"{"Statement":[{"Action":["dynamodb:BatchGetItem","dynamodb:ConditionCheckItem","dynamodb:DescribeTable","dynamodb:GetItem","dynamodb:Query","dynamodb:Scan"],"#,
            r#""Effect":"Allow","Resource":["arn:aws:dynamodb:eu-west-1:123456789012:table/idp-koa-dev-Orders/index/*","arn:aws:dynamodb:eu-west-1:123456789012:table/idp-koa-dev-Orders"],"Sid":"DynamoDBRead"}],"Version":"2012-10-17"}"#
        );
        assert_eq!(policy_length(&[&id], &[]), expected.len());
        assert_eq!(group(6144), "6,144");
        assert_eq!(group(123), "123");
    }

    #[test]
    fn about_twenty_tables_per_role() {
        // 21 tables with read and write: 6,099 characters; each more adds 272 (two
        // 64-character table ARNs and two 72-character index ARNs, quoted, with commas).
        let findings = lint(&[(
            "koa-dev.yaml",
            tables(23, "access-service-koa-dev").as_str(),
        )]);
        check(
            &findings,
            "DL204",
            &[
                "koa-dev.yaml:110:31 error DL204 the IAM policy the chart generates for role `access-service-koa-dev` in this release would be about 6,643 characters, over IAM's limit of 6,144 (whitespace not counted): 23 tables are granted to it here (grant fewer tables to this role in one release: split the tables over two releases, or give workloads separate roles)",
            ],
        );
        let near = lint(&[(
            "koa-dev.yaml",
            tables(21, "access-service-koa-dev").as_str(),
        )]);
        check(
            &near,
            "DL204",
            &[
                "koa-dev.yaml:96:32 warning DL204 the IAM policy the chart generates for role `access-service-koa-dev` in this release would be about 6,099 characters, 99% of IAM's limit of 6,144: 21 tables are granted to it here (grant fewer tables to this role in one release: split the tables over two releases, or give workloads separate roles)",
            ],
        );
    }
}
