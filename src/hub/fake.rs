//! A scripted transport for host tests of the client logic.

use std::cell::RefCell;
use std::collections::HashMap;

use super::commit_cache::KeyedCache;
use super::credentials::Credentials;
use super::store::{FileStore, FileWriter, IoError};
use super::transport::{Body, HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
use crate::core::error::HubError;
use crate::core::token::{resolve_token, tests::FakeEnv, Token, TokenOption};

#[derive(Clone)]
pub struct FakeReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Answer `Range: bytes=N-` with a 206, as the CDN does.
    ranged: bool,
    /// Break the connection after this many body bytes, once.
    drop_after: Option<usize>,
}

impl FakeReply {
    pub fn ok(body: &[u8]) -> Self {
        FakeReply {
            status: 200,
            headers: vec![("content-length".into(), body.len().to_string())],
            body: body.to_vec(),
            ranged: false,
            drop_after: None,
        }
    }
    pub fn status(status: u16) -> Self {
        FakeReply {
            status,
            headers: vec![],
            body: vec![],
            ranged: false,
            drop_after: None,
        }
    }
    /// A file that honours Range requests.
    pub fn ranged(body: &[u8]) -> Self {
        FakeReply {
            ranged: true,
            ..FakeReply::ok(body)
        }
    }
    /// The first answer's body breaks off after `bytes`; later ones are whole.
    pub fn dropping_after(mut self, bytes: usize) -> Self {
        self.drop_after = Some(bytes);
        self
    }
    pub fn redirect(location: &str) -> Self {
        FakeReply::status(302).with_header("location", location)
    }
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        FakeReply::status(status)
            .with_header("x-error-code", code)
            .with_header("x-error-message", message)
    }
    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Answers by exact URL; an unknown URL is a refused connection.
#[derive(Default)]
pub struct FakeTransport {
    replies: RefCell<HashMap<String, FakeReply>>,
    seen: RefCell<Vec<(String, bool)>>,
    methods: RefCell<Vec<String>>,
    /// Each request's headers, in order.
    headers: RefCell<Vec<Vec<(String, String)>>>,
    pauses: RefCell<Vec<u32>>,
    pub aborted: std::cell::Cell<bool>,
}

impl FakeTransport {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn reply(self, url: &str, reply: FakeReply) -> Self {
        self.replies.borrow_mut().insert(url.into(), reply);
        self
    }
    /// A reply for one method only (e.g. HEAD), taking precedence.
    pub fn reply_to(self, method: &str, url: &str, reply: FakeReply) -> Self {
        self.replies.borrow_mut().insert(format!("{method} {url}"), reply);
        self
    }
    /// Each request's extra headers (Range, ...).
    pub fn request_headers(&self) -> Vec<Vec<(String, String)>> {
        self.headers.borrow().clone()
    }
    /// The waits between retries, in milliseconds.
    pub fn pauses(&self) -> Vec<u32> {
        self.pauses.borrow().clone()
    }
    /// Each request as "METHOD url".
    pub fn requests(&self) -> Vec<String> {
        self.methods.borrow().clone()
    }
    /// Each request's URL and whether it carried a token.
    pub fn seen(&self) -> Vec<(String, bool)> {
        self.seen.borrow().clone()
    }
}

/// Hands the body out in small chunks (larger ones for a large body),
/// breaking off where told.
pub struct FakeBody {
    rest: std::collections::VecDeque<u8>,
    drop_after: Option<usize>,
    sent: usize,
}

const FAKE_CHUNK: usize = 4;

impl Body for FakeBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let chunk = if self.sent + self.rest.len() > 1 << 16 {
            1 << 16
        } else {
            FAKE_CHUNK
        };
        let mut take = self.rest.len().min(chunk);
        if let Some(limit) = self.drop_after {
            if self.sent >= limit {
                return Err(TransportError {
                    kind: TransportErrorKind::Dropped,
                    detail: "ECONNRESET".into(),
                });
            }
            take = take.min(limit - self.sent);
        }
        self.sent += take;
        Ok(Some(self.rest.drain(..take).collect()))
    }
}

impl Transport for FakeTransport {
    type Body = FakeBody;
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse<FakeBody>, TransportError> {
        self.seen
            .borrow_mut()
            .push((request.url.to_string(), request.bearer.is_some()));
        let keyed = format!("{} {}", request.method.as_str(), request.url);
        self.methods.borrow_mut().push(keyed.clone());
        self.headers.borrow_mut().push(request.headers.clone());
        let mut replies = self.replies.borrow_mut();
        let key = if replies.contains_key(&keyed) {
            keyed
        } else {
            request.url.to_string()
        };
        let refused = TransportError {
            kind: TransportErrorKind::Connect,
            detail: "ECONNREFUSED".into(),
        };
        let stored = replies.get_mut(&key).ok_or(refused)?;
        let reply = stored.clone();
        // A drop happens once: the next attempt gets the whole answer.
        stored.drop_after = None;
        let range_start = request
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("range"))
            .and_then(|(_, v)| v.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let (status, mut headers, body) = match range_start {
            Some(start) if reply.ranged && start < reply.body.len() => {
                let len = reply.body.len();
                let headers = vec![
                    ("content-length".to_owned(), (len - start).to_string()),
                    ("content-range".to_owned(), format!("bytes {start}-{}/{len}", len - 1)),
                ];
                (206, headers, reply.body[start..].to_vec())
            }
            Some(_) if reply.ranged => (416, vec![], vec![]),
            _ => (reply.status, reply.headers.clone(), reply.body.clone()),
        };
        if status == 206 {
            headers.extend(reply.headers.into_iter().filter(|(k, _)| k != "content-length"));
        }
        Ok(HttpResponse {
            status,
            headers,
            body: FakeBody {
                rest: body.into(),
                drop_after: reply.drop_after,
                sent: 0,
            },
        })
    }

