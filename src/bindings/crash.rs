//! What the JS runtime needs to turn a trap into a typed error: the panic
//! message (a hook passes it to JS before the abort), whether the heap
//! failed to grow, and the `HubError` itself, made by a live instance.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::core::crash::{engine_crashed, panic_text, tokenizer_crashed, TrapReport};

/// Hand every panic's message to `reporter` before the instance aborts
/// (the trap that follows carries none). Called once per instance.
#[wasm_bindgen(js_name = setCrashReporter)]
pub fn set_crash_reporter(reporter: Function) {
    REPORTER.with(|r| *r.borrow_mut() = Some(reporter));
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| (l.file(), l.line()));
        let payload = info.payload();
        let text = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
        let message = panic_text(text, location);
        REPORTER.with(|r| {
            if let Some(reporter) = r.try_borrow().ok().as_ref().and_then(|r| r.as_ref()) {
                let _ = reporter.call1(&JsValue::NULL, &JsValue::from_str(&message));
            }
        });
    }));
}

thread_local! {
    static REPORTER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Bytes an allocation asked for that the heap could not grow to hold (0 if
/// it never failed). Safe to call on an instance that trapped: it reads one
/// atomic and allocates nothing.
#[wasm_bindgen(js_name = heapExhausted)]
pub fn heap_exhausted() -> f64 {
    crate::platform::heap_exhausted() as f64
}

/// The error for a trap the runtime caught: `repo` names the tokenizer whose
/// instance it was, or is absent for the shared Hub instance.
#[wasm_bindgen(js_name = crashError)]
pub fn crash_error(repo: Option<String>, trap: String, panic: Option<String>, heap_exhausted: f64) -> JsValue {
    let report = TrapReport {
        trap,
        panic,
        heap_exhausted: heap_exhausted as u64,
    };
    match repo {
        Some(repo) => tokenizer_crashed(&repo, &report),
        None => engine_crashed(&report),
    }
    .into()
}
