//! The login files, as `hf auth` keeps them: the token file (the active
//! token) and `stored_tokens` (named tokens) beside it. `hubguard login`,
//! `auth list`, `auth switch` and `logout` do here what huggingface_hub's
//! `login`, `auth_list`, `auth_switch` and `logout` do, through the
//! filesystem seam, so either tool sees what the other wrote. Secrets are
//! written whole, mode 0600 in a 0700 folder (`FileStore::write_secret`).
//! Not done: git credential helpers (`--add-to-git-credential`).

use serde::Serialize;

use super::credentials::Credentials;
use super::download::HubClient;
use super::store::{read_small, FileStore, IoError, MAX_TOKEN_FILE_BYTES};
use super::transport::Transport;
use crate::core::error::{ErrorCode, HubError};
use crate::core::stored_tokens::{mask, name_from_whoami, refuse_org_token, StoredTokens};
use crate::core::token::{clean_token, Token, TokenSource};

pub struct AuthFiles<'a, S> {
    pub store: &'a S,
    pub token_file: String,
    pub stored_file: String,
}

/// One row of `auth list`: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub name: String,
    pub masked: String,
    /// Its token is the one requests send now.
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// No token anywhere: nothing done.
    NotLoggedIn,
    /// The token file and `stored_tokens` removed.
    All,
    /// That name's section removed (and the token file, if it held it).
    Named { was_active: bool },
    /// No such name: nothing done.
    UnknownName,
}

impl<S: FileStore> AuthFiles<'_, S> {
    /// The named tokens; a missing or unreadable file is none (configparser
    /// skips files it cannot open).
    pub async fn stored(&self) -> StoredTokens {
        match read_small(self.store, &self.stored_file, MAX_TOKEN_FILE_BYTES).await {
            Some(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => StoredTokens::parse(text),
                Err(_) => StoredTokens::default(),
            },
            None => StoredTokens::default(),
        }
    }

    /// The token file's token, cleaned.
    async fn file_token(&self) -> Option<String> {
        let bytes = read_small(self.store, &self.token_file, MAX_TOKEN_FILE_BYTES).await?;
        Some(clean_token(&String::from_utf8_lossy(&bytes))).filter(|t| !t.is_empty())
    }

    /// Keep `token` under `name` and make it the active one (the token file).
    pub async fn login(&self, name: &str, token: &str) -> Result<(), HubError> {
        let mut stored = self.stored().await;
        stored.save(name, token)?;
        self.write(&self.stored_file, stored.render().as_bytes()).await?;
        self.write(&self.token_file, token.as_bytes()).await
    }

    /// Make the token stored under `name` the active one; `stored_tokens`
    /// is left as it is.
    pub async fn switch(&self, name: &str) -> Result<(), HubError> {
        let stored = self.stored().await;
        let Some(token) = stored.get(name).and_then(|s| s.token()) else {
            let names: Vec<&str> = stored.sections().iter().map(|s| s.name.as_str()).collect();
            return Err(HubError::new(
                ErrorCode::InvalidOption,
                format!(
                    "There is no stored token named {name:?} in {} (stored: {}). `hubguard login` stores one.",
                    self.stored_file,
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        };
        self.write(&self.token_file, token.as_bytes()).await
    }

    /// `current` is the token requests would send now (the environment's,
    /// else the token file's), to mark the active row.
    pub async fn list(&self, current: Option<&Token>) -> Vec<Listed> {
        self.stored()
            .await
            .sections()
            .iter()
            .map(|section| {
                let token = section.token();
                Listed {
                    name: section.name.clone(),
                    masked: token.as_deref().map_or_else(|| "<not set>".to_owned(), mask),
                    active: token.is_some() && token.as_deref() == current.map(Token::expose),
                }
            })
            .collect()
    }

    /// As `hf auth logout`: all tokens, or the one named.
    pub async fn logout(&self, name: Option<&str>, current: Option<&Token>) -> Result<LogoutOutcome, HubError> {
        let stored = self.stored().await;
        if current.is_none() && stored.sections().is_empty() {
            return Ok(LogoutOutcome::NotLoggedIn);
        }
        let Some(name) = name else {
            self.store.remove(&self.token_file).await;
            self.store.remove(&self.stored_file).await;
            return Ok(LogoutOutcome::All);
        };
        let mut stored = stored;
        let Some(section) = stored.remove(name) else {
            return Ok(LogoutOutcome::UnknownName);
        };
        self.write(&self.stored_file, stored.render().as_bytes()).await?;
        let was_active = section.token().is_some() && section.token() == self.file_token().await;
        if was_active {
            self.store.remove(&self.token_file).await;
        }
        Ok(LogoutOutcome::Named { was_active })
    }

    async fn write(&self, path: &str, bytes: &[u8]) -> Result<(), HubError> {
        self.store
            .write_secret(path, bytes)
            .await
            .map_err(|e| write_error(path, e))
    }
}

/// Who a new login is, and the name its token is stored under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    pub user: String,
    pub orgs: Vec<String>,
    pub token_name: String,
}

/// `hf auth login --token`: the Hub checks the token (`client` must send
/// exactly it), which is then stored under its display name and made active.
/// Nothing is written for a token the Hub refuses.
pub async fn login<T: Transport, C: Credentials, S: FileStore>(
    client: &HubClient<'_, T, C>,
    files: &AuthFiles<'_, S>,
    token: &str,
) -> Result<LoggedIn, HubError> {
    refuse_org_token(token)?;
    let text = client.whoami_text().await?;
    let whoami: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| HubError::new(ErrorCode::HttpError, "The Hub's answer about the token is not JSON."))?;
    let token_name = name_from_whoami(&whoami)?;
    files.login(&token_name, token).await?;
    let orgs = whoami
        .get("orgs")
        .and_then(|o| o.as_array())
        .map(|orgs| {
            orgs.iter()
                .filter_map(|o| o.get("name")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(LoggedIn {
        user: whoami
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_owned(),
        orgs,
        token_name,
    })
}

/// The environment variable a token came from, if it did: it overrides the
/// files, which `login`, `switch` and `logout` then say.
pub fn env_variable(token: Option<&Token>) -> Option<&'static str> {
    match token.map(Token::source) {
        Some(TokenSource::EnvVar(name)) => Some(name),
        _ => None,
    }
}

fn write_error(path: &str, error: IoError) -> HubError {
    HubError::new(
        ErrorCode::CacheIo,
        format!(
            "Could not write the token file {path} ({}). Check the folder's permissions, or set HF_TOKEN_PATH or HF_HOME.",
            error.detail
        ),
    )
}

#[cfg(test)]
mod tests;
