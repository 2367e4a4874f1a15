//! One line of raqib JSON Lines or of a Twitter v2 response: a record or a message, never
//! a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = raqib_ingest::parse_raqib_line(bytes, Some("x"));
    let _ = raqib_ingest::parse_twitter_page(bytes);
});
