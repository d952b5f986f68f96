//! The account rules' tests: the real pipeline over files in memory, against a
//! [`FixedAccount`]; findings as `line:column CODE severity`, and the calls it made.

use crate::account::{Answer, FixedAccount, Index, Table};
use crate::config::Config;
use crate::model::{BillingMode, TableId};
use crate::pipeline;
use crate::snapshot::MemoryTree;
use crate::source::Scope;

pub const PATH: &str = "apps-shop/apps/shop-dev/dynamo-tables/values.yaml";

/// One table of shop-dev, `shop-dev-Orders`, read by `api-shop-dev` (line 6, column 31).
pub fn shop() -> String {
    "tables:\n  - name: Orders\n    hashKey: Id\n    attributes:\n      - {name: Id, type: 'S'}\n    serviceAccountReadRoles: [\"api-shop-dev\"]\n".to_string()
}

/// `shop-dev-<name>` in the default region.
pub fn id(name: &str) -> TableId {
    TableId {
        name: format!("shop-dev-{name}"),
        region: crate::model::DEFAULT_REGION.to_string(),
    }
}

/// A table keyed by `Id` (S), on demand, with these tags.
pub fn aws_table(tags: &[(&str, &str)]) -> Answer<Table> {
    Answer::Found(Table {
        hash_key: "Id".to_string(),
        range_key: None,
        attributes: [("Id".to_string(), "S".to_string())].into(),
        lsis: Vec::<Index>::new(),
        gsis: Vec::new(),
        billing: BillingMode::PayPerRequest,
        tags: Some(Answer::Found(
            tags.iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect(),
        )),
        pitr: Some(Answer::Found(true)),
        ttl: Some(Answer::Found(None)),
    })
}

/// The tags Crossplane's provider puts on what it manages.
pub const MANAGED: &[(&str, &str)] = &[
    ("crossplane-kind", "table.dynamodb.aws.upbound.io"),
    ("crossplane-name", "shop-dev-orders"),
    ("crossplane-providerconfig", "default"),
];

/// The pipeline over `head` (compared with `base` when given) against `account`.
fn run(head: &str, base: Option<&str>, account: &FixedAccount) -> pipeline::Run {
    let config = Config::default();
    let tree = |values: &str| MemoryTree::new().with(PATH, values);
    let head_tree = tree(head);
    let base_tree = base.map(tree);
    pipeline::run_against(
        pipeline::Input {
            config: &config,
            head: &head_tree,
            base: base_tree.as_ref().map(|snapshot| pipeline::Base {
                snapshot,
                config: None,
                label: "base".into(),
            }),
            scope: &Scope::everything(),
            focus: false,
            new_only: false,
        },
        account,
    )
    .unwrap()
}

/// The account rules' findings of a run.
fn account_findings(run: &pipeline::Run) -> impl Iterator<Item = &crate::report::Reported> {
    run.report
        .findings
        .iter()
        .filter(|item| crate::rules::is_account_rule(item.finding.rule))
}

/// The account findings of `head` (compared with `base` when given), rendered, and the
/// calls made (`1 DescribeTable, 1 GetRole`).
pub fn lint_with_account(
    head: &str,
    base: Option<&str>,
    account: &FixedAccount,
) -> (Vec<String>, String) {
    let run = run(head, base, account);
    let locations = account_findings(&run)
        .map(|item| {
            format!(
                "{}:{} {} {}",
                item.start.line, item.start.column, item.finding.rule.code, item.finding.severity
            )
        })
        .collect();
    let facts = run.account.as_ref().expect("the account was asked");
    let calls: Vec<String> = facts
        .calls
        .iter()
        .map(|(action, count)| format!("{count} {action}"))
        .collect();
    (locations, calls.join(", "))
}

/// The messages of the account findings of `head` against `account`, without a base.
pub fn messages(head: &str, account: &FixedAccount) -> Vec<String> {
    let run = run(head, None, account);
    account_findings(&run)
        .map(|item| item.finding.message.clone())
        .collect()
}
