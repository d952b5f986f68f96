//! Reading the repository's workloads: which IAM role an `idp-advanced` workload's
//! `Chart.yaml` creates (`roles.template`, by default `<application>-<namespace>`).

use crate::config::Config;
use crate::roles::Workload;
use crate::yaml::{self, Node};

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
}
