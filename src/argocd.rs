//! `dynalint argocd generate`: the Argo CD config-management plugin (sidecar) entry point.
//!
//! Argo runs it in the application's directory of a copy of the repository (possibly
//! without `.git`). It lints the application's values with the whole repository as
//! context and the namespace Argo deploys to; on a failure it exits non-zero with the
//! verdict on the first line of stderr (all Argo shows) and prints no manifest — an empty
//! stream would make a `prune: true` sync delete everything. Otherwise it renders with
//! `helm template` from the Application's parameters (data, never a shell command), and
//! passes the output through untouched only when the render succeeded and holds the
//! tables the values declare.

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

/// What Argo CD tells the plugin through the environment.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub app_name: Option<String>,
    pub app_namespace: Option<String>,
    /// The application's path in the repository.
    pub source_path: Option<String>,
    /// The Application's plugin parameters (`ARGOCD_APP_PARAMETERS`, JSON), untrusted.
    pub parameters: Option<String>,
    /// Single parameters as Argo CD also passes them (`PARAM_<NAME>`, `PARAM_<NAME>_<i>`).
    pub param_vars: Vec<(String, String)>,
    /// The Application's `plugin.env` `DYNALINT_RENDER_COMMAND`, which is refused.
    pub render_env: Option<String>,
    /// `DYNALINT_RENDER_COMMAND` set on the sidecar container itself: trusted.
    pub sidecar_render: Option<String>,
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
            parameters: var("ARGOCD_APP_PARAMETERS"),
            param_vars: std::env::vars()
                .filter(|(name, _)| name.starts_with("PARAM_"))
                .collect(),
            render_env: var("ARGOCD_ENV_DYNALINT_RENDER_COMMAND"),
            sidecar_render: var("DYNALINT_RENDER_COMMAND"),
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
    let declares_tables = run
        .head
        .values
        .releases
        .iter()
        .filter(|release| scope.contains(&release.path))
        .any(|release| !release.tables.is_empty() || !release.invalid_tables.is_empty());
    let linted: Vec<PathBuf> = run
        .head
        .values
        .files
        .iter()
        .filter_map(|file| root.join(&file.path).canonicalize().ok())
        .collect();
    render(args, &environment, &app, &root, declares_tables, &linted)
}

/// The render the Application asks for, as data: `helm template RELEASE CHART
/// --namespace NS [--values FILE]... [--set KEY=VALUE]...`.
#[derive(Debug, PartialEq, Eq)]
pub struct HelmRender {
    pub release: String,
    pub chart: String,
    pub values: Vec<String>,
    pub set: Vec<(String, String)>,
}

impl HelmRender {
    /// From the Application's parameters, checked: every value is data for `helm`,
    /// never an option (`--post-renderer` runs a program) and never a path out of the
    /// repository.
    pub fn from_parameters(
        environment: &Environment,
        app: &Path,
        root: &Path,
        linted: &[PathBuf],
    ) -> anyhow::Result<HelmRender> {
        let parameters = Parameters::read(environment)?;
        if parameters.render_command || environment.render_env.is_some() {
            anyhow::bail!(
                "the Application sets a render command: the plugin runs no command taken from an Application (whoever may edit one would run commands in the sidecar); set `release-name`, `chart`, `values-files` and `set`, or fix a command in the sidecar's own configuration (`--render` in plugin.yaml, or DYNALINT_RENDER_COMMAND on the sidecar container)"
            );
        }
        // With Applications in any namespace Argo names them `<namespace>_<name>`,
        // which Helm rejects as a release name: the name then.
        let default_release = environment
            .app_name
            .as_deref()
            .map(|name| name.rsplit('_').next().unwrap_or(name).to_string());
        let release = parameters
            .release
            .or(default_release)
            .ok_or_else(|| anyhow!("no release name: set the `release-name` parameter"))?;
        let valid_release = !release.is_empty()
            && release.len() <= 53
            && release
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
            && !release.starts_with('-');
        if !valid_release {
            anyhow::bail!(
                "release-name `{release}`: Helm release names are lowercase letters, digits and `-`, at most 53"
            );
        }
        let chart = parameters.chart.unwrap_or_else(|| ".".to_string());
        inside(&chart, "chart", app, root)?;
        for file in &parameters.values {
            let resolved = inside(file, "values-files", app, root)?;
            // Rendered values are linted values: a file dynalint did not check would
            // reach AWS unreviewed.
            if !linted.contains(&resolved) {
                anyhow::bail!(
                    "values-files: `{file}` is not a values file dynalint checked; only those reach the render"
                );
            }
        }
        for (key, value) in &parameters.set {
            if key.is_empty() || key.starts_with('-') || key.contains(['=', ',']) {
                anyhow::bail!("set: `{key}` is not a chart value's key");
            }
            // What the lint read must be what renders: `--set` may not change it.
            let top = key.split(['.', '[']).next().unwrap_or_default();
            if top == "tables" || crate::model::DOCUMENTED_DEFAULTS.contains(&top) {
                anyhow::bail!(
                    "set: `{key}` would change values after dynalint checked them; write it in the values file"
                );
            }
            if value.contains(',') {
                anyhow::bail!(
                    "set: the value of `{key}` holds a comma, which `helm --set` would read as another key"
                );
            }
        }
        Ok(HelmRender {
            release,
            chart,
            values: parameters.values,
            set: parameters.set,
        })
    }

