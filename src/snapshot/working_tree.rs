//! The working tree of a directory, walked one depth at a time.

use std::io;
use std::path::{Path, PathBuf};

use super::{Children, Content, Listing, PathFilter, Snapshot, is_repository_path};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
