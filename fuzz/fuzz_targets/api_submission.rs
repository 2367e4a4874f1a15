//! A request body sent to `POST /api/v1/posts`, a message read from a NATS stream
//! (`serve --nats`), and a webhook signature header: records or a message for the client, a
//! yes or no, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match raqib_server::api::parse_post_body(bytes) {
        Ok((p, cid)) => {
            assert!(!p.id.trim().is_empty());
            assert!(cid.is_none_or(|c| !c.is_empty() && c.len() <= 200));
        }
        Err(e) => assert!(!e.is_empty()),
    }
    match raqib_server::api::parse_message(bytes, 50) {
        Ok(raqib_server::api::Records::Posts(v)) => {
            assert!((1..=50).contains(&v.len()));
            assert!(v.iter().all(|(p, _)| !p.id.trim().is_empty()));
        }
        Ok(raqib_server::api::Records::Accounts(v)) => {
            assert!((1..=50).contains(&v.len()));
            assert!(v.iter().all(|(a, _)| !a.id.trim().is_empty()));
        }
        Err(e) => assert!(!e.is_empty()),
    }
    if let Ok(h) = std::str::from_utf8(bytes) {
        let _ = raqib_server::hooks::verify_signature(b"k", h, bytes);
    }
});
