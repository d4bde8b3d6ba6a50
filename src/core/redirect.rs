//! Redirects, followed by hand so the token rule holds at every hop.
//!
//! The Hub answers large (LFS) files with a 302 to a CDN on another host,
//! whose URL is pre-signed. Following such a redirect must not carry the
//! token along, and a redirect must never downgrade https to http.

use url::Url;

use super::endpoint::origin_of;
use super::error::{ErrorCode, HubError};

/// Hub → renamed repo → CDN is three hops; ten leaves room and stops loops.
pub const MAX_REDIRECTS: usize = 10;

pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where the next request goes, given the `Location` of a redirect answer.
/// Whether it carries the token is decided by the caller from this URL's
/// origin alone.
pub fn next_hop(current: &Url, location: Option<&str>, hops_taken: usize) -> Result<Url, HubError> {
    if hops_taken >= MAX_REDIRECTS {
        return Err(HubError::new(
            ErrorCode::TooManyRedirects,
            format!(
                "Gave up after {MAX_REDIRECTS} redirects starting at {}.",
                origin_of(current)
            ),
        ));
    }
    let invalid = || {
        HubError::new(
            ErrorCode::HttpError,
            format!("{} answered a redirect without a valid Location.", origin_of(current)),
        )
    };
    let location = location.ok_or_else(invalid)?;
    let next = current.join(location).map_err(|_| invalid())?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(HubError::new(
            ErrorCode::InsecureRedirect,
            format!(
                "Refused a redirect from {} to a {}: URL.",
                origin_of(current),
                next.scheme()
            ),
        ));
    }
    if current.scheme() == "https" && next.scheme() == "http" {
        return Err(HubError::new(
            ErrorCode::InsecureRedirect,
            format!(
                "Refused a redirect from {} to {}: it would downgrade https to http.",
                origin_of(current),
                origin_of(&next)
            ),
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(from: &str, to: &str) -> Result<String, ErrorCode> {
        next_hop(&Url::parse(from).unwrap(), Some(to), 0)
            .map(|u| u.to_string())
            .map_err(|e| e.code)
    }

    #[test]
    fn resolves_relative_and_absolute() {
        assert_eq!(
            hop("https://h.co/a/b/resolve/main/x", "/a/c/resolve/main/x"),
            Ok("https://h.co/a/c/resolve/main/x".into())
        );
        assert_eq!(hop("https://h.co/a/b", "c"), Ok("https://h.co/a/c".into()));
        assert_eq!(
            hop("https://h.co/a", "//cdn.co/x?sig=1"),
            Ok("https://cdn.co/x?sig=1".into())
        );
        assert_eq!(
            hop("http://127.0.0.1:1/a", "http://127.0.0.1:2/b"),
            Ok("http://127.0.0.1:2/b".into())
        );
    }

    #[test]
    fn refuses_downgrade_and_odd_schemes() {
        assert_eq!(hop("https://h.co/a", "http://h.co/a"), Err(ErrorCode::InsecureRedirect));
        assert_eq!(
            hop("https://h.co/a", "file:///etc/passwd"),
            Err(ErrorCode::InsecureRedirect)
        );
        assert_eq!(
            hop("https://h.co/a", "javascript:alert(1)"),
            Err(ErrorCode::InsecureRedirect)
        );
    }

    #[test]
    fn caps_hops_and_needs_location() {
        let u = Url::parse("https://h.co/a").unwrap();
        assert_eq!(
            next_hop(&u, Some("/b"), MAX_REDIRECTS).unwrap_err().code,
            ErrorCode::TooManyRedirects
        );
        assert_eq!(next_hop(&u, None, 0).unwrap_err().code, ErrorCode::HttpError);
    }

    #[test]
    fn messages_never_quote_signed_urls() {
        let err = next_hop(
            &Url::parse("https://h.co/a").unwrap(),
            Some("http://cdn.co/x?X-Amz-Signature=s"),
            0,
        )
        .unwrap_err();
        assert!(!err.message.contains("Signature") && err.message.contains("http://cdn.co"));
    }
}
