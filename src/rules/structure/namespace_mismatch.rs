//! DL006 namespace-mismatch: Argo CD deploys a values file to another namespace than
//! its path names.

use crate::finding::Finding;
use crate::rule_meta::{RuleMeta, Severity};
use crate::rules::{Check, Project, Rule};
use crate::source::Site;
use crate::span::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "DL006",
        name: "namespace-mismatch",
        severity: Severity::Error,
        summary: "the Argo CD application deploys the values to another namespace than the one in their path (`dynalint argocd generate`)",
        fix: None,
        docs: r#"
## What it catches
Under `dynalint argocd generate`, a values file whose Argo CD application deploys it to a
namespace (`ARGOCD_APP_NAMESPACE`) other than the one its path names
(`apps-<team>/apps/<namespace>/dynamo-tables/values.yaml`, or `[namespaces]` in
dynalint.toml).

## Why it matters
The chart derives every table's AWS name from the namespace it is installed in. The
repository, its reviews and `dynalint check` assume the namespace of the path; the sync
would create tables under other names — new, empty tables — and grant roles of another
namespace. The plugin lints with Argo's namespace, as the chart will render, and stops the
sync.

## Example
```yaml
# apps-koa/apps/koa-dev/dynamo-tables/values.yaml, synced by an Application whose
# destination namespace is koa-prod: tables would be created as koa-prod-<name>.
tables:
  - name: Orders
```

## How to fix
Point the Application's `destination.namespace` at the namespace of the path, or move the
values file to the folder of the namespace it is deployed to.
"#,
    },
    check: Check::Head(check),
};

/// The values files that Argo CD deploys (`ARGOCD_APP_NAMESPACE`, set in the
/// configuration by `dynalint argocd generate`) to another namespace than their path's.
fn check(project: &Project<'_>, findings: &mut Vec<Finding>) {
    for file in project.files {
        if let Some(named) = &file.path_namespace {
            findings.push(finding(
                Site::new(file.id, Span::at(0)),
                &file.namespace,
                named,
            ));
        }
    }
}

/// The finding at the start of the values file.
fn finding(site: Site, deployed: &str, path_namespace: &str) -> Finding {
    Finding::new(
        &RULE.meta,
        site,
        format!(
            "Argo CD deploys this release to namespace `{deployed}`, but its path names namespace `{path_namespace}`: its tables would be created as `{deployed}-…`, not the `{path_namespace}-…` tables the repository declares"
        ),
    )
    .help("set the Application's destination namespace to the one of the path, or move the values file to the folder of its namespace")
    .locus("namespace")
}
