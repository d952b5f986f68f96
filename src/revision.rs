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
    fixed: Vec<ComponentMatcher>,
    /// Whether a `**` follows the fixed components (anything deeper may match).
    globstar: bool,
}

/// One component's glob. The common shapes (`*`, `apps-*`, `*.yaml`, a plain name) are
/// compared as strings: a walk matches every folder of the repository against them, and
/// a glob's regular expression costs far more than a comparison.
#[derive(Debug)]
enum ComponentMatcher {
    Any,
    /// A plain name: such a child can be looked up without reading the folder.
    Exact(String),
    Prefix(String),
    Suffix(String),
    Glob(GlobMatcher),
}

impl ComponentMatcher {
    fn new(component: &str, glob: GlobMatcher) -> ComponentMatcher {
        let plain = |text: &str| literal_name(text).is_some() || text.is_empty();
        if component == "*" {
            ComponentMatcher::Any
        } else if let Some(name) = literal_name(component) {
            ComponentMatcher::Exact(name)
        } else if let Some(prefix) = component.strip_suffix('*')
            && plain(prefix)
        {
            ComponentMatcher::Prefix(prefix.to_string())
        } else if let Some(suffix) = component.strip_prefix('*')
            && plain(suffix)
        {
            ComponentMatcher::Suffix(suffix.to_string())
        } else {
            ComponentMatcher::Glob(glob)
        }
    }

    /// Whether a path component (never containing `/`) matches.
    fn matches(&self, component: &str) -> bool {
        match self {
            ComponentMatcher::Any => true,
            ComponentMatcher::Exact(name) => component == name,
            ComponentMatcher::Prefix(prefix) => component.starts_with(prefix.as_str()),
            ComponentMatcher::Suffix(suffix) => component.ends_with(suffix.as_str()),
            ComponentMatcher::Glob(glob) => glob.is_match(component),
        }
    }
}

/// Which children of a folder the filter may want.
#[derive(Debug, PartialEq)]
pub enum Children<'a> {
    /// Any: the folder must be read.
    Any,
    /// Only these names (sorted, no repeats): each can be looked up directly.
    Named(Vec<&'a str>),
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
                    Ok(glob) => compiled
                        .fixed
                        .push(ComponentMatcher::new(component, glob.compile_matcher())),
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
        let components = components(directory);
        self.patterns
            .iter()
            .any(|pattern| pattern.reaches(&components))
    }

    /// The children of a directory the filter may want: when every pattern reaching the
    /// directory names its next component literally (`apps`, `values.yaml`), only those
    /// names, so a walk looks them up instead of reading the folder.
    pub fn children(&self, directory: &str) -> Children<'_> {
        if self.walk_everything {
            return Children::Any;
        }
        let components = components(directory);
        let mut names = Vec::new();
        for pattern in &self.patterns {
            if !pattern.reaches(&components) {
                continue;
            }
            match pattern.fixed.get(components.len()) {
                Some(ComponentMatcher::Exact(name)) => names.push(name.as_str()),
                Some(_) => return Children::Any,
                None if pattern.globstar => return Children::Any,
                None => {}
            }
        }
        names.sort_unstable();
        names.dedup();
        Children::Named(names)
    }
}

fn components(directory: &str) -> Vec<&str> {
    if directory.is_empty() {
        Vec::new()
    } else {
        directory.split('/').collect()
    }
}

impl ComponentPattern {
    /// Whether the pattern can match below a directory given by its components.
    fn reaches(&self, components: &[&str]) -> bool {
        components
            .iter()
            .enumerate()
            .all(|(depth, component)| match self.fixed.get(depth) {
                Some(fixed) => fixed.matches(component),
                None => self.globstar,
            })
    }
}

/// A pattern component that matches exactly one name: no wildcard, class, group or
/// escape, and a name a folder can hold (not empty, `.` or `..`).
fn literal_name(component: &str) -> Option<String> {
    let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\');
    (!component.is_empty() && component != "." && component != ".." && !component.contains(special))
        .then(|| component.to_string())
}

/// The working tree of a directory.
pub struct WorkingTree {
    root: PathBuf,
    canonical_root: PathBuf,
    /// Folders the last listing reached through real folders only (no symbolic link on
    /// the way): a file in one of them needs no resolving of its whole path.
    plain_folders: std::sync::RwLock<std::collections::HashSet<String>>,
    /// Whether a name can be looked up instead of reading its folder: not where the
    /// file system ignores case, as it would find `Values.yaml` for `values.yaml`.
    lookups: bool,
}

