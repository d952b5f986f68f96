//! The files of one revision: the working tree, a commit's tree, or (for tests and
//! tools) files in memory. Discovery and reading go through [`Snapshot`] so every side is
//! read the same way.

mod changed_lines;
mod filter;
mod git_tree;
mod memory;
mod overlay;
mod working_tree;

use std::io;
use std::path::Path;

pub use changed_lines::{ChangedLines, FileLines, changed_lines};
pub use filter::{Children, PathFilter};
pub use git_tree::{Commits, GitError, GitTree, commits, resolve};
pub use memory::MemoryTree;
pub use overlay::Overlay;
pub use working_tree::WorkingTree;

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
#[derive(Debug, Default, Clone)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
