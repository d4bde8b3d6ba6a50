//! `downloadFile`, `snapshotDownload`, `fileExists`, `modelInfo`, `whoami`
//! and the token file's path (for the CLI). Node build only: they put files
//! on disk or need the token, neither of which a web page may have.
//!
//! Each takes one options object (and the package's `env`), shares the
//! settings every Hub call reads (`hub_context`), and speaks `HubError`.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::context::{hub_context, HubContext};
use super::errors::to_js;
use super::options::{wrong_type, Options};
use super::progress::report_progress;
use crate::core::error::{ErrorCode, HubError};
use crate::core::patterns::Patterns;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::hub::cached::CachedHub;
use crate::hub::credentials::Credentials;
use crate::hub::download::{FileRef, HubClient};
use crate::hub::progress::Progress;
use crate::hub::snapshot::{SnapshotRequest, DEFAULT_WORKERS};
use crate::platform;

/// `downloadFile({ repo, path, revision, repoType, cacheDir, token,
/// progress_callback, signal, local_files_only })` → the file's snapshot path.
#[wasm_bindgen(js_name = downloadFile)]
pub async fn download_file(options: JsValue, env: JsValue) -> Result<JsValue, JsValue> {
    const WHAT: &str = "downloadFile";
    let run = async {
        let options = normalized(&options, WHAT)?;
        let options = Options::new(&options, WHAT)?;
        let file = file_ref(&options, WHAT)?;
        let context = hub_context(&options, &env)?;
        let on_progress = |p: Progress| report(&context, file.repo.as_str(), file.path.as_str(), &p);
        let result = async {
            refuse_if_aborted(&context)?;
            cached_hub(&context)?.ensure(&file, &on_progress).await
        }
        .await;
        settled(&context, result).map(|found| JsValue::from(found.path))
    };
    run.await.map_err(to_js)
}

/// `snapshotDownload({ repo, revision, repoType, allowPatterns,
/// ignorePatterns, cacheDir, token, progress_callback, signal, maxWorkers,
/// local_files_only })` → the snapshot folder.
#[wasm_bindgen(js_name = snapshotDownload)]
pub async fn snapshot_download(options: JsValue, env: JsValue) -> Result<JsValue, JsValue> {
    const WHAT: &str = "snapshotDownload";
    let run = async {
        let options = normalized(&options, WHAT)?;
        let options = Options::new(&options, WHAT)?;
        let max_workers = match options.number("maxWorkers")? {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => n as usize,
            Some(_) => return Err(wrong_type(WHAT, "maxWorkers", "a whole number of at least 1")),
            None => DEFAULT_WORKERS,
        };
        let request = SnapshotRequest {
            repo_type: repo_type(&options)?,
            repo: RepoId::parse(&required(&options, "repo", WHAT)?)?,
            revision: revision(&options)?,
            allow: options.string_list("allowPatterns")?.map(Patterns::new),
            ignore: Patterns::new(options.string_list("ignorePatterns")?.unwrap_or_default()),
            max_workers,
        };
        let context = hub_context(&options, &env)?;
        let on_progress = |file: &str, p: Progress| report(&context, request.repo.as_str(), file, &p);
        let result = async {
            refuse_if_aborted(&context)?;
            cached_hub(&context)?.snapshot(&request, &on_progress).await
        }
        .await;
        settled(&context, result.map_err(|e| e.about(request.repo.as_str(), None))).map(JsValue::from)
    };
    run.await.map_err(to_js)
}

/// `fileExists({ repo, path, revision, repoType, token })` → boolean.
#[wasm_bindgen(js_name = fileExists)]
pub async fn file_exists(options: JsValue, env: JsValue) -> Result<JsValue, JsValue> {
    const WHAT: &str = "fileExists";
    let run = async {
        let options = Options::new(&options, WHAT)?;
        let file = file_ref(&options, WHAT)?;
        let context = hub_context(&options, &env)?;
        refuse_offline(&context, WHAT)?;
        let result = client(&context).file_exists(&file).await;
        settled(&context, result).map(JsValue::from)
    };
    run.await.map_err(to_js)
}

/// `modelInfo({ repo, revision, repoType, token })` → the Hub's JSON.
#[wasm_bindgen(js_name = modelInfo)]
pub async fn model_info(options: JsValue, env: JsValue) -> Result<JsValue, JsValue> {
    const WHAT: &str = "modelInfo";
    let run = async {
        let options = Options::new(&options, WHAT)?;
        let repo = RepoId::parse(&required(&options, "repo", WHAT)?)?;
        let revision = options.string("revision")?.map(|r| Revision::parse(&r)).transpose()?;
        let repo_type = repo_type(&options)?;
        let context = hub_context(&options, &env)?;
        refuse_offline(&context, WHAT)?;
        let result = client(&context)
            .repo_info_text(repo_type, &repo, revision.as_ref())
            .await;
        settled(&context, result).and_then(|text| parse_json(&text, WHAT))
    };
    run.await.map_err(to_js)
}