impl WorkingTree {
    pub fn new(root: &Path) -> io::Result<WorkingTree> {
        Ok(WorkingTree {
            root: root.to_path_buf(),
            canonical_root: root.canonicalize()?,
            plain_folders: Default::default(),
            lookups: !cfg!(any(target_os = "macos", windows)) && !ignores_case(root),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl WorkingTree {
    /// What one folder holds that the filter may want. `None`: the folder cannot be
    /// read (a subfolder git would not see into either).
    fn visit(&self, directory: &str, filter: &PathFilter) -> io::Result<Option<Visit>> {
        let absolute = if directory.is_empty() {
            self.root.clone()
        } else {
            self.root.join(directory)
        };
        let child = |name: &str| {
            if directory.is_empty() {
                name.to_string()
            } else {
                format!("{directory}/{name}")
            }
        };
        let mut visit = Visit::default();
        let children = match filter.children(directory) {
            Children::Named(_) if !self.lookups => Children::Any,
            children => children,
        };
        match children {
            Children::Any => {
                let entries = match std::fs::read_dir(&absolute) {
                    Ok(entries) => entries,
                    Err(error) if directory.is_empty() => return Err(error),
                    Err(_) => return Ok(None),
                };
                for entry in entries {
                    let entry = entry?;
                    let path = child(&entry.file_name().to_string_lossy());
                    visit.add(path, entry.file_type()?, &entry.path(), filter);
                }
            }
            Children::Named(names) => {
                for name in names {
                    let entry = absolute.join(name);
                    match std::fs::symlink_metadata(&entry) {
                        Ok(metadata) => {
                            visit.add(child(name), metadata.file_type(), &entry, filter);
                        }
                        // Missing, a file where a folder was expected, or a name no
                        // file can have (too long).
                        Err(error)
                            if matches!(
                                error.kind(),
                                io::ErrorKind::NotFound
                                    | io::ErrorKind::NotADirectory
                                    | io::ErrorKind::InvalidFilename
                            ) => {}
                        // There but not reachable (a folder without search permission):
                        // listed, so reading it says why a wanted file cannot be read.
                        Err(_) => visit.files.push(child(name)),
                    }
                }
            }
        }
        Ok(Some(visit))
    }
}

/// Whether the file system holding `root` ignores case (WSL's Windows drives, a folder
/// with ext4's casefold, FAT): a name of the root with its case changed leads to the same
/// file.
fn ignores_case(root: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(entries) = std::fs::read_dir(root) else {
            return false;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let flipped: String = name
                .chars()
                .map(|c| match c {
                    'a'..='z' => c.to_ascii_uppercase(),
                    'A'..='Z' => c.to_ascii_lowercase(),
                    c => c,
                })
                .collect();
            if flipped == name {
                continue;
            }
            let same = |a: &std::fs::Metadata, b: &std::fs::Metadata| {
                a.dev() == b.dev() && a.ino() == b.ino()
            };
            return match (
                std::fs::symlink_metadata(entry.path()),
                std::fs::symlink_metadata(root.join(&flipped)),
            ) {
                (Ok(original), Ok(other)) => same(&original, &other),
                _ => false,
            };
        }
        false
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        true
    }
}

/// A regular file's bytes, unless its size (as listed) is over the limit.
fn read_file(path: &Path, size: u64, max_size: u64) -> io::Result<Content> {
    if size > max_size {
        return Ok(Content::TooLarge(size));
    }
    Ok(Content::Bytes(std::fs::read(path)?))
}

/// One folder's wanted content.
#[derive(Default)]
struct Visit {
    files: Vec<String>,
    folders: Vec<String>,
    /// Symbolic links to folders, with the folder's real path (`None`: cannot be
    /// resolved).
    linked: Vec<(String, Option<PathBuf>)>,
}

impl Visit {
    fn add(&mut self, path: String, kind: std::fs::FileType, absolute: &Path, filter: &PathFilter) {
        if kind.is_dir() {
            let is_git = path.rsplit('/').next() == Some(".git");
            if !is_git && filter.may_contain(&path) {
                self.folders.push(path);
            }
        } else if kind.is_symlink() && absolute.is_dir() {
            if filter.may_contain(&path) {
                self.linked.push((path, absolute.canonicalize().ok()));
            }
        } else {
            self.files.push(path);
        }
    }
}

impl Snapshot for WorkingTree {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let mut listing = Listing::default();
        // Folders reached through symbolic links, by real path: a link back up the tree
        // must not loop.
        let mut linked = std::collections::HashSet::from([self.canonical_root.clone()]);
        // Folder by folder, one depth at a time, the folders of a depth spread over the
        // cores: a monorepo has thousands of small folders and each costs system calls.
        // Each folder with whether it was reached through real folders only. Folders of
        // a depth go in path order, so which of two links to one folder is walked does
        // not depend on the order the file system lists them in.
        let mut depth = vec![(String::new(), true)];
        let mut plain_folders = std::collections::HashSet::new();
        while !depth.is_empty() {
            let visits =
                crate::parallel::map(&depth, |_, (directory, _)| self.visit(directory, filter));
            let mut deeper = Vec::new();
            let mut links = Vec::new();
            for ((directory, plain), visit) in depth.into_iter().zip(visits) {
                let Some(visit) = visit? else { continue };
                listing.files.extend(visit.files);
                deeper.extend(visit.folders.into_iter().map(|folder| (folder, plain)));
                links.extend(visit.linked);
                if plain {
                    plain_folders.insert(directory);
                }
            }
            links.sort();
            for (path, real) in links {
                match real {
                    // A linked folder is walked when it stays inside the repository.
                    Some(real) if real.starts_with(&self.canonical_root) => {
                        if linked.insert(real) {
                            deeper.push((path, false));
                        }
                    }
                    _ => listing.links_out.push(path),
                }
            }
            deeper.sort();
            depth = deeper;
        }
        *self
            .plain_folders
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = plain_folders;
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
        // In a folder the listing reached without links, only the file itself can be a
        // link: a plain file is read at once (most files, and a few system calls instead
        // of one per component of the path).
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        let plain_folder = self
            .plain_folders
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(folder);
        if plain_folder
            && let Ok(metadata) = std::fs::symlink_metadata(&absolute)
            && metadata.is_file()
        {
            return read_file(&absolute, metadata.len(), max_size);
        }
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
        read_file(&resolved, size, max_size)
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
    fn literal_components_are_looked_up_not_read() {
        let filter = PathFilter::new([
            "apps-*/apps/*/dynamo-tables/values.yaml",
            "apps-*/apps/*/dynamo-tables/values.yml",
            "apps-*/apps/*/*/Chart.yaml",
            "helm/helm-idp-dynamodb/values.schema.json",
        ]);
        let named = |names: &[&'static str]| Children::Named(names.to_vec());
        assert_eq!(filter.children(""), Children::Any);
        assert_eq!(filter.children("apps-koa"), named(&["apps"]));
        assert_eq!(filter.children("helm"), named(&["helm-idp-dynamodb"]));
        assert_eq!(filter.children("apps-koa/apps"), Children::Any);
        assert_eq!(filter.children("apps-koa/apps/koa-dev"), Children::Any);
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/dynamo-tables"),
            named(&["Chart.yaml", "values.yaml", "values.yml"])
        );
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/api"),
            named(&["Chart.yaml"])
        );
        // Past the end of every pattern: nothing is wanted.
        assert_eq!(
            filter.children("apps-koa/apps/koa-dev/api/deeper"),
            named(&[])
        );
        // Wildcards, classes, groups, escapes and `**` need the folder read.
        for pattern in ["a/b?", "a/[bc]", "a/{b,c}", "a/\\b", "a/**/b", "a/"] {
            assert_eq!(
                PathFilter::new([pattern]).children("a"),
                Children::Any,
                "{pattern}"
            );
        }
        // `.` and `..` are never looked up: they would leave the folder.
        assert_eq!(PathFilter::new(["a/../b"]).children("a"), Children::Any);
    }

    #[cfg(unix)]
    #[test]
    fn names_are_looked_up_only_where_case_matters() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("readme"), "x").unwrap();
        std::fs::write(root.path().join("README"), "x").unwrap();
        assert!(!ignores_case(root.path()));
        let tree = WorkingTree::new(root.path()).unwrap();
        assert_eq!(tree.lookups, !cfg!(target_os = "macos"));
        // Where another case of a name is the same file, the file system ignores case
        // (a hard link stands in for such a file system here).
        let folding = tempfile::tempdir().unwrap();
        std::fs::write(folding.path().join("values.yaml"), "x").unwrap();
        std::fs::hard_link(
            folding.path().join("values.yaml"),
            folding.path().join("VALUES.YAML"),
        )
        .unwrap();
        assert!(ignores_case(folding.path()));
        assert!(!WorkingTree::new(folding.path()).unwrap().lookups);
    }

