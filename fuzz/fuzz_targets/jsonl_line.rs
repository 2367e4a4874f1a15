//! One line of raqib JSON Lines or of a Twitter v2 response: a record or a message, never
//! a panic; and the fast path for flat lines reads every line as serde_json does.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    assert_eq!(
        raqib_ingest::parse_raqib_line(bytes, Some("x")),
        raqib_ingest::parse_raqib_line_serde(bytes, Some("x"))
    );
    let _ = raqib_ingest::parse_twitter_page(bytes);
});
