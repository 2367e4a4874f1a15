//! Untrusted hash-list CSV, URLs and hash strings: parsed or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (_, row) in raqib_media::lists::parse_import_csv(&text, None, "fuzz", false) {
        let _ = row;
    }
    let _ = raqib_media::url::canonicalise(&text);
    let _ = raqib_media::url::canonical_domain(&text);
    let _ = text.parse::<raqib_media::Hash256>();
});
