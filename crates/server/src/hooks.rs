//! Webhook delivery: a thread that sends due deliveries from the store's outbox, signed
//! with HMAC-SHA256, and records each attempt: delivered, retried with exponential
//! back-off, or given up on (a dead letter, listed by the API and the page).
//!
//! Every request carries
//! - `Idempotency-Key`: the same on every retry of one delivery, so the receiver can drop
//!   repeats (delivery is at least once);
//! - `X-Raqib-Event`: `action`, `review`, `undo`, `appeal`;
//! - `X-Raqib-Signature: t=UNIX_SECONDS,v1=HEX`, where HEX is
//!   HMAC-SHA256(secret, "UNIX_SECONDS." + body). Check it with [`verify_signature`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use raqib_store::db::{Attempt, Delivery, Store};
use sha2::Sha256;

#[derive(Debug, Clone)]
pub struct HookConfig {
    pub secret: Vec<u8>,
    /// The first retry waits this long; each next one twice as long, up to an hour.
    pub backoff: Duration,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u32,
    pub timeout: Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            secret: Vec::new(),
            backoff: Duration::from_secs(2),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The signature header's value for `body` sent at `t` (Unix seconds).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let d = mac.finalize().into_bytes();
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Whether `header` is a valid signature of `body` under `secret` (constant-time compare).
pub fn verify_signature(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = Some(x),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let Some(bytes) = (0..v1.len())
        .step_by(2)
        .map(|i| {
            v1.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The wait before retry number `attempts` (1 = the first retry).
pub fn backoff(base: Duration, attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(20);
    (base * factor).min(Duration::from_secs(3600))
}

fn send(agent: &ureq::Agent, cfg: &HookConfig, d: &Delivery) -> Result<(), String> {
    let body = serde_json::to_vec(&d.payload).expect("payload serialises");
    let t = now_ms() / 1000;
    let r = agent
        .post(&d.url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &d.idempotency_key)
        .header("X-Raqib-Event", &d.event)
        .header("X-Raqib-Signature", &sign(&cfg.secret, t, &body))
        .send(&body[..]);
    match r {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!("HTTP {}", resp.status().as_u16())),
        Err(e) => Err(e.to_string()),
    }
}

/// Send what is due until `stop` is set. `wake` is signalled when new deliveries are
/// written, so they go out at once rather than at the next poll.
pub fn run(
    store: Arc<dyn Store>,
    cfg: HookConfig,
    stop: Arc<AtomicBool>,
    wake: crossbeam_channel::Receiver<()>,
) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    while !stop.load(Ordering::Relaxed) {
        let due = match store.due_deliveries(now_ms(), 64) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("raqib serve: webhooks: {e}");
                Vec::new()
            }
        };
        for d in &due {
            let attempt = match send(&agent, &cfg, d) {
                Ok(()) => Attempt::Delivered,
                Err(error) if d.attempts + 1 >= cfg.max_attempts => Attempt::Dead {
                    error: format!("{error} (gave up after {} attempts)", d.attempts + 1),
                },
                Err(error) => Attempt::Retry {
                    next_at: now_ms() + backoff(cfg.backoff, d.attempts + 1).as_millis() as i64,
                    error,
                },
            };
            if let Err(e) = store.record_attempt(d.id, attempt) {
                eprintln!("raqib serve: webhooks: {e}");
            }
        }
        if due.len() < 64 {
            let _ = wake.recv_timeout(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_verifies_and_tampering_fails() {
        let h = sign(b"s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify_signature(b"s3cret", &h, b"{\"a\":1}"));
        assert!(!verify_signature(b"s3cret", &h, b"{\"a\":2}"));
        assert!(!verify_signature(b"other", &h, b"{\"a\":1}"));
        assert!(!verify_signature(b"s3cret", "t=1,v1=zz", b""));
        assert!(!verify_signature(b"s3cret", "garbage", b""));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_secs(2);
        assert_eq!(backoff(b, 1), Duration::from_secs(2));
        assert_eq!(backoff(b, 2), Duration::from_secs(4));
        assert_eq!(backoff(b, 4), Duration::from_secs(16));
        assert_eq!(backoff(b, 30), Duration::from_secs(3600));
    }
}
