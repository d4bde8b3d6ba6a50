//! Node's environment variables, read where they are used.

use js_sys::Reflect;

/// `process.env[name]`, read now (not cached), so changes after import count.
pub fn env_var(name: &str) -> Option<String> {
    let process = Reflect::get(&js_sys::global(), &"process".into()).ok()?;
    let env = Reflect::get(&process, &"env".into()).ok()?;
    Reflect::get(&env, &name.into()).ok()?.as_string()
}
