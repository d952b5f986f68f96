//! What `check` and `migrate` both set up from `--repo`, `--config` and `--base`: the
//! repository root, the configuration, and the base revision's tree with its own
//! configuration.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{repository_root, short};
use crate::config::Config;
use crate::pipeline;
use crate::revision::revision_config;
use crate::snapshot::{self, Commits, GitTree};

/// The repository and its configuration.
pub(super) struct Setup {
    pub cwd: PathBuf,
    pub root: PathBuf,
    /// The configuration file read, if any.
    pub config_path: Option<PathBuf>,
    pub config: Config,
}

/// The repository root (`--repo`, else the git top level of the current directory) and
/// the configuration (`--config`, else the one found at the root, else the defaults).
pub(super) fn setup(repo: Option<&Path>, config: Option<&Path>) -> anyhow::Result<Setup> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = match repo {
        Some(repo) => {
            let root = cwd.join(repo);
            if !root.is_dir() {
                bail!("--repo {}: not a directory", repo.display());
            }
            root
        }
        None => repository_root(&cwd),
    };
    let config_path = match config {
        Some(path) => Some(cwd.join(path)),
        None => Config::discover(&root),
    };
    let config = match &config_path {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    Ok(Setup {
        cwd,
        root,
        config_path,
        config,
    })
}

/// The base revision's tree, the configuration it was checked with (`None`: the head's)
/// and its label; what is worth saying about it goes to `warnings`.
pub(super) fn base_side(
    root: &Path,
    config_path: Option<&Path>,
    explicit_config: bool,
    commits: &Commits,
    warnings: &mut Vec<String>,
) -> anyhow::Result<(GitTree, Option<Config>, String)> {
    if commits.head == Some(commits.base) {
        warnings.push(format!(
            "the base and the head are the same commit ({}): there is no change to review (on `pull_request_target`, check out the pull request's head)",
            short(commits.base)
        ));
    }
    let tree = GitTree::new(root, commits.base).context("cannot read the base revision")?;
    // The commit under review: the one named, else the checked-out one.
    let head_commit = commits
        .head
        .or_else(|| snapshot::resolve(root, "HEAD").ok())
        .and_then(|commit| GitTree::new(root, commit).ok());
    let (config, warning) = revision_config(
        root,
        config_path,
        explicit_config,
        &tree,
        head_commit.as_ref(),
    );
    warnings.extend(warning);
    Ok((tree, config, short(commits.base)))
}

/// A run of the pipeline, or the error it is for people: the base's warnings said first
/// (they explain a base that cannot be read), no values file said with where dynalint
/// looked.
pub(super) fn ran(
    run: Result<pipeline::Run, pipeline::Error>,
    root: &Path,
    base_warnings: &[String],
) -> anyhow::Result<pipeline::Run> {
    match run {
        Ok(run) => {
            for warning in base_warnings {
                eprintln!("dynalint: warning: {warning}");
            }
            Ok(run)
        }
        Err(pipeline::Error::NothingToLint { include }) => bail!(
            "no values file under {} matches the include globs ({}); check --repo, or `include` in dynalint.toml",
            root.display(),
            include.join(", ")
        ),
        Err(error) => {
            if matches!(error, pipeline::Error::Base { .. }) {
                for warning in base_warnings {
                    eprintln!("dynalint: warning: {warning}");
                }
            }
            Err(error.into())
        }
    }
}
