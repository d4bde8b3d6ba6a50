//! Per-client rate limits and concurrency caps, and the proxy's timeouts.
//!
//! Each client (the identity `authorize` gave, else its address) has a
//! token bucket and a cap on its requests in flight; all clients together
//! have a global cap. A client that holds its whole share is turned away
//! alone, so it cannot deny service to another. Time is passed in
//! (milliseconds): the policy is pure and testable, the caller owns the clock.

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
    /// Upstream requests in flight for one client.
    pub max_per_client: u32,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            requests: 120,
            per_seconds: 60.0,
            max_concurrent: 64,
            max_per_client: 8,
        }
    }
}

impl LimitConfig {
    /// A per-client cap above the global one means nothing; keep it below.
    pub fn normalized(mut self) -> Self {
        self.max_concurrent = self.max_concurrent.max(1);
        self.max_per_client = self.max_per_client.clamp(1, self.max_concurrent);
        self
    }
}

/// How long a proxied answer may stall, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Nothing came from upstream for this long: the answer is cut.
    pub idle_ms: u32,
    /// The client took no bytes for this long (it stopped reading): the
    /// answer is cut and its slot is given back.
    pub write_ms: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle_ms: 30_000,
            write_ms: 30_000,
        }
    }
}

pub struct Limiter {
    config: LimitConfig,
    buckets: HashMap<String, (f64, f64)>, // client → (tokens, last seen ms)
    per_client: HashMap<String, u32>,
    in_flight: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Seconds until this client may try again.
    RateLimited(u64),
    /// This client already has its share of requests in flight.
    ClientBusy,
    /// The proxy as a whole is at its cap.
    Busy,
}

impl Limiter {
    pub fn new(config: LimitConfig) -> Self {
        Limiter {
            config: config.normalized(),
            buckets: HashMap::new(),
            per_client: HashMap::new(),
            in_flight: 0,
        }
    }

    /// Take one request's worth; on success the caller must `release` the
    /// same client once.
    pub fn acquire(&mut self, client: &str, now_ms: f64) -> Result<(), Refusal> {
        if self.per_client.get(client).copied().unwrap_or(0) >= self.config.max_per_client {
            return Err(Refusal::ClientBusy);
        }
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
        *self.per_client.entry(client.to_owned()).or_insert(0) += 1;
        Ok(())
    }

    pub fn release(&mut self, client: &str) {
        let Some(count) = self.per_client.get_mut(client) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.per_client.remove(client);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Requests in flight, all clients together.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, max_concurrent: u32, max_per_client: u32) -> Limiter {
        Limiter::new(LimitConfig {
            requests,
            per_seconds: requests as f64,
            max_concurrent,
            max_per_client,
        })
    }

    #[test]
    fn bucket_per_client_refills() {
        let mut l = limiter(2, 100, 100);
        assert!(l.acquire("a", 0.0).is_ok());
        assert!(l.acquire("a", 0.0).is_ok());
        assert_eq!(l.acquire("a", 0.0), Err(Refusal::RateLimited(1)));
        assert!(l.acquire("b", 0.0).is_ok(), "other clients are not affected");
        assert!(l.acquire("a", 1000.0).is_ok(), "one token back after a second");
    }

    #[test]
    fn concurrency_cap() {
        let mut l = limiter(100, 1, 1);
        assert!(l.acquire("a", 0.0).is_ok());
        assert_eq!(l.acquire("b", 0.0), Err(Refusal::Busy));
        l.release("a");
        assert!(l.acquire("b", 0.0).is_ok());
    }

    #[test]
    fn one_client_cannot_take_every_slot() {
        let mut l = limiter(1000, 16, 4);
        for _ in 0..4 {
            assert!(l.acquire("greedy", 0.0).is_ok());
        }
        assert_eq!(l.acquire("greedy", 0.0), Err(Refusal::ClientBusy));
        assert!(l.acquire("other", 0.0).is_ok(), "another client still gets in");
        l.release("greedy");
        assert!(l.acquire("greedy", 0.0).is_ok(), "a slot given back is usable again");
        assert_eq!(l.in_flight(), 5);
    }

    #[test]
    fn every_release_is_counted_once_per_client() {
        let mut l = limiter(1000, 8, 8);
        assert!(l.acquire("a", 0.0).is_ok());
        l.release("a");
        l.release("a"); // a stray second release must not free someone else's slot
        assert_eq!(l.in_flight(), 0);
        assert!(l.per_client.is_empty());
    }

    #[test]
    fn per_client_cap_never_exceeds_the_global_one() {
        let config = LimitConfig {
            max_concurrent: 2,
            max_per_client: 10,
            ..LimitConfig::default()
        }
        .normalized();
        assert_eq!(config.max_per_client, 2);
    }
}
