//! The commands: from parsed arguments to output and an exit status. This is the one
//! module that knows every other; errors here become exit 2 with a one-line reason.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, anyhow, bail};

use crate::cli::{CheckArgs, Cli, Color, Command, NewOnly, Output};
use crate::config::FailOn;
use crate::exit::{CLEAN, FINDINGS, USAGE_ERROR};
use crate::fix;
use crate::github;
use crate::pipeline;
use crate::report::{self, Format, Report};
use crate::rules;
use crate::schema;
use crate::snapshot::{self, Commits, GitTree, Snapshot, WorkingTree};
use crate::source::Scope;

mod fixing;
mod migrate;
mod publish;
mod sides;

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Migrate(args) => migrate::migrate(&args),
        Command::Rules => {
            print_stdout(&rules_table())?;
            Ok(CLEAN)
        }
        Command::Explain { rule } => {
            let meta = rules::find(&rule).ok_or_else(|| {
                let candidates = rules::all().flat_map(|rule| [rule.code, rule.name]);
                match crate::suggest::closest(&rule, candidates) {
                    Some(close) => anyhow!("unknown rule `{rule}`; did you mean `{close}`?"),
                    None => anyhow!("unknown rule `{rule}`; `dynalint rules` lists them"),
                }
            })?;
            print_stdout(&format!("{}\n", rules::explain(meta)))?;
            Ok(CLEAN)
        }
        Command::Server => {
            let shut_down = crate::server::run().context("dynalint server")?;
            Ok(if shut_down { CLEAN } else { FINDINGS })
        }
        Command::Schema => {
            print_stdout(schema::EMBEDDED)?;
            Ok(CLEAN)
        }
        Command::Argocd {
            command: crate::cli::ArgocdCommand::Generate(args),
        } => crate::argocd::generate(&args),
    }
}

