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
