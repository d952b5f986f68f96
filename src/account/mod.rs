//! What `check --aws` asks the AWS account and what it answered, with no SDK in sight:
//! the rules (src/rules/account/) read [`Facts`], and [`Account`] is what answers them —
//! the AWS SDK ([`sdk`]) in the command, a map in the rules' tests.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::model::{BillingMode, TableId};

#[cfg(feature = "aws")]
pub mod sdk;

/// What to ask: deduplicated, so one role is one `GetRole` and one table one
/// `DescribeTable`, however many grants and files name them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Questions {
    /// Roles to look up (`iam:GetRole`), by name as written (IAM names are
    /// case-insensitive: one question per lower-cased name).
    pub roles: BTreeMap<String, String>,
    /// Roles whose attached managed policies are counted (`iam:ListAttachedRolePolicies`),
    /// lower-cased; each is in `roles` too.
    pub attachments: BTreeSet<String>,
    /// Tables to describe (`dynamodb:DescribeTable`), with what else is read of them
    /// when they exist.
    pub tables: BTreeMap<TableId, TableQuestion>,
}

/// What is read of a table besides DescribeTable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableQuestion {
    /// Its tags (`dynamodb:ListTagsOfResource`): who manages it.
    pub tags: bool,
    /// Its point-in-time recovery and TTL (`dynamodb:DescribeContinuousBackups`,
    /// `dynamodb:DescribeTimeToLive`): what Control would change.
    pub settings: bool,
}

impl Questions {
    pub fn ask_role(&mut self, role: &str, attachments: bool) {
        let key = role.to_ascii_lowercase();
        if attachments {
            self.attachments.insert(key.clone());
        }
        self.roles.entry(key).or_insert_with(|| role.to_string());
    }

    pub fn ask_table(&mut self, table: &TableId, question: TableQuestion) {
        let asked = self.tables.entry(table.clone()).or_default();
        asked.tags |= question.tags;
        asked.settings |= question.settings;
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.tables.is_empty()
    }
}

/// One answer of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer<T> {
    Found(T),
    /// IAM's `NoSuchEntity`, DynamoDB's `ResourceNotFoundException`.
    Missing,
    /// The credentials may not make this call: which permission, and what AWS said.
    Denied {
        permission: &'static str,
        message: String,
    },
}

impl<T> Answer<T> {
    pub fn found(&self) -> Option<&T> {
        match self {
            Answer::Found(value) => Some(value),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    /// As IAM spells it.
    pub name: String,
    /// The managed policies attached to it, when asked.
    pub attached: Option<Answer<Vec<String>>>,
}

/// An index as DescribeTable gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub hash_key: String,
    pub range_key: Option<String>,
}

/// A table as DescribeTable gives it (and its tags, when asked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub hash_key: String,
    pub range_key: Option<String>,
    /// Attribute name -> type (`S`, `N`, `B`).
    pub attributes: BTreeMap<String, String>,
    pub lsis: Vec<Index>,
    pub gsis: Vec<Index>,
    /// PROVISIONED when DescribeTable gives no billing mode summary (as AWS does for
    /// tables created provisioned).
    pub billing: BillingMode,
    pub tags: Option<Answer<BTreeMap<String, String>>>,
    /// Whether point-in-time recovery is on, when asked.
    pub pitr: Option<Answer<bool>>,
    /// The attribute of its TTL when enabled (or being enabled), when asked.
    pub ttl: Option<Answer<Option<String>>>,
}

/// The tags the Upbound provider puts on every resource Crossplane manages.
pub const CROSSPLANE_TAGS: [&str; 3] = [
    "crossplane-kind",
    "crossplane-name",
    "crossplane-providerconfig",
];

impl Table {
    /// Whether the tags say Crossplane manages it (`None`: its tags were not read).
    pub fn managed(&self) -> Option<bool> {
        match self.tags.as_ref()? {
            Answer::Found(tags) => Some(CROSSPLANE_TAGS.iter().all(|tag| tags.contains_key(*tag))),
            _ => None,
        }
    }
}

