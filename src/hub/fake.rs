//! A scripted transport for host tests of the client logic.

use std::cell::RefCell;
use std::collections::HashMap;

use super::credentials::Credentials;
use super::transport::{Body, HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};
use crate::core::error::HubError;
use crate::core::token::{resolve_token, tests::FakeEnv, Token, TokenOption};

#[derive(Clone)]
pub struct FakeReply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl FakeReply {
    pub fn ok(body: &[u8]) -> Self {
        FakeReply {
            status: 200,
            headers: vec![("content-length".into(), body.len().to_string())],
            body: body.to_vec(),
        }
    }
    pub fn status(status: u16) -> Self {
        FakeReply {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    pub fn redirect(location: &str) -> Self {
        FakeReply::status(302).with_header("location", location)
    }
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        FakeReply::status(status)
            .with_header("x-error-code", code)
            .with_header("x-error-message", message)
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
    replies: HashMap<String, FakeReply>,
    seen: RefCell<Vec<(String, bool)>>,
    methods: RefCell<Vec<String>>,
}

impl FakeTransport {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn reply(mut self, url: &str, reply: FakeReply) -> Self {
        self.replies.insert(url.into(), reply);
        self
    }
    /// A reply for one method only (e.g. HEAD), taking precedence.
    pub fn reply_to(mut self, method: &str, url: &str, reply: FakeReply) -> Self {
        self.replies.insert(format!("{method} {url}"), reply);
        self
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

pub struct FakeBody(Option<Vec<u8>>);

impl Body for FakeBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        Ok(self.0.take().filter(|b| !b.is_empty()))
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
        let reply = self
            .replies
            .get(&keyed)
            .or_else(|| self.replies.get(request.url.as_str()))
            .cloned()
            .ok_or(TransportError {
                kind: TransportErrorKind::Connect,
                detail: "ECONNREFUSED".into(),
            })?;
        Ok(HttpResponse {
            status: reply.status,
            headers: reply.headers,
            body: FakeBody(Some(reply.body)),
        })
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
}

impl super::store::FileStore for FakeStore {
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, super::store::IoError> {
        Ok(self.files.borrow().get(path).cloned())
    }
    async fn exists(&self, path: &str) -> bool {
        self.files.borrow().contains_key(path)
    }
    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), super::store::IoError> {
        self.files.borrow_mut().insert(path.into(), bytes.to_vec());
        Ok(())
    }
    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), super::store::IoError> {
        let bytes = self.files.borrow().get(source).cloned().unwrap_or_default();
        self.files.borrow_mut().insert(link.into(), bytes);
        self.links.borrow_mut().insert(link.into(), target.into());
        Ok(())
    }
}
