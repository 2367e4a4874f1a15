//! One line of raqib JSON Lines or of a Twitter v2 response: a record or a message, never
//! a panic; the fast path for flat lines reads every line as serde_json does; and a post
//! read into a spare post (its memory reused) equals one read fresh.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let fresh = raqib_ingest::parse_raqib_line(bytes, Some("x"));
    assert_eq!(
        fresh,
        raqib_ingest::parse_raqib_line_serde(bytes, Some("x"))
    );
    let spare = raqib_model::Post {
        id: "old".into(),
        text: "old text".into(),
        lang: Some("xx".into()),
        reply_to: Some("r".into()),
        label: Some(true),
        reach: Some(1),
        ..Default::default()
    };
    assert_eq!(
        fresh,
        raqib_ingest::parse_raqib_line_reusing(bytes, Some("x"), Some(Box::new(spare)))
    );
    let _ = raqib_ingest::parse_twitter_page(bytes);
});
