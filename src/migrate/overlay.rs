//! A snapshot with some files replaced: the head as it reads once a migration is
//! written, to check it before anything is.

use std::collections::BTreeMap;
use std::io;

use crate::snapshot::{Content, Listing, PathFilter, Snapshot};

pub struct Overlay<'a> {
    inner: &'a dyn Snapshot,
    files: BTreeMap<String, Vec<u8>>,
}

impl<'a> Overlay<'a> {
    /// `inner` with each `(path, bytes)` in place of its file (or added).
    pub fn new(
        inner: &'a dyn Snapshot,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Self {
        Overlay {
            inner,
            files: files.into_iter().collect(),
        }
    }
}

impl Snapshot for Overlay<'_> {
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let mut listing = self.inner.list(filter)?;
        listing.files.extend(self.files.keys().cloned());
        listing.files.sort();
        listing.files.dedup();
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
        if self.files.contains_key(path) {
            None
        } else {
            self.inner.content_id(path)
        }
    }
}
