//! Node build: frees the buffers a large download leaves behind sooner.
//!
//! `node:http` hands each socket read over in a fresh buffer (64 KiB). Once
//! copied they are garbage, but they add almost nothing to V8's own heap,
//! so V8 collects them late, and the memory they held is reused badly. A
//! 200 MB download peaked at 105-113 MB with a few MB of live data. A
//! young-generation collection every `EVERY_BYTES` read (~0.3 ms each:
//! little is alive) brings the peak to 80-89 MB; every 16 MiB was not
//! enough (still ~110 MB). Measured on the bench's 200 MB file and the
//! 128 MB one of tests/node/download.test.mjs, which checks it.
//!
//! Node offers no collector call without `--expose-gc`, so the flag is set
//! just long enough to make one private context that has `gc`, then unset:
//! no `gc` appears on the app's global object or in later contexts. If the
//! app runs with `--expose-gc` itself, its `gc` is used. Anything failing
//! here only means the collection is left to V8.

use std::cell::{Cell, OnceCell};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(module = "node:v8")]
extern "C" {
    #[wasm_bindgen(js_name = setFlagsFromString, catch)]
    fn set_v8_flags(flags: &str) -> Result<(), JsValue>;
}

#[wasm_bindgen(module = "node:vm")]
extern "C" {
    #[wasm_bindgen(js_name = runInNewContext, catch)]
    fn run_in_new_context(code: &str) -> Result<JsValue, JsValue>;
}

/// Bytes read between two collections: 50 per 200 MB, which cost ~15 ms
/// in all.
const EVERY_BYTES: u64 = 4 << 20;

thread_local! {
    static READ_SINCE: Cell<u64> = const { Cell::new(0) };
    static COLLECTOR: OnceCell<Option<(Function, Object)>> = const { OnceCell::new() };
}

/// Count `bytes` just read from the network; collect when enough piled up.
pub fn note_bytes_read(bytes: usize) {
    let total = READ_SINCE.get().saturating_add(bytes as u64);
    if total < EVERY_BYTES {
        READ_SINCE.set(total);
        return;
    }
    READ_SINCE.set(0);
    COLLECTOR.with(|collector| {
        if let Some((gc, options)) = collector.get_or_init(find_collector) {
            let _ = gc.call1(&JsValue::UNDEFINED, options);
        }
    });
}

/// `gc` and its `{ type: 'minor' }` argument.
fn find_collector() -> Option<(Function, Object)> {
    let options = Object::new();
    Reflect::set(&options, &"type".into(), &"minor".into()).ok()?;
    let own = Reflect::get(&js_sys::global(), &"gc".into()).ok();
    if let Some(gc) = own.and_then(|g| g.dyn_into::<Function>().ok()) {
        return Some((gc, options));
    }
    set_v8_flags("--expose-gc").ok()?;
    let made = run_in_new_context("gc");
    let _ = set_v8_flags("--no-expose-gc");
    Some((made.ok()?.dyn_into().ok()?, options))
}
