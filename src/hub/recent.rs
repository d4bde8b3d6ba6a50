//! What the Hub said about a file a moment ago, so one load costs one
//! revalidation per file. Transformers.js asks its cache about the same
//! file several times while loading it (before the download, after it, and
//! once more for the path); each answer within `TTL_MILLIS` of the Hub's
//! reuses it. A later load asks the Hub again, as tokenizer loads do.

use std::collections::HashMap;

use super::download::FileRef;
use super::metadata::FileMetadata;
use crate::core::endpoint::Endpoint;

/// Long enough to span one file's lookups, short enough that a new commit
/// is seen by the next load.
pub const TTL_MILLIS: f64 = 10_000.0;
/// Entries kept at most; the oldest go first.
const CAPACITY: usize = 512;

#[derive(Default)]
pub struct Recent {
    entries: HashMap<String, (FileMetadata, f64)>,
}

impl Recent {
    /// The file's key: which Hub, which repo, revision and path.
    pub fn key(endpoint: &Endpoint, file: &FileRef) -> String {
        format!(
            "{} {}:{}@{}/{}",
            endpoint.prefix_url(),
            file.repo_type.as_str(),
            file.repo,
            file.revision,
            file.path
        )
    }

    pub fn get(&self, key: &str, now: f64) -> Option<FileMetadata> {
        let (meta, at) = self.entries.get(key)?;
        (now >= *at && now - at < TTL_MILLIS).then(|| meta.clone())
    }

    pub fn put(&mut self, key: String, meta: FileMetadata, now: f64) {
        if self.entries.len() >= CAPACITY && !self.entries.contains_key(&key) {
            self.entries.retain(|_, (_, at)| now - *at < TTL_MILLIS && now >= *at);
            if self.entries.len() >= CAPACITY {
                let oldest = self
                    .entries
                    .iter()
                    .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(key, (meta, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(etag: &str) -> FileMetadata {
        FileMetadata {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            etag: etag.into(),
            size: Some(1),
        }
    }

    #[test]
    fn answers_are_reused_for_a_short_while_only() {
        let mut recent = Recent::default();
        recent.put("k".into(), meta("a"), 1_000.0);
        assert_eq!(recent.get("k", 1_000.0 + TTL_MILLIS - 1.0), Some(meta("a")));
        assert_eq!(recent.get("k", 1_000.0 + TTL_MILLIS), None);
        assert_eq!(recent.get("k", 999.0), None, "a clock that went back");
        assert_eq!(recent.get("other", 1_000.0), None);
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut recent = Recent::default();
        for i in 0..CAPACITY + 10 {
            recent.put(format!("k{i}"), meta("a"), 0.0);
        }
        assert!(recent.entries.len() <= CAPACITY);
        assert!(recent.get(&format!("k{}", CAPACITY + 9), 0.0).is_some());
    }
}