    #[test]
    fn component_shapes_match_as_their_globs_do() {
        let names = [
            "apps",
            "apps-koa",
            "apps-",
            "app",
            "values.yaml",
            "values.yml",
            ".yaml",
            "x.yaml.bak",
            ".hidden",
            "Chart.yaml",
            "a*b",
            "é-apps",
            "abc",
        ];
        for pattern in [
            "*",
            "apps-*",
            "*.yaml",
            "values.yaml",
            "values.*",
            "a?c",
            "[ab]*",
            "*apps*",
            ".*",
            "é-*",
        ] {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher();
            let matcher = ComponentMatcher::new(pattern, glob.clone());
            for name in names {
                assert_eq!(
                    matcher.matches(name),
                    glob.is_match(name),
                    "{pattern} on {name} ({matcher:?})"
                );
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn looking_up_names_lists_what_reading_folders_does() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let full = root.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, "x").unwrap();
        };
        write("apps-a/apps/a-dev/dynamo-tables/values.yaml");
        write("apps-a/apps/a-dev/dynamo-tables/notes.txt");
        write("apps-a/apps/a-dev/api/Chart.yaml");
        write("apps-a/apps/a-dev/api/templates/deployment.yaml");
        write("apps-a/apps/a-dev/dynamo-tables/values.yml/not-a-file");
        write("apps-a/charts/values.yaml");
        write("apps-b/apps");
        write(".git/apps/x/dynamo-tables/values.yaml");
        write("node_modules/apps/x/dynamo-tables/values.yaml");
        let link = |target: &str, path: &str| {
            let full = root.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, full).unwrap();
        };
        link(
            "../../a-dev/dynamo-tables/values.yaml",
            "apps-a/apps/a-link/dynamo-tables/values.yaml",
        );
        link(
            "nowhere.yaml",
            "apps-a/apps/a-broken/dynamo-tables/values.yaml",
        );
        link("a-dev", "apps-a/apps/a-alias");
        link("../apps-a/apps", "apps-c/apps");
        link("/", "apps-a/apps/a-root/dynamo-tables");

