//! A per-client token bucket and a global cap on requests in flight.
//!
//! Time is passed in (milliseconds), so the policy is pure and testable; the
//! caller owns the clock.

use std::collections::HashMap;

/// Clients idle this long are forgotten, so the map cannot grow without bound.
const FORGET_AFTER_MS: f64 = 10.0 * 60.0 * 1000.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimitConfig {
    /// Burst size: requests a client may make at once.
    pub requests: u32,
    /// Over this many seconds the bucket refills completely.
    pub per_seconds: f64,
    /// Upstream requests in flight across all clients.
    pub max_concurrent: u32,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            requests: 120,
            per_seconds: 60.0,
            max_concurrent: 16,
        }
    }
}

pub struct Limiter {
    config: LimitConfig,
    buckets: HashMap<String, (f64, f64)>, // client → (tokens, last seen ms)
    in_flight: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Seconds until this client may try again.
    RateLimited(u64),
    Busy,
}

impl Limiter {
    pub fn new(config: LimitConfig) -> Self {
        Limiter {
            config,
            buckets: HashMap::new(),
            in_flight: 0,
        }
    }

    /// Take one request's worth; on success the caller must `release` once.
    pub fn acquire(&mut self, client: &str, now_ms: f64) -> Result<(), Refusal> {
        if self.in_flight >= self.config.max_concurrent {
            return Err(Refusal::Busy);
        }
        let capacity = f64::from(self.config.requests);
        let rate_per_ms = capacity / (self.config.per_seconds * 1000.0);
        self.buckets.retain(|_, (_, seen)| now_ms - *seen < FORGET_AFTER_MS);
        let (tokens, seen) = self.buckets.entry(client.to_owned()).or_insert((capacity, now_ms));
        *tokens = (*tokens + (now_ms - *seen).max(0.0) * rate_per_ms).min(capacity);
        *seen = now_ms;
        if *tokens < 1.0 {
            let wait_ms = (1.0 - *tokens) / rate_per_ms;
            return Err(Refusal::RateLimited((wait_ms / 1000.0).ceil() as u64));
        }
        *tokens -= 1.0;
        self.in_flight += 1;
        Ok(())
    }

    pub fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_per_client_refills() {
        let mut l = Limiter::new(LimitConfig {
            requests: 2,
            per_seconds: 2.0,
            max_concurrent: 100,
        });
        assert!(l.acquire("a", 0.0).is_ok());
        assert!(l.acquire("a", 0.0).is_ok());
        assert_eq!(l.acquire("a", 0.0), Err(Refusal::RateLimited(1)));
        assert!(l.acquire("b", 0.0).is_ok(), "other clients are not affected");
        assert!(l.acquire("a", 1000.0).is_ok(), "one token back after a second");
    }

    #[test]
    fn concurrency_cap() {
        let mut l = Limiter::new(LimitConfig {
            requests: 100,
            per_seconds: 1.0,
            max_concurrent: 1,
        });
        assert!(l.acquire("a", 0.0).is_ok());
        assert_eq!(l.acquire("b", 0.0), Err(Refusal::Busy));
        l.release();
        assert!(l.acquire("b", 0.0).is_ok());
    }
}
