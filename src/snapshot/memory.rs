//! Files held in memory: the fuzz harness, the rule tests, an editor's unsaved buffers.

use std::collections::BTreeMap;
use std::io;

use super::{Content, Listing, PathFilter, Snapshot};

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
