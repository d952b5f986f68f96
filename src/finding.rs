//! What a rule reports: a message at a place in a file, with help.

use crate::edit::Fix;
use crate::model::TableId;
use crate::rule_meta::{RuleMeta, Severity};
use crate::source::Site;

/// Another place that explains a finding (the first definition of a duplicate, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub site: Site,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: String,
    pub site: Site,
    pub related: Vec<Related>,
    pub help: Option<String>,
    pub table: Option<TableId>,
    /// Where in the values the fault is, by meaning rather than position (for example
    /// `attributes/Status/type`): with the rule, file and table it makes the fingerprint,
    /// which therefore survives unrelated edits.
    pub locus: String,
    /// What would fix it, when the rule knows (`--fix`, suggestions, code actions).
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, site: Site, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity,
            message: message.into(),
            site,
            related: Vec::new(),
            help: None,
            table: None,
            locus: String::new(),
            fix: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn table(mut self, table: TableId) -> Self {
        self.table = Some(table);
        self
    }

    pub fn locus(mut self, locus: impl Into<String>) -> Self {
        self.locus = locus.into();
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// With the fix, when there is one.
    pub fn fix_if(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix.or(self.fix);
        self
    }

    pub fn related(mut self, site: Site, message: impl Into<String>) -> Self {
        self.related.push(Related {
            site,
            message: message.into(),
        });
        self
    }
}

/// A stable 64-bit FNV-1a hash, hex encoded: fingerprints must not change between
/// releases or platforms, which rules out `std`'s randomly seeded hasher.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_stable_and_separates_parts() {
        assert_eq!(stable_hash(&["DL101", "a"]), stable_hash(&["DL101", "a"]));
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        // Pinned: a change here changes every fingerprint users have stored.
        assert_eq!(stable_hash(&["dynalint"]), "423064f0205797f2");
    }

    #[test]
    fn severities_order_by_importance() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Note);
        assert_eq!(Severity::parse("warning"), Some(Severity::Warning));
        assert_eq!(Severity::parse("fatal"), None);
    }
}
