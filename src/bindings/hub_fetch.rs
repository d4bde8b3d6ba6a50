//! `hubFetch` and, in the Node build, the Transformers.js custom cache's
//! lookup. Each converts its arguments, makes one call into `hub`, and
//! returns a plain description of the answer, which the package's JS turns
//! into a `Response` (Node streams a cached file from disk, lazily).
//!
//! The description: `{ status, headers: [[name, value]], file?: { path,
//! start, end }, body?: ReadableStream, text?: string }`, or `undefined` for
//! a request that is not for a Hub file (the JS hands it to the platform's
//! fetch unchanged).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::context::{hub_context, CallParts, HubContext};
use super::options::{read, Js, JsSignal};
use super::progress::report_progress;
use crate::core::error::HubError;
use crate::core::fetch::options::WHAT;
use crate::core::fetch::{file_request, parse_file_url, FetchOptions, FileAnswer, HubFile};
use crate::core::redact::redact_secrets;
use crate::core::routing::{source_for, sticky_key, Route, RouteFacts, Source};
use crate::hub::cached::CachedHub;
use crate::hub::credentials::{Anonymous, Credentials};
use crate::hub::download::{FileRef, HubClient};
use crate::hub::hub_fetch::Served;
use crate::hub::progress::Progress;
use crate::hub::recent::Recent;
use crate::hub::routing::route;
use crate::platform;

thread_local! {
    /// Recent Hub answers, shared by every hubFetch and cache lookup.
    static RECENT: &'static RefCell<Recent> = Box::leak(Box::default());
}

fn recent() -> &'static RefCell<Recent> {
    RECENT.with(|r| *r)
}

/// `hubFetch({ url, method, headers, signal }, options, env, proxiedRepos)`.
/// `proxiedRepos` is the package's set of repos the Hub refused
/// anonymously (routing; see `core::routing`).
#[wasm_bindgen(js_name = hubFetch)]
pub async fn hub_fetch(
    request: JsValue,
    options: JsValue,
    env: JsValue,
    proxied: JsValue,
) -> Result<JsValue, HubError> {
    serve(&request, &options, &env, &proxied).await
}

/// Throws INVALID_OPTION (or TOKEN_REFUSED in the browser) for options
/// `hubFetch` would refuse, so `createHubFetch` fails at once.
#[wasm_bindgen(js_name = checkFetchOptions)]
pub fn check_fetch_options(options: JsValue, env: JsValue) -> Result<(), HubError> {
    let options: FetchOptions<Js> = read(WHAT, &options)?;
    fetch_context(&options, &env, None).map(|_| ())
}

/// The endpoint's URL prefix ending in '/', for Transformers.js'
/// `env.remoteHost`, so the URLs it builds are Hub file URLs to hubFetch.
#[wasm_bindgen(js_name = fetchRemoteHost)]
pub fn fetch_remote_host(options: JsValue, env: JsValue) -> Result<String, HubError> {
    let options: FetchOptions<Js> = read(WHAT, &options)?;
    Ok(fetch_context(&options, &env, None)?.endpoint.prefix_url())
}

/// The shared settings under `createHubFetch`'s options.
fn fetch_context<'a>(
    options: &'a FetchOptions<Js>,
    env: &JsValue,
    signal: Option<&'a JsSignal>,
) -> Result<HubContext<impl Credentials>, HubError> {
    let call = CallParts {
        token: options.token.clone(),
        cache_dir: options.cache_dir.as_deref(),
        progress: options.progress_callback.as_ref(),
        signal,
        settings: options.call_settings(),
    };
    hub_context(call, env)
}

