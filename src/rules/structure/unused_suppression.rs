//! DL005 unused-suppression: a `# dynalint: ignore[...]` comment that suppresses
//! nothing, names no rule, or (when config requires it) gives no reason.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{self, Check, Rule};
use crate::source::Site;
use crate::suppress::SuppressionReview;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL005",
        name: "unused-suppression",
        severity: Severity::Warning,
        summary: "a `# dynalint: ignore[...]` that suppresses nothing, or one without a reason when config requires reasons",
        fix: Some(Applicability::Safe),
        docs: r#"
## What it catches
A suppression comment that has no effect: the rule it names reports nothing on that line
(any more), the rule does not exist, or the comment is not of the form
`# dynalint: ignore[CODE or name, ...] -- reason`. With `require-reason = true` under
`[suppressions]` in dynalint.toml, a suppression without ` -- reason` is reported too.

A suppression applies to findings on its own line (a trailing comment) or, written on a
line of its own, to the next line that is not a comment.

## Why it matters
Stale suppressions hide the next real problem on that line, and suppressions without a
reason cannot be reviewed.

## Example
```yaml
tables:
  - name: Orders
    # dynalint: ignore[pitr-disabled] -- PITR is off since the table was made read-only
    pointInTimeRecovery: true
```

## How to fix
Remove the suppression, or fix the rule code; give every suppression a reason after `--`.
"#,
    },
    check: Check::Suppressions(check),
};

fn check(review: &SuppressionReview<'_>, findings: &mut Vec<Finding>) {
    for suppression in review.suppressions {
        // By what it says and the line it guards, not where: fingerprints survive edits.
        let source = review.sources.get(suppression.file);
        let guarded = source.line_text(suppression.target_line).trim();
        let locus = |what: &str| format!("suppression/{what}/{guarded}");
        if suppression.malformed {
            findings.push(
                malformed(Site::new(suppression.file, suppression.span))
                    .locus(locus(source.slice(suppression.span))),
            );
            continue;
        }
        for key in &suppression.keys {
            let site = Site::new(suppression.file, key.span);
            match key.rule {
                None => {
                    let candidates = rules::all().flat_map(|rule| [rule.code, rule.name]);
                    findings.push(
                        unknown_rule(
                            site,
                            &key.text,
                            crate::suggest::closest(&key.text, candidates),
                        )
                        .locus(locus(&key.text)),
                    );
                }
                Some(_) if key.would_match => findings.push(
                    from_earlier_change(site, &key.text, suppression.target_line)
                        .locus(locus(&key.text)),
                ),
                // A rule turned off in config reports nothing, so nothing to match: not
                // stale. Nor is a change rule's key when no change was compared, or one
                // left from the change it was for (it covers nothing now).
                // Nor one, in a table no rule could read, of a rule that reads tables (the
                // codes past DL0xx): it is judged once the table reads; removing it now
                // would let the finding through then.
                Some(rule)
                    if !key.used
                        && !key.inherited
                        && review.statuses.enabled(rule)
                        && (review.compared || !rules::is_change_rule(rule))
                        && (review.account || !rules::is_account_rule(rule))
                        && (rule.code < "DL100"
                            || !review.unread(suppression.file, suppression.target_line)) =>
                {
                    let remove = Change::RemoveSuppression {
                        comment: suppression.span,
                        keys: suppression.keys.iter().map(|key| key.span).collect(),
                        at: key.span,
                    };
                    let title = if suppression.keys.len() == 1 {
                        "remove the suppression".to_string()
                    } else {
                        format!("remove `{}` from the suppression", key.text)
                    };
                    findings.push(
                        unused(site, &key.text, suppression.target_line)
                            .locus(locus(&key.text))
                            .fix(Fix::new(
                                Applicability::Safe,
                                suppression.file,
                                title,
                                remove,
                            )),
                    );
                }
                Some(_) => {}
            }
        }
        if review.require_reason && suppression.reason.is_none() {
            findings.push(
                missing_reason(Site::new(suppression.file, suppression.span))
                    .locus(locus("reason")),
            );
        }
    }
}

fn unused(site: Site, key: &str, line: usize) -> Finding {
    Finding::new(
        &RULE.meta,
        site,
        format!("suppression of `{key}` matches no finding on line {line}"),
    )
    .help("remove it: a stale suppression would hide the next real problem on this line")
}

fn from_earlier_change(site: Site, key: &str, line: usize) -> Finding {
    Finding::new(
        &RULE.meta,
        site,
        format!(
            "suppression of `{key}` on line {line} is from an earlier change (the base has it): it does not cover this change, which is reported"
        ),
    )
    .help("a change rule's suppression covers only the pull request that adds it: if this change is intended too, write a new suppression (with its own reason) in this pull request; else remove the old one")
}

