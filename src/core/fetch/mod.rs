//! `hubFetch`'s decisions: which URLs are Hub files, what a request for one
//! asks, how it is answered, and its options. Pure; the serving itself is
//! `hub::hub_fetch`, the conversion to a JS `Response` the binding.

pub mod answer;
pub mod options;
pub mod request;
pub mod url;

pub use answer::{
    answer_from_file, answer_from_metadata, failure, kept_headers, serve_as_path, Failure, FileAnswer, FileFacts,
};
pub use options::FetchOptions;
pub use request::{file_request, ByteRange, FileRequest};
pub use url::{parse_file_url, HubFile};
