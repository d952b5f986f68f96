//! `dynalint argocd generate`: the Argo CD config-management plugin (sidecar) entry point.
//!
//! Argo runs it in the application's directory of a copy of the repository (possibly
//! without `.git`). It lints the application's values with the whole repository as
//! context and the namespace Argo deploys to; on a failure it exits non-zero with the
//! verdict on the first line of stderr (all Argo shows) and prints no manifest — an empty
//! stream would make a `prune: true` sync delete everything. Otherwise it runs the render
//! command and passes its output through untouched, failing when it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, anyhow};

use crate::cli::GenerateArgs;
use crate::config::{Config, FailOn};
use crate::exit::FINDINGS;
use crate::pipeline;
use crate::rule_meta::Severity;
use crate::snapshot::WorkingTree;
use crate::source::Scope;

pub const DEFAULT_RENDER: &str =
    r#"helm template "$ARGOCD_APP_NAME" . --namespace "$ARGOCD_APP_NAMESPACE""#;

/// What Argo CD tells the plugin through the environment.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub app_name: Option<String>,
    pub app_namespace: Option<String>,
    /// The application's path in the repository.
    pub source_path: Option<String>,
    /// The plugin parameter `render-command` (`PARAM_RENDER_COMMAND`).
    pub render_parameter: Option<String>,
    /// The Application's `plugin.env` `DYNALINT_RENDER_COMMAND`.
    pub render_env: Option<String>,
}

impl Environment {
    pub fn from_process() -> Environment {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        Environment {
            app_name: var("ARGOCD_APP_NAME"),
            app_namespace: var("ARGOCD_APP_NAMESPACE"),
            source_path: var("ARGOCD_APP_SOURCE_PATH"),
            render_parameter: var("PARAM_RENDER_COMMAND"),
            render_env: var("ARGOCD_ENV_DYNALINT_RENDER_COMMAND"),
        }
    }
}

/// The repository's root above the application directory `app`: where Argo's source path
/// starts, else the folder holding `apps-<team>/apps/`, else the git top level; `app`
/// itself when none applies.
pub fn repository_root(app: &Path, source_path: Option<&str>) -> PathBuf {
    if let Some(root) = source_path.and_then(|source| root_by_source_path(app, source)) {
        return root;
    }
    for ancestor in app.ancestors() {
        let is_apps = ancestor.file_name().is_some_and(|name| name == "apps");
        let team = ancestor
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|name| name.to_string_lossy().starts_with("apps-"));
        if is_apps
            && team
            && let Some(root) = ancestor.parent().and_then(Path::parent)
        {
            return root.to_path_buf();
        }
    }
    git2::Repository::discover(app)
        .ok()
        .and_then(|repository| repository.workdir().map(Path::to_path_buf))
        .and_then(|workdir| workdir.canonicalize().ok())
        .filter(|workdir| app.starts_with(workdir))
        .unwrap_or_else(|| app.to_path_buf())
}