fn rules_table() -> String {
    let name_width = rules::all().map(|rule| rule.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in rules::all() {
        let fix = rule.fix.map_or("", |fix| fix.as_str());
        out.push_str(&format!(
            "{}  {:name_width$}  {:7}  {fix:6}  {}\n",
            rule.code, rule.name, rule.severity, rule.summary
        ));
    }
    out
}

/// Write to stdout; a closed pipe (`dynalint rules | head`) is not an error.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Whether this is a GitHub Actions run of the `pull_request` event for a fork's pull
/// request (whose jobs get no secrets and no OIDC token).
fn fork_pull_request() -> bool {
    let environment = github::event::Environment::from_process();
    environment.event_name.as_deref() == Some("pull_request")
        && github::event::pull_request(&environment)
            .ok()
            .flatten()
            .is_some_and(|pull_request| pull_request.from_fork)
}

/// The AWS account `--aws` reads, through the SDK.
fn connect_account() -> Result<Box<dyn crate::account::Account>, crate::account::AccountError> {
    #[cfg(feature = "aws")]
    {
        let options = crate::account::sdk::Options::default();
        Ok(Box::new(crate::account::sdk::SdkAccount::connect(options)?))
    }
    #[cfg(not(feature = "aws"))]
    {
        Err(crate::account::AccountError::NotBuilt)
    }
}

fn check(args: CheckArgs) -> anyhow::Result<u8> {
    if args.unsafe_fixes && !(args.fix || args.diff) {
        bail!("--unsafe-fixes goes with --fix or --diff");
    }
    let sides::Setup {
        cwd,
        root,
        config_path,
        config,
    } = sides::setup(args.repo.as_deref(), args.config.as_deref())?;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Error);
    let outputs = outputs(&args.formats)?;

    // In GitHub Actions the event's change is the default: a pull request's base, a
    // merge group's, a push's `before`; and the commit under review when it is not the
    // one checked out.
    let (base, head_ref) = match &args.base {
        Some(base) => (Some(base.clone()), args.head.clone()),
        None => match github::event::change(&github::event::Environment::from_process())? {
            Some(change) => event_revisions(&root, &change, args.head.as_deref())?,
            None => (None, args.head.clone()),
        },
    };
    // With a base, a PATH may be a file the change deletes.
    let (scope, named) = scope(&args.paths, &cwd, &root, base.is_some())?;
    let new_only = match (args.new_only, &base) {
        (Some(NewOnly::Always), None) => {
            bail!("--new-only compares with a base revision: give --base REV")
        }
        (Some(_), Some(_)) => true,
        (_, None) | (None, _) => false,
    };
    let commits = match &base {
        Some(base) => Some(snapshot::commits(&root, base, head_ref.as_deref())?),
        None => None,
    };
    let head_tree: Box<dyn Snapshot> = match &head_ref {
        Some(head) => {
            let commit = match &commits {
                Some(commits) => commits.head.expect("resolved with --head"),
                None => snapshot::resolve(&root, head)?,
            };
            Box::new(GitTree::new(&root, commit).context("cannot read the head revision")?)
        }
        None => Box::new(
            WorkingTree::new(&root)
                .with_context(|| format!("cannot read the repository at {}", root.display()))?,
        ),
    };

    // Said once the head is read, as the base is read after it.
    let mut base_warnings = Vec::new();
    let base_tree = match &commits {
        Some(commits) => Some(sides::base_side(
            &root,
            config_path.as_deref(),
            args.config.is_some(),
            commits,
            &mut base_warnings,
        )?),
        None => None,
    };
    let input = pipeline::Input {
        config: &config,
        head: head_tree.as_ref(),
        base: base_tree
            .as_ref()
            .map(|(tree, config, label)| pipeline::Base {
                snapshot: tree,
                config: config.as_ref(),
                label: label.clone(),
            }),
        scope: &scope,
        focus: !args.paths.is_empty(),
        new_only,
    };
    let mut fixed = None;
    let run = if args.fix || args.diff {
        fix::run(input, args.unsafe_fixes).map(|outcome| {
            fixed = Some(outcome.fixed);
            outcome.run
        })
    } else if args.aws {
        match connect_account() {
            Ok(account) => pipeline::run_against(input, account.as_ref()),
            // A fork's pull request gets no secrets and no OIDC token: said, not failed.
            Err(crate::account::AccountError::Credentials(reason)) if fork_pull_request() => {
                let message = format!(
                    "--aws: no AWS credentials ({reason}): a pull request from a fork gets no secrets and no OIDC token, so the account is not checked"
                );
                eprintln!("dynalint: notice: {message}");
                eprintln!("::notice title=dynalint::{message}");
                pipeline::run(input)
            }
            Err(error) => Err(pipeline::Error::Account(error)),
        }
    } else {
        pipeline::run(input)
    };
    let run = sides::ran(run, &root, &base_warnings)?;
    // What `dynalint migrate` would write, for the comment (of the files as they are on
    // disk: not while fixing them).
    let migrations = match (&base_tree, &fixed) {
        (Some((tree, _, label)), None) => crate::migrate::propose(&crate::migrate::Request {
            run: &run,
            config: &config,
            head: head_tree.as_ref(),
            base: tree,
            base_label: label,
            tables: &[],
        }),
        _ => Vec::new(),
    };
    let pipeline::Run {
        report,
        sources,
        head,
        base,
        warnings,
        mut timings,
        account,
    } = run;
    for warning in &warnings {
        eprintln!("dynalint: warning: {warning}");
    }
    if let Some(facts) = &account {
        eprintln!("dynalint: aws: {}", facts.summary());
    }
    let fails = report
        .worst()
        .is_some_and(|severity| fail_on.fails(severity));
    if let Some(fixed) = &fixed
        && let Some(exit) =
            fixing::report(fixed, &report, &root, args.diff, args.unsafe_fixes, fails)?
    {
        std::mem::forget((report, head, base, sources));
        return Ok(exit);
    }
    let config_name = config_path
        .as_ref()
        .and_then(|path| path.file_name())
        .map_or_else(|| "dynalint.toml".into(), |name| name.to_string_lossy());
    for link in &head.links_out {
        eprintln!(
            "dynalint: warning: {link} is a symbolic link to a folder outside the repository; not followed"
        );
    }
    for entry in &report.outlived_ignores {
        github::warning(&format!(
            "{config_name}: `ignore` entry `{entry}` is from an earlier change (the base has it): it does not cover this change's change findings, which are reported"
        ));
    }
    for entry in &report.unused_ignores {
        eprintln!(
            "dynalint: warning: {config_name}: `ignore` entry `{entry}` matches no finding; remove it"
        );
    }
    // A PATH that reports nothing says so: a typo must not read as a clean result.
    for (path, is_file) in &named {
        let in_base = base
            .as_ref()
            .is_some_and(|base| base.values.file(path).is_some());
        if *is_file && head.values.file(path).is_none() && !in_base {
            eprintln!(
                "dynalint: note: {path} is not a values file dynalint checks (include: {}); nothing reported for it",
                config.include.join(", ")
            );
        }
        let folder = Scope::paths(vec![path.clone()]);
        let holds = |files: &[crate::model::ValuesFile]| {
            files.iter().any(|file| folder.contains(&file.path))
        };
        if !*is_file
            && !holds(&head.values.files)
            && !base.as_ref().is_some_and(|base| holds(&base.values.files))
        {
            eprintln!(
                "dynalint: note: {} holds no values file dynalint checks (include: {}); nothing reported for it",
                if path.is_empty() { "." } else { path },
                config.include.join(", ")
            );
        }
    }

    timings.stage("report");
    let failed = fails;
    let actions = github::Actions::from_process();
    let head_commit = match &commits {
        Some(Commits {
            head: Some(head), ..
        }) => Some(*head),
        _ => match &head_ref {
            Some(head) => snapshot::resolve(&root, head).ok(),
            None => snapshot::resolve(&root, "HEAD").ok(),
        },
    };
    let context = report::RenderContext {
        sources: &sources,
        color: use_color(args.color),
        fails: failed,
        repository_prefix: repository_prefix(&root),
        blob_url: head_commit.and_then(|commit| actions.blob_url(&commit.to_string())),
        base_blob_url: commits
            .as_ref()
            .and_then(|commits| actions.blob_url(&commits.base.to_string())),
        comment_key: args.comment_key.clone().unwrap_or_else(|| {
            // What tells matrix legs (or two calls of a reusable workflow) apart.
            let workspace = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from);
            let folder = workspace
                .and_then(|workspace| {
                    let workspace = workspace.canonicalize().ok()?;
                    let root = root.canonicalize().ok()?;
                    Some(root.strip_prefix(workspace).ok()?.to_path_buf())
                })
                .map(|folder| folder.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut legs: Vec<String> = Vec::new();
            if !folder.is_empty() {
                legs.push(folder);
            }
            if let Some(config) = &args.config {
                legs.push(format!("--config {}", config.display()));
            }
            legs.extend(args.paths.iter().map(|path| path.display().to_string()));
            actions.comment_key(&legs)
        }),
        migrations: &migrations,
    };
    // One output that cannot be written does not stop the others, nor the comment; the
    // run then ends with exit 2.
    let mut output_error = None;
    for output in &outputs {
        if let Err(error) = write_output(output, &report, &context) {
            eprintln!("dynalint: error: {error:#}");
            output_error.get_or_insert(error);
        }
    }
    // In Actions, the text and annotation outputs also leave a job summary.
    let mut summary_written = false;
    if actions.active
        && outputs
            .iter()
            .any(|output| matches!(output.format, Format::Text | Format::Github))
    {
        summary_written = publish::write_step_summary(&actions, &report, &context);
    }
    timings.stage("output");
    if args.comment {
        let written = publish::comment(&actions, &report, &context, summary_written)?;
        // A refused or unreachable comment: the review would fare no better.
        if args.suggest && written {
            publish::suggest(
                &root,
                commits.as_ref(),
                &actions,
                &report,
                &context,
                summary_written,
            )?;
        }
    }
    // The process ends here: freeing every table and source one by one would only
    // delay the exit (a tenth of a second on a large repository).
    std::mem::forget((report, head, base, sources));
    if output_error.is_some() {
        return Ok(USAGE_ERROR);
    }
    Ok(if failed { FINDINGS } else { CLEAN })
}

