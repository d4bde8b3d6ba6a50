//! The Hub endpoint, and the URLs built from validated parts.
//!
//! The endpoint's origin (scheme, host and port, exactly) is the only place a
//! token may be sent. `HF_ENDPOINT` overrides the default, as in
//! `huggingface_hub`.

use url::{Origin, Url};

use super::error::{ErrorCode, HubError};
use super::repo::{truncate_for_message, RepoId, RepoPath, RepoType, Revision};

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Characters kept as they are in a URL path segment; everything else is
/// percent-encoded, `/` included, so one value stays one segment.
const UNRESERVED: &[u8] = b"-._~";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    base: Url,
}

impl Endpoint {
    /// The explicit setting if any, else `HF_ENDPOINT`, else huggingface.co.
    pub fn choose(configured: Option<&str>, hf_endpoint_var: Option<&str>) -> Result<Self, HubError> {
        let chosen = [configured, hf_endpoint_var]
            .into_iter()
            .flatten()
            .find(|v| !v.trim().is_empty());
        Endpoint::parse(chosen.unwrap_or(DEFAULT_ENDPOINT).trim())
    }

    /// Like `parse`, but a path such as `/hf` is taken relative to `base`
    /// (the page's URL), as a proxy mounted on the app's own server is.
    pub fn parse_relative(value: &str, base: Option<&str>) -> Result<Self, HubError> {
        match (Url::parse(value), base.and_then(|b| Url::parse(b).ok())) {
            (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => match base.join(value) {
                Ok(joined) => Endpoint::parse(joined.as_str()),
                Err(_) => Endpoint::parse(value),
            },
            _ => Endpoint::parse(value),
        }
    }

    pub fn parse(value: &str) -> Result<Self, HubError> {
        let fail = |why: &str| {
            Err(HubError::new(
                ErrorCode::InvalidEndpoint,
                format!(
                    "Invalid Hub endpoint {:?}: {why}. Use an http(s) origin such as \"{DEFAULT_ENDPOINT}\".",
                    shown_endpoint(value)
                ),
            ))
        };
        let Ok(mut base) = Url::parse(value) else {
            return fail("it is not a URL");
        };
        if !matches!(base.scheme(), "http" | "https") {
            return fail("only http and https are supported");
        }
        if base.host().is_none() {
            return fail("it has no host");
        }
        if !base.username().is_empty() || base.password().is_some() {
            return fail("credentials in the URL are not allowed");
        }
        if base.query().is_some() || base.fragment().is_some() {
            return fail("it must not have a query or fragment");
        }
        // A mirror may live under a path; normalise it to end without '/'.
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        Ok(Endpoint { base })
    }

    /// Scheme, host and port: the token's only destination.
    pub fn origin(&self) -> Origin {
        self.base.origin()
    }

    /// For messages: the origin as text, never a full URL.
    pub fn origin_text(&self) -> String {
        self.origin().ascii_serialization()
    }

    pub fn is_hub_origin(&self, url: &Url) -> bool {
        url.origin() == self.origin()
    }

    /// The path of a URL on the Hub's origin relative to the endpoint's base
    /// (a mirror may live under a path), without its query. `None` for
    /// another origin, or a path outside the base.
    pub fn path_within(&self, url: &Url) -> Option<String> {
        if !self.is_hub_origin(url) {
            return None;
        }
        let rest = url.path().strip_prefix(self.base.path().trim_end_matches('/'))?;
        rest.starts_with('/').then(|| rest.to_owned())
    }

    /// `{endpoint}/{datasets/}{repo}/resolve/{revision}/{path}`, each part
    /// encoded so that it cannot change the URL's shape.
    pub fn resolve_url(&self, repo_type: RepoType, repo: &RepoId, revision: &Revision, path: &RepoPath) -> Url {
        let mut text = format!(
            "{}/{}{}/resolve/{}",
            self.base.as_str().trim_end_matches('/'),
            repo_type.url_prefix(),
            repo.as_str(),
            encode_segment(revision.as_str())
        );
        for segment in path.segments() {
            text.push('/');
            text.push_str(&encode_segment(segment));
        }
        Url::parse(&text).expect("built from a valid base and encoded segments")
    }

    /// The endpoint's path prefix without a trailing '/': empty for an
    /// origin, `/mirror` for a Hub mirror mounted under a path.
    pub fn base_path(&self) -> &str {
        self.base.path().trim_end_matches('/')
    }

    /// The endpoint as a URL prefix ending in '/', as Transformers.js wants
    /// its `env.remoteHost`.
    pub fn prefix_url(&self) -> String {
        format!("{}/", self.base.as_str().trim_end_matches('/'))
    }

    /// `{endpoint}/api/{models|datasets|spaces}/{repo}`, or its
    /// `/revision/{revision}` with the revision as one segment (`refs/pr/1`
    /// → `refs%2Fpr%2F1`), as the Hub expects on its API routes.
    pub fn repo_api_url(&self, repo_type: RepoType, repo: &RepoId, revision: Option<&Revision>) -> Url {
        let mut route = format!("{}/{}", repo_type.plural(), repo.as_str());
        if let Some(revision) = revision {
            route.push_str("/revision/");
            route.push_str(&encode_segment(revision.as_str()));
        }
        self.api_url(&route)
    }

    /// `{endpoint}/api/...` for the JSON API routes.
    pub fn api_url(&self, route: &str) -> Url {
        Url::parse(&format!("{}/api/{route}", self.base.as_str().trim_end_matches('/')))
            .expect("built from a valid base and a fixed route")
    }
}

/// Shows where a URL points without its path or query, which may be signed.
pub fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || UNRESERVED.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The endpoint as an error may quote it: a URL without what may be secret
/// (user and password, query, fragment); other text as given, shortened.
fn shown_endpoint(value: &str) -> String {
    match Url::parse(value) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            truncate_for_message(url.as_str())
        }
        Err(_) => truncate_for_message(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(endpoint: &str, repo: &str, rev: &str, path: &str) -> String {
        let e = Endpoint::parse(endpoint).unwrap();
        e.resolve_url(
            RepoType::Model,
            &RepoId::parse(repo).unwrap(),
            &Revision::parse(rev).unwrap(),
            &RepoPath::parse(path).unwrap(),
        )
        .to_string()
    }

    #[test]
    fn builds_resolve_urls() {
        assert_eq!(
            url(
                "https://huggingface.co",
                "meta-llama/Llama-2-7b-hf",
                "main",
                "tokenizer.json"
            ),
            "https://huggingface.co/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json"
        );
        assert_eq!(
            url("http://127.0.0.1:9/mirror/", "a/b", "refs/pr/1", "dir/a b?#.json"),
            "http://127.0.0.1:9/mirror/a/b/resolve/refs%2Fpr%2F1/dir/a%20b%3F%23.json"
        );
        assert_eq!(
            url("https://h.co", "a/b", "main", "%2e%2e/x"),
            "https://h.co/a/b/resolve/main/%252e%252e/x"
        );
        let e = Endpoint::parse("https://h.co").unwrap();
        let d = e.resolve_url(
            RepoType::Dataset,
            &RepoId::parse("o/d").unwrap(),
            &Revision::main(),
            &RepoPath::parse("f").unwrap(),
        );
        assert_eq!(d.as_str(), "https://h.co/datasets/o/d/resolve/main/f");
    }

    #[test]
    fn repo_api_urls_name_the_collection_and_keep_the_revision_one_segment() {
        let e = Endpoint::parse("https://hub.example/mirror/").unwrap();
        let repo = RepoId::parse("org/repo").unwrap();
        assert_eq!(
            e.repo_api_url(RepoType::Model, &repo, None).as_str(),
            "https://hub.example/mirror/api/models/org/repo"
        );
        let rev = Revision::parse("refs/pr/1").unwrap();
        assert_eq!(
            e.repo_api_url(RepoType::Dataset, &repo, Some(&rev)).as_str(),
            "https://hub.example/mirror/api/datasets/org/repo/revision/refs%2Fpr%2F1"
        );
        assert_eq!(
            e.repo_api_url(RepoType::Space, &repo, Some(&Revision::main())).as_str(),
            "https://hub.example/mirror/api/spaces/org/repo/revision/main"
        );
    }

    #[test]
    fn origin_is_exact() {
        let e = Endpoint::parse("https://huggingface.co").unwrap();
        assert!(e.is_hub_origin(&Url::parse("https://huggingface.co:443/x").unwrap()));
        for other in [
            "http://huggingface.co/x",
            "https://huggingface.co:8443/x",
            "https://cdn-lfs.huggingface.co/x",
            "https://huggingface.co.evil.com/x",
            "https://evil.com/huggingface.co",
        ] {
            assert!(!e.is_hub_origin(&Url::parse(other).unwrap()), "{other}");
        }
    }

    #[test]
    fn choose_prefers_configured_then_env_then_default() {
        assert_eq!(
            Endpoint::choose(Some("http://a:1"), Some("http://b:2"))
                .unwrap()
                .origin_text(),
            "http://a:1"
        );
        assert_eq!(
            Endpoint::choose(None, Some("http://b:2")).unwrap().origin_text(),
            "http://b:2"
        );
        assert_eq!(
            Endpoint::choose(Some(""), None).unwrap().origin_text(),
            DEFAULT_ENDPOINT
        );
    }

    #[test]
    fn relative_proxy_paths_use_the_page_url() {
        let e = Endpoint::parse_relative("/hf", Some("http://localhost:5173/app/index.html")).unwrap();
        assert_eq!(
            e.resolve_url(
                RepoType::Model,
                &RepoId::parse("a/b").unwrap(),
                &Revision::main(),
                &RepoPath::parse("f").unwrap()
            )
            .as_str(),
            "http://localhost:5173/hf/a/b/resolve/main/f"
        );
        assert_eq!(
            Endpoint::parse_relative("/hf", None).unwrap_err().code,
            ErrorCode::InvalidEndpoint
        );
    }

    #[test]
    fn rejects_bad_endpoints() {
        for bad in [
            "",
            "huggingface.co",
            "ftp://h.co",
            "https://u:p@h.co",
            "https://h.co/?q=1",
            "file:///etc",
        ] {
            assert_eq!(
                Endpoint::parse(bad).unwrap_err().code,
                ErrorCode::InvalidEndpoint,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_refused_endpoint_is_quoted_without_its_secrets() {
        for (bad, shown) in [
            ("https://user:s3cret-pass@h.co/x", "\"https://h.co/x\""),
            ("https://h.co/?token=s3cret-pass", "\"https://h.co/\""),
            ("not a url s3cret-pass", "\"not a url s3cret-pass\""),
        ] {
            let message = Endpoint::parse(bad).unwrap_err().message;
            assert!(message.contains(shown), "{message}");
            assert!(message.contains("s3cret") != bad.contains("://"), "{message}");
        }
    }
}
