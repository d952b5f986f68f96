//! DL120 table-exists-unmanaged: a table the values create already exists in AWS and
//! Crossplane does not manage it (`check --aws`).

use crate::account::{Answer, CROSSPLANE_TAGS};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::account::{AccountReview, denied};
use crate::rules::{Check, Rule, on_table};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL120",
        name: "table-exists-unmanaged",
        severity: Severity::Warning,
        summary: "with `--aws`: a table the values create (under Control) already exists in AWS without the tags Crossplane's provider puts on what it manages: Crossplane silently adopts it, and deletes it later under `deletionPolicy: Delete`",
        fix: None,
        docs: r#"
## What it catches
With `check --aws`, a table under `managementPolicies: Control` that already exists in
AWS (`dynamodb:DescribeTable`) and lacks the tags the provider puts on every resource
Crossplane manages: `crossplane-kind`, `crossplane-name`, `crossplane-providerconfig`
(`dynamodb:ListTagsOfResource`). With `--base`, only the tables the change creates are
looked up, and a table that has the tags is reported too: another managed resource owns
it. Without a base, every table under Control in scope.

## Why it matters
Crossplane does not refuse a table that exists: the managed resource observes it by its
name and takes it over, silently, with whatever data and settings it has; then it changes
the table to match the values. Under `deletionPolicy: Delete` (the default), removing the
table from the values later deletes a table this repository never created. A table that
another managed resource already owns gets two controllers fighting over it.

## Example
```yaml
tables:
  - name: Orders        # shop-dev-Orders exists in AWS, created by hand
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
```

## How to fix
Adopt it on purpose: declare it under `managementPolicies: Observe` first (DL121 then
compares it with the values), with `deletionPolicy: Orphan` while it is imported; or
choose another name for the new table.
"#,
    },
    check: Check::Account(check),
};

fn check(review: &AccountReview<'_>, findings: &mut Vec<Finding>) {
    for (release, table) in &review.selection.created {
        let Some(answer) = review.facts.table(&table.id) else {
            continue;
        };
        let locus = "aws/exists";
        let table_answer = match answer {
            Answer::Found(found) => found,
            Answer::Missing => continue,
            Answer::Denied { .. } => {
                findings.extend(denied(
                    &RULE.meta,
                    table,
                    &table.name,
                    locus,
                    answer,
                    &format!("whether table `{}` exists", table.id),
                ));
                continue;
            }
        };
        let deletes = if release.deletes_removed_tables() {
            "; under deletionPolicy: Delete, removing it from the values later deletes a table this repository never created"
        } else {
            ""
        };
        match &table_answer.tags {
            Some(Answer::Found(tags)) => {
                let managed = CROSSPLANE_TAGS.iter().all(|tag| tags.contains_key(*tag));
                if !managed {
                    findings.push(
                        on_table(
                            &RULE.meta,
                            table,
                            table.name.span,
                            locus,
                            format!(
                                "table `{}` already exists in {} and Crossplane does not manage it (no {} tags): Crossplane silently adopts it, with its data, and changes it to match the values{deletes}",
                                table.id,
                                table.id.region,
                                CROSSPLANE_TAGS.join("/")
                            ),
                        )
                        .help("adopt it on purpose under `managementPolicies: Observe` (and `deletionPolicy: Orphan` while importing), or give the new table another name"),
                    );
                } else if review.selection.compared {
                    let owner = tags.get("crossplane-name").map_or("", String::as_str);
                    findings.push(
                        on_table(
                            &RULE.meta,
                            table,
                            table.name.span,
                            locus,
                            format!(
                                "table `{}` already exists in {} and the Crossplane resource `{owner}` manages it: this change creates a second managed resource for the same table, and the two reconcile it against each other{deletes}",
                                table.id, table.id.region
                            ),
                        )
                        .help("declare the table in one release only, or give the new table another name"),
                    );
                }
            }
            Some(tags @ Answer::Denied { .. }) => findings.extend(denied(
                &RULE.meta,
                table,
                &table.name,
                locus,
                tags,
                &format!("who manages table `{}`, which exists", table.id),
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::account::{Answer, FixedAccount};
    use crate::rules::account::testing::{
        MANAGED, aws_table, id, lint_with_account, messages, shop,
    };

    fn with(table: crate::account::Answer<crate::account::Table>) -> FixedAccount {
        let mut account = FixedAccount::default();
        account.tables.insert(id("Orders"), table);
        account
    }

    #[test]
    fn a_table_that_does_not_exist_yet_is_ok() {
        let base = "tables: []\n";
        let (locations, calls) = lint_with_account(&shop(), Some(base), &FixedAccount::default());
        assert_eq!(locations, ["6:31 DL207 error"]);
        assert_eq!(calls, "1 DescribeTable, 1 GetRole");
    }

    #[test]
    fn a_created_table_that_exists_unmanaged_is_a_warning_at_its_name() {
        let base = "tables: []\n";
        let (locations, calls) =
            lint_with_account(&shop(), Some(base), &with(aws_table(&[("team", "x")])));
        assert_eq!(locations, ["2:11 DL120 warning", "6:31 DL207 error"]);
        assert_eq!(calls, "1 DescribeTable, 1 GetRole, 1 ListTagsOfResource");
        let said = messages(&shop(), &with(aws_table(&[])));
        assert!(
            said[0].contains("Crossplane silently adopts it"),
            "{said:?}"
        );
        assert!(
            said[0].contains("deletes a table this repository never created"),
            "{said:?}"
        );
    }

    #[test]
    fn a_created_table_another_resource_manages_is_reported_with_a_base() {
        let base = "tables: []\n";
        let (locations, _) = lint_with_account(&shop(), Some(base), &with(aws_table(MANAGED)));
        assert_eq!(locations, ["2:11 DL120 warning", "6:31 DL207 error"]);
    }

    #[test]
    fn without_a_base_a_managed_table_is_taken_for_this_one() {
        let (locations, _) = lint_with_account(&shop(), None, &with(aws_table(MANAGED)));
        assert_eq!(locations, ["6:31 DL207 error"]);
    }

    #[test]
    fn a_table_the_change_does_not_create_is_not_asked() {
        let (locations, calls) = lint_with_account(&shop(), Some(&shop()), &with(aws_table(&[])));
        assert_eq!(locations, Vec::<String>::new());
        assert_eq!(calls, "");
    }

    #[test]
    fn unreadable_tags_say_which_permission_is_missing() {
        let mut table = aws_table(&[]);
        if let Answer::Found(found) = &mut table {
            found.tags = Some(Answer::Denied {
                permission: "dynamodb:ListTagsOfResource",
                message: "not authorized".to_string(),
            });
        }
        let said = messages(&shop(), &with(table));
        assert!(
            said[0].contains("`dynamodb:ListTagsOfResource`"),
            "{said:?}"
        );
    }
}
