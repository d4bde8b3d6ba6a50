//! Progress events for JS callbacks, shaped like Transformers.js':
//! `{status, name, file, loaded, total, progress}`.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::hub::progress::Progress;

/// Call `callback` with one event. A throwing callback must not break the
/// download, so its exception is dropped.
pub fn report_progress(callback: &Function, repo: &str, file: &str, progress: &Progress) {
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
