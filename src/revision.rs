//! The files of one revision: the working tree, or (for tests and tools) files in
//! memory. Discovery and reading go through [`Snapshot`] so every side is read the same
//! way.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

/// What reading a file gave.
#[derive(Debug)]
pub enum Content {
    Bytes(Vec<u8>),
    /// Larger than the limit; not read.
    TooLarge(u64),
    /// A symbolic link whose target is outside the repository; not followed.
    LinkOutside(String),
    /// A symbolic link to something that does not exist or is not a file.
    BrokenLink(String),
}

/// What listing a revision found.
#[derive(Debug, Default)]
pub struct Listing {
    /// Repository-relative paths (`/` separators) of every file `filter` may want, sorted.
    pub files: Vec<String>,
    /// Symbolic links to folders outside the repository where wanted files could be:
    /// not followed, and worth saying so.
    pub links_out: Vec<String>,
}

pub trait Snapshot: Sync {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing>;

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content>;

    fn exists(&self, path: &str) -> bool;

    /// The git blob id of a file's content, when the snapshot knows it without reading
    /// the file (a commit does; the working tree does not).
    fn content_id(&self, _path: &str) -> Option<git2::Oid> {
        None
    }
}

/// Prunes directories that no wanted pattern can match below, so walking a large
/// monorepo visits only the folders that can hold values files, workloads or the chart.
#[derive(Debug)]
pub struct PathFilter {
    patterns: Vec<ComponentPattern>,
    /// A pattern could not be split by component: no pruning at all.
    walk_everything: bool,
}

#[derive(Debug)]
struct ComponentPattern {
    /// A matcher per path component, up to the first `**`.
    fixed: Vec<GlobMatcher>,
    /// Whether a `**` follows the fixed components (anything deeper may match).
    globstar: bool,
}

impl PathFilter {
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> PathFilter {
        let mut filter = PathFilter {
            patterns: Vec::new(),
            walk_everything: false,
        };
        for pattern in patterns {
            // A brace group spanning separators (`{a/b,c}`) cannot be split by component.
            let braces_cross_separators = pattern.split('{').skip(1).any(|group| {
                group
                    .split('}')
                    .next()
                    .is_some_and(|inner| inner.contains('/'))
            });
            if braces_cross_separators {
                filter.walk_everything = true;
                continue;
            }
            let mut compiled = ComponentPattern {
                fixed: Vec::new(),
                globstar: false,
            };
            for component in pattern.split('/') {
                if component.contains("**") {
                    compiled.globstar = true;
                    break;
                }
                match GlobBuilder::new(component).literal_separator(true).build() {
                    Ok(glob) => compiled.fixed.push(glob.compile_matcher()),
                    Err(_) => filter.walk_everything = true,
                }
            }
            filter.patterns.push(compiled);
        }
        filter
    }

    /// Whether a directory (repository-relative, `/`-separated) may contain wanted files.
    pub fn may_contain(&self, directory: &str) -> bool {
        if self.walk_everything || directory.is_empty() {
            return true;
        }
        let components: Vec<&str> = directory.split('/').collect();
        self.patterns.iter().any(|pattern| {
            components
                .iter()
                .enumerate()
                .all(|(depth, component)| match pattern.fixed.get(depth) {
                    Some(matcher) => matcher.is_match(component),
                    None => pattern.globstar,
                })
        })
    }
}

/// The working tree of a directory.
pub struct WorkingTree {
    root: PathBuf,
    canonical_root: PathBuf,
}