async fn serve(request: &JsValue, options: &JsValue, env: &JsValue, proxied: &JsValue) -> Result<JsValue, HubError> {
    let field = |key: &str| Reflect::get(request, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let url = field("url").as_string().unwrap_or_default();
    let method = field("method").as_string().unwrap_or_else(|| "GET".into());
    let headers = header_pairs(&field("headers"));
    let signal = field("signal").dyn_into::<web_sys::AbortSignal>().ok().map(JsSignal);
    let options: FetchOptions<Js> = read(WHAT, options)?;
    let context = fetch_context(&options, env, signal.as_ref())?;
    let Some(file_request) = file_request(&method, &headers) else {
        return Ok(JsValue::UNDEFINED);
    };
    let Some(file) = parse_file_url(&context.endpoint, &url)? else {
        return Ok(JsValue::UNDEFINED);
    };
    let file = file_ref(file);
    let key: JsValue = sticky_key(file.repo_type, &file.repo).into();
    let sticky_set = proxied.dyn_ref::<js_sys::Set>();
    let facts = RouteFacts {
        proxy_configured: context.proxy.is_some(),
        proxy_all: context.proxy_all,
        sticky: sticky_set.is_some_and(|s| s.has(&key)),
    };
    let on_progress = |p: Progress| {
        if let Some(callback) = &context.progress {
            report_progress(callback, file.repo.as_str(), file.path.as_str(), &p);
        }
    };
    let attempt = |way: Route| {
        let (context, file, on_progress) = (&context, &file, &on_progress);
        async move {
            let source = source_for(way, context.proxy.is_some(), context.cache_root.is_some());
            match (source, &context.proxy, &context.cache_root) {
                // The proxy holds its own token; ours never goes there.
                (Source::Proxy, Some(proxy), _) => {
                    client(context, &Anonymous, proxy)
                        .serve_upstream(file, &file_request)
                        .await
                }
                (Source::Disk, _, Some(root)) => {
                    let cached = CachedHub {
                        client: client(context, &context.credentials, &context.endpoint),
                        store: &platform::Store,
                        root: root.clone(),
                        offline: context.offline,
                    };
                    cached.serve(file, &file_request, Some(recent()), on_progress).await
                }
                _ => {
                    client(context, &context.credentials, &context.endpoint)
                        .serve_upstream(file, &file_request)
                        .await
                }
            }
        }
    };
    let routed = route(facts, attempt).await;
    if let (true, Some(set)) = (routed.refused_anonymously, sticky_set) {
        set.add(&key);
    }
    let served = routed
        .result
        .map_err(|e| e.about(file.repo.as_str(), Some(file.path.as_str())))?;
    Ok(describe(served))
}

/// The Transformers.js custom cache's `match` (Node): the current version
/// of a Hub file URL's file in the huggingface_hub cache, never downloaded
/// here. → `undefined`, or `{ path, asPath, headers }` (`asPath`: hand
/// Transformers.js the path, see `core::fetch::serve_as_path`). Never
/// rejects: Transformers.js treats a throwing lookup as a miss anyway, and
/// the fetch that follows reports the real error.
#[cfg(feature = "node")]
#[wasm_bindgen(js_name = hubCacheMatch)]
pub async fn hub_cache_match(key: JsValue, options: JsValue, env: JsValue) -> JsValue {
    cache_match(&key, &options, &env)
        .await
        .ok()
        .flatten()
        .unwrap_or(JsValue::UNDEFINED)
}

#[cfg(feature = "node")]
async fn cache_match(key: &JsValue, options: &JsValue, env: &JsValue) -> Result<Option<JsValue>, HubError> {
    use crate::core::fetch::{answer_from_file, serve_as_path, FileFacts, FileRequest};
    use crate::hub::cached::Lookup;
    use crate::hub::store::FileStore;

    let Some(key) = key.as_string() else { return Ok(None) };
    let options: FetchOptions<Js> = read(WHAT, options)?;
    let context = fetch_context(&options, env, None)?;
    let (Some(file), Some(root)) = (parse_file_url(&context.endpoint, &key)?, context.cache_root.clone()) else {
        return Ok(None);
    };
    let file = file_ref(file);
    let cached = CachedHub {
        client: client(&context, &context.credentials, &context.endpoint),
        store: &platform::Store,
        root,
        offline: context.offline,
    };
    let lookup = Lookup {
        no_download: true,
        recent: Some(recent()),
        ..Lookup::default()
    };
    let resolved = cached.resolve(&file, &|_| {}, lookup).await?;
    let Some(found) = resolved.cached else { return Ok(None) };
    let Some(size) = platform::Store.size(&found.path).await else {
        return Ok(None);
    };
    let facts = FileFacts {
        path: &file.path,
        size,
        etag: resolved.meta.as_ref().map(|m| m.etag.as_str()),
        commit: Some(&found.commit),
    };
    let whole = FileRequest {
        head: false,
        range: None,
    };
    let answer = answer_from_file(&whole, &facts);
    let out = Object::new();
    set(&out, "path", found.path.into());
    set(&out, "asPath", serve_as_path(&file.path).into());
    set(&out, "headers", header_array(&answer.headers));
    Ok(Some(out.into()))
}

fn client<'a, C: Credentials>(
    context: &'a HubContext<impl Credentials>,
    credentials: &'a C,
    endpoint: &crate::core::endpoint::Endpoint,
) -> HubClient<'a, platform::HttpTransport, C> {
    HubClient {
        transport: &context.transport,
        credentials,
        endpoint: endpoint.clone(),
        advice: platform::ADVICE,
    }
}

fn file_ref(file: HubFile) -> FileRef {
    FileRef {
        repo_type: file.repo_type,
        repo: file.repo,
        revision: file.revision,
        path: file.path,
    }
}

fn describe(served: Served<<platform::HttpTransport as crate::hub::transport::Transport>::Body>) -> JsValue {
    let out = Object::new();
    match served {
        Served::File { path, answer } => {
            described(&out, &answer);
            if let Some((start, end)) = answer.span {
                let file = Object::new();
                set(&file, "path", path.into());
                set(&file, "start", (start as f64).into());
                set(&file, "end", (end as f64).into());
                set(&out, "file", file.into());
            }
        }
        Served::Headers(answer) => described(&out, &answer),
        Served::NotFound(message) => {
            set(&out, "status", 404.into());
            let headers = [("content-type".to_owned(), "text/plain; charset=utf-8".to_owned())];
            set(&out, "headers", header_array(&headers));
            set(&out, "text", redact_secrets(&message).into());
        }
        Served::Upstream { status, headers, body } => {
            set(&out, "status", status.into());
            set(&out, "headers", header_array(&headers));
            if let Some(stream) = body.and_then(|b| b.into_stream()) {
                set(&out, "body", stream.into());
            }
        }
    }
    out.into()
}

fn described(out: &Object, answer: &FileAnswer) {
    set(out, "status", answer.status.into());
    set(out, "headers", header_array(&answer.headers));
}

fn header_array(headers: &[(String, String)]) -> JsValue {
    headers
        .iter()
        .map(|(k, v)| Array::of2(&k.into(), &v.into()))
        .collect::<Array>()
        .into()
}

/// `[[name, value], ...]` from the JS side (it flattens `Headers`).
fn header_pairs(value: &JsValue) -> Vec<(String, String)> {
    if !Array::is_array(value) {
        return Vec::new();
    }
    Array::from(value)
        .iter()
        .filter_map(|pair| {
            let pair: Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

fn set(object: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &key.into(), &value);
}
