//! Waiting, on the runtime's own timer (retries back off with it).

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, millis: u32) -> JsValue;
}

pub async fn sleep(millis: u32) {
    let wait = Promise::new(&mut |resolve, _| {
        let _ = set_timeout(&resolve, millis);
    });
    let _ = JsFuture::from(wait).await;
}
