//! What a rule is to its users: its code, name, default severity and documentation
//! (`dynalint rules`, `dynalint explain`, SARIF, docs). A low floor: findings and the
//! configuration name rules by it, the rules themselves sit above.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that width and alignment flags apply (`dynalint rules` columns).
        formatter.pad(self.as_str())
    }
}

/// What users see of a rule: `dynalint rules`, `dynalint explain`, SARIF, docs.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// Whether the rule's findings carry a fix, and how safe it is (`--fix` applies the
    /// safe ones, `--unsafe-fixes` the others too).
    pub fix: Option<crate::edit::Applicability>,
    /// Markdown with the sections in [`DOC_SECTIONS`].
    pub docs: &'static str,
}

/// The sections every rule's documentation has, in this order.
pub const DOC_SECTIONS: [&str; 4] = [
    "## What it catches",
    "## Why it matters",
    "## Example",
    "## How to fix",
];

/// How a run has a rule report, from `[rules]` in dynalint.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    Off,
    /// With the severities the rule gives its findings.
    Default,
    /// Every finding of the rule at this severity.
    Severity(Severity),
}

/// Every rule's status in one run: decided once from the configuration, read by the
/// pipeline (which rules run), the post-process (severities, suppressions of rules that
/// are off) and the renderers (SARIF's rule levels), which never read the settings.
#[derive(Clone, Debug, Default)]
pub struct RuleStatuses {
    configured: BTreeMap<&'static str, RuleStatus>,
}

impl RuleStatuses {
    /// The statuses set by code; every other rule reports as it does by default.
    pub fn new(configured: impl IntoIterator<Item = (&'static str, RuleStatus)>) -> RuleStatuses {
        RuleStatuses {
            configured: configured.into_iter().collect(),
        }
    }

    pub fn of(&self, rule: &RuleMeta) -> RuleStatus {
        self.configured
            .get(rule.code)
            .copied()
            .unwrap_or(RuleStatus::Default)
    }

    pub fn enabled(&self, rule: &RuleMeta) -> bool {
        self.of(rule) != RuleStatus::Off
    }

    /// The severity a finding of `rule` found at `found` is reported at; `None` when the
    /// rule is off.
    pub fn severity(&self, rule: &RuleMeta, found: Severity) -> Option<Severity> {
        match self.of(rule) {
            RuleStatus::Off => None,
            RuleStatus::Default => Some(found),
            RuleStatus::Severity(severity) => Some(severity),
        }
    }

    /// These statuses, with `rule` raised to `other`'s where `other` reports it more
    /// severely (off < note < warning < error); whether it was raised.
    pub fn raise_to(&mut self, rule: &'static RuleMeta, other: &RuleStatuses) -> bool {
        if other.level(rule) <= self.level(rule) {
            return false;
        }
        self.configured.insert(rule.code, other.of(rule));
        true
    }

    /// The level a rule reports at, as SARIF declares it; `None` when it is off.
    pub fn level(&self, rule: &RuleMeta) -> Option<Severity> {
        self.severity(rule, rule.severity)
    }
}