/// `whoami({ token })` → the Hub's JSON about the token's account.
#[wasm_bindgen(js_name = whoami)]
pub async fn whoami(options: JsValue, env: JsValue) -> Result<JsValue, JsValue> {
    const WHAT: &str = "whoami";
    let run = async {
        let options = Options::new(&options, WHAT)?;
        let context = hub_context(&options, &env)?;
        refuse_offline(&context, WHAT)?;
        let result = client(&context).whoami_text().await;
        settled(&context, result).and_then(|text| parse_json(&text, WHAT))
    };
    run.await.map_err(to_js)
}

/// The token file `hubguard login` writes (undefined without a home folder).
#[wasm_bindgen(js_name = tokenFilePath)]
pub fn token_file_path() -> Option<String> {
    platform::token_file()
}

/// A copy of `options` with the camelCase names mapped to the snake_case
/// ones the shared settings reader knows (`cacheDir` → `cache_dir`,
/// `localFilesOnly` → `local_files_only`). The caller's object is untouched.
fn normalized(options: &JsValue, what: &'static str) -> Result<JsValue, HubError> {
    Options::new(options, what)?;
    let copy = Object::new();
    if options.is_object() {
        Object::assign(&copy, options.unchecked_ref());
    }
    for (camel, snake) in [("cacheDir", "cache_dir"), ("localFilesOnly", "local_files_only")] {
        let has = |key: &str| Reflect::get(&copy, &key.into()).is_ok_and(|v| !v.is_undefined() && !v.is_null());
        if has(camel) && !has(snake) {
            let value = Reflect::get(&copy, &camel.into()).unwrap_or(JsValue::UNDEFINED);
            let _ = Reflect::set(&copy, &snake.into(), &value);
        }
    }
    Ok(copy.into())
}

fn required(options: &Options, key: &str, what: &'static str) -> Result<String, HubError> {
    options.string(key)?.ok_or_else(|| wrong_type(what, key, "a string"))
}

fn revision(options: &Options) -> Result<Revision, HubError> {
    options
        .string("revision")?
        .map_or(Ok(Revision::main()), |r| Revision::parse(&r))
}

fn repo_type(options: &Options) -> Result<RepoType, HubError> {
    options
        .string("repoType")?
        .map_or(Ok(RepoType::Model), |t| RepoType::parse(&t))
}

fn file_ref(options: &Options, what: &'static str) -> Result<FileRef, HubError> {
    Ok(FileRef {
        repo_type: repo_type(options)?,
        repo: RepoId::parse(&required(options, "repo", what)?)?,
        revision: revision(options)?,
        path: RepoPath::parse(&required(options, "path", what)?)?,
    })
}

fn client<C: Credentials>(context: &HubContext<C>) -> HubClient<'_, platform::HttpTransport, C> {
    HubClient {
        transport: &context.transport,
        credentials: &context.credentials,
        endpoint: context.endpoint.clone(),
        advice: platform::ADVICE,
    }
}

fn cached_hub<C: Credentials>(
    context: &HubContext<C>,
) -> Result<CachedHub<'_, platform::HttpTransport, C, platform::Store>, HubError> {
    let root = context.cache_root.clone().ok_or_else(|| {
        HubError::new(
            ErrorCode::CacheIo,
            "There is no cache folder: no home folder was found. Set HF_HOME or HF_HUB_CACHE, or pass cacheDir.",
        )
    })?;
    Ok(CachedHub {
        client: client(context),
        store: &platform::Store,
        root,
        offline: context.offline,
    })
}

fn report<C>(context: &HubContext<C>, repo: &str, file: &str, progress: &Progress) {
    if let Some(callback) = &context.progress {
        report_progress(callback, repo, file, progress);
    }
}

fn aborted<C>(context: &HubContext<C>) -> bool {
    context.transport.signal.as_ref().is_some_and(|s| s.aborted())
}

fn aborted_error() -> HubError {
    crate::core::error::HubError::aborted()
}

fn refuse_if_aborted<C>(context: &HubContext<C>) -> Result<(), HubError> {
    if aborted(context) {
        Err(aborted_error())
    } else {
        Ok(())
    }
}

/// Whatever error a cancelled call ended with (a dropped body, a refused
/// fetch), the caller asked for it: say so, with one code.
fn settled<C, R>(context: &HubContext<C>, result: Result<R, HubError>) -> Result<R, HubError> {
    match result {
        Err(e) if e.code != ErrorCode::Aborted && aborted(context) => {
            let mut error = aborted_error();
            error.repo_id = e.repo_id;
            error.file = e.file;
            Err(error)
        }
        other => other,
    }
}

/// These calls ask the Hub, and offline mode means no request at all.
fn refuse_offline<C>(context: &HubContext<C>, what: &str) -> Result<(), HubError> {
    if context.offline {
        return Err(HubError::new(
            ErrorCode::Network,
            format!("{what} needs the Hub, and offline mode is on (HF_HUB_OFFLINE or local_files_only)."),
        ));
    }
    Ok(())
}

fn parse_json(text: &str, what: &str) -> Result<JsValue, HubError> {
    js_sys::JSON::parse(text)
        .map_err(|_| HubError::new(ErrorCode::HttpError, format!("The Hub's answer to {what} is not JSON.")))
}
