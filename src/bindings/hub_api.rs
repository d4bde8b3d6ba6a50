//! `downloadFile`, `snapshotDownload`, `fileExists`, `modelInfo`, `whoami`
//! and the token file's path (for the CLI). Node build only: they put files
//! on disk or need the token, neither of which a web page may have.
//!
//! Each reads its options struct (`core::options::hub_api`), builds the
//! shared settings (`hub_context`), and makes one call into `hub::calls`.

use wasm_bindgen::prelude::*;

use super::context::{hub_context, CallParts, HubContext};
use super::options::{read, Js};
use super::progress::report_progress;
use crate::core::error::{ErrorCode, HubError};
use crate::core::options::hub_api::{
    file_parts, repo_type, revision, DownloadFileOptions, FileExistsOptions, ModelInfoOptions, SnapshotOptions,
    WhoamiOptions,
};
use crate::core::options::settings::CallSettings;
use crate::core::patterns::Patterns;
use crate::core::repo::{RepoId, Revision};
use crate::hub::cached::CachedHub;
use crate::hub::calls;
use crate::hub::credentials::Credentials;
use crate::hub::download::{FileRef, HubClient};
use crate::hub::progress::Progress;
use crate::hub::snapshot::{SnapshotRequest, DEFAULT_WORKERS};
use crate::platform;

/// `downloadFile({ repo, path, revision, repoType, cacheDir, token,
/// progress_callback, signal, localFilesOnly })` → the file's snapshot path.
#[wasm_bindgen(js_name = downloadFile)]
pub async fn download_file(options: JsValue, env: JsValue) -> Result<String, HubError> {
    let o: DownloadFileOptions<Js> = read("downloadFile", &options)?;
    let (repo_type, repo, revision, path) =
        file_parts(&o.repo, &o.path, o.revision.as_deref(), o.repo_type.as_deref())?;
    let file = FileRef {
        repo_type,
        repo,
        revision,
        path,
    };
    let context = hub_context(
        CallParts {
            token: o.token.clone(),
            cache_dir: o.cache_dir.as_deref(),
            progress: o.progress_callback.as_ref(),
            signal: o.signal.as_ref(),
            settings: offline(o.local_files_only),
        },
        &env,
    )?;
    let on_progress = |p: Progress| report(&context, file.repo.as_str(), file.path.as_str(), &p);
    calls::download_file(&cached_hub(&context)?, &file, &on_progress).await
}

/// `snapshotDownload({ repo, revision, repoType, allowPatterns,
/// ignorePatterns, cacheDir, token, progress_callback, signal, maxWorkers,
/// localFilesOnly })` → the snapshot folder.
#[wasm_bindgen(js_name = snapshotDownload)]
pub async fn snapshot_download(options: JsValue, env: JsValue) -> Result<String, HubError> {
    let o: SnapshotOptions<Js> = read("snapshotDownload", &options)?;
    let request = SnapshotRequest {
        repo_type: repo_type(o.repo_type.as_deref())?,
        repo: RepoId::parse(&o.repo)?,
        revision: revision(o.revision.as_deref())?,
        allow: o.allow_patterns.clone().map(Patterns::new),
        ignore: Patterns::new(o.ignore_patterns.clone().unwrap_or_default()),
        max_workers: o.max_workers.unwrap_or(DEFAULT_WORKERS),
    };
    let context = hub_context(
        CallParts {
            token: o.token.clone(),
            cache_dir: o.cache_dir.as_deref(),
            progress: o.progress_callback.as_ref(),
            signal: o.signal.as_ref(),
            settings: offline(o.local_files_only),
        },
        &env,
    )?;
    let on_progress = |file: &str, p: Progress| report(&context, request.repo.as_str(), file, &p);
    calls::snapshot_download(&cached_hub(&context)?, &request, &on_progress).await
}

/// `fileExists({ repo, path, revision, repoType, token, signal })` → boolean.
#[wasm_bindgen(js_name = fileExists)]
pub async fn file_exists(options: JsValue, env: JsValue) -> Result<bool, HubError> {
    let o: FileExistsOptions<Js> = read("fileExists", &options)?;
    let (repo_type, repo, revision, path) =
        file_parts(&o.repo, &o.path, o.revision.as_deref(), o.repo_type.as_deref())?;
    let file = FileRef {
        repo_type,
        repo,
        revision,
        path,
    };
    let context = hub_context(requests_only(o.token.clone(), o.signal.as_ref()), &env)?;
    calls::file_exists(&client(&context), context.offline, &file).await
}

/// `modelInfo({ repo, revision, repoType, token, signal })` → the Hub's JSON.
#[wasm_bindgen(js_name = modelInfo)]
pub async fn model_info(options: JsValue, env: JsValue) -> Result<JsValue, HubError> {
    let o: ModelInfoOptions<Js> = read("modelInfo", &options)?;
    let repo = RepoId::parse(&o.repo)?;
    let revision = o.revision.as_deref().map(Revision::parse).transpose()?;
    let repo_type = repo_type(o.repo_type.as_deref())?;
    let context = hub_context(requests_only(o.token.clone(), o.signal.as_ref()), &env)?;
    let text = calls::model_info(&client(&context), context.offline, repo_type, &repo, revision.as_ref()).await?;
    parse_json(&text, "modelInfo")
}

/// `whoami({ token, signal })` → the Hub's JSON about the token's account.
#[wasm_bindgen(js_name = whoami)]
pub async fn whoami(options: JsValue, env: JsValue) -> Result<JsValue, HubError> {
    let o: WhoamiOptions<Js> = read("whoami", &options)?;
    let context = hub_context(requests_only(o.token.clone(), o.signal.as_ref()), &env)?;
    let text = calls::whoami(&client(&context), context.offline).await?;
    parse_json(&text, "whoami")
}

/// The token file `hubguard login` writes (undefined without a home folder).
#[wasm_bindgen(js_name = tokenFilePath)]
pub fn token_file_path() -> Option<String> {
    platform::token_file()
}

fn offline(local_files_only: Option<bool>) -> CallSettings<'static> {
    CallSettings {
        local_files_only: local_files_only.unwrap_or(false),
        ..CallSettings::default()
    }
}

/// The share of a call that only asks the Hub (no cache, no progress).
fn requests_only(
    token: Option<crate::core::token::TokenOption>,
    signal: Option<&super::options::JsSignal>,
) -> CallParts<'_> {
    CallParts {
        token,
        signal,
        ..CallParts::default()
    }
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

fn parse_json(text: &str, what: &str) -> Result<JsValue, HubError> {
    js_sys::JSON::parse(text)
        .map_err(|_| HubError::new(ErrorCode::HttpError, format!("The Hub's answer to {what} is not JSON.")))
}