impl WorkingTree {
    pub fn new(root: &Path) -> io::Result<WorkingTree> {
        Ok(WorkingTree {
            root: root.to_path_buf(),
            canonical_root: root.canonicalize()?,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Snapshot for WorkingTree {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let mut listing = Listing::default();
        // Folders reached through symbolic links, by real path: a link back up the tree
        // must not loop.
        let mut linked = std::collections::HashSet::from([self.canonical_root.clone()]);
        let mut pending = vec![String::new()];
        while let Some(directory) = pending.pop() {
            let absolute = if directory.is_empty() {
                self.root.clone()
            } else {
                self.root.join(&directory)
            };
            let entries = match std::fs::read_dir(&absolute) {
                Ok(entries) => entries,
                // The root must be readable; a subfolder that is not is skipped, as git
                // would not see into it either.
                Err(error) if directory.is_empty() => return Err(error),
                Err(_) => continue,
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if directory.is_empty() {
                    name.clone()
                } else {
                    format!("{directory}/{name}")
                };
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    if name != ".git" && filter.may_contain(&path) {
                        pending.push(path);
                    }
                } else if kind.is_symlink() && entry.path().is_dir() {
                    // A linked folder is walked when it stays inside the repository.
                    if !filter.may_contain(&path) {
                        continue;
                    }
                    match entry.path().canonicalize() {
                        Ok(real) if real.starts_with(&self.canonical_root) => {
                            if linked.insert(real) {
                                pending.push(path);
                            }
                        }
                        _ => listing.links_out.push(path),
                    }
                } else {
                    listing.files.push(path);
                }
            }
        }
        listing.files.sort();
        listing.links_out.sort();
        Ok(listing)
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        if !is_repository_path(path) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{path}` is not a path inside the repository"),
            ));
        }
        let absolute = self.root.join(path);
        // Every link on the way counts, not only the file's own: resolve the whole path.
        let target = || {
            std::fs::read_link(&absolute)
                .map(|target| target.to_string_lossy().into_owned())
                .unwrap_or_else(|_| path.to_string())
        };
        let resolved = match absolute.canonicalize() {
            Ok(resolved) => resolved,
            Err(_) if std::fs::symlink_metadata(&absolute).is_ok() => {
                return Ok(Content::BrokenLink(target()));
            }
            Err(error) => return Err(error),
        };
        if !resolved.starts_with(&self.canonical_root) {
            return Ok(Content::LinkOutside(target()));
        }
        if !resolved.is_file() {
            return Ok(Content::BrokenLink(target()));
        }
        let size = std::fs::metadata(&resolved)?.len();
        if size > max_size {
            return Ok(Content::TooLarge(size));
        }
        Ok(Content::Bytes(std::fs::read(&resolved)?))
    }

    fn exists(&self, path: &str) -> bool {
        is_repository_path(path) && self.root.join(path).is_file()
    }
}

/// The tree of a commit, read from git objects: no checkout, no temporary files.
pub struct GitTree {
    /// libgit2 handles are not shared between threads; reads take turns.
    repository: std::sync::Mutex<git2::Repository>,
    tree: git2::Oid,
}

const LINK_MODE: i32 = 0o120000;

impl GitTree {
    /// The tree of `commit` in the repository at (or above) `root`, seen from `root`: when
    /// `root` is a folder of the repository, its subtree (a folder missing at that commit
    /// is an empty tree).
    pub fn new(root: &Path, commit: git2::Oid) -> Result<GitTree, git2::Error> {
        let repository = git2::Repository::discover(root)?;
        let mut tree = repository.find_commit(commit)?.tree_id();
        let folder = repository
            .workdir()
            .and_then(|workdir| {
                let workdir = workdir.canonicalize().ok()?;
                let root = root.canonicalize().ok()?;
                root.strip_prefix(&workdir).ok().map(Path::to_path_buf)
            })
            .filter(|folder| !folder.as_os_str().is_empty());
        if let Some(folder) = folder {
            let commit_tree = repository.find_tree(tree)?;
            tree = match commit_tree.get_path(&folder) {
                Ok(entry) => entry.id(),
                Err(error) if error.code() == git2::ErrorCode::NotFound => {
                    repository.treebuilder(None)?.write()?
                }
                Err(error) => return Err(error),
            };
        }
        Ok(GitTree {
            repository: std::sync::Mutex::new(repository),
            tree,
        })
    }

    fn repository(&self) -> std::sync::MutexGuard<'_, git2::Repository> {
        // A panic while holding the lock leaves nothing half-written: keep going.
        self.repository
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The entry at `path`, following symbolic links inside the tree at every component
    /// of the path, as the file system does for a checkout.
    fn resolve(
        repository: &git2::Repository,
        tree: &git2::Tree<'_>,
        path: &str,
    ) -> Result<Resolved, git2::Error> {
        // Components still to walk, and the trees walked so far (the root first).
        let mut remaining: std::collections::VecDeque<String> =
            path.split('/').map(str::to_string).collect();
        let mut trees = vec![tree.id()];
        let mut walked: Vec<String> = Vec::new();
        let mut hops = 0;
        let broken = |walked: &[String], rest: &std::collections::VecDeque<String>| {
            let mut parts: Vec<&str> = walked.iter().map(String::as_str).collect();
            parts.extend(rest.iter().map(String::as_str));
            Resolved::BrokenLink(parts.join("/"))
        };
        while let Some(part) = remaining.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    if walked.pop().is_none() {
                        return Ok(Resolved::Outside(path.to_string()));
                    }
                    trees.pop();
                    continue;
                }
                _ => {}
            }
            let current = repository.find_tree(*trees.last().unwrap_or(&tree.id()))?;
            let Some(entry) = current.get_name(&part) else {
                remaining.push_front(part);
                return Ok(if hops == 0 {
                    Resolved::Missing
                } else {
                    broken(&walked, &remaining)
                });
            };
            if entry.filemode() == LINK_MODE {
                hops += 1;
                let blob = repository.find_blob(entry.id())?;
                let target = String::from_utf8_lossy(blob.content()).into_owned();
                if hops > 40 || target.is_empty() {
                    remaining.push_front(part);
                    return Ok(broken(&walked, &remaining));
                }
                if target.starts_with('/') {
                    return Ok(Resolved::Outside(target));
                }
                // `..` above the root in the target is outside the repository.
                let ups = target.split('/').take_while(|part| *part == "..").count();
                if ups > walked.len() {
                    return Ok(Resolved::Outside(target));
                }
                for component in target.rsplit('/') {
                    remaining.push_front(component.to_string());
                }
                continue;
            }
            match entry.kind() {
                Some(git2::ObjectType::Tree) => {
                    if remaining.iter().all(|part| part.is_empty() || part == ".") {
                        return Ok(Resolved::Tree(entry.id()));
                    }
                    trees.push(entry.id());
                    walked.push(part);
                }
                Some(git2::ObjectType::Blob) if remaining.is_empty() => {
                    return Ok(Resolved::Blob(entry.id()));
                }
                _ => {
                    remaining.push_front(part);
                    return Ok(if hops == 0 {
                        Resolved::Missing
                    } else {
                        broken(&walked, &remaining)
                    });
                }
            }
        }
        Ok(Resolved::Tree(*trees.last().unwrap_or(&tree.id())))
    }
}

enum Resolved {
    Blob(git2::Oid),
    Tree(git2::Oid),
    Missing,
    BrokenLink(String),
    Outside(String),
}

fn git_error(error: git2::Error) -> io::Error {
    io::Error::other(error.message().to_string())
}

impl Snapshot for GitTree {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let repository = self.repository();
        let root = repository.find_tree(self.tree).map_err(git_error)?;
        let mut listing = Listing::default();
        let mut walked = std::collections::HashSet::from([self.tree]);
        let mut pending = vec![(self.tree, String::new())];
        while let Some((tree_id, directory)) = pending.pop() {
            let tree = repository.find_tree(tree_id).map_err(git_error)?;
            for entry in tree.iter() {
                let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                let path = if directory.is_empty() {
                    name
                } else {
                    format!("{directory}/{name}")
                };
                match (entry.kind(), entry.filemode()) {
                    (Some(git2::ObjectType::Tree), _) if filter.may_contain(&path) => {
                        pending.push((entry.id(), path));
                    }
                    (Some(git2::ObjectType::Tree), _) => {}
                    (Some(git2::ObjectType::Blob), LINK_MODE) => {
                        match Self::resolve(&repository, &root, &path).map_err(git_error)? {
                            Resolved::Tree(target) if filter.may_contain(&path) => {
                                if walked.insert(target) {
                                    pending.push((target, path));
                                }
                            }
                            Resolved::Tree(_) => {}
                            // Kept as a file: reading it reports the link (DL001) when it
                            // is a values file.
                            _ => listing.files.push(path),
                        }
                    }
                    (Some(git2::ObjectType::Blob), _) => listing.files.push(path),
                    // Submodules are other repositories.
                    _ => {}
                }
            }
        }
        listing.files.sort();
        listing.links_out.sort();
        Ok(listing)
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        let repository = self.repository();
        let root = repository.find_tree(self.tree).map_err(git_error)?;
        match Self::resolve(&repository, &root, path).map_err(git_error)? {
            Resolved::Blob(blob) => {
                let (size, _) = repository
                    .odb()
                    .and_then(|odb| odb.read_header(blob))
                    .map_err(git_error)?;
                if size as u64 > max_size {
                    return Ok(Content::TooLarge(size as u64));
                }
                let blob = repository.find_blob(blob).map_err(git_error)?;
                Ok(Content::Bytes(blob.content().to_vec()))
            }
            Resolved::Outside(target) => Ok(Content::LinkOutside(target)),
            Resolved::BrokenLink(target) => Ok(Content::BrokenLink(target)),
            Resolved::Tree(_) => Ok(Content::BrokenLink(path.to_string())),
            Resolved::Missing => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{path}: not in the revision"),
            )),
        }
    }

    fn exists(&self, path: &str) -> bool {
        let repository = self.repository();
        repository.find_tree(self.tree).is_ok_and(|root| {
            !matches!(
                Self::resolve(&repository, &root, path),
                Ok(Resolved::Missing) | Err(_)
            )
        })
    }

    fn content_id(&self, path: &str) -> Option<git2::Oid> {
        let repository = self.repository();
        let root = repository.find_tree(self.tree).ok()?;
        match Self::resolve(&repository, &root, path).ok()? {
            Resolved::Blob(blob) => Some(blob),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path} is not inside a git repository; --base and --head need one")]
    NoRepository { path: String },
    #[error(
        "HEAD has no commit yet (a new repository, or an orphan branch): there is nothing to compare with"
    )]
    NoCommit,
    #[error(
        "cannot find revision `{revision}` in this shallow clone: fetch more history (with actions/checkout, `fetch-depth: 0`)"
    )]
    ShallowMissing { revision: String },
    #[error("cannot find revision `{revision}`: {message}")]
    Unknown { revision: String, message: String },
    #[error(
        "`{base}` and `{head}` have no common history in this shallow clone: fetch more history (with actions/checkout, `fetch-depth: 0`)"
    )]
    ShallowNoMergeBase { base: String, head: String },
    #[error("`{base}` and `{head}` have no common history")]
    NoMergeBase { base: String, head: String },
    #[error("git: {0}")]
    Other(String),
}

/// The commits of a comparison: the merge-base of base and head (as GitHub's three-dot
/// pull-request diff), and head (none for the working tree).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commits {
    pub base: git2::Oid,
    pub head: Option<git2::Oid>,
}

fn open(root: &Path) -> Result<git2::Repository, GitError> {
    git2::Repository::discover(root).map_err(|_| GitError::NoRepository {
        path: root.display().to_string(),
    })
}

fn resolve_in(repository: &git2::Repository, revision: &str) -> Result<git2::Oid, GitError> {
    match repository
        .revparse_single(revision)
        .and_then(|object| object.peel_to_commit())
    {
        Ok(commit) => Ok(commit.id()),
        Err(_) if repository.is_shallow() => Err(GitError::ShallowMissing {
            revision: revision.to_string(),
        }),
        Err(error) => Err(GitError::Unknown {
            revision: revision.to_string(),
            message: error.message().to_string(),
        }),
    }
}

/// The commit a revision (`main`, `HEAD~2`, a sha) names.
pub fn resolve(root: &Path, revision: &str) -> Result<git2::Oid, GitError> {
    resolve_in(&open(root)?, revision)
}

/// Resolve `--base` (and `--head`, default the working tree on top of HEAD).
pub fn commits(root: &Path, base: &str, head: Option<&str>) -> Result<Commits, GitError> {
    let repository = open(root)?;
    let resolve = |revision: &str| resolve_in(&repository, revision);
    let head_commit = match head {
        Some(head) => resolve(head)?,
        None => repository
            .head()
            .and_then(|head| head.peel_to_commit())
            .map_err(|_| GitError::NoCommit)?
            .id(),
    };
    let base_commit = resolve(base)?;
    let head_label = head.unwrap_or("HEAD");
    let merge_base = repository
        .merge_base(base_commit, head_commit)
        .map_err(|error| match (error.code(), repository.is_shallow()) {
            (git2::ErrorCode::NotFound, true) => GitError::ShallowNoMergeBase {
                base: base.to_string(),
                head: head_label.to_string(),
            },
            (git2::ErrorCode::NotFound, false) => GitError::NoMergeBase {
                base: base.to_string(),
                head: head_label.to_string(),
            },
            _ => GitError::Other(error.message().to_string()),
        })?;
    Ok(Commits {
        base: merge_base,
        head: head.map(|_| head_commit),
    })
}

/// A relative path that stays inside the repository: no `..`, not absolute.
pub fn is_repository_path(path: &str) -> bool {
    let path = Path::new(path);
    !path.as_os_str().is_empty()
        && path.components().all(|component| {
            matches!(
                component,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// Files held in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        MemoryTree::default()
    }

    pub fn with(mut self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.to_string(), content.into());
        self
    }
}

impl Snapshot for MemoryTree {
    fn list(&self, _filter: &PathFilter) -> io::Result<Listing> {
        Ok(Listing {
            files: self.files.keys().cloned().collect(),
            links_out: Vec::new(),
        })
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        let bytes = self
            .files
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, path.to_string()))?;
        if bytes.len() as u64 > max_size {
            return Ok(Content::TooLarge(bytes.len() as u64));
        }
        Ok(Content::Bytes(bytes.clone()))
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_filter_prunes_folders_that_cannot_match() {
        let filter = PathFilter::new([
            "apps-*/apps/*/dynamo-tables/values.yaml",
            "helm/helm-idp-dynamodb/values.yaml",
        ]);
        assert!(filter.may_contain("apps-koa"));
        assert!(filter.may_contain("apps-koa/apps/koa-dev/dynamo-tables"));
        assert!(filter.may_contain("helm/helm-idp-dynamodb"));
        assert!(!filter.may_contain("node_modules"));
        assert!(!filter.may_contain("apps-koa/charts"));
        assert!(!filter.may_contain("apps-koa/apps/koa-dev/dynamo-tables/nested/deeper"));
        let deep = PathFilter::new(["teams/**/values.yaml"]);
        assert!(deep.may_contain("teams/a/b/c"));
        assert!(!deep.may_contain("other"));
        assert!(PathFilter::new(["{a/b,c}/values.yaml"]).may_contain("anything"));
    }

    #[test]
    fn repository_paths() {
        assert!(is_repository_path("helm/helm-idp-dynamodb/values.yaml"));
        assert!(is_repository_path("./values.yaml"));
        assert!(!is_repository_path("../secret.yaml"));
        assert!(!is_repository_path("helm/../../secret.yaml"));
        assert!(!is_repository_path("/tmp/secret.yaml"));
        assert!(!is_repository_path(""));
    }
}
