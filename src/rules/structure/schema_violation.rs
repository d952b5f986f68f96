//! DL002 schema-violation: the values do not match the chart's values schema.

use crate::edit::{Applicability, Change, Fix};
use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::structure::{FileContext, FileFindings, ValuesContext, yaml_type_trap};
use crate::rules::{Check, Rule};
use crate::schema::{Origin, Violation, ViolationKind};
use crate::source::{FileId, Site};
use crate::yaml::Located;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL002",
        name: "schema-violation",
        severity: Severity::Error,
        summary: "value does not match the chart values schema (missing required field, wrong type, unknown field — with a did-you-mean —, enum)",
        fix: Some(Applicability::Unsafe),
        docs: r#"
## What it catches
Values that the chart's JSON schema rejects: a required field that is missing (`name`,
`hashKey`, `attributes`, an index's `projectionType`...), a value of the wrong type
(`readCapacity: "5"`), a value outside its allowed set (`billingMode: ON_DEMAND`), and a
field the chart does not know — usually a typo such as `rangekey`, for which dynalint
suggests the field you meant. The schema is the repository's own
`helm/helm-idp-dynamodb/values.schema.json` when it exists, else dynalint's embedded copy
(`dynalint schema` prints it). Values are checked as Helm sees them, after the chart's
default values are merged in.

## Why it matters
Helm refuses to render a release whose values break the schema, so the Argo CD sync fails
for every table of the file. An unknown field is worse: the schema may let it through in
a looser chart version, and then the setting you wrote (a sort key, a billing mode) is
silently ignored.

## Example
```yaml
tables:
  - name: Orders
    hashKey: CustomerId
    rangekey: OrderDate        # unknown field: did you mean `rangeKey`?
    billingMode: ON_DEMAND     # must be PAY_PER_REQUEST or PROVISIONED
    attributes:
      - name: CustomerId
        type: 'S'
```

## How to fix
Correct the field name or value as the message says. A missing required field is
reported at the first line of the table or index that lacks it.
"#,
    },
    check: Check::File(check),
};

fn check(context: &FileContext<'_>, out: &mut FileFindings) {
    let Some(values) = context.values else {
        return;
    };
    for violation in values.violations {
        // A YAML 1.1 trap is reported as what it is (DL004), not as a wrong value.
        if yaml_type_trap::is_trap(values, violation) {
            continue;
        }
        let finding = finding(values, violation);
        match ValuesContext::table_position(&violation.pointer) {
            Some(position) => out.push_unreadable_table(position, finding),
            None => out.push(finding),
        }
    }
}

fn finding(context: &ValuesContext<'_>, violation: &Violation) -> Finding {
    let located = context.locate(&violation.pointer);
    let what = context.describe(&violation.pointer);
    let mut fix = None;
    let (site, message, help) = match &violation.kind {
        ViolationKind::Required { properties } => {
            let site = match located {
                Some((file, located)) if !violation.pointer.is_empty() => {
                    Site::new(file, context.first_line(located.node))
                }
                _ => context.file_start(),
            };
            let subject = if violation.pointer.is_empty() {
                "the values are".to_string()
            } else {
                format!("{what} is")
            };
            let (message, help) = match properties.as_slice() {
                [property] => (
                    format!("{subject} missing required field `{property}`"),
                    required_help(property),
                ),
                several => {
                    let listed: Vec<String> = several
                        .iter()
                        .map(|property| format!("`{property}`"))
                        .collect();
                    let (last, init) = listed.split_last().expect("several fields");
                    (
                        format!(
                            "{subject} missing required fields {} and {last}",
                            init.join(", ")
                        ),
                        several
                            .iter()
                            .map(|property| required_help(property))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }
            };
            (site, message, help)
        }
        ViolationKind::UnknownField {
            property,
            suggestion,
        } => {
            let site = key_site(context, located);
            let parent = parent_of(&violation.pointer);
            let container = if parent.is_empty() {
                "at the top level of the values".to_string()
            } else {
                format!("in {}", context.describe(parent))
            };
            let help = match suggestion {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => "the chart does not read this field: remove it, or check its spelling"
                    .to_string(),
            };
            // Renaming a field changes what the chart reads, so what AWS is asked: unsafe.
            if let (Some(suggestion), Some((file, located))) = (suggestion, located)
                && let Some(key) = located.key_span
            {
                fix = Some(Fix::new(
                    Applicability::Unsafe,
                    file,
                    format!("rename `{property}` to `{suggestion}`"),
                    Change::Replace {
                        at: key,
                        key: true,
                        text: suggestion.clone(),
                    },
                ));
            }
            (
                site,
                format!("unknown field `{property}` {container}"),
                help,
            )
        }
        ViolationKind::Type { expected } => {
            let (site, found) = value_site(context, &violation.pointer);
            let expected = expected
                .iter()
                .map(|name| article(name))
                .collect::<Vec<_>>()
                .join(" or ");
            (
                site,
                format!("{what} must be {expected}, found {found}"),
                type_help(expected.as_str()),
            )
        }
        ViolationKind::Enum {
            options,
            suggestion,
        } => {
            let (site, found) = value_site(context, &violation.pointer);
            let listed = options.join(", ");
            let help = match suggestion {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("use one of {listed}"),
            };
            (
                site,
                format!("{what} must be one of {listed}; found {found}"),
                help,
            )
        }
        ViolationKind::KeyName { key } => {
            let site = key_site(context, located);
            let parent = parent_of(&violation.pointer);
            (
                site,
                format!(
                    "the key `{key}` of {} {}",
                    context.describe(parent),
                    violation.detail
                ),
                schema_help(context),
            )
        }
        ViolationKind::Other => {
            let (site, _) = value_site(context, &violation.pointer);
            (
                site,
                format!("{what} {}", violation.detail),
                schema_help(context),
            )
        }
    };
    let mut finding = Finding::new(&RULE.meta, site, message)
        .help(help)
        .locus(context.root.semantic_path(&violation.pointer));
    if let Some(fix) = fix {
        finding = finding.fix(fix);
    }
    if let Some(table) = context.table_id(&violation.pointer) {
        finding = finding.table(table);
    }
    finding
}

/// Where a field's key is written (the value's place when it has no key).
fn key_site(context: &ValuesContext<'_>, located: Option<(FileId, Located<'_>)>) -> Site {
    located.map_or(context.file_start(), |(file, located)| {
        Site::new(file, located.key_or_value())
    })
}

