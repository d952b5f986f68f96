//! DL207 role-missing-in-aws: a granted role that IAM does not have (`check --aws`).

use crate::account::Answer;
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::account::{AccountReview, denied};
use crate::rules::{Check, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL207",
        name: "role-missing-in-aws",
        severity: Severity::Error,
        summary: "with `--aws`: a granted role does not exist in IAM (`iam:GetRole` says NoSuchEntity): the policy attachment fails after the merge",
        fix: None,
        docs: r#"
## What it catches
With `check --aws`, a role in `serviceAccountReadRoles` or `serviceAccountWriteRoles`
that IAM does not have: `iam:GetRole` answers NoSuchEntity. With `--base`, only the roles
the change newly grants from a release are looked up; without, every grant in scope.

This is the account's own answer, beside DL201's, which judges from the repository (the
idp-advanced workloads and `[roles] known`): a workload that should have created the role
may never have synced, or the role may have been deleted.

## Why it matters
The chart attaches the release's aggregated policy to the role by name. When the role does
not exist, the RolePolicyAttachment fails with "no role based policy allows the
assignment", the release stays degraded, and the service gets no access to the table.
AWS says so only after the merge; this says it in the pull request.

## Example
```yaml
tables:
  - name: Orders
    hashKey: OrderId
    attributes: [{name: OrderId, type: 'S'}]
    serviceAccountReadRoles: ["reporting-koa-dev"]   # no such role in IAM (yet)
```

## How to fix
Grant a role that exists, or create it first: sync the idp-advanced workload that creates
it, then merge the grant.
"#,
    },
    check: Check::Account(check),
};

fn check(review: &AccountReview<'_>, findings: &mut Vec<Finding>) {
    for grant in &review.selection.grants {
        let Some(answer) = review.facts.role(&grant.role.value) else {
            continue;
        };
        let locus = format!("role/{}", grant.role.value);
        match answer {
            Answer::Found(_) => {}
            Answer::Missing => findings.push(
                on_table(
                    &RULE.meta,
                    grant.table,
                    grant.role.span,
                    &locus,
                    format!(
                        "role `{}` does not exist in IAM (GetRole: NoSuchEntity): the policy attachment fails after the merge (\"no role based policy allows the assignment\") and the service gets no access to table `{}`",
                        grant.role.value, grant.table.id
                    ),
                )
                .help("grant a role that exists, or create the role first (sync the idp-advanced workload that creates it), then merge the grant"),
            ),
            Answer::Denied { .. } => findings.extend(denied(
                &RULE.meta,
                grant.table,
                grant.role,
                &locus,
                answer,
                &format!("whether role `{}` exists", grant.role.value),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{Answer, FixedAccount, Role};
    use crate::rules::account::testing::{lint_with_account, shop};

    fn role(name: &str) -> Answer<Role> {
        Answer::Found(Role {
            name: name.to_string(),
            attached: Some(Answer::Found(Vec::new())),
        })
    }

    #[test]
    fn a_role_iam_has_is_ok() {
        let mut account = FixedAccount::default();
        account
            .roles
            .insert("api-shop-dev".to_string(), role("api-shop-dev"));
        let (locations, calls) = lint_with_account(&shop(), None, &account);
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 DescribeTable, 1 GetRole");
    }

    #[test]
    fn a_role_iam_lacks_is_an_error_at_the_grant() {
        let (locations, _) = lint_with_account(&shop(), None, &FixedAccount::default());
        assert_eq!(locations, ["6:31 DL207 error"]);
    }

    #[test]
    fn names_differing_in_case_are_one_role_one_call() {
        let mut account = FixedAccount::default();
        account
            .roles
            .insert("api-shop-dev".to_string(), role("API-Shop-Dev"));
        let values = shop().replace(
            "serviceAccountReadRoles: [\"api-shop-dev\"]",
            "serviceAccountReadRoles: [\"api-shop-dev\"]\n    serviceAccountWriteRoles: [\"API-shop-dev\"]",
        );
        let (locations, calls) = lint_with_account(&values, None, &account);
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 DescribeTable, 1 GetRole");
    }

    #[test]
    fn a_denied_lookup_says_which_permission_is_missing() {
        let mut account = FixedAccount::default();
        account.roles.insert(
            "api-shop-dev".to_string(),
            Answer::Denied {
                permission: "iam:GetRole",
                message: "User is not authorized".to_string(),
            },
        );
        let (locations, _) = lint_with_account(&shop(), None, &account);
        assert_eq!(locations, ["6:31 DL207 warning"]);
    }

    #[test]
    fn names_aws_would_refuse_are_not_asked() {
        // DL203 reports the role's name; asking IAM would be a ValidationException.
        let values = shop().replace("api-shop-dev", "api shop dev");
        let (locations, calls) = lint_with_account(&values, None, &FixedAccount::default());
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "1 DescribeTable");
    }

    #[test]
    fn with_a_base_only_roles_new_to_the_release_are_asked() {
        let base = shop();
        let head = base.replace("\"api-shop-dev\"]", "\"api-shop-dev\", \"batch-shop-dev\"]");
        let (locations, calls) = lint_with_account(&head, Some(&base), &FixedAccount::default());
        assert_eq!(locations, ["6:47 DL207 error"]);
        // Only the new role, and no attachments to count: it does not exist.
        assert_eq!(calls, "1 GetRole");
    }
}
