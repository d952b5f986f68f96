//! A snapshot with some files replaced (or added) in memory: the fix loop's files as
//! fixed so far (`--fix`, `--diff`), the head as a migration would write it (checked
//! before anything is written), over the working tree or a commit.

use std::collections::{BTreeMap, HashMap};
use std::io;

use super::{Content, Listing, PathFilter, Snapshot};

pub struct Overlay<'a> {
    inner: &'a dyn Snapshot,
    files: BTreeMap<String, Vec<u8>>,
    /// Blob ids of files known not to have changed since they were last read.
    known: HashMap<String, git2::Oid>,
}

impl<'a> Overlay<'a> {
    pub fn new(inner: &'a dyn Snapshot) -> Overlay<'a> {
        Overlay {
            inner,
            files: BTreeMap::new(),
            known: HashMap::new(),
        }
    }

    /// `inner` with each `(path, bytes)` in place of its file, or added.
    pub fn with(
        inner: &'a dyn Snapshot,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Overlay<'a> {
        Overlay {
            files: files.into_iter().collect(),
            ..Overlay::new(inner)
        }
    }

    /// `path` now reads as `content`.
    pub fn set(&mut self, path: &str, content: Vec<u8>) {
        self.known.remove(path);
        self.files.insert(path.to_string(), content);
    }

    /// The blob ids of files as last read, for those not [`set`](Overlay::set) since:
    /// a reading of them can be reused.
    pub fn know(&mut self, ids: impl IntoIterator<Item = (String, git2::Oid)>) {
        self.known = ids.into_iter().collect();
    }

    /// The files replaced, with their new content.
    pub fn replaced(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(path, content)| (path.as_str(), content.as_slice()))
    }

    pub fn inner(&self) -> &'a dyn Snapshot {
        self.inner
    }
}

impl Snapshot for Overlay<'_> {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let mut listing = self.inner.list(filter)?;
        let added = self
            .files
            .keys()
            .filter(|path| !self.inner.exists(path))
            .cloned()
            .collect::<Vec<_>>();
        if !added.is_empty() {
            listing.files.extend(added);
            listing.files.sort();
            listing.files.dedup();
        }
        Ok(listing)
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        match self.files.get(path) {
            Some(bytes) if bytes.len() as u64 > max_size => {
                Ok(Content::TooLarge(bytes.len() as u64))
            }
            Some(bytes) => Ok(Content::Bytes(bytes.clone())),
            None => self.inner.read(path, max_size),
        }
    }

    fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.inner.exists(path)
    }

    fn content_id(&self, path: &str) -> Option<git2::Oid> {
        if let Some(known) = self.known.get(path) {
            return Some(*known);
        }
        if self.files.contains_key(path) {
            None
        } else {
            self.inner.content_id(path)
        }
    }
}
