//! DL208 role-policy-quota-reached: a role IAM has at its managed-policy quota, newly
//! granted from a release (`check --aws --base`).

use crate::account::Answer;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::account::{AccountReview, denied};
use crate::rules::{Check, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL208",
        name: "role-policy-quota-reached",
        severity: Severity::Error,
        summary: "with `--aws --base`: a role that already has as many managed policies attached in IAM as its quota allows is granted from a release that did not grant it before: the release's new policy cannot attach",
        fix: None,
        docs: r#"
## What it catches
With `check --aws --base`, a grant (`serviceAccountReadRoles` or
`serviceAccountWriteRoles`) of a role that the release did not grant before this change,
when IAM already has as many managed policies attached to the role
(`iam:ListAttachedRolePolicies`) as `[limits] max-policies-per-role` allows (AWS's default
10, up to 20 on request).

It needs a base: a grant the release already had is attached already, and without a base
dynalint cannot tell which grants are new. DL206 counts the releases of the repository;
this counts what IAM really has attached, policies attached by hand included.

## Why it matters
The chart makes one aggregated managed policy per role and release. A release that
grants the role for the first time brings a new policy, and IAM refuses to attach it
(`LimitExceeded`): the release's sync fails, and the service does not get access to the
tables.

## Example
```yaml
# The role already has 10 managed policies attached in IAM:
tables:
  - name: Reports
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: ["reporting-koa-prod"]   # new in this release
```

## How to fix
Grant the role from a release that grants it already (its policy aggregates the new
table), detach a policy the role no longer needs, or have AWS raise the quota and set
`max-policies-per-role`.
"#,
    },
    check: Check::Account(check),
};

fn check(review: &AccountReview<'_>, findings: &mut Vec<Finding>) {
    let quota = review.quotas.max_policies_per_role;
    for grant in review
        .selection
        .grants
        .iter()
        .filter(|grant| grant.new_to_release)
    {
        let Some(Answer::Found(role)) = review.facts.role(&grant.role.value) else {
            continue;
        };
        let locus = format!("role/{}/policies", grant.role.value);
        match &role.attached {
            Some(Answer::Found(attached)) if attached.len() >= quota => findings.push(
                on_table(
                    &RULE.meta,
                    grant.table,
                    grant.role.span,
                    &locus,
                    format!(
                        "role `{}` already has {} managed policies attached in IAM, its quota is {quota}: this release's new policy for it cannot attach (LimitExceeded), the release's sync fails and the service gets no access to table `{}`",
                        role.name,
                        attached.len(),
                        grant.table.id
                    ),
                )
                .help("grant the role from a release that grants it already, detach a policy it no longer needs, or have AWS raise the quota and set `max-policies-per-role` under `[limits]`"),
            ),
            Some(answer @ Answer::Denied { .. }) => findings.extend(denied(
                &RULE.meta,
                grant.table,
                grant.role,
                &locus,
                answer,
                &format!("how many policies role `{}` has attached", grant.role.value),
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{Answer, FixedAccount, Role};
    use crate::rules::account::testing::{lint_with_account, shop};

    fn account(attached: usize) -> FixedAccount {
        let mut account = FixedAccount::default();
        for name in ["api-shop-dev", "batch-shop-dev"] {
            account.roles.insert(
                name.to_string(),
                Answer::Found(Role {
                    name: name.to_string(),
                    attached: Some(Answer::Found(
                        (0..attached).map(|n| format!("policy-{n}")).collect(),
                    )),
                }),
            );
        }
        account
    }

    fn granting_batch() -> String {
        shop().replace("\"api-shop-dev\"]", "\"api-shop-dev\", \"batch-shop-dev\"]")
    }

    #[test]
    fn a_new_grant_of_a_role_with_room_is_ok() {
        let (locations, calls) = lint_with_account(&granting_batch(), Some(&shop()), &account(9));
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 GetRole, 1 ListAttachedRolePolicies");
    }

    #[test]
    fn a_new_grant_of_a_role_at_its_quota_is_an_error_at_the_grant() {
        let (locations, _) = lint_with_account(&granting_batch(), Some(&shop()), &account(10));
        assert_eq!(locations, ["6:47 DL208 error"]);
    }

    #[test]
    fn a_grant_the_release_had_already_is_not_counted_again() {
        // api-shop-dev is at its quota, but this release's policy is among the ten.
        let (locations, calls) = lint_with_account(&shop(), Some(&shop()), &account(10));
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "");
    }

    #[test]
    fn without_a_base_no_grant_is_taken_for_new() {
        let (locations, calls) = lint_with_account(&shop(), None, &account(10));
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 DescribeTable, 1 GetRole");
    }
}
