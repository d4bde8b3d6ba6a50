//! Where a request's token comes from, asked afresh for every request.

use crate::core::error::HubError;
use crate::core::token::Token;

pub trait Credentials {
    /// The token to send to the Hub origin now, if any.
    fn current(&self) -> Result<Option<Token>, HubError>;
}

/// The browser's credentials, and any caller that wants anonymous access.
pub struct Anonymous;

impl Credentials for Anonymous {
    fn current(&self) -> Result<Option<Token>, HubError> {
        Ok(None)
    }
}
