//! Every rule: its metadata and documentation, and where it runs.
//!
//! A rule is one file holding its [`Rule`] (code, name, default severity, summary and
//! documentation), its check, and its tests. Adding a rule is one new file and one line
//! in [`REGISTRY`].

use std::fmt::Write as _;
use std::sync::Arc;

use crate::diff::ChangeSet;
use crate::edit::Applicability;
use crate::finding::Finding;
use crate::model::{Release, Table, ValuesFile};
use crate::roles::KnownRoles;
use crate::rule_meta::RuleMeta;
use crate::span::Span;
use crate::suppress::SuppressionReview;
use structure::{FileContext, FileFindings};

pub mod access;
pub mod account;
pub mod change;
pub mod structure;
pub mod table;

#[cfg(test)]
pub mod testing;

/// The head revision as rules see it: every release and values file of the
/// repository, the IAM roles known to exist, and the account's quotas.
pub struct Project<'a> {
    pub releases: &'a [Arc<Release>],
    pub files: &'a [ValuesFile],
    pub roles: &'a KnownRoles,
    pub quotas: &'a Quotas,
}

/// The AWS quotas an account can raise (`[limits]` in dynalint.toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Global secondary indexes per table (`max-gsis`, AWS's default 20).
    pub max_gsis: usize,
    /// Managed policies attached to one IAM role (`max-policies-per-role`, AWS's
    /// default 10, up to 20 on request).
    pub max_policies_per_role: usize,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            max_gsis: 20,
            max_policies_per_role: 10,
        }
    }
}

impl<'a> Project<'a> {
    /// Every table of every release.
    pub fn tables(&self) -> impl Iterator<Item = (&'a Release, &'a Table)> + use<'a> {
        let releases: &'a [Arc<Release>] = self.releases;
        releases.iter().flat_map(|release| {
            let release: &'a Release = release;
            release.tables.iter().map(move |table| (release, table))
        })
    }
}

/// A finding about a table, at `span` in the table's file; `locus` names the field
/// within the table (`rangeKey`, `attributes/Status`) for the fingerprint.
pub fn on_table(
    rule: &'static RuleMeta,
    table: &Table,
    span: Span,
    locus: &str,
    message: impl Into<String>,
) -> Finding {
    Finding::new(rule, table.site(span), message)
        .table(table.id.clone())
        .locus(format!("tables/{}/{locus}", table.name.value))
}

