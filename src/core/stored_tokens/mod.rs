//! Named tokens: the `stored_tokens` file that `hf auth login` keeps beside
//! the token file, read and written as huggingface_hub 2.x does, so that
//! `hubguard login` / `auth switch` / `auth list` / `logout` and `hf auth`
//! see the same tokens and the same active one.
//!
//! - Where: the token file's folder (`$HF_TOKEN_PATH`'s, else `$HF_HOME`),
//!   named `stored_tokens`; there is no variable of its own.
//! - Format: Python `configparser` INI without interpolation, one section per
//!   name, the token under `hf_token` (OAuth logins add `refresh_token` and
//!   `expires_at`, kept as they are). Written sorted by name, `key = value`,
//!   a blank line after each section, mode 0600 (the platform's secret write).
//! - A file configparser would refuse (a duplicate section or key, a line
//!   outside any section, a line without `=` or `:`) counts as empty, as in
//!   huggingface_hub, which then overwrites it on the next login.
//! - The active token is the token file's content; switching rewrites only
//!   that file.

use super::environment::Environment;
use super::error::{ErrorCode, HubError};
use super::token::{clean_token, token_file_path};

/// The stored tokens file for this environment.
pub fn stored_tokens_path(env: &impl Environment) -> Option<String> {
    let token_file = token_file_path(env)?;
    Some(match token_file.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/stored_tokens"),
        None => "stored_tokens".to_owned(),
    })
}

/// One named token and its fields (`hf_token` first of all).
#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    fields: Vec<(String, String)>,
}

impl Section {
    /// The token, cleaned as huggingface_hub cleans it (`None` if empty).
    pub fn token(&self) -> Option<String> {
        self.field("hf_token").map(clean_token).filter(|t| !t.is_empty())
    }

    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// `Debug` never shows a token or refresh token.
impl std::fmt::Debug for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.fields.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("keys", &keys)
            .finish()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredTokens {
    sections: Vec<Section>,
}

impl StoredTokens {
    /// The file's sections in file order; anything configparser would
    /// refuse makes it empty.
    pub fn parse(text: &str) -> StoredTokens {
        parse_ini(text).unwrap_or_default()
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    pub fn get(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Set `name` to `token`, replacing the whole section (stale OAuth
    /// fields go, as in `hf auth login`).
    pub fn save(&mut self, name: &str, token: &str) -> Result<(), HubError> {
        check_name(name)?;
        let section = Section {
            name: name.to_owned(),
            fields: vec![("hf_token".to_owned(), token.to_owned())],
        };
        match self.sections.iter_mut().find(|s| s.name == name) {
            Some(existing) => *existing = section,
            None => self.sections.push(section),
        }
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Option<Section> {
        let at = self.sections.iter().position(|s| s.name == name)?;
        Some(self.sections.remove(at))
    }

    /// The file's new text, as configparser writes it: sections sorted by
    /// name, `key = value`, a blank line after each.
    pub fn render(&self) -> String {
        let mut sorted: Vec<&Section> = self.sections.iter().collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = String::new();
        for section in sorted {
            out.push_str(&format!("[{}]\n", section.name));
            for (key, value) in &section.fields {
                out.push_str(&format!("{key} = {}\n", value.replace('\n', "\n\t")));
            }
            out.push('\n');
        }
        out
    }
}

/// Names configparser could not read back (a `]` would end the header
/// early, a line break would split it) or that it reserves.
fn check_name(name: &str) -> Result<(), HubError> {
    let bad = name.trim().is_empty() || name.contains(['\n', '\r', ']']) || name == "DEFAULT";
    if bad {
        return Err(HubError::new(
            ErrorCode::InvalidOption,
            "A token name must be non-empty, on one line, without `]`, and not DEFAULT.",
        ));
    }
    Ok(())
}

/// `tok****last`: how `hf auth list` shows a token (never the whole of it).
pub fn mask(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let head: String = chars.iter().take(3).collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("{head}****{tail}")
}

/// The name `hf auth login` stores a token under, from the Hub's
/// `whoami-v2` answer: the token's display name, else `oauth-{user}`.
pub fn name_from_whoami(whoami: &serde_json::Value) -> Result<String, HubError> {
    let display = whoami
        .pointer("/auth/accessToken/displayName")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    let name = match display {
        Some(name) => name.to_owned(),
        None => match whoami.get("name").and_then(|v| v.as_str()) {
            Some(user) => format!("oauth-{user}"),
            None => {
                return Err(HubError::new(
                    ErrorCode::HttpError,
                    "The Hub's answer about the token names no account.",
                ))
            }
        },
    };
    check_name(&name)?;
    Ok(name)
}

/// huggingface_hub refuses organization tokens at login.
pub fn refuse_org_token(token: &str) -> Result<(), HubError> {
    if token.starts_with("api_org") {
        return Err(HubError::new(
            ErrorCode::InvalidToken,
            "This is an organization token: log in with a personal access token (https://huggingface.co/settings/tokens).",
        ));
    }
    Ok(())
}

/// configparser's reading, for what a stored tokens file can hold.
fn parse_ini(text: &str) -> Option<StoredTokens> {
    let mut sections: Vec<Section> = Vec::new();
    // DEFAULT is configparser's own section: its keys are defaults for every
    // other section, and it is not a token.
    let mut defaults: Vec<(String, String)> = Vec::new();
    let mut in_default = false;
    let mut last_key: Option<(usize, usize)> = None; // (indent, field index) for continuations
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let stripped = line.trim();
        let indent = line.len() - line.trim_start().len();
        if stripped.is_empty() || stripped.starts_with('#') || stripped.starts_with(';') {
            continue;
        }
        if let Some((key_indent, index)) = last_key {
            if indent > key_indent {
                let fields = if in_default {
                    &mut defaults
                } else {
                    &mut sections.last_mut()?.fields
                };
                fields[index].1.push('\n');
                fields[index].1.push_str(stripped);
                continue;
            }
        }
        if let Some(header) = stripped.strip_prefix('[') {
            let end = header.rfind(']')?;
            let name = &header[..end];
            if name.is_empty() {
                return None;
            }
            last_key = None;
            in_default = name == "DEFAULT";
            if in_default {
                continue;
            }
            if sections.iter().any(|s| s.name == name) {
                return None;
            }
            sections.push(Section {
                name: name.to_owned(),
                fields: Vec::new(),
            });
            continue;
        }
        let at = stripped.find(['=', ':'])?;
        let key = stripped[..at].trim_end().to_lowercase();
        let value = stripped[at + 1..].trim().to_owned();
        let fields = if in_default {
            &mut defaults
        } else {
            &mut sections.last_mut()?.fields
        };
        if fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, value));
        last_key = Some((indent, fields.len() - 1));
    }
    for section in &mut sections {
        for (key, value) in &defaults {
            if section.field(key).is_none() {
                section.fields.push((key.clone(), value.clone()));
            }
        }
    }
    Some(StoredTokens { sections })
}

#[cfg(test)]
mod tests;
