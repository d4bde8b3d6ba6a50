//! `loadTokenizer(repoId, options, env, proxiedRepos, images)` and the
//! `Tokenizer` it returns (or, where the runtime keeps images, the cached
//! files to make it from), and the calls a fresh instance makes it with:
//! `buildTokenizer`, `takePreParsed`, `zeroFreedMemory` (node/images.cjs).

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::context::{hub_context, CallParts};
use super::options::{read, string_arg, to_value, Js};
use super::progress::report_progress;
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::options::settings::{CallSettings, LoadOptions};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::routing::{source_for, sticky_key, Route, RouteFacts, Source};
use crate::core::tokenizer::{LoadedTokenizer, TokenizerJson, TOKENIZER_CONFIG_FILE};
use crate::hub::cached::CachedHub;
use crate::hub::commit_cache::CommitCache;
use crate::hub::credentials::{Anonymous, Credentials};
use crate::hub::download::HubClient;
use crate::hub::progress::Progress;
use crate::hub::routing::route;
use crate::hub::tokenizer_files::load_tokenizer;
use crate::hub::transport::Transport;
use crate::hub::warm_load::{load_tokenizer_cached, LocalFiles, Warm};
use crate::platform;

const FROM_PRETRAINED: &str = "AutoTokenizer.from_pretrained";

/// Load a repo's tokenizer. `env` is the package's shared settings object
/// (`env.endpoint`); `options` the call's own (`revision`, `token`,
/// `progress_callback`); `proxied` the package's set of repos the Hub
/// refused anonymously, which go straight to the proxy (see `core::routing`).
/// `images`: given where the runtime keeps images of built tokenizers
/// (Node). Then, unless `env.tokenizerImages` is false, a load the disk
/// cache alone can serve answers its files (`hub::warm_load::LocalFiles`,
/// as a plain object) instead of a `Tokenizer`, for the runtime to make it
/// in a fresh instance (from its image, or with `buildTokenizer`); and
/// `images(files)` is called with the cached commit's files while the
/// revalidating HEAD is in flight.
#[wasm_bindgen(js_name = loadTokenizer)]
pub async fn load(
    repo_id: JsValue,
    options: JsValue,
    env: JsValue,
    proxied: JsValue,
    images: Option<Function>,
) -> Result<JsValue, HubError> {
    match load_inner(&repo_id, &options, &env, &proxied, images).await? {
        Warm::Built(inner) => Ok(JsTokenizer { inner: *inner }.into()),
        Warm::Local(files) => to_value(&files),
    }
}

/// Build `repoId`'s tokenizer from the cached files `loadTokenizer` named:
/// the pre-parsed form `kept` when it is sound, else tokenizer.json
/// (`file`, of `fileSize` bytes; then `takePreParsed` has the form to keep).
/// `undefined`: the form is not usable and no `file` was given; call again
/// with it. Synchronous and without I/O, so that the instance holds nothing
/// but the tokenizer afterwards.
#[wasm_bindgen(js_name = buildTokenizer)]
pub fn build(
    repo_id: String,
    kept: Option<Vec<u8>>,
    file: Option<Vec<u8>>,
    file_size: f64,
    config: Option<Vec<u8>>,
    template: Option<Vec<u8>>,
) -> Result<Option<JsTokenizer>, HubError> {
    let repo = RepoId::parse(&repo_id)?;
    let Some((parsed, form)) =
        TokenizerJson::from_kept_or_file(repo.as_str(), kept.as_deref(), file.as_deref(), file_size as u64)?
    else {
        return Ok(None);
    };
    NEW_FORM.with(|f| *f.borrow_mut() = form);
    LoadedTokenizer::from_parts(repo.as_str(), parsed, config.as_deref(), template.as_deref())
        .map(|inner| Some(JsTokenizer { inner }))
        .map_err(|e| e.about(repo.as_str(), None))
}

