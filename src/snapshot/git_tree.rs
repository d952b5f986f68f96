//! A commit's tree, read from git objects, and the commits a comparison names.

use std::io;
use std::path::Path;

use super::{Content, Listing, PathFilter, Snapshot};

/// The tree of a commit, read from git objects: no checkout, no temporary files.
pub struct GitTree {
    /// libgit2 handles are not shared between threads; reads take turns.
    repository: std::sync::Mutex<git2::Repository>,
    tree: git2::Oid,
    /// The blob of every plain file the last listing found, by path: reading one of
    /// them (or asking for its id) needs no walk down the trees.
    blobs: std::sync::RwLock<std::collections::HashMap<String, git2::Oid>>,
    /// More handles on the same repository, so listed blobs are read on every core.
    readers: std::sync::Mutex<Vec<git2::Repository>>,
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
            blobs: Default::default(),
            readers: Default::default(),
        })
    }

    /// A listed file's bytes, read with a handle of its own (opened on first need).
    fn read_blob(&self, blob: git2::Oid, max_size: u64) -> io::Result<Content> {
        let reader = self
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let reader = match reader {
            Some(reader) => reader,
            None => {
                let path = self.repository().path().to_path_buf();
                git2::Repository::open(path).map_err(git_error)?
            }
        };
        let content = blob_content(&reader, blob, max_size);
        self.readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(reader);
        content
    }

    fn listed_blob(&self, path: &str) -> Option<git2::Oid> {
        self.blobs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(path)
            .copied()
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

/// A blob's bytes, unless it is over the size limit (checked before inflating it).
fn blob_content(
    repository: &git2::Repository,
    blob: git2::Oid,
    max_size: u64,
) -> io::Result<Content> {
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

fn git_error(error: git2::Error) -> io::Error {
    io::Error::other(error.message().to_string())
}

impl Snapshot for GitTree {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let repository = self.repository();
        let root = repository.find_tree(self.tree).map_err(git_error)?;
        let mut listing = Listing::default();
        let mut walked = std::collections::HashSet::from([self.tree]);
        let mut blobs = std::collections::HashMap::new();
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
                    (Some(git2::ObjectType::Blob), _) => {
                        blobs.insert(path.clone(), entry.id());
                        listing.files.push(path);
                    }
                    // Submodules are other repositories.
                    _ => {}
                }
            }
        }
        *self
            .blobs
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = blobs;
        listing.files.sort();
        listing.links_out.sort();
        Ok(listing)
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        if let Some(blob) = self.listed_blob(path) {
            return self.read_blob(blob, max_size);
        }
        let repository = self.repository();
        let root = repository.find_tree(self.tree).map_err(git_error)?;
        match Self::resolve(&repository, &root, path).map_err(git_error)? {
            Resolved::Blob(blob) => blob_content(&repository, blob, max_size),
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
        if let Some(blob) = self.listed_blob(path) {
            return Some(blob);
        }
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