pub type FileCheck = fn(&FileContext<'_>, &mut FileFindings);
pub type SuppressionCheck = fn(&SuppressionReview<'_>, &mut Vec<Finding>);
pub type HeadCheck = fn(&Project<'_>, &mut Vec<Finding>);
pub type ChangeCheck = fn(&ChangeSet<'_>, &mut Vec<Finding>);

pub enum Check {
    /// Runs over what reading one file found (its raw problems, and its tree when it
    /// parsed), while the loader has it at hand.
    File(FileCheck),
    /// Runs over the suppressions once every other finding is matched against them.
    Suppressions(SuppressionCheck),
    /// Runs over the head revision's model.
    Head(HeadCheck),
    /// Runs over the tables of the base and head revisions, paired (`--base`).
    Change(ChangeCheck),
    /// Runs over what the AWS account answered (`--aws`).
    Account(account::AccountCheck),
}

pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

pub static REGISTRY: &[&Rule] = &[
    &structure::yaml_syntax::RULE,
    &structure::schema_violation::RULE,
    &structure::duplicate_key::RULE,
    &structure::yaml_type_trap::RULE,
    &structure::unused_suppression::RULE,
    &structure::namespace_mismatch::RULE,
    &structure::values_file_unchecked::RULE,
    &table::key_attribute_undeclared::RULE,
    &table::attribute_unused::RULE,
    &table::attribute_conflict::RULE,
    &table::invalid_table_name::RULE,
    &table::duplicate_table::RULE,
    &table::lsi_without_range_key::RULE,
    &table::index_limit::RULE,
    &table::projection_mismatch::RULE,
    &table::projected_attribute_limit::RULE,
    &table::invalid_index::RULE,
    &table::capacity_mismatch::RULE,
    &table::pitr_disabled::RULE,
    &table::policy_conflict::RULE,
    &table::shadow_table_mismatch::RULE,
    &account::table_exists_unmanaged::RULE,
    &account::observe_drift::RULE,
    &access::unknown_role::RULE,
    &access::cross_namespace_role::RULE,
    &access::invalid_role_name::RULE,
    &access::policy_size_limit::RULE,
    &access::no_access::RULE,
    &access::role_policy_quota::RULE,
    &account::role_missing_in_aws::RULE,
    &account::role_policy_quota_reached::RULE,
    &change::table_deleted::RULE,
    &change::table_replaced::RULE,
    &change::key_schema_changed::RULE,
    &change::lsi_changed::RULE,
    &change::gsi_recreated::RULE,
    &change::billing_mode_changed::RULE,
    &change::pitr_turned_off::RULE,
    &change::access_revoked::RULE,
    &change::management_policy_changed::RULE,
    &change::table_moved_between_releases::RULE,
    &change::stream_or_ttl_changed::RULE,
    &change::backup_turned_off::RULE,
    &change::gsi_removed::RULE,
    &change::ttl_not_applied::RULE,
];

pub fn all() -> impl Iterator<Item = &'static RuleMeta> {
    REGISTRY.iter().map(|rule| &rule.meta)
}

/// A rule by code (`DL101`, any case) or name (`key-attribute-undeclared`).
pub fn find(key: &str) -> Option<&'static RuleMeta> {
    all().find(|rule| rule.code.eq_ignore_ascii_case(key) || rule.name == key)
}

pub fn file_checks() -> impl Iterator<Item = (&'static RuleMeta, FileCheck)> {
    REGISTRY.iter().filter_map(|rule| match rule.check {
        Check::File(check) => Some((&rule.meta, check)),
        _ => None,
    })
}

pub fn suppression_checks() -> impl Iterator<Item = (&'static RuleMeta, SuppressionCheck)> {
    REGISTRY.iter().filter_map(|rule| match rule.check {
        Check::Suppressions(check) => Some((&rule.meta, check)),
        _ => None,
    })
}

pub fn head_checks() -> impl Iterator<Item = (&'static RuleMeta, HeadCheck)> {
    REGISTRY.iter().filter_map(|rule| match rule.check {
        Check::Head(check) => Some((&rule.meta, check)),
        _ => None,
    })
}

pub fn change_checks() -> impl Iterator<Item = (&'static RuleMeta, ChangeCheck)> {
    REGISTRY.iter().filter_map(|rule| match rule.check {
        Check::Change(check) => Some((&rule.meta, check)),
        _ => None,
    })
}

pub fn account_checks() -> impl Iterator<Item = (&'static RuleMeta, account::AccountCheck)> {
    REGISTRY.iter().filter_map(|rule| match rule.check {
        Check::Account(check) => Some((&rule.meta, check)),
        _ => None,
    })
}

/// Whether a rule reads the AWS account (runs only with `--aws`).
pub fn is_account_rule(rule: &RuleMeta) -> bool {
    account_checks().any(|(account, _)| std::ptr::eq(account, rule))
}

/// Whether a rule judges what a change does, so that the change itself cannot silence it:
/// the change rules, and the account rules (with a base they judge what the change
/// touches). The base's settings judge them where the change lowers them, and the base's
/// own suppressions and `ignore` entries do not cover them.
pub fn guards_a_change(rule: &RuleMeta) -> bool {
    is_change_rule(rule) || is_account_rule(rule)
}

/// Whether a rule compares two revisions (runs only with a base).
pub fn is_change_rule(rule: &RuleMeta) -> bool {
    change_checks().any(|(change, _)| std::ptr::eq(change, rule))
}

/// The anchor of a rule's section in `docs/rules.md`.
pub fn docs_anchor(rule: &RuleMeta) -> String {
    format!("{}-{}", rule.code.to_lowercase(), rule.name)
}

/// The rule's section of `docs/rules.md`, online (SARIF `helpUri`, comment links).
pub fn docs_url(rule: &RuleMeta) -> String {
    format!(
        "{}/blob/main/docs/rules.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        docs_anchor(rule)
    )
}

/// One section of the rule's documentation (`"What it catches"`), trimmed.
pub fn doc_section(rule: &RuleMeta, title: &str) -> String {
    let heading = format!("## {title}\n");
    let Some(start) = rule.docs.find(&heading) else {
        return String::new();
    };
    let rest = &rule.docs[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

/// Whether and how a rule's findings are fixed, in a sentence.
pub fn fix_sentence(rule: &RuleMeta) -> &'static str {
    match rule.fix {
        Some(Applicability::Safe) => {
            "Fix: safe, applied by `dynalint check --fix` (`--diff` shows it first)."
        }
        Some(Applicability::Unsafe) => {
            "Fix: unsafe (it can change what AWS does), applied by `dynalint check --fix --unsafe-fixes` (`--diff --unsafe-fixes` shows it first)."
        }
        None => "Fix: none automatic; the help says what to change.",
    }
}

/// `dynalint explain`: the rule's documentation with a title line.
pub fn explain(rule: &RuleMeta) -> String {
    format!(
        "# {} {} ({} by default)\n\n{}\n\n{}\n\n{}",
        rule.code,
        rule.name,
        rule.severity,
        rule.summary,
        fix_sentence(rule),
        rule.docs.trim()
    )
}

/// `docs/rules.md`, generated from the rules' own documentation.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# dynalint rules\n\n\
         <!-- Generated from the rule documentation in src/rules/ by \
         `DYNALINT_BLESS=1 cargo test rules_reference`. Do not edit by hand. -->\n\n\
         | code | name | severity | fix | catches |\n|---|---|---|---|---|\n",
    );
    for rule in all() {
        let _ = writeln!(
            out,
            "| [{}](#{}) | {} | {} | {} | {} |",
            rule.code,
            docs_anchor(rule),
            rule.name,
            rule.severity,
            rule.fix.map_or("", Applicability::as_str),
            rule.summary
        );
    }
    for rule in all() {
        let docs = rule.docs.trim().replace("\n## ", "\n### ");
        let docs = docs
            .strip_prefix("## ")
            .map(|rest| format!("### {rest}"))
            .unwrap_or(docs);
        let _ = write!(
            out,
            "\n## {} {}\n\nCatches: {}.\n\nDefault severity: **{}**.\n\n{}\n\n{}\n",
            rule.code,
            rule.name,
            rule.summary,
            rule.severity,
            fix_sentence(rule),
            docs
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::rule_meta::DOC_SECTIONS;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in all() {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.len() == 5
                    && rule.code.starts_with("DL")
                    && rule.code[2..].bytes().all(|byte| byte.is_ascii_digit()),
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte == b'-'),
                "{} is not kebab-case",
                rule.name
            );
        }
        let sorted: Vec<_> = all().map(|rule| rule.code).collect();
        let mut expected = sorted.clone();
        expected.sort();
        assert_eq!(sorted, expected, "the registry is in code order");
    }

    #[test]
    fn every_rule_has_complete_documentation() {
        for rule in all() {
            let mut from = 0;
            for section in DOC_SECTIONS {
                let found = rule.docs[from..]
                    .find(section)
                    .unwrap_or_else(|| panic!("{} lacks `{section}` (in order)", rule.code));
                from += found + section.len();
            }
            assert!(
                rule.docs.contains("```yaml"),
                "{} has no YAML example",
                rule.code
            );
            // Code scanning truncates descriptions at 1,024 characters.
            assert!(
                !rule.summary.is_empty() && rule.summary.len() < 1024,
                "{}",
                rule.code
            );
            assert!(
                rule.docs.len() < 4096,
                "{} docs are too long for a help text",
                rule.code
            );
        }
    }

    #[test]
    fn rules_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let expected = reference_markdown();
        if std::env::var_os("DYNALINT_BLESS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/rules.md is stale: run `DYNALINT_BLESS=1 cargo test rules_reference`"
        );
    }

    #[test]
    fn the_readme_lists_every_rule() {
        let readme = include_str!("../../README.md");
        for rule in all() {
            let row = format!("| {} | {} | {} |", rule.code, rule.name, rule.severity);
            assert!(readme.contains(&row), "README.md lacks the row `{row}`");
        }
    }

    #[test]
    fn find_by_code_or_name() {
        assert_eq!(find("dl101").unwrap().name, "key-attribute-undeclared");
        assert_eq!(find("pitr-disabled").unwrap().code, "DL112");
        assert!(find("DL999").is_none());
    }
}
