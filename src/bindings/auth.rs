//! The login files for the CLI (`hubguard login`, `auth list`, `auth
//! switch`, `logout`): `hub::auth_files` through the Node store, so the CLI
//! holds no rule of its own about where tokens live or how they are kept.
//! Node build only. No token ever comes back out: `list` gives masked ones.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::context::{hub_context, CallParts};
use super::options::{read, to_value, Js};
use crate::core::error::{ErrorCode, HubError};
use crate::core::options::hub_api::WhoamiOptions;
use crate::core::token::{clean_token, TokenOption};
use crate::hub::auth_files::{env_variable, login, AuthFiles, Listed, LogoutOutcome};
use crate::hub::download::HubClient;
use crate::platform;

fn files() -> Result<AuthFiles<'static, platform::Store>, HubError> {
    let missing = || {
        HubError::new(
            ErrorCode::CacheIo,
            "No home folder was found: set HF_HOME or HF_TOKEN_PATH.",
        )
    };
    Ok(AuthFiles {
        store: &platform::Store,
        token_file: platform::token_file().ok_or_else(missing)?,
        stored_file: platform::stored_tokens_file().ok_or_else(missing)?,
    })
}

/// The environment variable that overrides the files now, if any.
fn overriding_variable() -> Option<&'static str> {
    env_variable(platform::implicit_token().ok().flatten().as_ref())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Paths {
    token_file: String,
    stored_tokens_file: String,
    environment_variable: Option<&'static str>,
}

fn paths(files: &AuthFiles<'_, platform::Store>) -> Paths {
    Paths {
        token_file: files.token_file.clone(),
        stored_tokens_file: files.stored_file.clone(),
        environment_variable: overriding_variable(),
    }
}

/// `authLogin({ token }, env)` → `{ user, orgs, tokenName, tokenFile,
/// storedTokensFile, environmentVariable }`.
#[wasm_bindgen(js_name = authLogin)]
pub async fn auth_login(options: JsValue, env: JsValue) -> Result<JsValue, HubError> {
    #[derive(Serialize)]
    struct Answer {
        #[serde(flatten)]
        who: crate::hub::auth_files::LoggedIn,
        #[serde(flatten)]
        paths: Paths,
    }
    let options: WhoamiOptions<Js> = read("login", &options)?;
    let token = match &options.token {
        Some(TokenOption::Value(v)) if !clean_token(v).is_empty() => clean_token(v),
        _ => return Err(HubError::new(ErrorCode::InvalidOption, "login: no token given.")),
    };
    let call = CallParts {
        token: options.token.clone(),
        signal: options.signal.as_ref(),
        ..CallParts::default()
    };
    let context = hub_context(call, &env)?;
    let client = HubClient {
        transport: &context.transport,
        credentials: &context.credentials,
        endpoint: context.endpoint.clone(),
        advice: platform::ADVICE,
    };
    let files = files()?;
    let who = login(&client, &files, &token).await?;
    to_value(&Answer {
        who,
        paths: paths(&files),
    })
}

/// `authList()` → `{ tokens: [{ name, masked, active }], tokenFile,
/// storedTokensFile, environmentVariable }`.
#[wasm_bindgen(js_name = authList)]
pub async fn auth_list() -> Result<JsValue, HubError> {
    #[derive(Serialize)]
    struct Answer {
        tokens: Vec<Listed>,
        #[serde(flatten)]
        paths: Paths,
    }
    let files = files()?;
    let current = platform::implicit_token()?;
    let tokens = files.list(current.as_ref()).await;
    to_value(&Answer {
        tokens,
        paths: paths(&files),
    })
}

/// `authSwitch(name)` → `{ tokenFile, storedTokensFile, environmentVariable }`.
#[wasm_bindgen(js_name = authSwitch)]
pub async fn auth_switch(name: String) -> Result<JsValue, HubError> {
    let files = files()?;
    files.switch(&name).await?;
    to_value(&paths(&files))
}

/// `authLogout(name?)` → `{ outcome: 'not-logged-in' | 'all' | 'named' |
/// 'unknown-name', wasActive, tokenFile, storedTokensFile, environmentVariable }`.
#[wasm_bindgen(js_name = authLogout)]
pub async fn auth_logout(name: Option<String>) -> Result<JsValue, HubError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        outcome: &'static str,
        was_active: bool,
        #[serde(flatten)]
        paths: Paths,
    }
    let files = files()?;
    let current = platform::implicit_token()?;
    let outcome = files.logout(name.as_deref(), current.as_ref()).await?;
    let (outcome, was_active) = match outcome {
        LogoutOutcome::NotLoggedIn => ("not-logged-in", false),
        LogoutOutcome::All => ("all", false),
        LogoutOutcome::Named { was_active } => ("named", was_active),
        LogoutOutcome::UnknownName => ("unknown-name", false),
    };
    to_value(&Answer {
        outcome,
        was_active,
        paths: paths(&files),
    })
}