    /// `helm`'s arguments.
    pub fn args(&self, namespace: Option<&str>) -> Vec<String> {
        let mut args = vec![
            "template".to_string(),
            self.release.clone(),
            self.chart.clone(),
        ];
        if let Some(namespace) = namespace {
            args.extend(["--namespace".to_string(), namespace.to_string()]);
        }
        for file in &self.values {
            args.extend(["--values".to_string(), file.clone()]);
        }
        for (key, value) in &self.set {
            args.extend(["--set".to_string(), format!("{key}={value}")]);
        }
        args
    }
}

/// A path parameter: relative, not an option, and an existing file or folder inside the
/// repository once links are resolved (helm would read a URL, `repo/chart` or
/// `oci://...` from elsewhere).
fn inside(path: &str, parameter: &str, app: &Path, root: &Path) -> anyhow::Result<PathBuf> {
    let refused = || anyhow!("{parameter}: `{path}` is not a path inside the repository");
    if path.is_empty() || path.starts_with('-') || Path::new(path).is_absolute() {
        return Err(refused());
    }
    let resolved = app.join(path).canonicalize().map_err(|_| refused())?;
    let root = root.canonicalize().map_err(|_| refused())?;
    if !resolved.starts_with(&root) {
        return Err(refused());
    }
    Ok(resolved)
}

/// The Application's plugin parameters.
#[derive(Default)]
struct Parameters {
    release: Option<String>,
    chart: Option<String>,
    values: Vec<String>,
    set: Vec<(String, String)>,
    /// A `render-command` parameter was given (refused).
    render_command: bool,
}

impl Parameters {
    fn read(environment: &Environment) -> anyhow::Result<Parameters> {
        let mut parameters = Parameters::default();
        if let Some(json) = &environment.parameters {
            let list: Vec<serde_json::Value> = serde_json::from_str(json)
                .map_err(|error| anyhow!("ARGOCD_APP_PARAMETERS is not a JSON list: {error}"))?;
            for parameter in list {
                let name = parameter["name"].as_str().unwrap_or_default();
                let string = parameter["string"].as_str().map(str::to_string);
                match name {
                    "release-name" => parameters.release = string,
                    "chart" => parameters.chart = string,
                    "values-files" => {
                        parameters.values = parameter["array"]
                            .as_array()
                            .map(|items| {
                                items
                                    .iter()
                                    .filter_map(|item| item.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default();
                    }
                    "set" => {
                        parameters.set = parameter["map"]
                            .as_object()
                            .map(|map| {
                                map.iter()
                                    .map(|(key, value)| {
                                        (
                                            key.clone(),
                                            value.as_str().unwrap_or_default().to_string(),
                                        )
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                    }
                    "render-command" => parameters.render_command = true,
                    _ => {}
                }
            }
            return Ok(parameters);
        }
        // Older Argo CD: one variable per parameter (maps lose their keys' case there).
        let mut values: Vec<(usize, String)> = Vec::new();
        for (name, value) in &environment.param_vars {
            match name.as_str() {
                "PARAM_RELEASE_NAME" => parameters.release = Some(value.clone()),
                "PARAM_CHART" => parameters.chart = Some(value.clone()),
                "PARAM_RENDER_COMMAND" => parameters.render_command = true,
                other => {
                    if let Some(index) = other
                        .strip_prefix("PARAM_VALUES_FILES_")
                        .and_then(|index| index.parse().ok())
                    {
                        values.push((index, value.clone()));
                    }
                }
            }
        }
        values.sort();
        parameters.values = values.into_iter().map(|(_, value)| value).collect();
        Ok(parameters)
    }
}

/// Renders the application: the sidecar's own command (`--render`, or
/// `DYNALINT_RENDER_COMMAND` on the sidecar) with `sh -c`, else `helm template` from the
/// Application's parameters. The output is held until the render succeeded and holds a
/// Table when the values declare tables; then it is ours, byte for byte.
fn render(
    args: &GenerateArgs,
    environment: &Environment,
    app: &Path,
    root: &Path,
    declares_tables: bool,
    linted: &[PathBuf],
) -> anyhow::Result<u8> {
    let sidecar = args
        .render
        .clone()
        .or_else(|| environment.sidecar_render.clone());
    let (mut command, described) = match &sidecar {
        Some(script) => {
            let mut command = Command::new("sh");
            command.arg("-c").arg(script);
            (command, script.clone())
        }
        None => {
            let helm = HelmRender::from_parameters(environment, app, root, linted)?;
            let helm_args = helm.args(environment.app_namespace.as_deref());
            let described = format!("helm {}", helm_args.join(" "));
            let mut command = Command::new("helm");
            command.args(helm_args);
            (command, described)
        }
    };
    let output = command
        .current_dir(app)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| anyhow!("cannot run the render `{described}`: {error}"))?;
    match output.status.code() {
        Some(0) => {}
        Some(code) => {
            eprintln!("dynalint: the render failed (exit {code}), nothing is synced: {described}");
            return Ok(u8::try_from(code).unwrap_or(1).max(1));
        }
        None => {
            eprintln!("dynalint: the render was killed, nothing is synced: {described}");
            return Ok(1);
        }
    }
    if declares_tables && !renders_a_table(&output.stdout) {
        anyhow::bail!(
            "the render holds no Table while the values declare tables: with `prune: true` Argo CD would delete every table of the release (is the chart an umbrella chart whose values sit under the subchart's key?): {described}"
        );
    }
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&output.stdout)
        .and_then(|()| stdout.flush())
        .context("cannot write the manifests")?;
    Ok(0)
}

/// Whether rendered manifests hold a document of kind `Table`.
fn renders_a_table(manifests: &[u8]) -> bool {
    String::from_utf8_lossy(manifests).lines().any(|line| {
        line.strip_prefix("kind:")
            .map(|kind| kind.trim().trim_matches(['"', '\'']))
            == Some("Table")
    })
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