        let tree = WorkingTree::new(root.path()).unwrap();
        let filter = PathFilter::new([
            "apps-*/apps/*/dynamo-tables/values.yaml",
            "apps-*/apps/*/dynamo-tables/values.yml",
            "apps-*/apps/*/*/Chart.yaml",
        ]);
        let listing = tree.list(&filter).unwrap();
        let wanted = |listing: &Listing| -> Vec<String> {
            listing
                .files
                .iter()
                .filter(|path| path.ends_with(".yaml") || path.ends_with(".yml"))
                .cloned()
                .collect()
        };
        // Reading every folder finds the same.
        let reading = WorkingTree {
            lookups: false,
            ..WorkingTree::new(root.path()).unwrap()
        };
        let read_listing = reading.list(&filter).unwrap();
        assert_eq!(wanted(&read_listing), wanted(&listing));
        assert_eq!(read_listing.links_out, listing.links_out);
        let wanted = wanted(&listing);
        assert_eq!(
            wanted,
            [
                // A folder reached by two links is walked through the first (by path).
                "apps-a/apps/a-alias/api/Chart.yaml",
                "apps-a/apps/a-alias/dynamo-tables/values.yaml",
                "apps-a/apps/a-broken/dynamo-tables/values.yaml",
                "apps-a/apps/a-dev/api/Chart.yaml",
                "apps-a/apps/a-dev/dynamo-tables/values.yaml",
                "apps-a/apps/a-link/dynamo-tables/values.yaml",
                "apps-c/apps/a-broken/dynamo-tables/values.yaml",
                "apps-c/apps/a-dev/api/Chart.yaml",
                "apps-c/apps/a-dev/dynamo-tables/values.yaml",
                "apps-c/apps/a-link/dynamo-tables/values.yaml",
            ]
        );
        assert_eq!(
            listing.links_out,
            [
                "apps-a/apps/a-root/dynamo-tables",
                "apps-c/apps/a-root/dynamo-tables"
            ]
        );

        // Reading: a plain file at once; links through the whole path, as before.
        let read = |path: &str| match tree.read(path, 1024).unwrap() {
            Content::Bytes(bytes) => String::from_utf8(bytes).unwrap(),
            other => format!("{other:?}"),
        };
        assert_eq!(read("apps-a/apps/a-dev/dynamo-tables/values.yaml"), "x");
        assert_eq!(read("apps-c/apps/a-dev/dynamo-tables/values.yaml"), "x");
        assert_eq!(read("apps-a/apps/a-alias/dynamo-tables/values.yaml"), "x");
        assert_eq!(read("apps-a/apps/a-link/dynamo-tables/values.yaml"), "x");
        assert_eq!(
            read("apps-a/apps/a-broken/dynamo-tables/values.yaml"),
            "BrokenLink(\"nowhere.yaml\")"
        );
        assert!(matches!(
            tree.read("apps-a/apps/a-dev/dynamo-tables/values.yaml", 0),
            Ok(Content::TooLarge(1))
        ));
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
