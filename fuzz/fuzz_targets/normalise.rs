//! Normalisation never panics, is idempotent, and maps every output character to a
//! character boundary of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    let mut n = raqib_text::Normaliser::default();
    let out = n.run(s).clone();
    assert_eq!(out.chars.len(), out.src.len());
    for &o in &out.src {
        assert!(s.is_char_boundary(o as usize));
    }
    let once = out.as_string();
    assert_eq!(raqib_text::normalise(&once), once);
});
