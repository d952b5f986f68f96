//! The lines a pull request changes, as GitHub's diff of it shows them: the merge-base
//! of the base and the head against the head (GitHub's three-dot diff), with renames
//! detected and three lines of context. GitHub accepts review comments only on lines
//! inside those hunks, on the new side.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::GitError;

/// The new side of one file's diff.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileLines {
    /// The hunks' lines on the new side, 1-based and inclusive (context included).
    pub hunks: Vec<(usize, usize)>,
    /// The lines the change adds (a changed line is removed and added).
    pub added: BTreeSet<usize>,
}

/// Per repository path (`/` separators, from the git root), the new side of its diff.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangedLines {
    pub files: HashMap<String, FileLines>,
}

impl ChangedLines {
    /// Whether a review comment may cover lines `first..=last` of `path`: all of them in
    /// one hunk (GitHub refuses a range across hunks), and one at least added by the
    /// change (a suggestion on context lines alone is not this change's business).
    pub fn admits(&self, path: &str, first: usize, last: usize) -> bool {
        let Some(file) = self.files.get(path) else {
            return false;
        };
        first <= last
            && file
                .hunks
                .iter()
                .any(|&(start, end)| start <= first && last <= end)
            && file.added.range(first..=last).next().is_some()
    }
}

/// The lines `head` changes since its merge-base with `base`, in the repository at (or
/// above) `root`, keyed by path from the repository's top.
pub fn changed_lines(
    root: &Path,
    base: git2::Oid,
    head: git2::Oid,
) -> Result<ChangedLines, GitError> {
    let repository = git2::Repository::discover(root).map_err(|_| GitError::NoRepository {
        path: root.display().to_string(),
    })?;
    let other = |error: git2::Error| GitError::Other(error.message().to_string());
    let head_commit = repository.find_commit(head).map_err(|error| {
        if repository.is_shallow() {
            GitError::ShallowMissing {
                revision: head.to_string(),
            }
        } else {
            GitError::Unknown {
                revision: head.to_string(),
                message: error.message().to_string(),
            }
        }
    })?;
    let fork_point = repository.merge_base(base, head).map_err(|error| {
        match (error.code(), repository.is_shallow()) {
            (git2::ErrorCode::NotFound, true) => GitError::ShallowNoMergeBase {
                base: base.to_string(),
                head: head.to_string(),
            },
            (git2::ErrorCode::NotFound, false) => GitError::NoMergeBase {
                base: base.to_string(),
                head: head.to_string(),
            },
            _ => other(error),
        }
    })?;
    let old = repository
        .find_commit(fork_point)
        .and_then(|commit| commit.tree())
        .map_err(other)?;
    let new = head_commit.tree().map_err(other)?;
    let mut options = git2::DiffOptions::new();
    options.context_lines(3).interhunk_lines(0);
    let mut diff = repository
        .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut options))
        .map_err(other)?;
    // As GitHub shows a moved file: only what changed in it, not every line added.
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
        .map_err(other)?;
    let mut changed = ChangedLines::default();
    for index in 0..diff.deltas().len() {
        let Some(patch) = git2::Patch::from_diff(&diff, index).map_err(other)? else {
            continue;
        };
        if patch.delta().status() == git2::Delta::Deleted {
            continue;
        }
        let path = String::from_utf8_lossy(patch.delta().new_file().path_bytes().unwrap_or(&[]))
            .into_owned();
        let mut file = FileLines::default();
        for hunk_index in 0..patch.num_hunks() {
            let (hunk, lines) = patch.hunk(hunk_index).map_err(other)?;
            let (start, count) = (hunk.new_start() as usize, hunk.new_lines() as usize);
            if count > 0 {
                file.hunks.push((start, start + count - 1));
            }
            for line_index in 0..lines {
                let line = patch.line_in_hunk(hunk_index, line_index).map_err(other)?;
                if line.origin_value() == git2::DiffLineType::Addition
                    && let Some(number) = line.new_lineno()
                {
                    file.added.insert(number as usize);
                }
            }
        }
        changed.files.insert(path, file);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repository: &git2::Repository, files: &[(&str, &str)]) -> git2::Oid {
        let workdir = repository.workdir().unwrap();
        let mut index = repository.index().unwrap();
        index.clear().unwrap();
        for (path, text) in files {
            let full = workdir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
            index.add_path(Path::new(path)).unwrap();
        }
        let tree = repository.find_tree(index.write_tree().unwrap()).unwrap();
        let signature = git2::Signature::now("Test", "test@example.com").unwrap();
        let parent = repository
            .head()
            .ok()
            .and_then(|head| head.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repository
            .commit(Some("HEAD"), &signature, &signature, "c", &tree, &parents)
            .unwrap()
    }

    fn lines(count: usize, changed: &[usize]) -> String {
        (1..=count)
            .map(|line| {
                if changed.contains(&line) {
                    format!("line {line} changed\n")
                } else {
                    format!("line {line}\n")
                }
            })
            .collect()
    }

    #[test]
    fn hunks_have_three_lines_of_context_and_renames_only_their_changes() {
        let dir = tempfile::tempdir().unwrap();
        let repository = git2::Repository::init(dir.path()).unwrap();
        let base = commit(
            &repository,
            &[("a.yaml", &lines(30, &[])), ("old/b.yaml", &lines(20, &[]))],
        );
        let head = commit(
            &repository,
            &[
                ("a.yaml", &lines(30, &[10, 25])),
                ("new/b.yaml", &lines(20, &[2])),
                ("c.yaml", "new\nfile\n"),
            ],
        );
        let changed = changed_lines(dir.path(), base, head).unwrap();
        let a = &changed.files["a.yaml"];
        assert_eq!(a.hunks, [(7, 13), (22, 28)]);
        assert_eq!(a.added.iter().copied().collect::<Vec<_>>(), [10, 25]);
        // The moved file: its one change, not every line.
        assert_eq!(changed.files["new/b.yaml"].hunks, [(1, 5)]);
        assert!(!changed.files.contains_key("old/b.yaml"));
        assert_eq!(changed.files["c.yaml"].hunks, [(1, 2)]);

        assert!(changed.admits("a.yaml", 10, 10));
        assert!(changed.admits("a.yaml", 9, 11));
        // Context only, across hunks, outside them, another file.
        assert!(!changed.admits("a.yaml", 11, 13));
        assert!(!changed.admits("a.yaml", 10, 22));
        assert!(!changed.admits("a.yaml", 12, 14));
        assert!(!changed.admits("z.yaml", 1, 1));
    }
}
