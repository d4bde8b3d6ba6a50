//! `loadTokenizer(repoId, options, env)` and the `Tokenizer` it returns.

use std::cell::RefCell;
use std::collections::HashSet;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::options::{string_arg, Options};
use crate::core::classify::needs_credentials;
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::repo::{RepoId, RepoType, Revision};
use crate::core::tokenizer::LoadedTokenizer;
use crate::hub::cached::CachedHub;
use crate::hub::credentials::Anonymous;
use crate::hub::download::HubClient;
use crate::hub::progress::Progress;
use crate::hub::tokenizer_files::load_tokenizer;
use crate::platform::{self, FetchTransport};

const FROM_PRETRAINED: &str = "AutoTokenizer.from_pretrained";

/// Load a repo's tokenizer. `env` is the package's shared settings object
/// (`env.endpoint`); `options` the call's own (`revision`, `token`,
/// `progress_callback`).
#[wasm_bindgen(js_name = loadTokenizer)]
pub async fn load(repo_id: JsValue, options: JsValue, env: JsValue) -> Result<JsTokenizer, JsValue> {
    load_inner(&repo_id, &options, &env)
        .await
        .map(|inner| JsTokenizer { inner })
        .map_err(to_js)
}

async fn load_inner(repo_id: &JsValue, options: &JsValue, env: &JsValue) -> Result<LoadedTokenizer, HubError> {
    let repo = RepoId::parse(&string_arg(repo_id, FROM_PRETRAINED, "repo id")?)?;
    let options = Options::new(options, FROM_PRETRAINED)?;
    let settings = Options::new(env, "env")?;
    let revision = match options.string("revision")? {
        Some(r) => Revision::parse(&r)?,
        None => Revision::main(),
    };
    let callback = options.function("progress_callback")?;
    let credentials = platform::configured_credentials(options.token()?)?;
    // A token put in the shared settings is refused the same way (browser).
    platform::configured_credentials(settings.token()?)?;
    let endpoint = Endpoint::choose(
        settings.string("endpoint")?.as_deref(),
        platform::env_var("HF_ENDPOINT").as_deref(),
    )?;
    let proxy = match settings.string("proxy")? {
        Some(p) => Some(Endpoint::parse_relative(&p, platform::page_url().as_deref())?),
        None => None,
    };
    let report = |file: &str, progress: Progress| {
        if let Some(callback) = &callback {
            report_progress(callback, repo.as_str(), file, &progress);
        }
    };
    let offline = options.bool_or("local_files_only", false)?
        || platform::env_var("HF_HUB_OFFLINE")
            .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"));
    let cache_root = platform::cache_root(options.string("cache_dir")?.as_deref());
    let transport = FetchTransport::default();
    let load = |endpoint: Endpoint, via_proxy: bool| {
        let report = &report;
        let (transport, credentials, repo, revision) = (&transport, &credentials, &repo, &revision);
        let cache_root = cache_root.clone();
        async move {
            if via_proxy {
                // The proxy holds its own token; ours never goes there.
                let client = HubClient {
                    transport,
                    credentials: &Anonymous,
                    endpoint,
                    advice: platform::ADVICE,
                };
                load_tokenizer(&client, RepoType::Model, repo, revision, report).await
            } else {
                let client = HubClient {
                    transport,
                    credentials,
                    endpoint,
                    advice: platform::ADVICE,
                };
                match cache_root {
                    // Node: through the huggingface_hub cache, shared with Python.
                    Some(root) => {
                        let cached = CachedHub {
                            client,
                            store: &platform::Store,
                            root,
                            offline,
                        };
                        load_tokenizer(&cached, RepoType::Model, repo, revision, report).await
                    }
                    None => load_tokenizer(&client, RepoType::Model, repo, revision, report).await,
                }
            }
        }
    };
    let sticky = PROXIED_REPOS.with(|r| r.borrow().contains(repo.as_str()));
    let result = match &proxy {
        Some(proxy) if sticky || settings.bool_or("proxyAll", false)? => load(proxy.clone(), true).await,
        _ => match load(endpoint, false).await {
            // Gated or private: repeat through the app's proxy, and send this
            // repo there for the rest of the session.
            Err(e) if needs_credentials(&e) && proxy.is_some() => {
                PROXIED_REPOS.with(|r| r.borrow_mut().insert(repo.as_str().to_owned()));
                load(proxy.clone().expect("checked"), true).await
            }
            other => other,
        },
    };
    result.map_err(|e| e.about(repo.as_str(), None))
}

thread_local! {
    /// Repos the Hub refused anonymously: later loads go straight to the proxy.
    static PROXIED_REPOS: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Events shaped like Transformers.js': `{status, name, file, loaded, total,
/// progress}`. A throwing callback must not break the download.
fn report_progress(callback: &Function, repo: &str, file: &str, progress: &Progress) {
    let event = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&event, &k.into(), &v);
    };
    set("status", progress.status().into());
    set("name", repo.into());
    set("file", file.into());
    if let Progress::Progress { loaded, total } = progress {
        set("loaded", (*loaded as f64).into());
        if let Some(total) = total {
            set("total", (*total as f64).into());
            let percent = if *total == 0 {
                100.0
            } else {
                *loaded as f64 * 100.0 / *total as f64
            };
            set("progress", percent.into());
        }
    }
    let _ = callback.call1(&JsValue::UNDEFINED, &event);
}

/// A loaded tokenizer; its methods are in tokenizer_api.rs.
#[wasm_bindgen(js_name = Tokenizer)]
pub struct JsTokenizer {
    pub(super) inner: LoadedTokenizer,
}

#[wasm_bindgen(js_class = Tokenizer)]
impl JsTokenizer {
    /// tokenizer_config.json, as an object.
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> JsValue {
        js_sys::JSON::parse(&self.inner.config().to_string()).unwrap_or(JsValue::NULL)
    }
}
