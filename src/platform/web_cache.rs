//! The Cache API (`caches`), where the runtime has one: browsers and their
//! workers on a secure origin. Node has none, so this is `None` there.

use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Response};

use crate::hub::commit_cache::KeyedCache;

/// One cache for all of hubguard's files; the version changes if the key
/// scheme ever does.
const CACHE_NAME: &str = "hubguard-v1";

pub struct WebCache(Cache);

pub async fn web_cache() -> Option<WebCache> {
    let storage = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    let storage: CacheStorage = storage.dyn_into().ok()?;
    let cache = JsFuture::from(storage.open(CACHE_NAME)).await.ok()?;
    Some(WebCache(cache.dyn_into().ok()?))
}

impl KeyedCache for WebCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let found = JsFuture::from(self.0.match_with_str(key)).await.ok()?;
        let response: Response = found.dyn_into().ok()?;
        let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
        let buffer: ArrayBuffer = buffer.dyn_into().ok()?;
        Some(Uint8Array::new(&buffer).to_vec())
    }

    async fn put(&self, key: &str, bytes: &[u8]) {
        let body = Uint8Array::from(bytes);
        if let Ok(response) = Response::new_with_opt_buffer_source(Some(&body)) {
            // Best effort: a full quota only means a download next time.
            let _ = JsFuture::from(self.0.put_with_str(key, &response)).await;
        }
    }
}
