//! The process environment as the core sees it, and the Hugging Face
//! locations derived from it (the same rules as `huggingface_hub`).

/// Read-only view of environment variables, the home directory and small
/// files (the token file).
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
    fn home_dir(&self) -> Option<String>;
    /// The file's text, or `None` if it does not exist or cannot be read.
    fn read_file(&self, path: &str) -> Option<String>;

    /// The variable, unless unset or empty.
    fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|v| !v.is_empty())
    }
}

/// `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
pub fn hf_home(env: &impl Environment) -> Option<String> {
    if let Some(home) = env.non_empty("HF_HOME") {
        return expand_home(&home, env);
    }
    let cache = match env.non_empty("XDG_CACHE_HOME") {
        Some(dir) => expand_home(&dir, env)?,
        None => format!("{}/.cache", env.home_dir()?),
    };
    Some(format!("{}/huggingface", cache.trim_end_matches('/')))
}

/// `~` and `~/...` mean the home directory, as Python's `expanduser` does.
pub fn expand_home(path: &str, env: &impl Environment) -> Option<String> {
    match path.strip_prefix('~') {
        Some("") => env.home_dir(),
        Some(rest) if rest.starts_with('/') => Some(format!("{}{rest}", env.home_dir()?)),
        _ => Some(path.to_owned()),
    }
}
