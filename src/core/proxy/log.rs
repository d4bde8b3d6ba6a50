//! The access log: one entry per request, for `onRequest` and the CLI's
//! log line. Built only from validated parts (repo, revision and file as
//! parsed, a status, counts), so it never holds a token, a signed URL or a
//! query string; the identity the app chose is scrubbed too.

use serde::Serialize;

use super::auth::shown_identity;
use super::target::ProxyTarget;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccessEntry {
    /// The identity `authorize` gave, else the client's address.
    pub identity: String,
    pub method: String,
    /// `null` when the request named no file the proxy could parse.
    pub repo: Option<String>,
    #[serde(rename = "repoType")]
    pub repo_type: Option<&'static str>,
    pub revision: Option<String>,
    pub file: Option<String>,
    pub status: u16,
    /// Body bytes sent to the client.
    pub bytes: u64,
    /// From the request's arrival to the end of its answer.
    pub ms: u64,
    /// `complete`, `aborted` (the client left), `timeout` or `failed`
    /// (upstream broke mid-body).
    pub outcome: &'static str,
    /// Why `authorize` failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How an answer's body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    Aborted,
    Timeout,
    Failed,
}

impl Outcome {
    pub fn parse(value: &str) -> Outcome {
        match value {
            "complete" => Outcome::Complete,
            "aborted" => Outcome::Aborted,
            "timeout" => Outcome::Timeout,
            _ => Outcome::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Aborted => "aborted",
            Outcome::Timeout => "timeout",
            Outcome::Failed => "failed",
        }
    }
}

impl AccessEntry {
    pub fn new(identity: &str, method: &str, target: Option<&ProxyTarget>, status: u16) -> AccessEntry {
        let method = if matches!(method, "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT" | "DELETE" | "PATCH") {
            method.to_owned()
        } else {
            "OTHER".to_owned()
        };
        AccessEntry {
            identity: shown_identity(identity),
            method,
            repo: target.map(|t| t.repo.as_str().to_owned()),
            repo_type: target.map(|t| t.repo_type.as_str()),
            revision: target.map(|t| t.revision.as_str().to_owned()),
            file: target.map(|t| t.path.as_str().to_owned()),
            status,
            bytes: 0,
            ms: 0,
            outcome: Outcome::Complete.as_str(),
            error: None,
        }
    }

    /// Closes the entry when the body has ended.
    pub fn finish(&mut self, bytes: u64, elapsed_ms: f64, outcome: Outcome) {
        self.bytes = bytes;
        self.ms = elapsed_ms.max(0.0).round() as u64;
        self.outcome = outcome.as_str();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::proxy::parse_target;

    #[test]
    fn entries_hold_parsed_parts_only() {
        let target = parse_target("/org/m/resolve/refs%2Fpr%2F3/onnx/model.onnx", "").unwrap();
        let mut entry = AccessEntry::new("hf_abcdefghijklmnopqrst user", "BREW", Some(&target), 200);
        entry.finish(1234, 15.6, Outcome::parse("aborted"));
        assert_eq!(entry.identity, "<redacted token> user");
        assert_eq!(entry.method, "OTHER");
        assert_eq!(entry.revision.as_deref(), Some("refs/pr/3"));
        assert_eq!(entry.file.as_deref(), Some("onnx/model.onnx"));
        assert_eq!((entry.bytes, entry.ms, entry.outcome), (1234, 16, "aborted"));
        let json = serde_json::to_string(&entry).unwrap();
        assert!(
            json.contains("\"repoType\":\"model\"") && !json.contains("error"),
            "{json}"
        );
    }
}