/// `/tables/0/rangekey` -> `/tables/0`.
fn parent_of(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(parent, _)| parent)
}

fn schema_help(context: &ValuesContext<'_>) -> String {
    match context.schema {
        Origin::Embedded => {
            "change the value to match the chart schema (`dynalint schema` prints it)".to_string()
        }
        Origin::Repository(path) => format!("change the value to match the chart schema, `{path}`"),
    }
}

/// Where a value is written and how it reads in a message: `` string `"5"` ``.
fn value_site(context: &ValuesContext<'_>, pointer: &str) -> (Site, String) {
    match context.locate(pointer) {
        Some((file, located)) => {
            let span = located.value_or_key();
            let written = if file == context.file {
                excerpt(context.source.slice(located.node.span))
            } else {
                String::new()
            };
            let found = match (located.node.type_name(), written.is_empty()) {
                (kind, false) if written.starts_with('*') => {
                    format!("{kind} (through the alias `{written}`)")
                }
                ("null", _) => "no value (null)".to_string(),
                (kind, false) => format!("{kind} `{written}`"),
                (kind, true) => kind.to_string(),
            };
            (Site::new(file, span), found)
        }
        None => (context.file_start(), "a value".to_string()),
    }
}

/// The first line of a value as written, shortened for a message.
fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_string(),
    }
}

