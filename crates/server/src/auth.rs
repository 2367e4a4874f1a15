//! API tokens, roles and per-token rate limits.
//!
//! A token is `rqb_` + 64 hex digits from the OS's random source; the store keeps only its
//! SHA-256. Roles: `ingest` submits items and files appeals; `reviewer` works the queue;
//! `admin` does everything, including tokens, lists, suspended accounts and dead letters.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use raqib_store::db::Token;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Ingest,
    Reviewer,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "ingest" => Some(Role::Ingest),
            "reviewer" => Some(Role::Reviewer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

pub fn hash_token(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new token's secret and its stored record.
pub fn new_token(name: &str, role: Role, now: i64) -> std::io::Result<(String, Token)> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let secret: String = std::iter::once("rqb_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect();
    let token = Token {
        hash: hash_token(&secret),
        name: name.to_string(),
        role: role.name().to_string(),
        created_at: now,
    };
    Ok((secret, token))
}

/// Whether a token name is acceptable: short, printable, no spaces.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

/// Tokens looked up recently, so a request does not cost a store read. A revoked token
/// stops working within `ttl`.
pub struct TokenCache {
    ttl: Duration,
    map: Mutex<HashMap<String, (Option<Token>, Instant)>>,
}

impl TokenCache {
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, hash: &str) -> Option<Option<Token>> {
        let m = self.map.lock().expect("token cache");
        m.get(hash)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(t, _)| t.clone())
    }

    pub fn put(&self, hash: String, t: Option<Token>) {
        let mut m = self.map.lock().expect("token cache");
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(hash, (t, Instant::now()));
    }

    pub fn clear(&self) {
        self.map.lock().expect("token cache").clear();
    }
}

/// A token bucket per token name: `rate` requests a second, bursts up to `rate`.
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: u32) -> RateLimiter {
        RateLimiter {
            rate: rate.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request's allowance; `Err(seconds)` to wait when none is left.
    pub fn take(&self, who: &str) -> Result<(), u64> {
        let mut b = self.buckets.lock().expect("rate limiter");
        let now = Instant::now();
        let (tokens, at) = b.entry(who.to_string()).or_insert((self.rate, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, ta) = new_token("alice", Role::Reviewer, 1).unwrap();
        let (b, _) = new_token("alice", Role::Reviewer, 1).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("rqb_") && a.len() == 68);
        assert_eq!(ta.hash, hash_token(&a));
        assert!(!ta.hash.contains(&a[4..]));
    }

    #[test]
    fn rate_limiter_refuses_past_the_rate() {
        let r = RateLimiter::new(3);
        assert!(r.take("a").is_ok());
        assert!(r.take("a").is_ok());
        assert!(r.take("a").is_ok());
        assert!(r.take("a").is_err());
        // Another token has its own bucket.
        assert!(r.take("b").is_ok());
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("ingest-1"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name("<script>"));
    }
}
