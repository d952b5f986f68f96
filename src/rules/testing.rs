//! Rule tests run the real pipeline over files in memory and compare findings rendered
//! one per line as `file:line:column severity CODE message (help)`.

use crate::config::Config;
use crate::pipeline;
use crate::snapshot::MemoryTree;
use crate::source::Scope;

/// The domain documentation's LSI example, granted to a role that exists in every test
/// namespace (see [`lint`]).
pub const ORDERS: &str = "\
tables:
  - name: Orders
    useIdpPrefix: true
    hashKey: CustomerId
    rangeKey: OrderDate
    attributes:
      - name: CustomerId
        type: 'S'
      - name: OrderDate
        type: 'S'
      - name: TotalAmount
        type: 'N'
      - name: Status
        type: 'S'
    billingMode: PAY_PER_REQUEST
    localSecondaryIndex:
      - name: AmountIndex
        rangeKey: TotalAmount
        projectionType: INCLUDE
        nonKeyAttributes: [\"items\", \"shippingAddress\"]
      - name: StatusIndex
        rangeKey: Status
        projectionType: ALL
        nonKeyAttributes: []
    serviceAccountReadRoles: [\"access-service-koa-dev\"]
    serviceAccountWriteRoles: [\"access-service-koa-dev\"]
";

pub const IDP_ADVANCED_CHART: &str =
    "apiVersion: v2\nname: workload\ndependencies:\n  - name: idp-advanced\n    version: 1.0.0\n";

/// Where a test file named `<namespace>.yaml` lives.
pub fn values_path(namespace: &str) -> String {
    format!("apps-test/apps/{namespace}/dynamo-tables/values.yaml")
}

/// Lint `<namespace>.yaml` files, each in its namespace, with an `access-service`
/// idp-advanced workload in every one of those namespaces.
pub fn lint<T: AsRef<[u8]>>(files: &[(&str, T)]) -> Vec<String> {
    lint_tree(tree(files, &[]))
}

/// Where a test file goes: `<namespace>.yaml` in its namespace, or a full path.
fn test_path(name: &str) -> String {
    if name.contains('/') {
        name.to_string()
    } else {
        values_path(name.trim_end_matches(".yaml"))
    }
}

/// The files, with an `access-service` workload in every namespace of `files` and of
/// `also` (the other side of a change).
fn tree<T: AsRef<[u8]>>(files: &[(&str, T)], also: &[(&str, &str)]) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for (name, content) in files {
        tree = tree.with(&test_path(name), content.as_ref());
    }
    let names = files
        .iter()
        .map(|(name, _)| *name)
        .chain(also.iter().map(|(name, _)| *name));
    for name in names {
        let path = test_path(name);
        let namespace = crate::config::namespace_from_path(&path).unwrap_or("test");
        tree = tree.with(
            &format!("apps-test/apps/{namespace}/access-service/Chart.yaml"),
            IDP_ADVANCED_CHART,
        );
    }
    tree
}

/// The findings of going from the `base` files to the `head` files (a file missing
/// from `head` is deleted): the change rules' and the head's own.
pub fn lint_change(base: &[(&str, &str)], head: &[(&str, &str)]) -> Vec<String> {
    let config = Config::default();
    let head_tree = tree(head, base);
    let base_tree = tree(base, head);
    let run = pipeline::run(pipeline::Input {
        config: &config,
        head: &head_tree,
        base: Some(pipeline::Base {
            snapshot: &base_tree,
            config: None,
            label: "base".into(),
        }),
        scope: &Scope::everything(),
        focus: false,
        new_only: false,
    })
    .unwrap();
    render(&run.report)
}

/// Lint a whole tree; `dynalint.toml` in it is the configuration.
pub fn lint_tree(tree: MemoryTree) -> Vec<String> {
    use crate::snapshot::Snapshot;
    let config = match tree.read("dynalint.toml", u64::MAX) {
        Ok(crate::snapshot::Content::Bytes(bytes)) => {
            Config::parse(std::str::from_utf8(&bytes).unwrap(), "dynalint.toml").unwrap()
        }
        _ => Config::default(),
    };
    let run = pipeline::run(pipeline::Input {
        config: &config,
        head: &tree,
        base: None,
        scope: &Scope::everything(),
        focus: false,
        new_only: false,
    })
    .unwrap();
    render(&run.report)
}

fn render(report: &crate::report::Report) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|item| {
            let name = item
                .path
                .strip_prefix("apps-test/apps/")
                .and_then(|rest| rest.strip_suffix("/dynamo-tables/values.yaml"))
                .map_or_else(
                    || item.path.clone(),
                    |namespace| format!("{namespace}.yaml"),
                );
            let help = item
                .finding
                .help
                .as_ref()
                .map(|help| format!(" ({help})"))
                .unwrap_or_default();
            format!(
                "{name}:{}:{} {} {} {}{help}",
                item.start.line,
                item.start.column,
                item.finding.severity,
                item.finding.rule.code,
                item.finding.message
            )
        })
        .collect()
}

/// Assert the findings of one rule, in report order: the lines whose code (their third
/// field) is `code`.
#[track_caller]
pub fn check(findings: &[String], code: &str, expected: &[&str]) {
    let actual: Vec<&str> = findings
        .iter()
        .filter(|line| line.split(' ').nth(2) == Some(code))
        .map(String::as_str)
        .collect();
    assert_eq!(
        actual,
        expected,
        "\nall findings:\n{}\n",
        findings.join("\n")
    );
}

/// `<namespace>.yaml` (`text`) after one pass of the fixes of `code`'s findings: the safe
/// ones, and the unsafe ones too when asked.
pub fn fixed(name: &str, text: &str, code: &str, unsafe_fixes: bool) -> String {
    let config = Config::default();
    let files = tree(&[(name, text)], &[]);
    let run = pipeline::run(pipeline::Input {
        config: &config,
        head: &files,
        base: None,
        scope: &Scope::everything(),
        focus: false,
        new_only: false,
    })
    .unwrap();
    let fixes: Vec<&crate::edit::Resolved> = run
        .report
        .findings
        .iter()
        .filter(|item| item.finding.rule.code == code)
        .filter_map(|item| crate::fix::wanted(item, unsafe_fixes))
        .collect();
    let Some(first) = fixes.first() else {
        return text.to_string();
    };
    let source = run.sources.get(first.file);
    let document = crate::yaml::load(&source.text, &Default::default()).unwrap();
    let applied = crate::edit::apply(&source.text, &document, &fixes, &Default::default());
    assert!(applied.refused.is_empty(), "{:?}", applied.refused);
    applied.text
}