thread_local! {
    static NEW_FORM: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// The pre-parsed form the last `buildTokenizer` made from tokenizer.json,
/// handed over once (so an image of the instance does not hold it).
#[wasm_bindgen(js_name = takePreParsed)]
pub fn take_pre_parsed() -> Option<Vec<u8>> {
    NEW_FORM.with(|f| f.borrow_mut().take())
}

/// From now until called with `false`, freed memory is zeroed (an instance
/// building a tokenizer for its image: see `platform::zero_freed`).
#[wasm_bindgen(js_name = zeroFreedMemory)]
pub fn zero_freed_memory(on: bool) {
    platform::zero_freed(on);
}

async fn load_inner(
    repo_id: &JsValue,
    options: &JsValue,
    env: &JsValue,
    proxied: &JsValue,
    images: Option<Function>,
) -> Result<Warm, HubError> {
    let repo = RepoId::parse(&string_arg(repo_id, FROM_PRETRAINED, "repo id")?)?;
    let options: LoadOptions<Js> = read(FROM_PRETRAINED, options)?;
    let revision = match &options.revision {
        Some(r) => Revision::parse(r)?,
        None => Revision::main(),
    };
    let call = CallParts {
        token: options.token.clone(),
        cache_dir: options.cache_dir.as_deref(),
        progress: options.progress_callback.as_ref(),
        signal: options.signal.as_ref(),
        settings: CallSettings {
            local_files_only: options.local_files_only.unwrap_or(false),
            ..CallSettings::default()
        },
    };
    let context = hub_context(call, env)?;
    let early = |files: &LocalFiles| {
        if let (Some(images), Ok(files)) = (&images, to_value(files)) {
            let _ = images.call1(&JsValue::NULL, &files);
        }
    };
    let local: Option<&dyn Fn(&LocalFiles)> = match images.is_some() && context.tokenizer_images {
        true => Some(&early),
        false => None,
    };
    let report = |file: &str, progress: Progress| {
        if let Some(callback) = &context.progress {
            report_progress(callback, repo.as_str(), file, &progress);
        }
    };
    // Each source wired to this platform; which one serves is core's rule.
    let load = |way: Route| {
        let (report, context, repo, revision) = (&report, &context, &repo, &revision);
        async move {
            let direct = |endpoint: Endpoint| HubClient {
                transport: &context.transport,
                credentials: &context.credentials,
                endpoint,
                advice: platform::ADVICE,
            };
            match (
                source_for(way, context.proxy.is_some(), context.cache_root.is_some()),
                &context.proxy,
                &context.cache_root,
            ) {
                // The proxy holds its own token; ours never goes there. The
                // app's own credentials (env.proxyHeaders) may.
                (Source::Proxy, Some(proxy), _) => {
                    let transport = context.proxy_transport().await?;
                    let client = HubClient {
                        transport: &transport,
                        credentials: &Anonymous,
                        endpoint: proxy.clone(),
                        advice: platform::ADVICE,
                    };
                    load_uncached(client, context.browser_cache, repo, revision, report)
                        .await
                        .map(|tokenizer| Warm::Built(Box::new(tokenizer)))
                }
                // Node: through the huggingface_hub cache, shared with Python.
                (Source::Disk, _, Some(root)) => {
                    let cached = CachedHub {
                        client: direct(context.endpoint.clone()),
                        store: &platform::Store,
                        root: root.clone(),
                        offline: context.offline,
                    };
                    load_tokenizer_cached(&cached, RepoType::Model, repo, revision, report, local).await
                }
                _ => load_uncached(
                    direct(context.endpoint.clone()),
                    context.browser_cache,
                    repo,
                    revision,
                    report,
                )
                .await
                .map(|tokenizer| Warm::Built(Box::new(tokenizer))),
            }
        }
    };
    let key: JsValue = sticky_key(RepoType::Model, &repo).into();
    let sticky_set = proxied.dyn_ref::<js_sys::Set>();
    let facts = RouteFacts {
        proxy_configured: context.proxy.is_some(),
        proxy_all: context.proxy_all,
        sticky: sticky_set.is_some_and(|s| s.has(&key)),
    };
    let routed = route(facts, load).await;
    // Gated or private: this repo goes through the proxy from now on.
    if let (true, Some(set)) = (routed.refused_anonymously, sticky_set) {
        set.add(&key);
    }
    routed.result.map_err(|e| e.about(repo.as_str(), None))
}

/// Without a filesystem cache: through the Cache API where there is one
/// (browsers), keyed by commit; tokenizer_config.json's HEAD names it.
async fn load_uncached<T: Transport, C: Credentials>(
    client: HubClient<'_, T, C>,
    use_cache: bool,
    repo: &RepoId,
    revision: &Revision,
    report: &dyn Fn(&str, Progress),
) -> Result<LoadedTokenizer, HubError> {
    let cache = if use_cache { platform::web_cache().await } else { None };
    let Some(cache) = cache else {
        return load_tokenizer(&client, RepoType::Model, repo, revision, report).await;
    };
    let probe = RepoPath::parse(TOKENIZER_CONFIG_FILE)?;
    let source = CommitCache::open(client, &cache, RepoType::Model, repo, revision, &probe).await?;
    load_tokenizer(&source, RepoType::Model, repo, revision, report).await
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
