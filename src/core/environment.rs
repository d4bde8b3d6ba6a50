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

/// huggingface_hub's reading of a boolean variable (`_is_true`): `1`, `ON`,
/// `YES` or `TRUE` in any case, nothing else (no trimming: "yes " is false).
pub fn is_true(value: &str) -> bool {
    matches!(value.to_ascii_uppercase().as_str(), "1" | "ON" | "YES" | "TRUE")
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

/// The variable that bounds a request's silence, as huggingface_hub has it:
/// `HF_HUB_ETAG_TIMEOUT` for metadata (the HEAD that learns a file's commit
/// and etag), `HF_HUB_DOWNLOAD_TIMEOUT` for everything else.
pub fn request_timeout_variable(metadata: bool) -> &'static str {
    if metadata {
        "HF_HUB_ETAG_TIMEOUT"
    } else {
        "HF_HUB_DOWNLOAD_TIMEOUT"
    }
}

/// How long a request may go without receiving anything before it is given
/// up (a download then resumes where it stopped): the value of the variable
/// above, in seconds, default 10 as in huggingface_hub. An unreadable or
/// non-positive value keeps the default rather than disabling the timeout
/// (huggingface_hub fails at import on it).
pub fn timeout_millis(value: Option<&str>) -> u32 {
    const DEFAULT_MS: u32 = 10_000;
    // A day: beyond that the setting means "never", which a u32 of
    // milliseconds must not overflow on.
    const MAX_MS: f64 = 86_400_000.0;
    match value.and_then(|v| v.trim().parse::<f64>().ok()) {
        Some(seconds) if seconds.is_finite() && seconds > 0.0 => (seconds * 1000.0).clamp(1.0, MAX_MS) as u32,
        _ => DEFAULT_MS,
    }
}

#[cfg(test)]
mod timeout_tests {
    use super::{request_timeout_variable, timeout_millis as download_timeout_millis};

    #[test]
    fn metadata_requests_use_the_etag_timeout() {
        assert_eq!(request_timeout_variable(true), "HF_HUB_ETAG_TIMEOUT");
        assert_eq!(request_timeout_variable(false), "HF_HUB_DOWNLOAD_TIMEOUT");
    }

    #[test]
    fn timeouts_read_seconds_like_huggingface_hub() {
        assert_eq!(download_timeout_millis(None), 10_000);
        assert_eq!(download_timeout_millis(Some("30")), 30_000);
        assert_eq!(download_timeout_millis(Some(" 0.5 ")), 500);
        assert_eq!(download_timeout_millis(Some("1e9")), 86_400_000);
        for unusable in ["", "soon", "0", "-3", "NaN", "inf"] {
            assert_eq!(download_timeout_millis(Some(unusable)), 10_000, "{unusable}");
        }
    }
}
