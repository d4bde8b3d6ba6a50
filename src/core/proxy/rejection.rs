//! A refusal of the proxy: an HTTP status and a message safe to show.

/// A refusal: an HTTP status and a message safe to show to anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub message: String,
}

impl Rejection {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Rejection {
            status,
            message: message.into(),
        }
    }
}
