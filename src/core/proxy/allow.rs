//! The proxy's allowlist: exact repos, optionally pinned to revisions and
//! files. Empty means nothing is served.

use super::rejection::Rejection;
use super::target::ProxyTarget;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowRule {
    pub repo_type: RepoType,
    pub repo: RepoId,
    /// `None`: any revision.
    pub revisions: Option<Vec<Revision>>,
    /// `None`: any file.
    pub files: Option<Vec<RepoPath>>,
}

impl AllowRule {
    /// `"org/name"` or `"datasets/org/name"`, with optional pins.
    pub fn parse(repo: &str, revisions: Option<Vec<String>>, files: Option<Vec<String>>) -> Result<Self, HubError> {
        let (repo_type, id) = match repo.strip_prefix("datasets/") {
            Some(id) => (RepoType::Dataset, id),
            None => (RepoType::Model, repo.strip_prefix("models/").unwrap_or(repo)),
        };
        let revisions = revisions
            .map(|r| r.iter().map(|v| Revision::parse(v)).collect())
            .transpose()?;
        let files = files
            .map(|f| f.iter().map(|v| RepoPath::parse(v)).collect())
            .transpose()?;
        Ok(AllowRule {
            repo_type,
            repo: RepoId::parse(id)?,
            revisions,
            files,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowList(pub Vec<AllowRule>);

impl AllowList {
    pub fn new(rules: Vec<AllowRule>) -> Result<Self, HubError> {
        if rules.is_empty() {
            return Err(HubError::new(
                ErrorCode::InvalidOption,
                "createHubProxy: `allow` lists no repos, so the proxy would serve nothing. Name each repo the \
                 app may load, e.g. allow: ['meta-llama/Llama-2-7b-hf'].",
            ));
        }
        Ok(AllowList(rules))
    }

    pub fn check(&self, target: &ProxyTarget) -> Result<(), Rejection> {
        let rule = self
            .0
            .iter()
            .find(|r| r.repo_type == target.repo_type && r.repo == target.repo)
            .ok_or_else(|| Rejection::new(403, format!("{} is not on this proxy's allow list.", target.repo)))?;
        if rule
            .revisions
            .as_ref()
            .is_some_and(|revs| !revs.contains(&target.revision))
        {
            return Err(Rejection::new(
                403,
                format!("Revision {} of {} is not allowed.", target.revision, target.repo),
            ));
        }
        if rule.files.as_ref().is_some_and(|files| !files.contains(&target.path)) {
            return Err(Rejection::new(
                403,
                format!("File {} of {} is not allowed.", target.path, target.repo),
            ));
        }
        Ok(())
    }
}