/// Everything the account answered, and what it took.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// By lower-cased role name.
    pub roles: BTreeMap<String, Answer<Role>>,
    pub tables: BTreeMap<TableId, Answer<Table>>,
    /// The calls made, by API action (`GetRole`: 3), retries not counted.
    pub calls: BTreeMap<&'static str, usize>,
    pub elapsed: Duration,
}

impl Facts {
    pub fn role(&self, name: &str) -> Option<&Answer<Role>> {
        self.roles.get(&name.to_ascii_lowercase())
    }

    pub fn table(&self, id: &TableId) -> Option<&Answer<Table>> {
        self.tables.get(id)
    }

    /// `7 calls (3 GetRole, 1 ListAttachedRolePolicies, 3 DescribeTable) in 120 ms`.
    pub fn summary(&self) -> String {
        let total: usize = self.calls.values().sum();
        let each: Vec<String> = self
            .calls
            .iter()
            .map(|(action, count)| format!("{count} {action}"))
            .collect();
        format!(
            "{total} call{} ({}) in {} ms",
            if total == 1 { "" } else { "s" },
            if each.is_empty() {
                "nothing to ask".to_string()
            } else {
                each.join(", ")
            },
            self.elapsed.as_millis()
        )
    }
}

/// Why the account could not be read at all: the run stops (exit 2), never passes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("no AWS credentials: {0}")]
    Credentials(String),
    #[error("the AWS credentials were refused: {0}")]
    Refused(String),
    #[error("cannot reach AWS: {0}")]
    Unreachable(String),
    #[error("AWS did not answer within {} s", .0.as_secs())]
    TimedOut(Duration),
    #[error("AWS answered {action} with an error: {message}")]
    Failed {
        action: &'static str,
        message: String,
    },
    #[error(
        "this dynalint was built without the `aws` feature: `cargo install --locked --path . --features aws` (the Action's image has it)"
    )]
    NotBuilt,
}

/// What answers the questions: the account, or a stand-in.
pub trait Account: Sync {
    fn answer(&self, questions: &Questions) -> Result<Facts, AccountError>;
}

/// A fixed account, for tests: what it holds is found, the rest is missing; every call
/// counted as the SDK counts them.
#[derive(Clone, Debug, Default)]
pub struct FixedAccount {
    pub roles: BTreeMap<String, Answer<Role>>,
    pub tables: BTreeMap<TableId, Answer<Table>>,
}

impl Account for FixedAccount {
    fn answer(&self, questions: &Questions) -> Result<Facts, AccountError> {
        let mut facts = Facts::default();
        for key in questions.roles.keys() {
            *facts.calls.entry("GetRole").or_default() += 1;
            let mut answer = self.roles.get(key).cloned().unwrap_or(Answer::Missing);
            if let Answer::Found(role) = &mut answer {
                if questions.attachments.contains(key) {
                    *facts.calls.entry("ListAttachedRolePolicies").or_default() += 1;
                } else {
                    role.attached = None;
                }
            }
            facts.roles.insert(key.clone(), answer);
        }
        for (id, question) in &questions.tables {
            *facts.calls.entry("DescribeTable").or_default() += 1;
            let mut answer = self.tables.get(id).cloned().unwrap_or(Answer::Missing);
            if let Answer::Found(table) = &mut answer {
                if question.tags {
                    *facts.calls.entry("ListTagsOfResource").or_default() += 1;
                } else {
                    table.tags = None;
                }
                if question.settings {
                    *facts.calls.entry("DescribeContinuousBackups").or_default() += 1;
                    *facts.calls.entry("DescribeTimeToLive").or_default() += 1;
                } else {
                    table.pitr = None;
                    table.ttl = None;
                }
            }
            facts.tables.insert(id.clone(), answer);
        }
        Ok(facts)
    }
}