    async fn pause(&self, millis: u32) {
        self.pauses.borrow_mut().push(millis);
    }

    fn is_aborted(&self) -> bool {
        self.aborted.get()
    }

    fn now_millis(&self) -> f64 {
        0.0
    }
}

pub struct FakeCredentials(RefCell<Option<String>>);

impl FakeCredentials {
    pub fn new(token: Option<&str>) -> Self {
        FakeCredentials(RefCell::new(token.map(str::to_owned)))
    }
    pub fn set(&self, token: Option<&str>) {
        *self.0.borrow_mut() = token.map(str::to_owned);
    }
}

impl Credentials for FakeCredentials {
    fn current(&self) -> Result<Option<Token>, HubError> {
        let env = match self.0.borrow().as_deref() {
            Some(t) => FakeEnv::default().with_var("HF_TOKEN", t),
            None => FakeEnv::default(),
        };
        resolve_token(&TokenOption::Unset, &env)
    }
}

/// An in-memory filesystem; links are stored as copies, their targets kept.
#[derive(Default)]
pub struct FakeStore {
    pub files: RefCell<HashMap<String, Vec<u8>>>,
    pub links: RefCell<HashMap<String, String>>,
    /// Writes fail once this many bytes have been written in all (a full disk).
    pub capacity: std::cell::Cell<Option<usize>>,
    written: std::cell::Cell<usize>,
}

pub struct FakeWriter<'a> {
    store: &'a FakeStore,
    path: String,
    hasher: sha2::Sha256,
}

impl FileWriter for FakeWriter<'_> {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), IoError> {
        let written = self.store.written.get() + bytes.len();
        if self.store.capacity.get().is_some_and(|cap| written > cap) {
            return Err(IoError {
                detail: "ENOSPC: no space left on device".into(),
            });
        }
        self.store.written.set(written);
        sha2::Digest::update(&mut self.hasher, bytes);
        self.store
            .files
            .borrow_mut()
            .entry(self.path.clone())
            .or_default()
            .extend_from_slice(bytes);
        Ok(())
    }
    async fn close(self) -> Result<String, IoError> {
        use sha2::Digest;
        Ok(format!("{:x}", self.hasher.finalize()))
    }
}

impl FileStore for FakeStore {
    type Writer<'w> = FakeWriter<'w>;
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError> {
        Ok(self.files.borrow().get(path).cloned())
    }
    async fn exists(&self, path: &str) -> bool {
        self.files.borrow().contains_key(path)
    }
    async fn git_blob_sha1(&self, path: &str) -> Result<String, IoError> {
        let files = self.files.borrow();
        let bytes = files.get(path).ok_or(IoError {
            detail: "ENOENT".into(),
        })?;
        Ok(git_blob_sha1(bytes))
    }
    async fn size(&self, path: &str) -> Option<u64> {
        self.files.borrow().get(path).map(|b| b.len() as u64)
    }
    async fn age_millis(&self, _path: &str) -> Option<u64> {
        Some(0)
    }
    async fn touch(&self, _path: &str) {}
    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
        self.files.borrow_mut().insert(path.into(), bytes.to_vec());
        Ok(())
    }
    async fn create_new(&self, path: &str, bytes: &[u8]) -> Result<bool, IoError> {
        let mut files = self.files.borrow_mut();
        if files.contains_key(path) {
            return Ok(false);
        }
        files.insert(path.into(), bytes.to_vec());
        Ok(true)
    }
    async fn open_writer(&self, path: &str, append: bool) -> Result<FakeWriter<'_>, IoError> {
        let mut files = self.files.borrow_mut();
        let file = files.entry(path.into()).or_default();
        if !append {
            file.clear();
        }
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut hasher, &file[..]);
        Ok(FakeWriter {
            store: self,
            path: path.into(),
            hasher,
        })
    }
    async fn rename(&self, from: &str, to: &str) -> Result<(), IoError> {
        let mut files = self.files.borrow_mut();
        let bytes = files.remove(from).ok_or(IoError {
            detail: "ENOENT".into(),
        })?;
        files.insert(to.into(), bytes);
        Ok(())
    }
    async fn remove(&self, path: &str) {
        self.files.borrow_mut().remove(path);
    }
    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError> {
        let bytes = self.files.borrow().get(source).cloned().unwrap_or_default();
        self.files.borrow_mut().insert(link.into(), bytes);
        self.links.borrow_mut().insert(link.into(), target.into());
        Ok(())
    }
}

/// What the Hub names a regular file by (`git hash-object`).
pub fn git_blob_sha1(bytes: &[u8]) -> String {
    use sha1::Digest;
    let mut hash = sha1::Sha1::new();
    hash.update(crate::core::cache::git_blob_header(bytes.len() as u64).as_bytes());
    hash.update(bytes);
    format!("{:x}", hash.finalize())
}

/// The browser's Cache API, as a map.
#[derive(Default)]
pub struct MemoryCache(pub RefCell<HashMap<String, Vec<u8>>>);

impl KeyedCache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.borrow().get(key).cloned()
    }
    async fn put(&self, key: &str, bytes: &[u8]) {
        self.0.borrow_mut().insert(key.into(), bytes.to_vec());
    }
}