/// The path from the git repository's root to `root` (`--repo`), with a trailing `/`;
/// empty at the root or outside git.
fn repository_prefix(root: &Path) -> String {
    let Ok(repository) = git2::Repository::discover(root) else {
        return String::new();
    };
    let (Some(workdir), Ok(root)) = (repository.workdir(), root.canonicalize()) else {
        return String::new();
    };
    let Ok(workdir) = workdir.canonicalize() else {
        return String::new();
    };
    match root.strip_prefix(&workdir) {
        Ok(relative) if !relative.as_os_str().is_empty() => {
            let mut prefix = relative
                .components()
                .map(|component| component.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            prefix.push('/');
            prefix
        }
        _ => String::new(),
    }
}

/// A commit id as git abbreviates it.
fn short(commit: git2::Oid) -> String {
    commit.to_string()[..12].to_string()
}

/// The base and head an Actions event gives, against what is checked out:
/// - a push that creates a branch has no base: an error that says so (never a silent
///   run without the change rules);
/// - with the merge commit GitHub makes for a pull request checked out (its second
///   parent the pull request's head), the base is its first parent, the base tip GitHub
///   merged with (an older `base.sha` would blame the base branch's own commits on it);
/// - when the event's head is neither the checked-out commit nor one of its ancestors
///   (`pull_request_target` checks out the base branch), the head is read from git
///   objects (never checked out or run), or the run stops saying what to check out.
fn event_revisions(
    root: &Path,
    change: &github::event::Change,
    head: Option<&str>,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    if let Some(reason) = &change.no_base {
        bail!(
            "on `{}`: {reason}; give --base REV (for example origin/main) to review the change",
            change.event
        );
    }
    let (Some(event_head), None) = (&change.head, head) else {
        return Ok((change.base.clone(), head.map(str::to_string)));
    };
    let Ok(repository) = git2::Repository::discover(root) else {
        return Ok((change.base.clone(), None));
    };
    let Ok(checked_out) = repository.head().and_then(|head| head.peel_to_commit()) else {
        return Ok((change.base.clone(), None));
    };
    let Ok(event_head) = git2::Oid::from_str(event_head) else {
        return Ok((change.base.clone(), None));
    };
    let parents: Vec<git2::Oid> = checked_out.parent_ids().collect();
    if let [first, second] = parents.as_slice()
        && *second == event_head
    {
        return Ok((Some(first.to_string()), None));
    }
    let contains = checked_out.id() == event_head
        || repository
            .graph_descendant_of(checked_out.id(), event_head)
            .unwrap_or(false);
    if contains {
        return Ok((change.base.clone(), None));
    }
    if repository.find_commit(event_head).is_ok() {
        eprintln!(
            "dynalint: note: the checked-out commit {} is not the head of this `{}` ({}): reviewing {} from git objects, without checking it out",
            short(checked_out.id()),
            change.event,
            short(event_head),
            short(event_head)
        );
        return Ok((change.base.clone(), Some(event_head.to_string())));
    }
    bail!(
        "on `{}`: the checked-out commit {} is not the change under review ({}), and that commit is not in the repository: check it out (actions/checkout with `ref: ${{{{ github.event.pull_request.head.sha }}}}` on pull_request_target) or fetch it, so that dynalint can read it",
        change.event,
        short(checked_out.id()),
        short(event_head)
    )
}

/// The git top level of `cwd`, or `cwd` itself outside a git repository.
fn repository_root(cwd: &Path) -> PathBuf {
    git2::Repository::discover(cwd)
        .ok()
        .and_then(|repository| repository.workdir().map(|dir| dir.components().collect()))
        .unwrap_or_else(|| cwd.to_path_buf())
}

fn outputs(formats: &[Output]) -> anyhow::Result<Vec<Output>> {
    if formats.is_empty() {
        return Ok(vec![Output {
            format: Format::Text,
            file: None,
        }]);
    }
    let to_stdout = formats
        .iter()
        .filter(|output| output.file.is_none())
        .count();
    if to_stdout > 1 {
        bail!(
            "only one --format can write to standard output; send the others to files (`--format json=report.json`)"
        );
    }
    let mut files = HashSet::new();
    for file in formats.iter().filter_map(|output| output.file.as_ref()) {
        if !files.insert(normalize(file)) {
            bail!(
                "--format: {} is given twice; each output needs its own file",
                file.display()
            );
        }
    }
    Ok(formats.to_vec())
}

/// The reporting scope from PATH arguments, and each of them repository-relative, with
/// whether it is a file. With `may_be_deleted` (there is a base), a PATH that is not on
/// disk is taken as a file of the base that the change deletes (a CI step fed from
/// `git diff --name-only` names those too).
fn scope(
    paths: &[PathBuf],
    cwd: &Path,
    root: &Path,
    may_be_deleted: bool,
) -> anyhow::Result<(Scope, Vec<(String, bool)>)> {
    if paths.is_empty() {
        return Ok((Scope::everything(), Vec::new()));
    }
    let canonical_root = root
        .canonicalize()
        .with_context(|| format!("cannot read the repository at {}", root.display()))?;
    let mut scoped = Vec::new();
    let mut named = Vec::new();
    for path in paths {
        // Relative to the current directory, else (with --repo) to the repository.
        let found = [cwd, root]
            .iter()
            .map(|base| normalize(&base.join(path)))
            .find(|candidate| std::fs::symlink_metadata(candidate).is_ok());
        let outside = || {
            anyhow!(
                "{} is outside the repository {}",
                path.display(),
                root.display()
            )
        };
        let (relative, is_file) = match found {
            Some(absolute) => {
                // Resolve the folder, not the file itself: a symbolic link stays the link.
                let resolved = match (absolute.parent(), absolute.file_name()) {
                    (Some(parent), Some(name)) => parent
                        .canonicalize()
                        .map(|parent| parent.join(name))
                        .unwrap_or(absolute.clone()),
                    _ => absolute.canonicalize().unwrap_or(absolute.clone()),
                };
                let relative = resolved
                    .strip_prefix(&canonical_root)
                    .map_err(|_| outside())?
                    .to_path_buf();
                (relative, resolved.is_file())
            }
            None if may_be_deleted => {
                // Relative to the current directory when it is in the repository, else
                // to the repository, as for a PATH that exists.
                let canonical_cwd = cwd.canonicalize().unwrap_or(cwd.to_path_buf());
                let relative = [&canonical_cwd, &canonical_root]
                    .iter()
                    .find_map(|base| {
                        normalize(&base.join(path))
                            .strip_prefix(&canonical_root)
                            .ok()
                            .map(Path::to_path_buf)
                    })
                    .ok_or_else(outside)?;
                (relative, true)
            }
            None => bail!("{}: no such file or directory", path.display()),
        };
        let relative = relative
            .components()
            .map(|component| component.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        named.push((relative.clone(), is_file));
        scoped.push(relative);
    }
    // `values.yaml` and `values.yml` of one folder are one release: naming one (a file a
    // change renamed away, from `git diff --name-only`) reports the other too.
    let twins: Vec<String> = scoped
        .iter()
        .filter_map(|path| crate::model::release_twin(path))
        .collect();
    scoped.extend(twins);
    Ok((Scope::paths(scoped), named))
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// A flag beats the environment (no-color.org): `NO_COLOR` only decides under `auto`.
fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                && io::stdout().is_terminal()
        }
    }
}

fn write_output(
    output: &Output,
    report: &Report,
    context: &report::RenderContext<'_>,
) -> anyhow::Result<()> {
    let mut buffer = Vec::new();
    let file_context;
    // Colour only on standard output.
    let context = if output.file.is_some() && context.color {
        file_context = report::RenderContext {
            color: false,
            repository_prefix: context.repository_prefix.clone(),
            blob_url: context.blob_url.clone(),
            base_blob_url: context.base_blob_url.clone(),
            comment_key: context.comment_key.clone(),
            ..*context
        };
        &file_context
    } else {
        context
    };
    report::render(output.format, report, context, &mut buffer)?;
    match &output.file {
        Some(file) => std::fs::write(file, &buffer).with_context(|| {
            format!(
                "cannot write {} output to {}",
                output.format,
                file.display()
            )
        }),
        None => print_stdout(&String::from_utf8_lossy(&buffer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(
            normalize(Path::new("/r/a/./b/../c")),
            PathBuf::from("/r/a/c")
        );
    }

    #[test]
    fn rules_table_lists_every_rule_once() {
        let table = rules_table();
        assert_eq!(table.lines().count(), rules::all().count());
        assert!(table.contains("DL004  yaml-type-trap"));
    }
}
