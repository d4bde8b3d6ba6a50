//! What a request for a Hub file asks: the whole file, a byte range of it,
//! or only its headers. Of the caller's headers only `Range` counts: any
//! credential header the caller (or Transformers.js, from the environment)
//! put on the request is dropped, and hubguard's token rule decides instead.

/// One `bytes=` range: `first-last` (inclusive), `first-`, or the last `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    From { first: u64, last: Option<u64> },
    Suffix(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRequest {
    /// HEAD: headers only.
    pub head: bool,
    /// `None`: the whole file. A Range the server may ignore (several
    /// ranges, another unit, malformed) is `None`, as HTTP allows.
    pub range: Option<ByteRange>,
}

/// `None` for methods other than GET and HEAD: such a request is not a file
/// download, and goes to the platform's fetch as it is.
pub fn file_request(method: &str, headers: &[(String, String)]) -> Option<FileRequest> {
    let head = match method.to_ascii_uppercase().as_str() {
        "GET" => false,
        "HEAD" => true,
        _ => return None,
    };
    let range = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("range"))
        .and_then(|(_, value)| ByteRange::parse(value));
    Some(FileRequest { head, range })
}

impl ByteRange {
    pub fn parse(value: &str) -> Option<ByteRange> {
        let spec = value.trim().strip_prefix("bytes=")?.trim();
        let (first, last) = spec.split_once('-')?;
        let number = |s: &str| -> Option<u64> {
            let s = s.trim();
            (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match (first.trim().is_empty(), last.trim().is_empty()) {
            (true, true) => None,
            (true, false) => number(last).map(ByteRange::Suffix),
            (false, true) => number(first).map(|first| ByteRange::From { first, last: None }),
            (false, false) => {
                let (first, last) = (number(first)?, number(last)?);
                (first <= last).then_some(ByteRange::From {
                    first,
                    last: Some(last),
                })
            }
        }
    }

    /// `Range: bytes=0-0`: the size probe Transformers.js sends (it reads
    /// the total from `Content-Range`).
    pub fn is_probe(&self) -> bool {
        *self
            == ByteRange::From {
                first: 0,
                last: Some(0),
            }
    }

    /// The bytes `[start, end)` of a file of `size` bytes, or `None` when
    /// the range cannot be satisfied (416).
    pub fn span(&self, size: u64) -> Option<(u64, u64)> {
        match *self {
            ByteRange::From { first, .. } if first >= size => None,
            ByteRange::From { first, last } => Some((first, last.map_or(size, |l| (l + 1).min(size)))),
            ByteRange::Suffix(0) => None,
            ByteRange::Suffix(n) => Some((size.saturating_sub(n), size)),
        }
    }

    /// As a `Range` header value, to ask upstream for the same bytes.
    pub fn header_value(&self) -> String {
        match *self {
            ByteRange::From {
                first,
                last: Some(last),
            } => format!("bytes={first}-{last}"),
            ByteRange::From { first, last: None } => format!("bytes={first}-"),
            ByteRange::Suffix(n) => format!("bytes=-{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn only_get_and_head_are_file_requests() {
        assert_eq!(
            file_request("get", &[]),
            Some(FileRequest {
                head: false,
                range: None
            })
        );
        assert_eq!(file_request("HEAD", &[]).map(|r| r.head), Some(true));
        for other in ["POST", "PUT", "OPTIONS", "DELETE"] {
            assert_eq!(file_request(other, &[]), None, "{other}");
        }
    }

    #[test]
    fn only_the_range_header_counts() {
        let request = file_request(
            "GET",
            &headers(&[
                ("Authorization", "Bearer hf_x"),
                ("User-Agent", "tjs"),
                ("RANGE", "bytes=0-0"),
            ]),
        )
        .unwrap();
        assert!(request.range.unwrap().is_probe());
    }

    #[test]
    fn ranges() {
        let from = |first, last| Some(ByteRange::From { first, last });
        assert_eq!(ByteRange::parse("bytes=0-0"), from(0, Some(0)));
        assert_eq!(ByteRange::parse("bytes=10-"), from(10, None));
        assert_eq!(ByteRange::parse(" bytes= 5 - 9 "), from(5, Some(9)));
        assert_eq!(ByteRange::parse("bytes=-3"), Some(ByteRange::Suffix(3)));
        for ignored in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=9-5",
            "bytes=-",
            "bytes=a-b",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(ByteRange::parse(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn spans_within_a_file() {
        let size = 10;
        let span = |value: &str| ByteRange::parse(value).unwrap().span(size);
        assert_eq!(span("bytes=0-0"), Some((0, 1)));
        assert_eq!(span("bytes=4-"), Some((4, 10)));
        assert_eq!(span("bytes=8-100"), Some((8, 10)));
        assert_eq!(span("bytes=-3"), Some((7, 10)));
        assert_eq!(span("bytes=-30"), Some((0, 10)));
        assert_eq!(span("bytes=10-"), None);
        assert_eq!(span("bytes=-0"), None);
        assert_eq!(ByteRange::parse("bytes=0-0").unwrap().span(0), None);
    }

    #[test]
    fn header_values_round_trip() {
        for value in ["bytes=0-0", "bytes=7-", "bytes=-5"] {
            assert_eq!(ByteRange::parse(value).unwrap().header_value(), value);
        }
    }
}