fn unknown_rule(site: Site, key: &str, suggestion: Option<&str>) -> Finding {
    let help = match suggestion {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None => "name a rule by code (DL112) or name (pitr-disabled); `dynalint rules` lists them"
            .to_string(),
    };
    Finding::new(
        &RULE.meta,
        site,
        format!("suppression names unknown rule `{key}`"),
    )
    .help(help)
}

fn malformed(site: Site) -> Finding {
    Finding::new(
        &RULE.meta,
        site,
        "malformed suppression comment; it suppresses nothing",
    )
    .help("write `# dynalint: ignore[CODE, name] -- reason`")
}

fn missing_reason(site: Site) -> Finding {
    Finding::new(&RULE.meta, site, "suppression without a reason")
        .help("add ` -- ` and why the finding does not apply; dynalint.toml requires reasons")
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint, lint_tree, values_path};
    use crate::snapshot::MemoryTree;

    #[test]
    fn used_suppressions_are_silent() {
        let text = "\
tables:
  - name: Orders  # dynalint: ignore[no-access] -- read through a role of another account
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    # dynalint: ignore[DL112] -- archive table, restored from S3 if ever needed
    # (a comment between the suppression and its line)
    pointInTimeRecovery: false
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(&findings, "DL112", &[]);
        check(&findings, "DL005", &[]);
    }

    #[test]
    fn unused_unknown_and_malformed() {
        let text = "\
tables:
  - name: Orders  # dynalint: ignore[DL112, attribute-unused]
    hashKey: Id   # dynalint: ignore[DL999]
    attributes: [{name: Id, type: 'S'}]  # dynalint: ignroe[DL101]
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL005",
            &[
                "koa-dev.yaml:2:38 warning DL005 suppression of `DL112` matches no finding on line 2 (remove it: a stale suppression would hide the next real problem on this line)",
                "koa-dev.yaml:2:45 warning DL005 suppression of `attribute-unused` matches no finding on line 2 (remove it: a stale suppression would hide the next real problem on this line)",
                "koa-dev.yaml:3:38 warning DL005 suppression names unknown rule `DL999` (name a rule by code (DL112) or name (pitr-disabled); `dynalint rules` lists them)",
                "koa-dev.yaml:4:44 warning DL005 malformed suppression comment; it suppresses nothing (write `# dynalint: ignore[CODE, name] -- reason`)",
            ],
        );
    }

    #[test]
    fn reasons_can_be_required() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    pointInTimeRecovery: false  # dynalint: ignore[DL112]
";
        let tree = MemoryTree::new()
            .with(&values_path("koa-dev"), text)
            .with("dynalint.toml", "[suppressions]\nrequire-reason = true\n");
        let findings = lint_tree(tree);
        check(
            &findings,
            "DL005",
            &[
                "koa-dev.yaml:5:35 warning DL005 suppression without a reason (add ` -- ` and why the finding does not apply; dynalint.toml requires reasons)",
            ],
        );
        check(&findings, "DL112", &[]);
    }

    #[test]
    fn no_false_alarms_for_rules_turned_off_or_text_in_block_scalars() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    pointInTimeRecovery: false  # dynalint: ignore[DL112] -- archive
    tags:
      note: |
        # dynalint: ignore[DL101] -- this is text in a block scalar
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
";
        let tree = MemoryTree::new()
            .with(&values_path("koa-dev"), text)
            .with(
                "apps-test/apps/koa-dev/access-service/Chart.yaml",
                crate::rules::testing::IDP_ADVANCED_CHART,
            )
            .with("dynalint.toml", "[rules]\npitr-disabled = \"off\"\n");
        check(&lint_tree(tree), "DL005", &[]);
    }

    /// A run without `--aws` (a developer's, pre-commit's) must not call the account
    /// rules' suppressions stale: `--fix` would remove them, and the next `--aws` run
    /// would fail on what they covered.
    #[test]
    fn account_rules_suppressions_are_not_stale_without_the_account() {
        let text = "\
tables:
  - name: Orders  # dynalint: ignore[DL120] -- adopted on purpose, see RFC-12
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    serviceAccountReadRoles: [\"access-service-koa-dev\"]  # dynalint: ignore[DL207] -- created by the platform team
";
        check(&lint(&[("koa-dev", text)]), "DL005", &[]);
    }

    #[test]
    fn fix_removes_the_stale_key_or_the_whole_comment() {
        let text = "tables:\n  - name: Orders  # dynalint: ignore[DL112]\n    hashKey: Id\n    attributes: [{name: Id, type: 'S'}]\n    # dynalint: ignore[DL112, DL201] -- archive\n    pointInTimeRecovery: false\n    serviceAccountReadRoles: [\"access-service-koa-dev\"]\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL005", false),
            text.replace("  # dynalint: ignore[DL112]\n", "\n")
                .replace("DL112, DL201", "DL112")
        );
    }
}