fn article(type_name: &str) -> String {
    let noun = readable(type_name);
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

fn readable(type_name: &str) -> &str {
    match type_name {
        "object" => "mapping",
        "array" => "list",
        other => other,
    }
}

fn type_help(expected: &str) -> String {
    if expected.contains("integer") || expected.contains("number") {
        "write the number without quotes".to_string()
    } else if expected.contains("boolean") {
        "write true or false, without quotes".to_string()
    } else if expected.contains("string") {
        "write the text, quoted if Helm could read it as another type".to_string()
    } else if expected.contains("list") {
        "write a YAML list (`- item` lines, or `[a, b]`)".to_string()
    } else {
        "write a YAML mapping (`key: value` lines)".to_string()
    }
}

fn required_help(property: &str) -> String {
    match property {
        "name" => "add `name:` with the table's logical name".to_string(),
        "hashKey" => "add `hashKey:` naming the partition key attribute (declared in `attributes`)"
            .to_string(),
        "attributes" => {
            "add `attributes:` listing every key attribute with its type ('S', 'N' or 'B')"
                .to_string()
        }
        "type" => "add `type: 'S'` (or 'N', 'B'), quoted".to_string(),
        "projectionType" => "add `projectionType:` ALL, KEYS_ONLY or INCLUDE".to_string(),
        "nonKeyAttributes" => {
            "add `nonKeyAttributes: []`: the chart requires the list even when it is empty"
                .to_string()
        }
        "attributeName" => "add `attributeName:` naming the expiry-time attribute".to_string(),
        other => format!("add `{other}:`"),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, lint, lint_change, lint_tree, values_path};
    use crate::snapshot::MemoryTree;

    /// A table with an unknown field and point-in-time recovery off (DL112).
    const TYPO_AND_NO_PITR: &str = "\
tables:
  - name: Orders
    hashKey: Id
    owner: team-x
    attributes: [{name: Id, type: 'S'}]
    pointInTimeRecovery: false
";

    #[test]
    fn a_table_with_a_schema_error_is_left_out_of_the_table_rules() {
        let findings = lint(&[("koa-dev.yaml", TYPO_AND_NO_PITR)]);
        check(
            &findings,
            "DL002",
            &[
                "koa-dev.yaml:4:5 error DL002 unknown field `owner` in table `koa-dev-Orders` (the chart does not read this field: remove it, or check its spelling)",
            ],
        );
        check(&findings, "DL112", &[]);
    }

    #[test]
    fn a_schema_problem_that_is_not_an_error_leaves_the_table_to_every_rule() {
        let suppressed = TYPO_AND_NO_PITR.replace(
            "owner: team-x",
            "owner: team-x  # dynalint: ignore[DL002] -- read by our own tooling",
        );
        let settings = [
            (
                "[rules]\nschema-violation = \"warning\"\n",
                TYPO_AND_NO_PITR,
            ),
            ("[rules]\nDL002 = \"note\"\n", TYPO_AND_NO_PITR),
            ("[rules]\nschema-violation = \"off\"\n", TYPO_AND_NO_PITR),
            (
                "ignore = [\"apps-test/apps/koa-dev/dynamo-tables/values.yaml:4\"]\n",
                TYPO_AND_NO_PITR,
            ),
            ("", suppressed.as_str()),
        ];
        for (toml, text) in settings {
            let tree = MemoryTree::new()
                .with(&values_path("koa-dev"), text)
                .with("dynalint.toml", toml);
            let findings = lint_tree(tree);
            assert!(
                findings.iter().any(|line| line.starts_with(
                    "koa-dev.yaml:6:26 warning DL112 point-in-time recovery is off for table `koa-dev-Orders`"
                )),
                "with `{toml}`, DL112 is still reported:\n{}",
                findings.join("\n")
            );
        }
    }

    #[test]
    fn a_suppressed_schema_problem_does_not_hide_a_change() {
        let base = "\
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}, {name: Date, type: 'S'}]
";
        let head = "\
tables:
  - name: Orders
    hashKey: Date
    owner: team-x  # dynalint: ignore[DL002] -- read by our own tooling
    attributes: [{name: Id, type: 'S'}, {name: Date, type: 'S'}]
";
        let findings = lint_change(&[("koa-dev.yaml", base)], &[("koa-dev.yaml", head)]);
        check(&findings, "DL002", &[]);
        assert!(
            findings
                .iter()
                .any(|line| line.starts_with("koa-dev.yaml:3:14 error DL303 ")),
            "the key change is reported:\n{}",
            findings.join("\n")
        );
    }

    #[test]
    fn a_null_deletes_the_default_with_or_without_the_charts_values() {
        let text = "\
deletionPolicy: ~
managementPolicies: null
region:
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
";
        check(&lint(&[("koa-dev.yaml", text)]), "DL002", &[]);
        let tree = MemoryTree::new().with(&values_path("koa-dev"), text).with(
            "helm/helm-idp-dynamodb/values.yaml",
            "deletionPolicy: Delete\nmanagementPolicies: Control\nregion: eu-west-1\n",
        );
        check(&lint_tree(tree), "DL002", &[]);
        // A key without a default keeps its null, which the schema rejects.
        let nulled = "tables:\n  - name: Orders\n    hashKey: Id\n    billingMode: ~\n    attributes: [{name: Id, type: 'S'}]\n";
        assert_eq!(
            lint(&[("koa-dev.yaml", nulled)])
                .iter()
                .filter(|line| line.contains(" DL002 "))
                .count(),
            1
        );
    }

    #[test]
    fn ok() {
        check(
            &lint(&[("koa-dev.yaml", crate::rules::testing::ORDERS)]),
            "DL002",
            &[],
        );
    }

    #[test]
    fn unknown_fields_with_did_you_mean() {
        let text = "\
tables:
  - name: Orders
    hashKey: Id
    rangekey: Date
    attributes:
      - name: Id
        type: 'S'
        tpye: 'S'
colour: blue
";
        let findings = lint(&[("koa-dev.yaml", text)]);
        check(
            &findings,
            "DL002",
            &[
                "koa-dev.yaml:4:5 error DL002 unknown field `rangekey` in table `koa-dev-Orders` (did you mean `rangeKey`?)",
                "koa-dev.yaml:8:9 error DL002 unknown field `tpye` in `attributes[0]` of table `koa-dev-Orders` (did you mean `type`?)",
                "koa-dev.yaml:9:1 error DL002 unknown field `colour` at the top level of the values (the chart does not read this field: remove it, or check its spelling)",
            ],
        );
    }

    #[test]
    fn missing_fields_point_at_the_first_line() {
        let text = "\
tables:
  - name: Orders
    attributes:
      - name: Id
  - hashKey: Id
    attributes: [{name: Id, type: 'S'}]
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL002",
            &[
                "koa-dev.yaml:2:5 error DL002 table `koa-dev-Orders` is missing required field `hashKey` (add `hashKey:` naming the partition key attribute (declared in `attributes`))",
                "koa-dev.yaml:4:9 error DL002 `attributes[0]` of table `koa-dev-Orders` is missing required field `type` (add `type: 'S'` (or 'N', 'B'), quoted)",
                "koa-dev.yaml:5:5 error DL002 table #2 is missing required field `name` (add `name:` with the table's logical name)",
            ],
        );
        check(
            &lint(&[("koa-dev.yaml", "tables:\n  - name: Bare\n")]),
            "DL002",
            &[
                "koa-dev.yaml:2:5 error DL002 table `koa-dev-Bare` is missing required fields `hashKey` and `attributes` (add `hashKey:` naming the partition key attribute (declared in `attributes`); add `attributes:` listing every key attribute with its type ('S', 'N' or 'B'))",
            ],
        );
        check(
            &lint(&[("koa-dev.yaml", "- name: Orders\n")]),
            "DL002",
            &[
                "koa-dev.yaml:1:1 error DL002 the values must be a mapping, found list `- name: Orders` (write a YAML mapping (`key: value` lines))",
            ],
        );
    }

    #[test]
    fn wrong_types_and_enums() {
        let text = "\
managementPolicies: control
tables:
  - name: Orders
    hashKey: Id
    attributes: [{name: Id, type: 'S'}]
    billingMode: ON_DEMAND
    readCapacity: \"5\"
    pointInTimeRecovery: \"false\"
    region: eu-west1
";
        check(
            &lint(&[("koa-dev.yaml", text)]),
            "DL002",
            &[
                "koa-dev.yaml:1:21 error DL002 `managementPolicies` must be one of Control, Observe; found string `control` (did you mean `Control`?)",
                "koa-dev.yaml:6:18 error DL002 `billingMode` of table `koa-dev-Orders` must be one of PAY_PER_REQUEST, PROVISIONED; found string `ON_DEMAND` (use one of PAY_PER_REQUEST, PROVISIONED)",
                "koa-dev.yaml:7:19 error DL002 `readCapacity` of table `koa-dev-Orders` must be an integer, found string `\"5\"` (write the number without quotes)",
                "koa-dev.yaml:8:26 error DL002 `pointInTimeRecovery` of table `koa-dev-Orders` must be a boolean, found string `\"false\"` (write true or false, without quotes)",
                "koa-dev.yaml:9:13 error DL002 `region` of table `koa-dev-Orders` is `eu-west1`, which does not match `^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$` (change the value to match the chart schema (`dynalint schema` prints it))",
            ],
        );
    }

    #[test]
    fn short_messages_without_the_value() {
        let mut tags = String::new();
        for index in 0..51 {
            tags.push_str(&format!("      t{index}: v\n"));
        }
        let long_key = "k".repeat(129);
        let text = format!(
            "tables:\n  - name: Orders\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    tags:\n{tags}  - name: Other\n    hashKey: Id\n    attributes: [{{name: Id, type: 'S'}}]\n    tags:\n      {long_key}: v\n"
        );
        check(
            &lint(&[("koa-dev.yaml", text.as_str())]),
            "DL002",
            &[
                "koa-dev.yaml:6:7 error DL002 `tags` of table `koa-dev-Orders` has 51 entries; at most 50 are allowed (change the value to match the chart schema (`dynalint schema` prints it))",
                &format!(
                    "koa-dev.yaml:61:7 error DL002 the key `{long_key}` of `tags` of table `koa-dev-Other` is 129 characters long; at most 128 are allowed (change the value to match the chart schema (`dynalint schema` prints it))"
                ),
            ],
        );
    }

    #[test]
    fn fix_renames_to_the_one_did_you_mean_only_when_unsafe_fixes_are_asked() {
        let text = "tables:\n  - name: Orders\n    hashKey: Id\n    rangekey: At\n    attributes: [{name: Id, type: 'S'}, {name: At, type: 'S'}]\n    bilingMode: PAY_PER_REQUEST\n    frobnicate: 1\n";
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL002", false),
            text
        );
        // `frobnicate` has no did-you-mean: nothing to rename it to.
        assert_eq!(
            crate::rules::testing::fixed("koa-dev.yaml", text, "DL002", true),
            text.replace("rangekey", "rangeKey")
                .replace("bilingMode", "billingMode")
        );
    }
}
