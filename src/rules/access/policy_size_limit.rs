//! DL204 policy-size-limit: a role's aggregated policy over IAM's size limit.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use crate::finding::Finding;
use crate::model::{Access, Table, TableId};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, on_table};
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
        fix: None,
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

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Characters `text` takes inside a JSON string, escapes included (serde_json's rules).
fn json_length(text: &str) -> usize {
    text.chars()
        .map(|character| match character {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            control if (control as u32) < 0x20 => 6,
            other => other.len_utf8(),
        })
        .sum()
}

/// The length of a table's two resources as the policy lists them — `"<arn>/index/*"`
/// and `"<arn>"` with quotes — computed without writing them (a table per grant adds up).
fn quoted_resources_length(table: &TableId) -> usize {
    let arn = "arn:".len()
        + partition(&table.region).len()
        + ":dynamodb:".len()
        + json_length(&table.region)
        + ":123456789012:table/".len()
        + json_length(&table.name);
    (arn + "/index/*".len() + 2) + (arn + 2)
}

fn statement(sid: &str, actions: &[&str], resources: &[String]) -> serde_json::Value {
    json!({"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources})
}

/// One statement's length, grown one table at a time.
struct StatementLength<'a> {
    /// The statement with an empty `Resource` list.
    empty: usize,
    tables: HashSet<&'a TableId>,
    /// The quoted resources, without the commas between them.
    resources: usize,
}

impl<'a> StatementLength<'a> {
    fn new(empty: usize) -> Self {
        StatementLength {
            empty,
            tables: HashSet::new(),
            resources: 0,
        }
    }

    fn add(&mut self, table: &'a TableId) {
        if self.tables.insert(table) {
            self.resources += quoted_resources_length(table);
        }
    }

    fn length(&self) -> Option<usize> {
        let count = 2 * self.tables.len();
        (count > 0).then(|| self.empty + self.resources + count - 1)
    }
}

/// The length, whitespace not counted, of the policy the chart generates for one role of
/// one release: a read and a write statement listing each table's ARN and `index/*` ARN.
/// Computed as grants are added, so finding the grant that crosses the limit is linear.
struct PolicyLength<'a> {
    /// `{"Statement":[],"Version":"2012-10-17"}`.
    document: usize,
    read: StatementLength<'a>,
    write: StatementLength<'a>,
}

/// The lengths of the parts that do not depend on the tables: the document, and each
/// statement with no resource. Rendered once.
fn fixed_lengths() -> (usize, usize, usize) {
    static LENGTHS: std::sync::OnceLock<(usize, usize, usize)> = std::sync::OnceLock::new();
    *LENGTHS.get_or_init(|| {
        (
            json!({"Version": "2012-10-17", "Statement": []})
                .to_string()
                .len(),
            statement("DynamoDBRead", &READ_ACTIONS, &[])
                .to_string()
                .len(),
            statement("DynamoDBWrite", &WRITE_ACTIONS, &[])
                .to_string()
                .len(),
        )
    })
}

impl<'a> PolicyLength<'a> {
    fn new() -> Self {
        let (document, read, write) = fixed_lengths();
        PolicyLength {
            document,
            read: StatementLength::new(read),
            write: StatementLength::new(write),
        }
    }

    fn add(&mut self, access: Access, table: &'a TableId) {
        match access {
            Access::Read => self.read.add(table),
            Access::Write => self.write.add(table),
        }
    }

    fn length(&self) -> usize {
        let statements: Vec<usize> = [self.read.length(), self.write.length()]
            .into_iter()
            .flatten()
            .collect();
        self.document + statements.iter().sum::<usize>() + statements.len().saturating_sub(1)
    }
}

/// One grant of a role: the table, read or write, and the role's name as written.
type Grant<'a> = (&'a Table, Access, &'a Spanned<String>);

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    let warning_at = POLICY_LIMIT * WARNING_PERCENT / 100;
    for release in project.releases {
        let mut roles: BTreeMap<&str, Vec<Grant<'_>>> = BTreeMap::new();
        for table in &release.tables {
            for (access, role) in grants(table) {
                roles
                    .entry(&role.value)
                    .or_default()
                    .push((table, access, role));
            }
        }
        for (role, grants) in roles {
            // The grants that take the policy to 90% and over the limit, if any.
            let mut policy = PolicyLength::new();
            let (mut warning, mut error) = (None, None);
            for (index, (table, access, _)) in grants.iter().enumerate() {
                policy.add(*access, &table.id);
                let length = policy.length();
                if length >= warning_at && warning.is_none() {
                    warning = Some(index);
                }
                if length > POLICY_LIMIT && error.is_none() {
                    error = Some(index);
                }
            }
            let total = policy.length();
            let (severity, crossing) = match (error, warning) {
                (Some(crossing), _) => (Severity::Error, crossing),
                (None, Some(crossing)) => (Severity::Warning, crossing),
                (None, None) => continue,
            };
            let (table, access, grant) = grants[crossing];
            let tables = grants
                .iter()
                .map(|(table, _, _)| &table.id)
                .collect::<HashSet<_>>()
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

    fn table_arn(table: &TableId) -> String {
        format!(
            "arn:{}:dynamodb:{}:123456789012:table/{}",
            partition(&table.region),
            table.region,
            table.name
        )
    }

    fn resources(table: &TableId) -> [String; 2] {
        let arn = table_arn(table);
        [format!("{arn}/index/*"), arn]
    }

    /// The document itself, rendered in full: what the incremental length must equal.
    fn rendered(read: &[&TableId], write: &[&TableId]) -> String {
        let list = |tables: &[&TableId]| -> Vec<String> {
            tables.iter().flat_map(|table| resources(table)).collect()
        };
        let mut statements = Vec::new();
        if !read.is_empty() {
            statements.push(statement("DynamoDBRead", &READ_ACTIONS, &list(read)));
        }
        if !write.is_empty() {
            statements.push(statement("DynamoDBWrite", &WRITE_ACTIONS, &list(write)));
        }
        json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    #[test]
    fn the_policy_document_is_measured_exactly() {
        let orders = TableId {
            name: "idp-koa-dev-Orders".into(),
            region: "eu-west-1".into(),
        };
        let expected = concat!(
            r#"{"Statement":[{"Action":["dynamodb:BatchGetItem","dynamodb:ConditionCheckItem","dynamodb:DescribeTable","dynamodb:GetItem","dynamodb:Query","dynamodb:Scan"],"#,
            r#""Effect":"Allow","Resource":["arn:aws:dynamodb:eu-west-1:123456789012:table/idp-koa-dev-Orders/index/*","arn:aws:dynamodb:eu-west-1:123456789012:table/idp-koa-dev-Orders"],"Sid":"DynamoDBRead"}],"Version":"2012-10-17"}"#
        );
        assert_eq!(rendered(&[&orders], &[]), expected);
        let mut policy = PolicyLength::new();
        policy.add(Access::Read, &orders);
        assert_eq!(policy.length(), expected.len());
        // Names that JSON escapes are measured escaped.
        let odd = TableId {
            name: "a\"b\\c\td\u{1}".into(),
            region: "eu-west-1".into(),
        };
        let mut policy = PolicyLength::new();
        policy.add(Access::Write, &odd);
        assert_eq!(policy.length(), rendered(&[], &[&odd]).len());

        let ids: Vec<TableId> = (0..7)
            .map(|index| TableId {
                name: format!("t{index}"),
                region: ["eu-west-1", "cn-north-1", "us-gov-west-1"][index % 3].into(),
            })
            .collect();
        let mut policy = PolicyLength::new();
        let (mut read, mut write) = (Vec::new(), Vec::new());
        for (index, id) in ids.iter().enumerate() {
            let access = if index % 3 == 1 {
                Access::Write
            } else {
                Access::Read
            };
            policy.add(access, id);
            match access {
                Access::Read => read.push(id),
                Access::Write => write.push(id),
            }
            // Granting the same table twice changes nothing.
            policy.add(access, id);
            assert_eq!(
                policy.length(),
                rendered(&read, &write).len(),
                "after {} grants",
                index + 1
            );
        }
        assert!(rendered(&read, &write).contains("arn:aws-cn:dynamodb:cn-north-1"));
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
