//! DL206 role-policy-quota: a role granted tables from more releases than IAM lets it
//! attach managed policies.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::{Release, Table};
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::access::grants;
use crate::rules::{Check, Project, Rule, on_table};
use crate::span::Spanned;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL206",
        name: "role-policy-quota",
        severity: Severity::Error,
        summary: "a role granted tables from more releases than IAM lets it attach managed policies (one aggregated policy per role per release; `[limits] max-policies-per-role`, default 10, AWS allows up to 20 on request); a warning when the role's last slot is taken (nothing else can attach)",
        fix: None,
        docs: r#"
## What it catches
An IAM role granted tables (`serviceAccountReadRoles` or `serviceAccountWriteRoles`) from
more values files — Helm releases — than the managed policies IAM lets one role attach:
10 by default, up to 20 when AWS raises the quota (`max-policies-per-role` under
`[limits]`). At exactly the quota it is a warning: the role's last slot is taken.

## Why it matters
The chart makes one aggregated IAM policy per role and release, and attaches it to the
role. Past the quota the attachment fails (`LimitExceeded`): the release's sync fails,
and the service cannot reach those tables. Which release loses depends on the order the
syncs run. At the quota, nothing else can attach to the role — another release's grant,
or a policy the team attaches by hand.

## Example
```yaml
# The 11th values file granting the same role:
tables:
  - name: Reports
    hashKey: Id
    serviceAccountReadRoles: ["reporting-koa-prod"]
```

## How to fix
Grant the role from fewer releases (move tables into fewer values files), give the
workloads of different releases their own roles, or have AWS raise the quota and set
`max-policies-per-role`.
"#,
    },
    check: Check::Head(check),
};

fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    let quota = project.quotas.max_policies_per_role;
    // Per role (IAM role names are case-insensitive), the first grant of it in each
    // release, in path order.
    let mut releases: BTreeMap<String, BTreeMap<&str, (&Table, &Spanned<String>)>> =
        BTreeMap::new();
    for release in project.releases {
        let release: &Release = release;
        for table in &release.tables {
            for (_, role) in grants(table) {
                releases
                    .entry(role.value.to_ascii_lowercase())
                    .or_default()
                    .entry(release.path.as_str())
                    .or_insert((table, role));
            }
        }
    }
    for granted in releases.into_values() {
        let count = granted.len();
        let role = granted
            .values()
            .next()
            .expect("at least one")
            .1
            .value
            .as_str();
        if count < quota {
            continue;
        }
        if count == quota {
            let (table, grant) = granted.values().last().expect("at least one");
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    grant.span,
                    &format!("role/{role}"),
                    format!(
                        "role `{role}` is granted tables from {count} releases: with one policy per release it takes all {quota} managed policies IAM lets it attach, so nothing else can attach to it"
                    ),
                )
                .severity(Severity::Warning)
                .help("grant the role from fewer values files, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`"),
            );
            continue;
        }
        // Past the quota, the releases after it in path order: which ones fail depends
        // on the order of the syncs.
        for (table, grant) in granted.values().skip(quota) {
            findings.push(
                on_table(
                    &RULE.meta,
                    table,
                    grant.span,
                    &format!("role/{role}"),
                    format!(
                        "role `{role}` is granted tables from {count} releases, one managed policy each, and IAM attaches at most {quota} to a role: {} of the policies cannot attach, and the service loses access to those tables",
                        count - quota
                    ),
                )
                .help("grant the role from fewer values files, give other releases' workloads their own roles, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint_tree};
    use crate::snapshot::MemoryTree;

    /// `releases` values files of namespace koa-dev (in several teams' folders), each
    /// granting the same role.
    fn tree(releases: usize, toml: &str) -> MemoryTree {
        let mut tree = MemoryTree::new()
            .with(
                "apps-t00/apps/koa-dev/reporting/Chart.yaml",
                crate::rules::testing::IDP_ADVANCED_CHART,
            )
            .with("dynalint.toml", toml);
        for release in 0..releases {
            tree = tree.with(
                &format!("apps-t{release:02}/apps/koa-dev/dynamo-tables/values.yaml"),
                format!(
                    "tables:\n  - name: T{release}\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    serviceAccountReadRoles: [\"reporting-koa-dev\"]\n"
                )
                .as_str(),
            );
        }
        tree
    }

    #[test]
    fn role_names_are_one_role_whatever_their_case() {
        let mut tree = tree(10, "");
        tree = tree.with(
            "apps-t10/apps/koa-dev/dynamo-tables/values.yaml",
            "tables:\n  - name: T10\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    serviceAccountReadRoles: [\"Reporting-Koa-Dev\"]\n",
        );
        let findings = lint_tree(tree);
        assert!(
            findings
                .iter()
                .any(|line| line.contains(" error DL206 ") && line.contains("11 releases")),
            "{}",
            findings.join("\n")
        );
    }

    #[test]
    fn ok() {
        check(&lint_tree(tree(9, "")), "DL206", &[]);
        check(
            &lint_tree(tree(11, "[limits]\nmax-policies-per-role = 20\n")),
            "DL206",
            &[],
        );
    }

    #[test]
    fn at_and_over_the_quota() {
        check(
            &lint_tree(tree(10, "")),
            "DL206",
            &[
                "apps-t09/apps/koa-dev/dynamo-tables/values.yaml:5:31 warning DL206 role `reporting-koa-dev` is granted tables from 10 releases: with one policy per release it takes all 10 managed policies IAM lets it attach, so nothing else can attach to it (grant the role from fewer values files, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`)",
            ],
        );
        check(
            &lint_tree(tree(12, "")),
            "DL206",
            &[
                "apps-t10/apps/koa-dev/dynamo-tables/values.yaml:5:31 error DL206 role `reporting-koa-dev` is granted tables from 12 releases, one managed policy each, and IAM attaches at most 10 to a role: 2 of the policies cannot attach, and the service loses access to those tables (grant the role from fewer values files, give other releases' workloads their own roles, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`)",
                "apps-t11/apps/koa-dev/dynamo-tables/values.yaml:5:31 error DL206 role `reporting-koa-dev` is granted tables from 12 releases, one managed policy each, and IAM attaches at most 10 to a role: 2 of the policies cannot attach, and the service loses access to those tables (grant the role from fewer values files, give other releases' workloads their own roles, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`)",
            ],
        );
    }
}
