//! A snapshot whose listing is kept: the language server lists the repository once, and
//! again only when the client says files changed on disk.

use std::io;
use std::sync::Mutex;

use crate::snapshot::{Content, Listing, PathFilter, Snapshot};

pub struct Listed<S> {
    inner: S,
    listing: Mutex<Option<Listing>>,
}

impl<S: Snapshot> Listed<S> {
    pub fn new(inner: S) -> Listed<S> {
        Listed {
            inner,
            listing: Mutex::new(None),
        }
    }
}

impl<S: Snapshot> Snapshot for Listed<S> {
    /// The first listing, kept (the server makes a new `Listed` when the configuration,
    /// and so the filter, or the files change).
    fn list(&self, filter: &PathFilter) -> io::Result<Listing> {
        let mut kept = self
            .listing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(listing) = kept.as_ref() {
            return Ok(listing.clone());
        }
        let listing = self.inner.list(filter)?;
        *kept = Some(listing.clone());
        Ok(listing)
    }

    fn read(&self, path: &str, max_size: u64) -> io::Result<Content> {
        self.inner.read(path, max_size)
    }

    fn exists(&self, path: &str) -> bool {
        self.inner.exists(path)
    }

    fn content_id(&self, path: &str) -> Option<git2::Oid> {
        self.inner.content_id(path)
    }
}
