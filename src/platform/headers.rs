//! Fetch API `Headers` as plain pairs (the proxy's inbound request, the
//! browser's answers).

use wasm_bindgen::JsCast;
use web_sys::Headers;

/// Names lower-cased, as the Fetch API gives them.
pub fn header_list(headers: &Headers) -> Vec<(String, String)> {
    let Ok(Some(entries)) = js_sys::try_iter(headers) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|pair| {
            let pair: js_sys::Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?.to_ascii_lowercase(), pair.get(1).as_string()?))
        })
        .collect()
}
