//! IAM roles known to exist: those of `idp-advanced` workloads in the repository (a
//! folder `apps-*/apps/<namespace>/<application>/` whose `Chart.yaml` depends on
//! `idp-advanced` gives role `<application>-<namespace>`, see [`crate::workloads`]), plus
//! `roles.known` in config.

use std::collections::BTreeMap;

use globset::GlobSet;

/// A role created by a workload of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub namespace: String,
    pub application: String,
    /// The workload's `Chart.yaml`.
    pub path: String,
}

/// Where a role name is known from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    Workload(&'a Workload),
    Config,
}

/// Role names or patterns the configuration says exist (`roles.known`).
#[derive(Clone, Debug)]
struct Listed {
    patterns: Vec<String>,
    set: GlobSet,
}

#[derive(Clone, Debug, Default)]
pub struct KnownRoles {
    workloads: BTreeMap<String, Workload>,
    config: Option<Listed>,
}

impl KnownRoles {
    /// The roles of `workloads`, and the `known` patterns (matched by `known_set`).
    pub fn new(
        known: &[String],
        known_set: &GlobSet,
        workloads: impl IntoIterator<Item = (String, Workload)>,
    ) -> Self {
        KnownRoles {
            workloads: workloads.into_iter().collect(),
            config: (!known.is_empty()).then(|| Listed {
                patterns: known.to_vec(),
                set: known_set.clone(),
            }),
        }
    }

    /// Whether any source of role names exists; without one, unknown roles cannot be told.
    pub fn has_sources(&self) -> bool {
        !self.workloads.is_empty() || self.config.is_some()
    }

    pub fn lookup(&self, role: &str) -> Option<Origin<'_>> {
        if let Some(workload) = self.workloads.get(role) {
            return Some(Origin::Workload(workload));
        }
        let config = self.config.as_ref()?;
        config.set.is_match(role).then_some(Origin::Config)
    }

    /// Literal role names, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let literal_config = self.config.iter().flat_map(|config| {
            config
                .patterns
                .iter()
                .filter(|pattern| !pattern.contains(['*', '?', '[', '{']))
                .map(String::as_str)
        });
        self.workloads
            .keys()
            .map(String::as_str)
            .chain(literal_config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn config_roles_accept_globs() {
        let config =
            Config::parse("[roles]\nknown = [\"legacy-*\", \"batch-koa-dev\"]\n", "t").unwrap();
        let roles = KnownRoles::new(&config.roles.known, &config.roles.known_set, []);
        assert!(roles.has_sources());
        assert_eq!(roles.lookup("legacy-importer"), Some(Origin::Config));
        assert_eq!(roles.lookup("other"), None);
        assert_eq!(roles.names().collect::<Vec<_>>(), ["batch-koa-dev"]);
        assert!(!KnownRoles::new(&[], &GlobSet::empty(), []).has_sources());
    }
}