/// The folder above `app` where Argo's source path starts, when `app` ends with it.
fn root_by_source_path(app: &Path, source: &str) -> Option<PathBuf> {
    let parts = |path: &Path| -> Vec<std::ffi::OsString> {
        path.components()
            .filter_map(|component| match component {
                std::path::Component::Normal(part) => Some(part.to_os_string()),
                _ => None,
            })
            .collect()
    };
    let source = parts(Path::new(source));
    let app_parts = parts(app);
    if source.is_empty() || !app_parts.ends_with(&source) {
        return None;
    }
    let mut root = app.to_path_buf();
    for _ in 0..source.len() {
        root.pop();
    }
    Some(root)
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<u8> {
    let environment = Environment::from_process();
    let app = std::env::current_dir()
        .and_then(|dir| dir.canonicalize())
        .context("cannot read the application directory")?;
    let root = repository_root(&app, environment.source_path.as_deref());
    let folder = app
        .strip_prefix(&root)
        .map(|relative| {
            relative
                .components()
                .map(|component| component.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();
    let mut config = match Config::discover(&root) {
        Some(path) => Config::load(&path)?,
        None => Config::default(),
    };
    if let Some(namespace) = &environment.app_namespace {
        config.deployed_namespace = Some((folder.clone(), namespace.clone()));
    }
    let scope = Scope::paths(vec![folder.clone()]);

    let tree = WorkingTree::new(&root)
        .with_context(|| format!("cannot read the repository at {}", root.display()))?;
    let run = pipeline::run(pipeline::Input {
        config: &config,
        head: &tree,
        base: None,
        scope: &scope,
        focus: false,
        new_only: false,
    });
    let no_values_file = || {
        // Argo CD sends only part of the repository when the Application has the
        // manifest-generate-paths annotation: the source path then does not end here.
        let partial = match &environment.source_path {
            Some(source) if root_by_source_path(&app, source).is_none() => format!(
                "; Argo CD sent only part of the repository (ARGOCD_APP_SOURCE_PATH={source} is not this folder's path): the plugin needs the whole repository, remove the `argocd.argoproj.io/manifest-generate-paths` annotation"
            ),
            _ => String::new(),
        };
        anyhow!(
            "no values file in {} matches the include globs ({}); is this a dynamo-tables application?{partial}",
            if folder.is_empty() { "." } else { &folder },
            config.include.join(", ")
        )
    };
    let run = match run {
        Ok(run) => run,
        Err(pipeline::Error::NothingToLint { .. }) => return Err(no_values_file()),
        Err(error) => return Err(error.into()),
    };
    if !run
        .head
        .values
        .files
        .iter()
        .any(|file| scope.contains(&file.path))
    {
        return Err(no_values_file());
    }
    let report = run.report;
    let fail_on = config.fail_on.unwrap_or(FailOn::Error);
    let failing: Vec<&crate::report::Reported> = report
        .findings
        .iter()
        .filter(|item| fail_on.fails(item.finding.severity))
        .collect();
    let line = |item: &crate::report::Reported| {
        let finding = &item.finding;
        let mut text = format!(
            "{}:{}:{}: {}[{} {}] {}",
            item.path,
            item.start.line,
            item.start.column,
            finding.severity,
            finding.rule.code,
            finding.rule.name,
            crate::report::printable(&finding.message)
        );
        if let Some(help) = &finding.help {
            text.push_str(&format!(" (help: {})", crate::report::printable(help)));
        }
        text
    };
    if !failing.is_empty() {
        // The first line is what Argo's UI shows: the verdict and the first reason.
        let errors = failing
            .iter()
            .filter(|item| item.finding.severity == Severity::Error)
            .count();
        let first = &failing[0];
        eprintln!(
            "dynalint: sync blocked by {}: {} {} at {}:{}: {}",
            crate::report::text::counts_line(&report.summary),
            first.finding.rule.code,
            first.finding.rule.name,
            first.path,
            first.start.line,
            crate::report::printable(&first.finding.message)
        );
        for item in &report.findings {
            eprintln!("{}", line(item));
        }
        if errors == 0 {
            eprintln!(
                "dynalint: failing on {} findings (fail-on in dynalint.toml)",
                format!("{fail_on:?}").to_lowercase()
            );
        }
        return Ok(FINDINGS);
    }
    // Warnings and notes do not stop the sync; stderr keeps them for the logs.
    for item in &report.findings {
        eprintln!("{}", line(item));
    }
    render(args, &environment, &app)
}

/// Runs the render command in the application directory; its standard output is ours,
/// byte for byte. Its exit status is ours.
fn render(args: &GenerateArgs, environment: &Environment, app: &Path) -> anyhow::Result<u8> {
    let command = args
        .render
        .clone()
        .or_else(|| environment.render_parameter.clone())
        .or_else(|| environment.render_env.clone())
        .unwrap_or_else(|| DEFAULT_RENDER.to_string());
    let status = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(app)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|error| anyhow!("cannot run the render command `{command}`: {error}"))?;
    match status.code() {
        Some(0) => Ok(0),
        Some(code) => {
            eprintln!("dynalint: the render command failed (exit {code}): {command}");
            Ok(u8::try_from(code).unwrap_or(1).max(1))
        }
        None => {
            eprintln!("dynalint: the render command was killed: {command}");
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_from_the_source_path_or_the_layout() {
        let app = Path::new("/tmp/repo/apps-koa/apps/koa-dev/dynamo-tables");
        assert_eq!(
            repository_root(app, Some("apps-koa/apps/koa-dev/dynamo-tables")),
            PathBuf::from("/tmp/repo")
        );
        assert_eq!(
            repository_root(app, Some("/apps-koa/apps/koa-dev/dynamo-tables/")),
            PathBuf::from("/tmp/repo")
        );
        // A source path that is not the tail: the layout decides.
        assert_eq!(
            repository_root(app, Some("elsewhere")),
            PathBuf::from("/tmp/repo")
        );
        assert_eq!(repository_root(app, None), PathBuf::from("/tmp/repo"));
        let plain = Path::new("/tmp/nothing-here-dynalint");
        assert_eq!(repository_root(plain, None), plain.to_path_buf());
    }
}
