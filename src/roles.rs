//! IAM roles known to exist: those of `idp-advanced` workloads in the repository (a
//! folder `apps-*/apps/<namespace>/<application>/` whose `Chart.yaml` depends on
//! `idp-advanced` gives role `<application>-<namespace>`), plus `roles.known` in config.

use std::collections::BTreeMap;

use crate::config::{Config, Roles};
use crate::yaml::{self, Node};

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

#[derive(Clone, Debug, Default)]
pub struct KnownRoles {
    workloads: BTreeMap<String, Workload>,
    config: Option<Roles>,
}

impl KnownRoles {
    pub fn new(config: &Config, workloads: impl IntoIterator<Item = (String, Workload)>) -> Self {
        KnownRoles {
            workloads: workloads.into_iter().collect(),
            config: (!config.roles.known.is_empty()).then(|| config.roles.clone()),
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
        config.known_set.is_match(role).then_some(Origin::Config)
    }

    /// Literal role names, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let literal_config = self.config.iter().flat_map(|config| {
            config
                .known
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

/// The role of a workload, if its `Chart.yaml` depends on the workload chart; an error
/// when the `Chart.yaml` cannot be read as YAML (the workload may well create a role).
pub fn workload_role(
    path: &str,
    chart_yaml: &str,
    config: &Config,
) -> Result<Option<(String, Workload)>, yaml::YamlError> {
    let document = yaml::load(chart_yaml, &config.limits.yaml)?;
    let depends = document
        .root
        .get("dependencies")
        .and_then(Node::as_seq)
        .is_some_and(|dependencies| {
            dependencies.iter().any(|dependency| {
                dependency.get("name").and_then(Node::as_str) == Some(&config.roles.workload_chart)
            })
        });
    if !depends {
        return Ok(None);
    }
    let Some((role, application, namespace)) = role_of_path(path, config) else {
        return Ok(None);
    };
    Ok(Some((
        role,
        Workload {
            namespace,
            application,
            path: path.to_string(),
        },
    )))
}

/// The role a workload at `path` creates if it is one, from its path alone.
pub fn path_role(path: &str, config: &Config) -> Option<String> {
    role_of_path(path, config).map(|(role, _, _)| role)
}

/// The role, application and namespace of a workload's `Chart.yaml` path.
fn role_of_path(path: &str, config: &Config) -> Option<(String, String, String)> {
    let mut segments = path.rsplit('/').skip(1);
    let application = segments.next()?.to_string();
    let namespace = config
        .namespace(path)
        .or_else(|| segments.next().map(str::to_string))?;
    let role = config
        .roles
        .template
        .replace("{application}", &application)
        .replace("{namespace}", &namespace);
    Some((role, application, namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHART: &str = "apiVersion: v2\nname: access-service\ndependencies:\n  - name: idp-advanced\n    version: 3.2.1\n    repository: oci://registry.example.com/charts\n";

    #[test]
    fn idp_advanced_workloads_give_roles() {
        let config = Config::default();
        let (role, workload) = workload_role(
            "apps-koa/apps/koa-dev/access-service/Chart.yaml",
            CHART,
            &config,
        )
        .unwrap()
        .unwrap();
        assert_eq!(role, "access-service-koa-dev");
        assert_eq!(workload.namespace, "koa-dev");
        assert!(
            workload_role(
                "apps-koa/apps/koa-dev/web/Chart.yaml",
                "apiVersion: v2\nname: web\ndependencies:\n  - name: nginx\n",
                &config
            )
            .unwrap()
            .is_none()
        );
        assert!(
            workload_role(
                "apps-koa/apps/koa-dev/web/Chart.yaml",
                "a:\n\tb: 1\n",
                &config
            )
            .is_err()
        );
    }

    #[test]
    fn config_roles_accept_globs() {
        let config =
            Config::parse("[roles]\nknown = [\"legacy-*\", \"batch-koa-dev\"]\n", "t").unwrap();
        let roles = KnownRoles::new(&config, []);
        assert!(roles.has_sources());
        assert_eq!(roles.lookup("legacy-importer"), Some(Origin::Config));
        assert_eq!(roles.lookup("other"), None);
        assert_eq!(roles.names().collect::<Vec<_>>(), ["batch-koa-dev"]);
        assert!(!KnownRoles::new(&Config::default(), []).has_sources());
    }
}
